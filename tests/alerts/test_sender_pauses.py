"""Slack's limit per channel is shared: a 429 or a spent bucket seen by one sender holds every
sender on the database (a second runtime stands for another process)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts import channel_limits
from alerts.delivery import ConsoleDelivery, SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor.models import OutboxRow
from monitor.notices import SourceNotice
from monitor.pauses import Pauses
from monitor.settings import Environment, RateLimit
from monitor.store import Store
from monitor.wiring import Runtime, build_runtime
from tests.factories import T0, World, make_world
from tests.fake_slack import Failure, FakeSlack


def _notice(i: int) -> SourceNotice:
    return SourceNotice(brand_id="acme", source=f"src{i}", down_since=T0.isoformat(), error="down",
                        recovered=False, at=T0.isoformat())


def _two_senders(tmp_path: Path, database_url: str, slack: FakeSlack
                 ) -> tuple[World, Runtime, SlackDelivery]:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      database_url=database_url)
    world = make_world(tmp_path, database_url, env=env)
    second = build_runtime(world.runtime.config, world.config_path, env=env, environ={},
                           clock=world.clock, store=Store.from_url(database_url))
    assert second.store is not world.runtime.store  # its own engine, pool and limits
    client = make_client(env)
    client.retry_handlers = []  # the outbox does the retrying, not the client
    return world, second, SlackDelivery(client)


def _posted(slack: FakeSlack) -> list[str]:
    return [c.params["channel"] for c in slack.of("chat.postMessage")]


def test_429_in_one_sender__pauses_the_channel_for_the_other(tmp_path: Path, database_url: str) -> None:
    with FakeSlack() as slack:
        world, second, delivery = _two_senders(tmp_path, database_url, slack)
        outbox = world.runtime.outbox
        outbox.put(_notice(1), world.clock(), brand_id="acme", channel="C0ACME")
        slack.fail_next("chat.postMessage", Failure(status=429, body={"ok": False, "error": "ratelimited"},
                                                    headers={"Retry-After": "30"}))
        assert flush(world.runtime, delivery) == 0
        assert Pauses(second.store).until("slack:C0ACME", world.clock()) == T0 + timedelta(seconds=30)

        # Due now, in the paused channel and in another one, for the second sender:
        outbox.put(_notice(2), world.clock(), brand_id="acme", channel="C0ACME")
        outbox.put(_notice(3), world.clock(), brand_id="acme", channel="C0OTHER")
        assert flush(second, delivery) == 1
        assert _posted(slack) == ["C0ACME", "C0OTHER"], "no try in C0ACME after the 429"

        world.clock.advance(seconds=29)
        assert flush(second, delivery) == 0
        world.clock.advance(seconds=1)
        assert flush(second, delivery) == 2
        assert _posted(slack)[2:] == ["C0ACME", "C0ACME"]


def test_spent_channel_bucket__other_sender_waits_a_moment_other_channels_go(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel_limits, "RATE", RateLimit(2, timedelta(seconds=10)))
    with FakeSlack() as slack:
        world, second, delivery = _two_senders(tmp_path, database_url, slack)
        outbox = world.runtime.outbox
        for i in range(3):
            outbox.put(_notice(i), world.clock(), brand_id="acme", channel="C0ACME")
        assert flush(world.runtime, delivery) == 2  # the third waits for a token
        outbox.put(_notice(9), world.clock(), brand_id="acme", channel="C0OTHER")
        world.clock.advance(seconds=5)
        assert flush(second, delivery) == 1
        assert _posted(slack) == ["C0ACME", "C0ACME", "C0OTHER"]
        with world.runtime.store.session() as s:
            [waiting] = s.query(OutboxRow).filter(OutboxRow.state == "pending").all()
            assert waiting.attempts == 0 and waiting.last_error is None  # held, not failed
            assert world.clock() < waiting.next_attempt_at <= world.clock() + timedelta(seconds=10)

        world.clock.advance(seconds=5, milliseconds=1)  # the first two leave the window
        assert flush(second, delivery) == 1
        assert _posted(slack)[3:] == ["C0ACME"]


def test_terminal_delivery__not_paced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel_limits, "RATE", RateLimit(1, timedelta(minutes=1)))
    world = make_world(tmp_path)
    for i in range(3):
        world.runtime.outbox.put(_notice(i), world.clock(), brand_id="acme", channel="C0ACME")
    out = io.StringIO()
    assert flush(world.runtime, ConsoleDelivery(out)) == 3
    assert out.getvalue().count("src") == 3
