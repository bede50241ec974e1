"""Every action as Slack sends it: signed payloads over HTTP, against a local fake Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts import action_ids as ids
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client, start_interactions
from monitor import deadlines
from monitor.domain import CaseStatus
from monitor.errors import ReplyRejected
from monitor.poller import poll_all
from monitor.settings import Environment
from tests.factories import World, make_world, post
from tests.fake_slack import FakeSlack
from tests.test_story import SECRET, buttons, click


@dataclass
class Desk:
    world: World
    slack: FakeSlack
    port: int
    delivery: SlackDelivery

    def run_once(self) -> None:
        poll_all(self.world.runtime)
        deadlines.sweep(self.world.runtime)
        flush(self.world.runtime, self.delivery)

    def alert_buttons(self, action_id: str, index: int = 0) -> list[dict[str, Any]]:
        alerts = [c for c in self.slack.of("chat.postMessage") if "blocks" in c.params
                  and buttons(c.params["blocks"], ids.PUBLISH)]
        return buttons(alerts[index].params["blocks"], action_id)

    def click(self, user: str, action: dict[str, Any]) -> int:
        return click(self.port, user, action, "C0ACME", "1700000001.000100")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with FakeSlack(usergroups={"S0TEAM": ["U0GROUPIE"]}) as slack:
        from pydantic import SecretStr

        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          slack_signing_secret=SecretStr(SECRET),
                          database_url=f"sqlite:///{tmp_path / 'bm.db'}")
        world = make_world(tmp_path, env=env)
        world.clock.now = datetime.now(UTC).replace(microsecond=0)
        server = start_interactions(world.runtime, mode="http", port=0, host="127.0.0.1")
        try:
            yield Desk(world, slack, server.port or 0, SlackDelivery(make_client(env)))
        finally:
            server.close()


def _complaint(desk: Desk, pid: str = "1", **kw: Any) -> None:
    desk.world.add_posts(post(pid, "acme parcel is late, refund please", minutes_ago=2, **kw))
    desk.run_once()


def test_double_click__publishes_once(desk: Desk) -> None:
    _complaint(desk)
    [first, second, *_] = desk.alert_buttons(ids.PUBLISH)
    assert desk.click("U0ALLOWED", first) == 200
    desk.slack.wait_for("chat.update")
    assert desk.click("U0GROUPIE", second) == 200
    [note] = desk.slack.wait_for("chat.postEphemeral")
    assert note.params["user"] == "U0GROUPIE" and "<@U0ALLOWED>" in note.params["text"]
    assert len(desk.world.reply_lines()) == 1


def test_click_by_someone_not_allowed__told_who_can(desk: Desk) -> None:
    _complaint(desk)
    assert desk.click("U0OUTSIDER", desk.alert_buttons(ids.PUBLISH)[0]) == 200
    [note] = desk.slack.wait_for("chat.postEphemeral")
    assert "<@U0ALLOWED>" in note.params["text"] and "<!subteam^S0TEAM>" in note.params["text"]
    assert desk.world.reply_lines() == []


class Refusing:
    platform = "replay"
    title = "Replay"
    can_reply = True
    reply_limit = 280

    def count_length(self, text: str) -> int:
        return len(text)

    def reply(self, target: Any, text: str, key: str) -> Any:
        raise ReplyRejected("replay", "the post was deleted, so there is nothing to reply to")


def test_reply_refused_by_platform__error_shown_buttons_kept(desk: Desk) -> None:
    _complaint(desk)
    desk.world.runtime.connector_overrides[("acme", "posts")] = Refusing()  # type: ignore[assignment]
    assert desk.click("U0ALLOWED", desk.alert_buttons(ids.PUBLISH)[0]) == 200
    [update] = desk.slack.wait_for("chat.update")
    body = json.dumps(update.params["blocks"])
    assert "the post was deleted" in body
    assert buttons(update.params["blocks"], ids.PUBLISH), "buttons stay so the team can retry"
    [case] = desk.world.runtime.store.cases()
    assert case.replied_at is None and desk.world.runtime.store.claim_holder(case.id) is None


def test_expired_interaction__a_button_for_a_case_that_is_gone(desk: Desk) -> None:
    _complaint(desk)
    stale = dict(desk.alert_buttons(ids.PUBLISH)[0], value=ids.encode(999, 999))
    assert desk.click("U0ALLOWED", stale) == 200
    [note] = desk.slack.wait_for("chat.postEphemeral")
    assert "no longer" in note.params["text"].lower() or "expired" in note.params["text"].lower()
    assert desk.world.reply_lines() == []


def test_assign_reply_resolve__each_changes_state_once(desk: Desk) -> None:
    _complaint(desk)
    [case] = desk.world.runtime.store.cases()
    assign = desk.alert_buttons(ids.ASSIGN_ME)[0]
    assert desk.click("U0GROUPIE", assign) == 200
    desk.slack.wait_for("chat.update", 1)
    assert desk.click("U0GROUPIE", assign) == 200
    desk.slack.wait_for("chat.postEphemeral", 1)
    assert desk.click("U0ALLOWED", desk.alert_buttons(ids.PUBLISH)[0]) == 200
    desk.slack.wait_for("chat.update", 2)
    resolve = desk.alert_buttons(ids.RESOLVE)[0]
    assert desk.click("U0ALLOWED", resolve) == 200
    desk.slack.wait_for("chat.update", 3)
    assert desk.click("U0ALLOWED", resolve) == 200
    desk.slack.wait_for("chat.postEphemeral", 2)
    kinds = [e.kind for e in desk.world.runtime.store.events(case.id)]
    assert kinds.count("assigned") == 1 and kinds.count("replied") == 1 and kinds.count("resolved") == 1
    assert desk.world.runtime.store.case(case.id).status == CaseStatus.RESOLVED.value
    assert desk.world.runtime.store.case(case.id).assignee == "U0GROUPIE"


def test_assign_to__user_picker(desk: Desk) -> None:
    _complaint(desk)
    [select] = desk.alert_buttons(ids.ASSIGN_TO)
    action = {"action_id": ids.ASSIGN_TO, "block_id": select["block_id"], "type": "users_select",
              "selected_user": "U0GROUPIE", "action_ts": "1"}
    assert desk.click("U0ALLOWED", action) == 200
    desk.slack.wait_for("chat.update")
    [case] = desk.world.runtime.store.cases()
    assert desk.world.runtime.store.case(case.id).assignee == "U0GROUPIE"


def test_clock_moves__reminder_then_escalation_in_thread(desk: Desk) -> None:
    _complaint(desk)
    [case] = desk.world.runtime.store.cases()
    desk.world.clock.now = case.deadline_at - timedelta(minutes=14)
    desk.run_once()
    desk.run_once()
    threads = [c for c in desk.slack.of("chat.postMessage") if c.params.get("thread_ts")]
    assert len(threads) == 1 and "<@U0ALLOWED>" in threads[0].params["text"] + json.dumps(
        threads[0].params.get("blocks"))
    desk.world.clock.now = case.deadline_at + timedelta(seconds=1)
    desk.run_once()
    desk.run_once()
    escalations = [c for c in desk.slack.of("chat.postMessage") if "Escalation" in json.dumps(c.params)]
    assert len(escalations) == 2  # in the alert's thread, and in the escalation channel
    assert {c.params["channel"] for c in escalations} == {"C0ACME", "C0ESCAL"}


def test_restart_between_alert_and_deadline__reminder_fires_once(desk: Desk) -> None:
    from monitor.scheduler import build_scheduler

    first = build_scheduler(desk.world.runtime)
    first.start(paused=True)
    _complaint(desk)
    [case] = desk.world.runtime.store.cases()
    first.shutdown(wait=False)
    desk.world.runtime.on_case_opened.clear()
    desk.world.runtime.on_answered.clear()

    second = build_scheduler(desk.world.runtime)  # the bot starts again
    second.start(paused=True)
    try:
        job = second.get_job(f"remind-{case.id}", jobstore="deadlines")
        assert job is not None
        assert job.next_run_time == case.deadline_at - timedelta(minutes=15)
        desk.world.clock.now = job.next_run_time
        job.func(*job.args)
        job.func(*job.args)
        deadlines.sweep(desk.world.runtime)
        flush(desk.world.runtime, desk.delivery)
    finally:
        second.shutdown(wait=False)
    reminders = [c for c in desk.slack.of("chat.postMessage") if c.params.get("thread_ts")]
    assert len(reminders) == 1


def test_wave_of_fifty__one_grouped_alert_in_the_channel(desk: Desk) -> None:
    desk.world.add_posts(*[post(str(i), f"acme app broken again, cannot log in since update {i}",
                                author=f"u{i}", minutes_ago=1) for i in range(50)])
    desk.run_once()
    top = [c for c in desk.slack.of("chat.postMessage") if not c.params.get("thread_ts")]
    grouped = [c for c in top if "similar complaints" in c.params["text"]]
    assert len(grouped) == 1
    assert len(top) == 5  # four alerts before the wave formed, then one grouped alert
    in_thread = [c for c in desk.slack.of("chat.postMessage") if c.params.get("thread_ts")]
    assert len(in_thread) == 46  # each case still gets an answerable alert, in the wave's thread
    [*_, latest] = desk.slack.of("chat.update")
    assert "50 similar complaints" in json.dumps(latest.params["blocks"])


def test_out_of_hours__acknowledged_once_and_shown(desk: Desk) -> None:
    path = desk.world.config_path
    path.write_text(path.read_text().replace("    sources:\n", (
        "    business_hours:\n      opening: {mon: '08:00-09:00'}\n      out_of_hours_ack: true\n"
        "    sources:\n")))
    from monitor.config_loader import load_config

    desk.world.runtime.config = load_config(path, env={})
    desk.world.clock.now = datetime(2026, 11, 7, 21, 0, tzinfo=UTC)  # a Saturday night
    desk.world.add_posts(post("1", "acme parcel is late, refund please",
                              published_at=desk.world.clock.now))
    desk.run_once()
    desk.run_once()
    acks = [r for r in desk.world.reply_lines() if r["idempotency_key"].endswith("-ack")]
    assert len(acks) == 1
    [alert] = [c for c in desk.slack.of("chat.postMessage")
               if buttons(c.params.get("blocks") or [], ids.PUBLISH)]
    assert acks[0]["text"][:40] in json.dumps(alert.params["blocks"], ensure_ascii=False)


def test_slash_command__open_queue_privately(desk: Desk) -> None:
    import time
    import urllib.request
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier

    _complaint(desk)
    body = urlencode({"command": "/brand-monitor", "text": "open", "user_id": "U0ALLOWED",
                      "channel_id": "C0ACME", "team_id": "T0FAKE", "trigger_id": "1.2",
                      "response_url": desk.slack.url.replace("/api/", "/response")})
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    request = urllib.request.Request(
        f"http://127.0.0.1:{desk.port}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    [answer] = desk.slack.wait_for("response")
    assert answer.params["response_type"] == "ephemeral"
    assert "ACME-0001" in json.dumps(answer.params["blocks"])
