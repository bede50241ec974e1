"""Meta's webhooks (Facebook Pages, Instagram, Threads) at `/webhooks/meta`, as a WSGI app.

GET answers Meta's subscription check: `hub.mode=subscribe` with our verify token is answered
200 with `hub.challenge` as plain text, anything else 403. POST is a notification signed with
the app secret (`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>`): a missing or
wrong signature is 401, a body over 1 MiB 413; a signed one is handed on, one change at a
time, to `on_change(object, change)`, and answered 200 at once. The connectors still poll, so a
missed notification loses nothing; a notification only makes the matching source poll sooner.

Pages and Instagram send `{"object": "page"|"instagram", "entry": [{"id", "time", "changes":
[{"field", "value"}]}]}`; each change is passed with the entry's `id` added as `entry_id` (the
page or Instagram account it concerns) unless it carries one. Threads sends one change per
request, `{"app_id", "topic", "target_id", "time", "values": {"field", "value"}}`; its `values`
is passed as the change of object "threads", with `target_id` as `entry_id`.

Bodies are never logged: they hold people's posts.

https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
https://developers.facebook.com/docs/instagram-platform/webhooks,
https://developers.facebook.com/docs/threads/webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from alerts.wsgi_io import MAX_BODY_BYTES, plain_text, read_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

PATH = "/webhooks/meta"
MAX_BODY = MAX_BODY_BYTES
OBJECTS = frozenset({"page", "instagram", "threads"})
SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"

OnChange = Callable[[str, dict[str, Any]], None]


def meta_webhook_app(app_secret: str, verify_token: str,
                     on_change: OnChange) -> WSGIApplication:
    """Build the WSGI app of `/webhooks/meta`; see the module's docstring."""
    if not app_secret or not verify_token:
        raise ValueError("the Meta webhook needs the app secret and a verify token")


    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != PATH:
            return plain_text(start_response, "404 Not Found", "not found")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            return _challenge(environ, start_response, verify_token)
        if method != "POST":
            return plain_text(start_response, "405 Method Not Allowed", "GET or POST")
        body = read_body(environ, MAX_BODY)
        if body is None:
            return plain_text(start_response, "413 Payload Too Large", "body over 1 MiB")
        if not _signed(body, environ.get(SIGNATURE_HEADER, ""), app_secret):
            log.warning("meta webhook: refused a notification with a missing or wrong signature")
            return plain_text(start_response, "401 Unauthorized", "bad signature")
        try:
            payload = json.loads(body)
        except ValueError:
            return plain_text(start_response, "400 Bad Request", "not JSON")
        for obj, change in changes(payload):
            try:
                on_change(obj, change)
            except Exception as exc:  # Meta must get its 200; polling catches up
                log.warning("meta webhook: handling a %s change failed (%s)", obj,
                            type(exc).__name__)
        return plain_text(start_response, "200 OK", "ok")

    return app


def changes(payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The (object, change) pairs of one notification, in order."""
    if not isinstance(payload, dict):
        return
    if isinstance(payload.get("values"), dict):  # Threads: one change per request
        change = dict(payload["values"])
        if payload.get("target_id") is not None:
            change.setdefault("entry_id", str(payload["target_id"]))
        yield "threads", change
        return
    obj = payload.get("object")
    if obj not in OBJECTS:
        return
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            if isinstance(change, dict):
                found = dict(change)
                if entry.get("id") is not None:
                    found.setdefault("entry_id", str(entry["id"]))
                yield str(obj), found


def signature(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends with `body`."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _signed(body: bytes, header: str, secret: str) -> bool:
    if not header.startswith("sha256="):
        return False
    return hmac.compare_digest(signature(body, secret).encode("ascii"),
                               header.strip().encode("ascii", "replace"))


def _challenge(environ: WSGIEnvironment, start_response: StartResponse,
               verify_token: str) -> list[bytes]:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    mode = (query.get("hub.mode") or [""])[0]
    token = (query.get("hub.verify_token") or [""])[0]
    challenge = (query.get("hub.challenge") or [""])[0]
    if mode == "subscribe" and hmac.compare_digest(token.encode(), verify_token.encode()):
        return plain_text(start_response, "200 OK", challenge)
    log.warning("meta webhook: refused a subscription check (wrong mode or verify token)")
    return plain_text(start_response, "403 Forbidden", "forbidden")
