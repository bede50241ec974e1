"""A webhook of your own: the case as JSON, POSTed and signed, for any other helpdesk or a relay.

The request carries `X-Brand-Monitor-Timestamp` (Unix seconds) and `X-Brand-Monitor-Signature:
sha256=<hex HMAC-SHA256, keyed with the secret, of "<timestamp>.<body>">`, and the case's
`Idempotency-Key`: a receiver that has seen the key answers with the ticket it made then. It
answers 2xx with `{"id": ..., "url": ..., "status": ...}` (`id` required). The same scheme
signs what a receiver posts back to `/helpdesk/<brand id>` (alerts.helpdesk_webhook).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

import httpx

from helpdesk.base import Helpdesk, HelpdeskError, TicketCreated, TicketRequest

SIGNATURE_HEADER = "X-Brand-Monitor-Signature"
TIMESTAMP_HEADER = "X-Brand-Monitor-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Brand-Monitor-Signature` of `body` sent at `timestamp`."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers that sign `body` now."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def document(ticket: TicketRequest) -> dict[str, Any]:
    """The JSON a receiver gets: every fact of the case, and the text a person reads."""
    history = ticket.history
    return {
        "event": "ticket.create",
        "reference": ticket.reference,
        "brand": ticket.brand_name,
        "subject": ticket.subject,
        "body": ticket.body,
        "post": {"text": ticket.post_text, "platform": ticket.platform, "url": ticket.post_url,
                 "published_at": ticket.published_at.isoformat(),
                 "author": {"name": ticket.author_name, "handle": ticket.author_handle}},
        "customer": {"key": ticket.customer_key, "earlier_cases": history.earlier_cases,
                     "last_category": history.last_category.value if history.last_category else None,
                     "last_reference": history.last_reference, "last_outcome": history.last_outcome},
        "category": ticket.category,
        "categories": list(ticket.categories),
        "severity": ticket.severity,
        "priority": ticket.priority,
        "deadline": ticket.deadline_at.isoformat(),
        "alert_link": ticket.alert_link,
        "tags": list(ticket.tags),
    }


class WebhookDesk(Helpdesk):
    system: ClassVar[str] = "webhook"
    title: ClassVar[str] = "Helpdesk"

    def create(self, ticket: TicketRequest) -> TicketCreated:
        body = json.dumps(document(ticket), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Idempotency-Key": ticket.idempotency_key,
                   **signed_headers(self.secret("secret_env"), body)}
        try:
            response = httpx.post(self.base_url or str(self.settings.url), content=body, headers=headers,
                                  timeout=self.settings.timeout.total_seconds())
        except httpx.TimeoutException:
            raise HelpdeskError(self.system, "no answer from the webhook in time", answered=False) from None
        except httpx.HTTPError as exc:
            raise HelpdeskError(self.system, f"cannot reach the webhook ({type(exc).__name__})",
                                answered=False) from None
        if not 200 <= response.status_code < 300:
            raise HelpdeskError(self.system, f"the webhook answered {response.status_code}")
        try:
            answer = response.json()
            ticket_id = str(answer["id"]).strip()
        except (ValueError, KeyError, TypeError):
            ticket_id = ""
        if not ticket_id or len(ticket_id) > 200:
            raise HelpdeskError(self.system, 'the webhook\'s answer names no ticket; answer {"id": ...}')
        url = answer.get("url")
        return TicketCreated(id=ticket_id, url=url if isinstance(url, str) else "",
                             status=str(answer.get("status") or "open").strip().lower()[:40])
