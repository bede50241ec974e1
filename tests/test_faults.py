"""Fault injection: the process dies at every commit boundary, then restarts.

A run polls a batch of posts (complaints, a customer writing again in the same thread,
praise), sends the alerts to a fake Slack, and a responder clicks "publish". For each
commit that writes, on SQLite and PostgreSQL, the process dies once just before it (the
transaction is lost) and once just after it (the commit is kept, nothing after it runs);
then a fresh process on the same database does the whole run again, the responder clicks
again, and we check: every complaint has exactly one case, every case exactly one alert in
Slack, the click published at most one reply.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from monitor import casework
from monitor.deadlines import sweep
from monitor.models import CaseRow, MentionRow
from monitor.poller import poll_all
from monitor.settings import Environment
from monitor.store import Store
from monitor.wiring import Runtime, build_runtime
from tests.factories import T0, KeywordClassifier, World, empty_database, make_world, post
from tests.fake_slack import FakeSlack

COMPLAINTS = {"1", "2", "4", "6"}
POSTS = [
    post("1", "acme parcel is late again", author="ola", conversation_id="c1"),
    post("2", "acme app is broken", author="jan"),
    post("3", "acme coffee is lovely", author="eva"),
    post("4", "acme refund never came", author="tom"),
    post("5", "still late, acme, still waiting", author="ola", conversation_id="c1"),
    post("6", "acme support was rude", author="kim"),
    post("7", "acme beans, lovely as ever", author="max"),
]


class Crash(BaseException):
    """The process dies here: not an Exception, so nothing in the code may catch it."""


class Killer:
    """Count the commits that write; die just before or just after the chosen one."""

    def __init__(self, engine: Any, at: int | None, after: bool) -> None:
        self.at, self.after, self.count = at, after, 0
        self.dead = False
        self._dirty: set[int] = set()
        self._crash_next = False
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)

    def _execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._crash_next:
            self._die()
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._dirty.add(id(conn.connection))

    def _commit(self, conn: Any) -> None:
        if self._crash_next:
            self._die()
        key = id(conn.connection)
        if key not in self._dirty:
            return
        self._dirty.discard(key)
        self.count += 1
        if self.count == self.at:
            if self.after:
                self._crash_next = True
            else:
                self._die()

    def _die(self) -> None:
        self._crash_next = False
        self.dead = True
        raise Crash

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._execute)
        event.remove(self.engine, "commit", self._commit)


def _runtime(world: World, url: str) -> Runtime:
    env = Environment(database_url=url)
    runtime = build_runtime(world.runtime.config, world.config_path, env=env, environ={},
                            clock=world.clock, store=Store.from_url(url))
    runtime._classifier = KeywordClassifier()
    return runtime


def _whole_run(runtime: Runtime, delivery: SlackDelivery) -> None:
    """What one life of the process does: poll, send, a click on the first complaint, send."""
    poll_all(runtime)
    sweep(runtime)
    flush(runtime, delivery)
    first = runtime.store.case_for_mention(_mention_id(runtime, "2"))
    if first is not None:
        suggestions = runtime.store.suggestions(first.id)
        casework.publish_reply(runtime, first.id, suggestions[0].text, "U0ALLOWED")
    flush(runtime, delivery)


def _mention_id(runtime: Runtime, external_id: str) -> int:
    with runtime.store.session() as s:
        return int(s.scalar(select(MentionRow.id).where(MentionRow.external_id == external_id)) or 0)


@contextmanager
def _slack() -> Iterator[tuple[FakeSlack, SlackDelivery]]:
    from slack_sdk import WebClient

    with FakeSlack(start_ts=T0.timestamp()) as slack:
        yield slack, SlackDelivery(WebClient(token="xoxb-test", base_url=slack.url))


def _check(runtime: Runtime, world: World, slack: FakeSlack) -> None:
    with runtime.store.session() as s:
        cases = list(s.scalars(select(CaseRow)))
        mentions = {m.id: m.external_id for m in s.scalars(select(MentionRow))}
        per_mention = dict(s.execute(select(CaseRow.mention_id, func.count()).group_by(CaseRow.mention_id))
                           .all())
    assert set(mentions.values()) == {p["id"] for p in POSTS}, "every post stored once"
    case_posts = {mentions[c.mention_id] for c in cases}
    # post 5 is the same customer writing again in the thread of post 1: no case of its own
    assert case_posts == COMPLAINTS, "every complaint has a case, and nothing else has one"
    assert all(n == 1 for n in per_mention.values()), "no complaint has two cases"
    for case in cases:
        alerts = slack.posts_with_key(f"alert:{case.id}")
        assert len(alerts) == 1, f"case {case.reference} was alerted {len(alerts)} times"
        assert case.slack_ts == alerts[0]["ts"], "the case knows its one alert"
    replies = world.reply_lines()
    assert len(replies) <= 1, "one click, at most one reply"
    assert len(replies) == 1, "after the restart the click went through"


def _boundaries(tmp_path: Path, url: str) -> int:
    (tmp_path / "count").mkdir()
    world = make_world(tmp_path / "count", url if "postgresql" in url else None)
    world.add_posts(*POSTS)
    killer = Killer(world.runtime.store.engine, None, after=False)
    with _slack() as (slack, delivery):
        _whole_run(world.runtime, delivery)
        _check(world.runtime, world, slack)
    killer.remove()
    return killer.count


def _fresh_url(database_url: str, tmp_path: Path, n: int) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'run{n}.db'}"
    return database_url


@pytest.mark.parametrize("after", [False, True], ids=["before_commit", "after_commit"])
def test_death_at_every_commit__nothing_lost_nothing_doubled(tmp_path: Path, database_url: str,
                                                             after: bool) -> None:
    total = _boundaries(tmp_path, database_url)
    # at least: the poll's, and per flush a claim and a record of what Slack answered (a batch's
    # answers are recorded together), around the click's
    assert total >= 8, "the run has many commit boundaries to kill"
    for at in range(1, total + 1):
        run_dir = tmp_path / f"at{at}"
        run_dir.mkdir()
        url = _fresh_url(database_url, run_dir, at)
        if url == database_url:
            empty_database(url)
        world = make_world(run_dir, url)
        world.add_posts(*POSTS)
        with _slack() as (slack, delivery):
            killer = Killer(world.runtime.store.engine, at, after)
            with contextlib.suppress(Crash):
                _whole_run(world.runtime, delivery)
            # dying just after the very last commit is dying once the work is done
            assert killer.dead or (after and at == total), f"no death at commit {at}"
            killer.remove()
            world.runtime.store.engine.dispose()
            # a new process on the same database, once a dead sender's claims have lapsed
            world.clock.advance(minutes=2)
            restarted = _runtime(world, url)
            _whole_run(restarted, delivery)
            _check(restarted, world, slack)
            restarted.store.engine.dispose()


def test_two_instances_on_one_database__double_nothing(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(*POSTS)
    with _slack() as (slack, delivery):
        instances = [_runtime(world, database_url) for _ in range(3)]
        barrier = threading.Barrier(len(instances))
        errors: list[BaseException] = []

        def life(runtime: Runtime) -> None:
            try:
                barrier.wait()
                for _ in range(2):
                    poll_all(runtime)
                    flush(runtime, delivery)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=life, args=(rt,)) for rt in instances]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        runtime = instances[0]
        first = runtime.store.case_for_mention(_mention_id(runtime, "2"))
        assert first is not None
        clicks = [threading.Thread(target=casework.publish_reply,
                                   args=(rt, first.id, "We are on it.", "U0ALLOWED"))
                  for rt in instances]
        for click in clicks:
            click.start()
        for click in clicks:
            click.join(30)
        for rt in instances:
            flush(rt, delivery)
        _check(runtime, world, slack)
