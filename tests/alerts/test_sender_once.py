"""Effectively once to Slack: claims, finding our own post after a crash, per-channel 429,
and messages given up are said, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor.models import OutboxRow
from monitor.notices import SourceNotice
from monitor.outbox import LEASE, MAX_ATTEMPTS, Outbox
from monitor.poller import poll_all
from monitor.settings import Environment
from monitor.status_report import render_status
from tests.factories import T0, World, make_world, post
from tests.fake_slack import Failure, FakeSlack

OTHER_BRAND = """\
  - id: bolt
    name: Bolt Bikes
    keywords: [bolt]
    slack: {channel: C0BOLT}
    responders: [U0BOLT]
    sources:
      - type: replay
        name: posts
        options: {path: bolt.jsonl, reply_log: bolt-replies.jsonl}
"""


def _world(tmp_path: Path, slack: FakeSlack, extra: str = "") -> tuple[World, SlackDelivery]:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      database_url=f"sqlite:///{tmp_path / 'bm.db'}")
    world = make_world(tmp_path, env=env, extra=extra)
    client = make_client(env)
    client.retry_handlers = []
    return world, SlackDelivery(client)


class DiesAfterSlackAnswers(Exception):
    """The process dies between Slack's answer and our record of it."""


def test_crash_between_slack_answer_and_record__found_in_history_not_posted_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack(start_ts=T0.timestamp()) as slack:
        world, delivery = _world(tmp_path, slack)
        world.add_posts(post("1", "acme parcel is late", minutes_ago=1))
        poll_all(world.runtime)
        real_sent = Outbox.sent_many  # every answer is recorded through it

        def die(*args: object, **kwargs: object) -> None:
            raise DiesAfterSlackAnswers

        monkeypatch.setattr(Outbox, "sent_many", die)
        with pytest.raises(DiesAfterSlackAnswers):
            flush(world.runtime, delivery)
        assert len(slack.of("chat.postMessage")) == 1
        monkeypatch.setattr(Outbox, "sent_many", real_sent)
        assert flush(world.runtime, delivery) == 0, "the dead sender's claim still holds"
        world.clock.advance(seconds=LEASE.total_seconds() + 1)
        assert flush(world.runtime, delivery) == 1
        assert len(slack.of("chat.postMessage")) == 1, "posted once, found once"
        [lookup] = slack.of("conversations.history")
        assert str(lookup.params["include_all_metadata"]).lower() in ("1", "true")
        [case] = world.runtime.store.cases()
        [posted] = slack.posts_with_key(f"alert:{case.id}")
        assert world.runtime.store.case(case.id).slack_ts == posted["ts"]


def test_every_post_carries_its_idempotency_key(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack)
        world.add_posts(post("1", "acme parcel is late", minutes_ago=1))
        poll_all(world.runtime)
        flush(world.runtime, delivery)
        [call] = slack.of("chat.postMessage")
        metadata = call.params["metadata"]
        if isinstance(metadata, str):
            import json

            metadata = json.loads(metadata)
        assert metadata["event_type"] == "brand_monitor_message"
        assert metadata["event_payload"]["key"].startswith("alert:")


def test_429_pauses_that_channel_only_until_retry_after(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack, OTHER_BRAND)
        world.add_posts(post("1", "acme parcel is late", minutes_ago=1),
                        post("2", "acme refund never came", author="ola", minutes_ago=1))
        import json

        (tmp_path / "bolt.jsonl").write_text(json.dumps(
            post("3", "bolt bike broken on day one", author="kim", minutes_ago=1)) + "\n", encoding="utf-8")
        poll_all(world.runtime)
        slack.fail_next("chat.postMessage", Failure(status=429, body={"ok": False, "error": "ratelimited"},
                                                    headers={"Retry-After": "30"}))
        assert flush(world.runtime, delivery) == 1, "the other brand's channel goes on"
        channels = [c.params["channel"] for c in slack.of("chat.postMessage")]
        assert channels == ["C0ACME", "C0BOLT"], "after the 429, no second try in C0ACME"
        world.clock.advance(seconds=29)
        assert flush(world.runtime, delivery) == 0
        world.clock.advance(seconds=1)
        assert flush(world.runtime, delivery) == 2
        assert [c.params["channel"] for c in slack.of("chat.postMessage")][2:] == ["C0ACME", "C0ACME"]


def test_message_given_up__said_once_in_the_channel_and_in_status(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack)
        world.add_posts(post("1", "acme parcel is late", minutes_ago=1))
        poll_all(world.runtime)
        for _ in range(MAX_ATTEMPTS):
            slack.fail_next("chat.postMessage", Failure(body={"ok": False, "error": "channel_not_found"}))
        for _ in range(MAX_ATTEMPTS + 2):
            flush(world.runtime, delivery)
            world.clock.advance(minutes=10)
        with world.runtime.store.session() as s:
            states = sorted((r.kind, r.state) for r in s.query(OutboxRow).all())
        assert states == [("alert", "dead"), ("dead_letter", "sent")]
        [notice] = [c for c in slack.of("chat.postMessage") if "gave up" in c.params["text"]]
        assert "ACME-0001" in notice.params["text"] and notice.params["channel"] == "C0ACME"
        status = render_status(world.runtime)
        assert "1 message(s) GIVEN UP" in status and "channel_not_found" in status
        world.clock.advance(hours=1)
        flush(world.runtime, delivery)
        assert len([c for c in slack.of("chat.postMessage") if "gave up" in c.params["text"]]) == 1


def test_two_senders_at_once__each_message_goes_out_once(tmp_path: Path) -> None:
    import threading

    with FakeSlack() as slack:
        world, delivery = _world(tmp_path, slack)
        def word(i: int) -> str:  # distinct words, so the posts form no wave
            return "".join(chr(97 + (i // 26 ** k) % 26) for k in range(3))

        world.add_posts(*[post(str(i), f"acme {word(i)} {word(i + 40)} {word(i + 80)} late",
                               author=f"u{i}", minutes_ago=1) for i in range(30)])
        poll_all(world.runtime)
        barrier = threading.Barrier(4)

        def sender() -> None:
            barrier.wait()
            flush(world.runtime, delivery, batch=5)

        threads = [threading.Thread(target=sender) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        keys = [((m.get("metadata") or {}).get("event_payload") or {}).get("key")
                for m in slack.messages["C0ACME"]]
        assert len(keys) == len(set(keys)), "no message posted twice"
        assert len([k for k in keys if k and k.startswith("alert:")]) == 30
        assert world.runtime.outbox.due(world.clock() + timedelta(days=1)) == []


def test_claims__a_batch_in_one_statement_and_two_senders_never_share_a_row(
        tmp_path: Path, database_url: str) -> None:
    import threading

    from sqlalchemy import event

    world = make_world(tmp_path, database_url)
    outbox = Outbox(world.runtime.store)
    for i in range(40):
        outbox.put(n_source_notice(i), world.clock(), channel="C0ACME")
    issued: list[str] = []
    event.listen(world.runtime.store.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: issued.append(sql))
    mine = outbox.claim_due(world.clock(), 10, "one")
    updates = [s for s in issued if s.lstrip().upper().startswith("UPDATE")]
    assert len(mine) == 10 and len(updates) == 1, "ten rows, one conditional update"
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(2)

    def claim(worker: str) -> None:
        barrier.wait()
        got[worker] = [i.id for i in outbox.claim_due(world.clock(), 30, worker)]

    threads = [threading.Thread(target=claim, args=(w,)) for w in ("two", "three")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not set(got["two"]) & set(got["three"]), "no row claimed by both"
    assert not (set(got["two"]) | set(got["three"])) & {i.id for i in mine}
    assert len(got["two"]) + len(got["three"]) == 30


def n_source_notice(i: int) -> SourceNotice:
    return SourceNotice(brand_id="acme", source=f"src{i}", down_since=T0.isoformat(),
                        error="down", recovered=False, at=T0.isoformat())
