"""Ticket creation per helpdesk, against a loopback fake answering as each API documents."""

from __future__ import annotations

import base64
import json

import pytest

import helpdesk
from helpdesk import HelpdeskError
from helpdesk.freshdesk import FreshdeskDesk
from helpdesk.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookDesk, signature
from helpdesk.zendesk import ZendeskDesk
from monitor import tickets
from monitor.settings import Helpdesk as Settings
from tests.helpdesk.fake_helpdesk import FakeHelpdesk, fixture, sample_ticket

ENV = {"ACME_ZD_EMAIL": "social@acme.example", "ACME_ZD_TOKEN": "zd-token-placeholder",
       "ACME_FD_KEY": "fd-key-placeholder", "ACME_HOOK_SECRET": "hook-secret-placeholder"}
ZENDESK = Settings(type="zendesk", subdomain="acme", email_env="ACME_ZD_EMAIL", token_env="ACME_ZD_TOKEN")
FRESHDESK = Settings(type="freshdesk", domain="acme.freshdesk.com", api_key_env="ACME_FD_KEY")
WEBHOOK = Settings(type="webhook", url="http://127.0.0.1:9/unused", secret_env="ACME_HOOK_SECRET")


def _basic(header: str) -> str:
    assert header.startswith("Basic ")
    return base64.b64decode(header.removeprefix("Basic ")).decode()


def test_registry__every_type_the_config_allows_with_the_title_the_alert_shows() -> None:
    assert set(helpdesk.REGISTRY) == {"zendesk", "freshdesk", "webhook"}
    for kind in helpdesk.REGISTRY:
        cls = helpdesk.load(kind)
        assert cls.system == kind and tickets.helpdesk_title(kind) == cls.title


def test_zendesk_without_zenpy__told_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "helpdesk.zendesk", raising=False)
    monkeypatch.setitem(sys.modules, "zenpy", None)  # as if the extra were not installed
    with pytest.raises(helpdesk.HelpdeskUnavailable, match=r"brand-monitor\[zendesk\]"):
        helpdesk.load("zendesk")


def test_zendesk_create__the_ticket_carries_the_case_and_comes_back_as_its_agent_link() -> None:
    with FakeHelpdesk(201, fixture("zendesk_create_ticket.json")) as fake:
        created = ZendeskDesk(ZENDESK, ENV, base_url=fake.url).create(sample_ticket())
    assert created.id == "35436" and created.status == "open"
    assert created.url == "https://acme.zendesk.com/agent/tickets/35436"
    [request] = fake.requests
    assert request.path == "/api/v2/tickets.json"
    assert request.headers["idempotency-key"] == "brand-monitor-ACME-1-1"
    assert _basic(request.headers["authorization"]) == "social@acme.example/token:zd-token-placeholder"
    sent = request.json["ticket"]
    assert sent["subject"].startswith("[Acme Coffee] ACME-1")
    assert sent["external_id"] == "ACME-1" and sent["priority"] == "high"
    assert "brand-monitor" in sent["tags"]
    body = sent["comment"]["body"]
    assert sent["comment"]["public"] is False
    assert "my parcel is two weeks late" in body and "https://fake.slack.com/archives/C0ACME/p1" in body


def test_zendesk_create__a_500_is_an_answered_failure() -> None:
    with FakeHelpdesk(201, fixture("zendesk_create_ticket.json")) as fake:
        fake.fail_next(500, {"error": "InternalError", "description": "Something went wrong"})
        with pytest.raises(HelpdeskError) as info:
            ZendeskDesk(ZENDESK, ENV, base_url=fake.url).create(sample_ticket())
    assert info.value.answered and "500" in info.value.message


def test_zendesk_create__no_answer_is_not_an_answered_failure() -> None:
    with FakeHelpdesk() as fake:
        url = fake.url
    with pytest.raises(HelpdeskError) as info:  # the fake is gone: the connection is refused
        ZendeskDesk(ZENDESK, ENV, base_url=url).create(sample_ticket())
    assert not info.value.answered


def test_freshdesk_create__post_v2_tickets_with_basic_auth_and_the_case_in_the_description() -> None:
    with FakeHelpdesk(201, fixture("freshdesk_create_ticket.json")) as fake:
        created = FreshdeskDesk(FRESHDESK, ENV, base_url=fake.url).create(sample_ticket())
    assert (created.id, created.status) == ("1", "open")
    assert created.url == "https://acme.freshdesk.com/a/tickets/1"
    [request] = fake.requests
    assert request.path == "/api/v2/tickets"
    assert _basic(request.headers["authorization"]) == "fd-key-placeholder:X"
    sent = request.json
    assert sent["subject"].startswith("[Acme Coffee] ACME-1") and sent["priority"] == 3
    assert sent["status"] == 2 and sent["unique_external_id"] == "x:jan" and sent["name"] == "Jan"
    assert "&gt; my parcel is two weeks late" in sent["description"]
    assert "https://fake.slack.com/archives/C0ACME/p1" in sent["description"]


def test_freshdesk_create__requester_email_when_configured_and_errors_answered() -> None:
    settings = FRESHDESK.model_copy(update={"requester_email": "social@acme.example"})
    with FakeHelpdesk(201, fixture("freshdesk_create_ticket.json")) as fake:
        fake.fail_next(500)
        with pytest.raises(HelpdeskError) as info:
            FreshdeskDesk(settings, ENV, base_url=fake.url).create(sample_ticket())
        FreshdeskDesk(settings, ENV, base_url=fake.url).create(sample_ticket())
    assert info.value.answered and "500" in info.value.message
    assert fake.requests[1].json["email"] == "social@acme.example"
    assert "unique_external_id" not in fake.requests[1].json


def test_webhook_create__signed_json_with_the_post_history_reference_and_link() -> None:
    with FakeHelpdesk(200, {"id": "T-77", "url": "https://desk.example/t/77", "status": "new"}) as fake:
        created = WebhookDesk(WEBHOOK, ENV, base_url=fake.url + "/tickets").create(sample_ticket())
    assert (created.id, created.url, created.status) == ("T-77", "https://desk.example/t/77", "new")
    [request] = fake.requests
    assert request.path == "/tickets"
    timestamp = request.headers[TIMESTAMP_HEADER.lower()]
    expected = signature("hook-secret-placeholder", timestamp, request.body)
    assert request.headers[SIGNATURE_HEADER.lower()] == expected
    assert request.headers["idempotency-key"] == "brand-monitor-ACME-1-1"
    sent = json.loads(request.body)
    assert sent["reference"] == "ACME-1" and sent["brand"] == "Acme Coffee"
    assert sent["post"]["text"] == "my parcel is two weeks late" and sent["post"]["url"] == "https://x.com/jan/status/1"
    assert sent["customer"]["earlier_cases"] == 2 and sent["customer"]["last_category"] == "refund"
    assert sent["alert_link"] == "https://fake.slack.com/archives/C0ACME/p1"
    assert sent["severity"] == "accusation" and sent["deadline"].startswith("2026-11-02T10:58")


def test_webhook_create__an_answer_without_an_id_is_an_error() -> None:
    with FakeHelpdesk(200, {"ok": True}) as fake, pytest.raises(HelpdeskError) as info:
        WebhookDesk(WEBHOOK, ENV, base_url=fake.url).create(sample_ticket())
    assert '{"id"' in info.value.message


def test_helpdesk__a_missing_secret_is_named_and_never_shown() -> None:
    desk = ZendeskDesk(ZENDESK, {"ACME_ZD_EMAIL": "x"}, base_url="http://127.0.0.1:9")
    with pytest.raises(HelpdeskError) as info:
        desk.create(sample_ticket())
    assert "ACME_ZD_TOKEN" in info.value.message
    assert "placeholder" not in repr(ZendeskDesk(ZENDESK, ENV))
