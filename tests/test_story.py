"""The whole story: a post appears, the bot runs once, Slack shows the alert, a click answers it."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from alerts import action_ids as ids
from alerts.service import start_interactions
from monitor.cli import main
from monitor.config_loader import load_config
from monitor.settings import Environment
from monitor.wiring import build_runtime
from tests.factories import post, write_brands
from tests.fake_slack import FakeSlack

SECRET = "test-signing-secret"


def click(port: int, user: str, action: dict[str, Any], channel: str, message_ts: str,
          secret: str = SECRET) -> int:
    """POST a correctly signed block_actions payload, as Slack would."""
    payload = {
        "type": "block_actions", "api_app_id": "A0FAKE", "token": "unused",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0FAKE"},
        "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": f"1.2.{uuid.uuid4().hex}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel, "name": "complaints"}, "message": {"ts": message_ts, "text": ""},
        "response_url": f"http://127.0.0.1:{port}/unused", "actions": [action],
    }
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def buttons(blocks: list[dict[str, Any]], action_id: str) -> list[dict[str, Any]]:
    return [dict(el, block_id=b.get("block_id", "")) for b in blocks if b["type"] == "actions"
            for el in b["elements"] if el.get("action_id") == action_id]


@pytest.fixture
def story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with FakeSlack(usergroups={"S0TEAM": ["U0GROUPIE"]}) as slack:
        env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": slack.url,
               "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": f"sqlite:///{tmp_path / 'bm.db'}"}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        config_path = write_brands(tmp_path)
        yield tmp_path, config_path, slack


def test_story__post_alert_click_reply_once(story) -> None:  # type: ignore[no-untyped-def]
    tmp_path, config_path, slack = story
    with (tmp_path / "posts.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(post("1001", "@acmecoffee my order is two weeks late and nobody answers "
                                 "my emails. Worst service ever, I want a refund.", minutes_ago=5)) + "\n")

    assert main(["run", "--config", str(config_path), "--once"]) == 0

    [alert] = slack.of("chat.postMessage")
    assert alert.params["channel"] == "C0ACME"
    assert "<!channel>" not in json.dumps(alert.params["blocks"])
    publish = buttons(alert.params["blocks"], ids.PUBLISH)
    assert 2 <= len(publish) <= 3
    channel, ts = "C0ACME", "1700000001.000100"

    runtime = build_runtime(load_config(config_path), config_path, env=Environment.from_env())
    server = start_interactions(runtime, mode="http", port=0, host="127.0.0.1")
    try:
        assert click(server.port, "U0ALLOWED", publish[0], channel, ts) == 200
        [update] = slack.wait_for("chat.update")
        assert update.params["ts"] == ts
        assert "Replied by" in json.dumps(update.params["blocks"])
        replies = (tmp_path / "replies.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(replies) == 1
        assert json.loads(replies[0])["in_reply_to"] == "1001"

        # The same click again, and a click on the other suggestion: nothing more is published.
        assert click(server.port, "U0ALLOWED", publish[0], channel, ts) == 200
        assert click(server.port, "U0GROUPIE", publish[1], channel, ts) == 200
        notes = slack.wait_for("chat.postEphemeral", count=2)
        assert all("nothing was sent again" in n.params["text"] for n in notes)
        assert len((tmp_path / "replies.jsonl").read_text(encoding="utf-8").splitlines()) == 1
    finally:
        server.close()


@contextmanager
def alerted(tmp_path: Path, config_path: Path, slack: FakeSlack,
            text: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Run once on one post, then serve clicks over HTTP; yield the port and the publish buttons."""
    (tmp_path / "posts.jsonl").write_text(json.dumps(post("7", text, minutes_ago=3)) + "\n")
    assert main(["run", "--config", str(config_path), "--once"]) == 0
    [alert] = slack.of("chat.postMessage")
    runtime = build_runtime(load_config(config_path), config_path, env=Environment.from_env())
    server = start_interactions(runtime, mode="http", port=0, host="127.0.0.1")
    try:
        yield server.port or 0, buttons(alert.params["blocks"], ids.PUBLISH)
    finally:
        server.close()


def test_story__click_by_someone_not_allowed(story) -> None:  # type: ignore[no-untyped-def]
    tmp_path, config_path, slack = story
    with alerted(tmp_path, config_path, slack, "acme order arrived broken, refund?") as (port, publish):
        assert click(port, "U0STRANGER", publish[0], "C0ACME", "1.0") == 200
        [note] = slack.wait_for("chat.postEphemeral")
        assert note.params["user"] == "U0STRANGER"
        assert "<@U0ALLOWED>" in note.params["text"]
        assert not (tmp_path / "replies.jsonl").exists()


def test_story__badly_signed_click_is_refused(story) -> None:  # type: ignore[no-untyped-def]
    tmp_path, config_path, slack = story
    with alerted(tmp_path, config_path, slack, "acme order late, refund please") as (port, publish):
        assert click(port, "U0ALLOWED", publish[0], "C0ACME", "1.0", secret="wrong") == 401
        assert not (tmp_path / "replies.jsonl").exists()
