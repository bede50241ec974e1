"""What the helpdesk says back, at `POST /helpdesk/<brand id>`: a solved ticket resolves its case.

The body is JSON, `{"ticket_id": "123", "status": "solved"}`, set up in the helpdesk (a Zendesk
trigger's webhook, a Freshdesk automation's "Trigger webhook", or your relay). It is signed
with the brand's `inbound_secret_env`:

- Zendesk: `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of timestamp + body, with
  `X-Zendesk-Webhook-Signature-Timestamp` (the webhook's signing secret is the key);
- webhook: our own scheme, `X-Brand-Monitor-Signature: sha256=<hex HMAC of "<ts>.<body>">` with
  `X-Brand-Monitor-Timestamp` (Unix seconds), as `helpdesk.webhook` signs what it sends;
- Freshdesk signs nothing itself: either a relay signs it with our scheme, or the automation
  sends the secret itself in a custom header, `X-Brand-Monitor-Secret: <secret>`. That header
  has no timestamp, so nothing about it is stale; a replay of it can only repeat a resolution
  that changes nothing the second time. Keep the endpoint behind TLS.

Answers: 401 a missing or bad signature, or a timestamp more than 5 minutes from now; 409 a
signed request accepted before (replay); 404 a brand without an inbound secret or a ticket no
case of the brand has; 400 a body that is not that JSON; 200 otherwise, whatever the status
(a status not in `resolve_on` changes nothing). Bodies are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from alerts.replay_guard import SIGNATURE_WINDOW_SECONDS, InMemorySeenRequests, SeenRequests
from alerts.wsgi_io import MAX_BODY_BYTES, plain_text, read_body
from helpdesk.freshdesk import status_name
from helpdesk.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from monitor import tickets
from monitor.ports import CaseDesk

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

PATH_PREFIX = "/helpdesk/"
SECRET_HEADER = "X-Brand-Monitor-Secret"  # noqa: S105 - a header name, not a secret
ZENDESK_SIGNATURE = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"


def _header(environ: WSGIEnvironment, name: str) -> str:
    return str(environ.get("HTTP_" + name.upper().replace("-", "_"), "")).strip()


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Zendesk-Webhook-Signature` Zendesk sends with `body` at `timestamp`."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _epoch(timestamp: str) -> float | None:
    """Unix seconds, or Zendesk's ISO 8601 (`2021-07-25T10:00:00Z`); None if neither."""
    if timestamp.isdigit():
        return float(timestamp)
    try:
        at = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return at.timestamp() if at.tzinfo is not None else None


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def verify(kind: str, secret: str, environ: WSGIEnvironment, body: bytes,
           now: float) -> tuple[bool, str | None]:
    """(signed, replay key): whether the request is signed for `kind` and fresh; the key that
    identifies it for replay refusal (None for Freshdesk's static secret header)."""
    if kind == "freshdesk" and _header(environ, SECRET_HEADER):
        return _same(secret, _header(environ, SECRET_HEADER)), None
    if kind == "zendesk":
        timestamp, given = _header(environ, ZENDESK_TIMESTAMP), _header(environ, ZENDESK_SIGNATURE)
        expected = zendesk_signature(secret, timestamp, body)
    else:  # our own scheme: the generic webhook, or a relay in front of Freshdesk
        timestamp, given = _header(environ, TIMESTAMP_HEADER), _header(environ, SIGNATURE_HEADER)
        expected = signature(secret, timestamp, body)
    at = _epoch(timestamp) if timestamp and given else None
    if at is None or abs(now - at) > SIGNATURE_WINDOW_SECONDS:
        return False, None
    return _same(expected, given), f"helpdesk:{timestamp}:{given}"


def read_update(body: bytes) -> tuple[str, str] | None:
    """(ticket id, status) from `{"ticket_id": ..., "status": ...}`; None if it is not that."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    ticket_id, status = data.get("ticket_id"), data.get("status")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, str | int) or status is None:
        return None
    ticket = str(ticket_id).strip()
    state = status_name(status) if isinstance(status, int) else str(status).strip().lower()
    return (ticket, state) if ticket and state else None


def helpdesk_webhook_app(deps: CaseDesk, environ_values: Mapping[str, str],
                         seen: SeenRequests | None = None, *,
                         clock: Callable[[], float] = time.time,
                         after: Callable[[], object] | None = None) -> WSGIApplication:
    """The WSGI app of `/helpdesk/<brand id>` (see the module's docstring); `after` runs once a
    case changed (the HTTP endpoint sends the alert's update at once)."""
    memory: SeenRequests = seen if seen is not None else InMemorySeenRequests()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        brand_id = environ.get("PATH_INFO", "")[len(PATH_PREFIX):].strip("/")
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return plain_text(start_response, "405 Method Not Allowed", "POST only")
        try:
            settings = deps.brand(brand_id).helpdesk
        except KeyError:
            settings = None
        secret = environ_values.get(settings.inbound_secret_env or "", "") if settings else ""
        if settings is None or not secret:
            return plain_text(start_response, "404 Not Found", "no helpdesk webhook for this brand")
        body = read_body(environ, MAX_BODY_BYTES)
        if body is None:
            return plain_text(start_response, "413 Payload Too Large", "body over 1 MiB")
        now = clock()
        signed, key = verify(settings.type, secret, environ, body, now)
        if not signed:
            log.warning("helpdesk webhook of %s: refused a request with a missing, wrong or stale "
                        "signature", brand_id)
            return plain_text(start_response, "401 Unauthorized", "bad or stale signature")
        try:
            first = key is None or memory.first_time(key, now)
        except Exception as exc:  # the shared memory (the database) is down: never risk a replay
            log.error("helpdesk webhook of %s: cannot check for replay (%s)", brand_id, type(exc).__name__)
            return plain_text(start_response, "503 Service Unavailable", "try again")
        if not first:
            log.warning("helpdesk webhook of %s: refused a replayed request", brand_id)
            return plain_text(start_response, "409 Conflict", "already handled")
        update = read_update(body)
        if update is None:
            return plain_text(start_response, "400 Bad Request",
                              'expected JSON {"ticket_id": "...", "status": "..."}')
        outcome = tickets.ticket_update(deps, brand_id, settings.type, *update)
        log.info("helpdesk webhook of %s: ticket %s is %s (%s)", brand_id, update[0], update[1],
                 outcome.result.value)
        if outcome.result is tickets.TicketResult.UNKNOWN_TICKET:
            return plain_text(start_response, "404 Not Found", "no case has this ticket")
        if outcome.changed and after is not None:
            try:
                after()
            except Exception as exc:  # the sender retries what it could not send
                log.warning("helpdesk webhook of %s: the alert's update waits (%s)", brand_id,
                            type(exc).__name__)
        return plain_text(start_response, "200 OK", "ok")

    return app


__all__ = ["PATH_PREFIX", "helpdesk_webhook_app", "read_update", "verify", "zendesk_signature"]
