"""What the HTTP endpoints share: reading a bounded request body, answering in plain text."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MAX_BODY_BYTES = 1024 * 1024
"""Slack's and Meta's payloads are a few KiB; anything over 1 MiB is refused."""


def read_body(environ: WSGIEnvironment, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The whole body, or None when it is larger than `limit` (the rest is left unread)."""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    # Read one byte more than allowed: a chunked body carries no Content-Length.
    body: bytes = stream.read(declared) if declared > 0 else stream.read(limit + 1)
    return None if len(body) > limit else body


def plain_text(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    """Answer `status` with `text` as text/plain."""
    data = text.encode("utf-8")
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(data)))])
    return [data]
