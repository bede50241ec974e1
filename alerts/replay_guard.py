"""Refuse a signed Slack request that was already accepted once (replay protection).

Slack signs `v0:{timestamp}:{body}` with the app's signing secret, and a timestamp more than
five minutes from now is refused. Inside those five minutes a captured request would verify
again, so the (X-Slack-Request-Timestamp, X-Slack-Signature) pair of every accepted request is
remembered and a second one is answered 409 without reaching Bolt.

The signature is checked here, before the pair is remembered: an unsigned or forged request
can neither mark a pair as seen nor reach Bolt (whose own check would log the body and the
signature of a request it refuses). Where the pairs are kept is a `SeenRequests`: the one here
lives in memory, for one process (and unit tests); HTTP mode uses `alerts.replay_store`, in the
database, so that every replica behind a load balancer refuses a replay accepted by another.
When the store cannot answer, the request gets 503 and reaches nothing.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from slack_sdk.signature import Clock, SignatureVerifier

from alerts.wsgi_io import MAX_BODY_BYTES, plain_text, read_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["MAX_BODY_BYTES", "REMEMBER_SECONDS", "SIGNATURE_WINDOW_SECONDS", "InMemorySeenRequests",
           "ReplayGuard", "SeenRequests", "request_key"]
log = logging.getLogger(__name__)

SIGNATURE_WINDOW_SECONDS = 300
"""How far a request's timestamp may be from now, either way (slack_sdk and Bolt: 5 minutes)."""
REMEMBER_SECONDS = 2 * SIGNATURE_WINDOW_SECONDS
"""A pair first accepted at t verifies until at most t + 10 minutes (its timestamp may lie up to
5 minutes ahead of t); remembering it that long leaves no gap in either direction."""


class SeenRequests(Protocol):
    """Where accepted request keys are kept for the signature window."""

    def first_time(self, key: str, now: float) -> bool:
        """Remember `key`, seen at `now` (epoch seconds); False when it was already seen."""
        ...


class InMemorySeenRequests:
    """Thread-safe, for one process: keys older than `remember_seconds` are forgotten.

    Memory is bounded by the request rate times the window, and by `max_keys` at most (then the
    oldest keys go first, with a warning: a replay of those would verify again).
    """

    def __init__(self, remember_seconds: float = REMEMBER_SECONDS, max_keys: int = 100_000) -> None:
        if remember_seconds <= 0 or max_keys <= 0:
            raise ValueError("remember_seconds and max_keys must be positive")
        self.remember_seconds = remember_seconds
        self.max_keys = max_keys
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str, now: float) -> bool:
        with self._lock:
            self._forget_before(now - self.remember_seconds)
            if key in self._seen:
                return False
            if len(self._seen) >= self.max_keys:
                self._seen.popitem(last=False)
                log.warning("replay guard full (%d keys): forgetting the oldest early", self.max_keys)
            self._seen[key] = now
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def _forget_before(self, cutoff: float) -> None:
        # Keys are kept in the order they were seen, so the old ones are at the front.
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if seen_at > cutoff:
                return
            del self._seen[key]


def request_key(timestamp: str, signature: str) -> str:
    """The key a request is remembered by: its signed timestamp and its signature."""
    return f"{timestamp}:{signature}"


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class ReplayGuard:
    """WSGI middleware for Slack's request URL: verify the signature, refuse a replay, pass on.

    The wrapped app gets the body again in `wsgi.input`. Answers: 401 for a missing or wrong
    signature or a timestamp out of the window, 409 for a request accepted before, 413 for a
    body over `max_body_bytes`, 503 when `seen` fails; none of them reaches the wrapped app.
    """

    def __init__(self, app: WSGIApplication, signing_secret: str, seen: SeenRequests | None = None,
                 *, clock: Callable[[], float] = time.time, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.seen: SeenRequests = seen if seen is not None else InMemorySeenRequests()
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = read_body(environ, self.max_body_bytes)
        if body is None:
            return plain_text(start_response, "413 Content Too Large",
                           f"brand-monitor: request bodies are limited to {self.max_body_bytes} bytes\n")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if not self._signed(body, timestamp, signature):
            log.warning("refused a request to %s with a missing or invalid Slack signature",
                        environ.get("PATH_INFO", ""))
            return plain_text(start_response, "401 Unauthorized",
                              "brand-monitor: invalid request signature\n")
        assert timestamp is not None and signature is not None
        try:
            first = self.seen.first_time(request_key(timestamp, signature), self.clock())
        except Exception as exc:  # the shared store (the database) is down: refuse, never risk a replay
            log.error("could not check a Slack request for replay (%s); answered 503",
                      type(exc).__name__)
            return plain_text(start_response, "503 Service Unavailable",
                              "brand-monitor: cannot check this request now; try again\n")
        if not first:
            log.warning("refused a replayed Slack request (timestamp %s, already accepted once)", timestamp)
            return plain_text(start_response, "409 Conflict",
                           "brand-monitor: this request was already handled\n")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _signed(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not signature or not timestamp.isdigit():
            return False
        return self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
