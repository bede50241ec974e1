"""The hand-off to the helpdesk: "Create ticket" through signed clicks on the local fake Slack,
against a loopback Zendesk, and the helpdesk's signed webhook back at /helpdesk/<brand id>."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from alerts import action_ids as ids
from alerts.delivery import SlackDelivery
from alerts.handlers_ticket import alert_permalink
from alerts.helpdesk_webhook import SECRET_HEADER, verify, zendesk_signature
from alerts.sender import flush
from alerts.service import make_client, start_interactions
from helpdesk.webhook import signed_headers
from helpdesk.zendesk import ZendeskDesk
from monitor import store_tickets
from monitor.config_loader import load_config
from monitor.domain import CaseStatus
from monitor.poller import poll_all
from monitor.settings import Environment
from monitor.store import Store
from monitor.store_privacy import forget_customer
from monitor.wiring import Runtime, build_runtime
from tests.factories import Clock, KeywordClassifier, post, write_brands
from tests.fake_slack import FakeSlack
from tests.helpdesk.fake_helpdesk import FakeHelpdesk, fixture
from tests.test_story import SECRET, buttons, click

HELPER = "U0HELPER"  # on the team, not a responder: "Create ticket" needs no publishing leave
EXTRA = f"""\
    team: [{HELPER}]
    helpdesk:
      type: zendesk
      subdomain: acme
      email_env: ACME_ZENDESK_EMAIL
      token_env: ACME_ZENDESK_TOKEN
      inbound_secret_env: ACME_ZENDESK_WEBHOOK_SECRET
"""
INBOUND = "zendesk-signing-secret-placeholder"
ENV = {"ACME_ZENDESK_EMAIL": "social@acme.example", "ACME_ZENDESK_TOKEN": "zd-token-placeholder",
       "ACME_ZENDESK_WEBHOOK_SECRET": INBOUND}


@dataclass
class Desk:
    runtime: Runtime
    slack: FakeSlack
    zendesk: FakeHelpdesk
    port: int
    tmp: Path

    def complaint(self, pid: str = "1", author: str = "jan") -> int:
        with (self.tmp / "posts.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(post(pid, "acme parcel is late, refund please", author=author,
                                     minutes_ago=2)) + "\n")
        poll_all(self.runtime)
        flush(self.runtime, SlackDelivery(make_client(self.runtime.env)))
        return max(c.id for c in self.runtime.store.cases())

    def ticket_button(self) -> dict[str, Any]:
        alerts = [c for c in self.slack.of("chat.postMessage") if "blocks" in c.params]
        [button] = buttons(alerts[-1].params["blocks"], ids.CREATE_TICKET)
        return button

    def click(self, user: str, action: dict[str, Any]) -> int:
        return click(self.port, user, action, "C0ACME", "1700000001.000100")

    def notes(self) -> list[str]:
        return [c.params["text"] for c in self.slack.of("chat.postEphemeral")]

    def last_update(self) -> str:
        return json.dumps(self.slack.of("chat.update")[-1].params["blocks"])

    def webhook(self, body: dict[str, Any] | bytes, headers: dict[str, str]) -> int:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/helpdesk/acme", data=data,
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 **headers})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def zendesk_headers(body: bytes, at: datetime | None = None, secret: str = INBOUND) -> dict[str, str]:
    timestamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"X-Zendesk-Webhook-Signature": zendesk_signature(secret, timestamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with FakeSlack(usergroups={"S0TEAM": ["U0GROUPIE"]}) as slack, \
            FakeHelpdesk(201, fixture("zendesk_create_ticket.json")) as zendesk:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          slack_signing_secret=SecretStr(SECRET),
                          database_url=f"sqlite:///{tmp_path / 'bm.db'}")
        path = write_brands(tmp_path, EXTRA)
        config = load_config(path, env=ENV)
        clock = Clock(datetime.now(UTC).replace(microsecond=0))
        runtime = build_runtime(config, path, env=env, environ=ENV, clock=clock,
                                store=Store.from_url(env.database_url))
        runtime._classifier = KeywordClassifier()
        settings = config.brand("acme").helpdesk
        assert settings is not None
        runtime.helpdesk_overrides["acme"] = ZendeskDesk(settings, ENV, base_url=zendesk.url)
        server = start_interactions(runtime, mode="http", port=0, host="127.0.0.1")
        try:
            yield Desk(runtime, slack, zendesk, server.port or 0, tmp_path)
        finally:
            server.close()


def test_create_ticket__a_team_member_hands_the_case_over_and_the_alert_links_the_ticket(desk: Desk) -> None:
    case_id = desk.complaint()
    case = desk.runtime.store.case(case_id)
    assert desk.click(HELPER, desk.ticket_button()) == 200
    desk.slack.wait_for("chat.update")
    assert desk.slack.of("chat.postEphemeral") == []  # the alert says it: no private note
    [request] = desk.zendesk.requests
    sent = request.json["ticket"]
    assert sent["subject"].startswith(f"[Acme Coffee] {case.reference}")
    body = sent["comment"]["body"]
    assert "acme parcel is late, refund please" in body and "@jan" in body  # the post, its author
    assert "https://replay.invalid/x/1" in body  # the post's link
    assert "first case from this customer" in body and case.reference in body
    assert "https://slack.com/app_redirect?channel=C0ACME" in body  # no permalink from Slack: the channel
    update = desk.last_update()
    assert "<https://acme.zendesk.com/agent/tickets/35436|Ticket #35436 (Zendesk)>" in update
    assert ids.CREATE_TICKET not in update
    events = [e.kind for e in desk.runtime.store.events(case_id)]
    assert events.count("ticket") == 1


def test_create_ticket__a_second_click_says_the_ticket_exists_and_opens_none(desk: Desk) -> None:
    desk.complaint()
    button = desk.ticket_button()
    assert desk.click(HELPER, button) == 200
    desk.slack.wait_for("chat.update", 1)
    assert desk.click("U0ALLOWED", button) == 200
    [second] = desk.slack.wait_for("chat.postEphemeral", 1)
    assert "already has Zendesk ticket #35436" in second.params["text"]
    assert f"<@{HELPER}>" in second.params["text"]
    assert len(desk.zendesk.requests) == 1


def test_create_ticket__a_helpdesk_500_is_told_and_a_retry_works(desk: Desk) -> None:
    case_id = desk.complaint()
    desk.zendesk.fail_next(500, {"error": "InternalError"})
    button = desk.ticket_button()
    assert desk.click(HELPER, button) == 200
    [note] = desk.slack.wait_for("chat.postEphemeral", 1)
    assert "Zendesk opened no ticket" in note.params["text"] and "500" in note.params["text"]
    assert "Create ticket again" in note.params["text"]
    ticket = store_tickets.ticket(desk.runtime.store, case_id)
    assert ticket is not None and ticket.status == "failed" and ticket.last_error
    assert "No Zendesk ticket yet" in desk.last_update() and ids.CREATE_TICKET in desk.last_update()

    desk.runtime.clock.advance(seconds=30)  # type: ignore[attr-defined]
    assert desk.click(HELPER, button) == 200
    desk.slack.wait_for("chat.update", 2)
    assert len(desk.slack.of("chat.postEphemeral")) == 1
    first, second = (r.headers["idempotency-key"] for r in desk.zendesk.requests)
    assert first != second  # Zendesk answered the first: the retry is a new request
    assert "Ticket #35436 (Zendesk)" in desk.last_update()


def test_create_ticket__someone_off_the_team_is_refused(desk: Desk) -> None:
    desk.complaint()
    assert desk.click("U0STRANGER", desk.ticket_button()) == 200
    desk.slack.wait_for("chat.postEphemeral", 1)
    assert desk.zendesk.requests == []


def _ticketed(desk: Desk) -> int:
    case_id = desk.complaint()
    assert desk.click(HELPER, desk.ticket_button()) == 200
    desk.slack.wait_for("chat.update", 1)
    return case_id


def test_inbound__a_signed_solved_resolves_the_case_and_updates_the_alert(desk: Desk) -> None:
    case_id = _ticketed(desk)
    updates = len(desk.slack.of("chat.update"))
    body = json.dumps({"ticket_id": "35436", "status": "Solved"}).encode()
    headers = zendesk_headers(body)
    assert desk.webhook(body, headers) == 200
    case = desk.runtime.store.case(case_id)
    assert case.status == CaseStatus.RESOLVED.value
    kinds = [e.kind for e in desk.runtime.store.events(case_id)]
    assert kinds[-2:] == ["ticket_solved", "resolved"]
    assert len(desk.slack.of("chat.update")) > updates
    assert desk.webhook(body, headers) == 409  # the same signed request again


def test_inbound__bad_or_stale_signatures_are_401_and_change_nothing(desk: Desk) -> None:
    case_id = _ticketed(desk)
    body = json.dumps({"ticket_id": "35436", "status": "solved"}).encode()
    assert desk.webhook(body, zendesk_headers(body, secret="not-the-secret")) == 401
    assert desk.webhook(body, {}) == 401
    stale = datetime.now(UTC) - timedelta(minutes=6)
    assert desk.webhook(body, zendesk_headers(body, at=stale)) == 401
    tampered = zendesk_headers(body)
    assert desk.webhook(body.replace(b"solved", b"closed"), tampered) == 401
    assert desk.runtime.store.case(case_id).status == CaseStatus.NEW.value


def test_inbound__an_unknown_ticket_is_404_and_a_status_not_resolving_changes_nothing(desk: Desk) -> None:
    case_id = _ticketed(desk)
    unknown = json.dumps({"ticket_id": "999", "status": "solved"}).encode()
    assert desk.webhook(unknown, zendesk_headers(unknown)) == 404
    before = desk.runtime.store.events(case_id)
    pending = json.dumps({"ticket_id": 35436, "status": "pending"}).encode()
    assert desk.webhook(pending, zendesk_headers(pending)) == 200
    assert desk.runtime.store.case(case_id).status == CaseStatus.NEW.value
    assert desk.runtime.store.events(case_id) == before
    assert desk.webhook(b"not json", zendesk_headers(b"not json")) == 400


def test_forgetting_the_customer__removes_their_tickets(desk: Desk) -> None:
    case_id = _ticketed(desk)
    assert store_tickets.ticket(desk.runtime.store, case_id) is not None
    forget_customer(desk.runtime.store, "x", "jan", actor="U0ADMIN", now=datetime.now(UTC))
    assert store_tickets.ticket(desk.runtime.store, case_id) is None


# The other signing schemes, and the permalink, without a server.

def _environ(headers: dict[str, str]) -> dict[str, Any]:
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


def test_verify__our_scheme_for_the_generic_webhook() -> None:
    body, now = b'{"ticket_id": "T-1", "status": "solved"}', 1_800_000_000.0
    good = signed_headers("hook-secret", body, now=now)
    assert verify("webhook", "hook-secret", _environ(good), body, now)[0]
    assert not verify("webhook", "other", _environ(good), body, now)[0]
    assert not verify("webhook", "hook-secret", _environ(good), body, now + 301)[0]
    assert not verify("webhook", "hook-secret", _environ(good), body + b" ", now)[0]


def test_verify__freshdesk_by_its_secret_header_or_our_scheme() -> None:
    body, now = b'{"ticket_id": 1, "status": 4}', 1_800_000_000.0
    header = _environ({SECRET_HEADER: "fd-inbound"})
    assert verify("freshdesk", "fd-inbound", header, body, now) == (True, None)
    assert not verify("freshdesk", "fd-inbound", _environ({SECRET_HEADER: "guess"}), body, now)[0]
    assert not verify("freshdesk", "fd-inbound", {}, body, now)[0]
    signed, key = verify("freshdesk", "fd-inbound", _environ(signed_headers("fd-inbound", body, now)),
                         body, now)
    assert signed and key


class _Client:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def chat_getPermalink(self, channel: str, message_ts: str) -> dict[str, Any]:
        return self.answer


def test_alert_permalink__slacks_answer_or_none(desk: Desk) -> None:
    case = desk.runtime.store.case(desk.complaint())
    link = f"https://acme.slack.com/archives/C0ACME/p{case.slack_ts}"
    assert alert_permalink(_Client({"ok": True, "permalink": link}), case) == link  # type: ignore[arg-type]
    assert alert_permalink(_Client({"ok": True}), case) is None  # type: ignore[arg-type]
