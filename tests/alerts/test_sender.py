"""Slack down or busy: alerts wait in the outbox and go out once when it is back."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from alerts.delivery import ConsoleDelivery, SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor.notices import Refresh
from monitor.poller import poll_all
from monitor.settings import Environment
from tests.factories import make_world, post
from tests.fake_slack import Failure, FakeSlack


def _setup(tmp_path: Path, slack: FakeSlack):  # type: ignore[no-untyped-def]
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      database_url=f"sqlite:///{tmp_path / 'bm.db'}")
    world = make_world(tmp_path, env=env)
    world.add_posts(post("1", "acme parcel is late", minutes_ago=1))
    poll_all(world.runtime)
    client = make_client(env)
    client.retry_handlers = []  # the outbox does the retrying, not the client
    return world, SlackDelivery(client)


def test_slack_500__alert_waits_then_goes_out_once(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _setup(tmp_path, slack)
        slack.fail_next("chat.postMessage", Failure(status=500, body={"ok": False, "error": "fatal_error"}))
        slack.fail_next("chat.postMessage", Failure(status=503, body={"ok": False, "error": "fatal_error"}))
        assert flush(world.runtime, delivery) == 0
        [item] = world.runtime.outbox.due(world.clock() + timedelta(hours=1))
        assert item.attempts == 1
        assert flush(world.runtime, delivery) == 0  # not due yet: backing off
        world.clock.advance(minutes=1)
        assert flush(world.runtime, delivery) == 0
        world.clock.advance(minutes=5)
        assert flush(world.runtime, delivery) == 1
        world.clock.advance(hours=1)
        assert flush(world.runtime, delivery) == 0
        assert len(slack.of("chat.postMessage")) == 3  # two failures, one success
        [case] = world.runtime.store.cases()
        assert world.runtime.store.case(case.id).slack_ts is not None


def test_slack_429__waits_retry_after(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _setup(tmp_path, slack)
        slack.fail_next("chat.postMessage", Failure(status=429, body={"ok": False, "error": "ratelimited"},
                                                    headers={"Retry-After": "30"}))
        assert flush(world.runtime, delivery) == 0
        world.clock.advance(seconds=29)
        assert flush(world.runtime, delivery) == 0
        world.clock.advance(seconds=1)
        assert flush(world.runtime, delivery) == 1
        assert len(slack.of("chat.postMessage")) == 2


def test_slack_config_error__kept_not_lost(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _setup(tmp_path, slack)
        slack.fail_next("chat.postMessage", Failure(body={"ok": False, "error": "channel_not_found"}))
        assert flush(world.runtime, delivery) == 0
        from monitor.models import OutboxRow

        with world.runtime.store.session() as s:
            [row] = s.query(OutboxRow).all()
            assert row.state == "pending" and "invite the bot" in (row.last_error or "")
        world.clock.advance(hours=1)
        assert flush(world.runtime, delivery) == 1


def test_update_before_alert__waits_for_the_alert(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        world, delivery = _setup(tmp_path, slack)
        [case] = world.runtime.store.cases()
        world.runtime.outbox.put(Refresh(case.id, 0), world.clock() - timedelta(1), brand_id="acme",
                                 channel="C0ACME")
        flush(world.runtime, delivery)
        world.clock.advance(seconds=5)
        flush(world.runtime, delivery)
        methods = [c.method for c in slack.calls if c.method.startswith("chat.")]  # not the Home tab's
        assert methods == ["chat.postMessage", "chat.update"]


def test_no_token__alerts_print_to_the_terminal(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.add_posts(post("1", "acme parcel is late", minutes_ago=1))
    poll_all(world.runtime)
    out = io.StringIO()
    assert flush(world.runtime, ConsoleDelivery(out)) == 1
    text = out.getvalue()
    assert "ACME-0001" in text and "acme parcel is late" in text


def test_reply_note__customer_text_in_it_cannot_ping(tmp_path: Path) -> None:
    from monitor import casework

    with FakeSlack() as slack:
        world, delivery = _setup(tmp_path, slack)
        flush(world.runtime, delivery)
        [case] = world.runtime.store.cases()
        assert casework.publish_reply(world.runtime, case.id, "Hi <!channel>, sorry!", "U0ALLOWED").changed
        flush(world.runtime, delivery)
        [note] = [c for c in slack.of("chat.postMessage") if c.params.get("thread_ts")]
        assert "<@U0ALLOWED> replied on Replay" in note.params["text"]
        assert "<!channel>" not in note.params["text"] and "&lt;!channel&gt;" in note.params["text"]
