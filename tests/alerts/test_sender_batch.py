"""A batch of messages is recorded in a few transactions, and that stays safe: a message that
needs an unrecorded answer waits for it to be written, and a crash before the answers are
written posts nothing twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor.domain import Mention
from monitor.models import OutboxRow
from monitor.notices import LegacyNote, Refresh
from monitor.outbox import LEASE, Outbox
from monitor.pipeline import process
from monitor.poller import poll_all
from monitor.settings import Environment
from tests.factories import T0, World, make_world, post
from tests.fake_slack import FakeSlack


def _world(tmp_path: Path, slack: FakeSlack, database_url: str | None = None
           ) -> tuple[World, SlackDelivery]:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      database_url=database_url or f"sqlite:///{tmp_path / 'bm.db'}")
    world = make_world(tmp_path, env=env)
    client = make_client(env)
    client.retry_handlers = []  # the outbox does the retrying, not the client
    return world, SlackDelivery(client)


def _complaints(world: World, n: int) -> None:
    def word(i: int) -> str:  # distinct words, so the posts form no wave
        return "".join(chr(97 + (i // 26 ** k) % 26) for k in range(3))

    world.add_posts(*[post(str(i), f"acme {word(i)} {word(i + 40)} {word(i + 80)} late",
                           author=f"u{i}", minutes_ago=1) for i in range(n)])
    poll_all(world.runtime)


def _keys(slack: FakeSlack) -> Counter[str]:
    """How many times each idempotency key was posted."""
    return Counter(str(((m.get("metadata") or {}).get("event_payload") or {}).get("key"))
                   for msgs in slack.messages.values() for m in msgs)


def _states(world: World) -> dict[str, int]:
    return Outbox(world.runtime.store).counts()


class WritingCommits:
    """Count the committed transactions that wrote something, and the UPDATEs of the outbox."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count, self.outbox_updates = engine, 0, 0
        self._dirty: set[int] = set()
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)

    def _execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._dirty.add(id(conn.connection))
            self.outbox_updates += words[:2] == ["UPDATE", "outbox"]

    def _commit(self, conn: Any) -> None:
        if id(conn.connection) in self._dirty:
            self._dirty.discard(id(conn.connection))
            self.count += 1

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._execute)
        event.remove(self.engine, "commit", self._commit)


def test_a_batch_of_alerts__recorded_in_one_transaction(tmp_path: Path, database_url: str) -> None:
    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack, database_url)
        _complaints(world, 20)
        commits = WritingCommits(world.runtime.store.engine)
        assert flush(world.runtime, delivery, batch=50) == 20
        commits.remove()
        # one to claim the batch, one to record what Slack answered (not one per message)
        assert commits.outbox_updates == 2, commits.outbox_updates
        assert commits.count <= 3, commits.count
        assert _states(world) == {"sent": 20}
        cases = world.runtime.store.cases(limit=100)
        assert len(cases) == 20
        for case in cases:
            [posted] = slack.posts_with_key(f"alert:{case.id}")
            assert world.runtime.store.case(case.id).slack_ts == posted["ts"]


def test_alert_then_its_refresh_and_a_thread_note__in_one_batch_in_order(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack)
        _complaints(world, 1)
        [case] = world.runtime.store.cases()
        outbox, now = world.runtime.outbox, world.clock()
        outbox.put(Refresh(case.id, 1), now, brand_id="acme", channel="C0ACME")
        outbox.put(LegacyNote(case.id, "a note", 2), now, brand_id="acme", channel="C0ACME")
        assert flush(world.runtime, delivery, max_batches=1) == 3, "all three in one batch"
        methods = [c.method for c in slack.calls if c.method.startswith("chat.")]
        assert methods == ["chat.postMessage", "chat.update", "chat.postMessage"]
        alert_ts = world.runtime.store.case(case.id).slack_ts
        assert slack.of("chat.update")[0].params["ts"] == alert_ts
        assert slack.of("chat.postMessage")[1].params["thread_ts"] == alert_ts
        assert _states(world) == {"sent": 3}


def test_a_wave_and_its_alerts__in_one_batch_the_wave_posted_once(tmp_path: Path) -> None:
    outage = "acme app is broken again, cannot log in since the update"
    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack)
        process(world.runtime, world.runtime.config.brands[0], "posts",
                [Mention(platform="x", id=f"p{i}", text=f"{outage} #{i}", url=f"https://x.com/{i}",
                         author_id=f"u{i}", author_handle=f"user{i}", published_at=T0,
                         lang_hint="en") for i in range(6)], T0)
        queued = world.runtime.outbox.due(world.clock(), 100)
        in_wave = {i.payload["case"] for i in queued if i.kind == "alert" and i.payload.get("wave")}
        assert [i.kind for i in queued].count("wave") == 2 and in_wave, "a post, then an edit"
        flush(world.runtime, delivery, batch=100, max_batches=1)
        assert set(_states(world)) == {"sent"}, "nothing waited for an answer left unrecorded"
        keys = _keys(slack)
        assert len([k for k in keys if k.startswith("wave:")]) == 1, "the wave posted once"
        assert set(keys.values()) == {1}
        [wave_id] = {c.wave_id for c in world.runtime.store.cases() if c.wave_id is not None}
        wave_ts = world.runtime.store.wave(wave_id).slack_ts
        [edit] = slack.of("chat.update")
        assert edit.params["ts"] == wave_ts
        for case_id in in_wave:
            [posted] = slack.posts_with_key(f"alert:{case_id}")
            assert posted.get("thread_ts") == wave_ts, "the wave's alerts in its thread"


class Broken(Exception):
    """Not a Slack error: the sender does not handle it, flush raises."""


class _BreaksOnAlert(SlackDelivery):
    def __init__(self, client: Any, at: int) -> None:
        super().__init__(client)
        self.at, self.seen = at, 0

    def alert(self, *args: Any, **kwargs: Any) -> Any:
        self.seen += 1
        if self.seen == self.at:
            raise Broken
        return super().alert(*args, **kwargs)


def test_failure_on_the_kth_message__those_before_it_recorded_none_posted_twice(
        tmp_path: Path) -> None:
    with FakeSlack(start_ts=T0.timestamp()) as slack:
        world, delivery = _world(tmp_path, slack)
        _complaints(world, 8)
        breaking = _BreaksOnAlert(delivery.client, at=4)
        with pytest.raises(Broken):
            flush(world.runtime, breaking)
        assert _states(world) == {"sent": 3, "sending": 5}, "Slack's first three answers are kept"
        world.clock.advance(seconds=LEASE.total_seconds() + 1)
        assert flush(world.runtime, delivery) == 5
        assert _states(world) == {"sent": 8}
        keys = _keys(slack)
        assert len(keys) == 8 and set(keys.values()) == {1}, keys


class Dies(BaseException):
    """The process dies: not an Exception, so nothing in the sender may catch it."""


def test_death_before_the_batch_is_recorded__every_post_found_by_its_key(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack(start_ts=T0.timestamp()) as slack:
        world, delivery = _world(tmp_path, slack, database_url)
        _complaints(world, 6)
        outbox = world.runtime.outbox
        [first] = outbox.due(world.clock(), 1)
        outbox.put(Refresh(first.case_id or 0, 1), world.clock(), brand_id="acme", channel="C0ACME")
        real = Outbox.sent_many

        def die(*_: object) -> None:
            raise Dies

        monkeypatch.setattr(Outbox, "sent_many", die)
        with pytest.raises(Dies):  # the alerts went out; the Refresh first needs them written
            flush(world.runtime, delivery)
        assert len(slack.of("chat.postMessage")) == 6
        with world.runtime.store.session() as s:
            assert {r.state for r in s.query(OutboxRow)} == {"sending"}, "nothing recorded"
        monkeypatch.setattr(Outbox, "sent_many", real)
        world.clock.advance(seconds=LEASE.total_seconds() + 1)
        assert flush(world.runtime, delivery) == 7
        assert len(slack.of("chat.postMessage")) == 6, "each alert found by its key, not posted again"
        assert len(slack.of("conversations.history")) == 6
        assert _states(world) == {"sent": 7}
        for case in world.runtime.store.cases():
            [posted] = slack.posts_with_key(f"alert:{case.id}")
            assert world.runtime.store.case(case.id).slack_ts == posted["ts"]
