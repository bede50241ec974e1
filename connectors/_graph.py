"""The Graph API edge shared by the Meta connectors: Facebook Pages, Instagram and Threads.

One versioned base URL per host; the access token travels in the `Authorization` header (so it
never lands in a logged URL, and any `access_token` Meta writes into a `paging.next` link is
dropped before the link is followed). Lists come as `{"data": [...], "paging": {"cursors":
{"after": ...}, "next": ...}}`; a list without `paging.next` is the last page. Errors come as
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}` and are mapped here
to `monitor.errors`:

- code 4, 17, 32, 613, 80001-80014 (Business Use Case limits) or HTTP 429: `RateLimited`,
  waiting `estimated_time_to_regain_access` (minutes) of the `X-Business-Use-Case-Usage` or
  `X-App-Usage` header when Meta sends one;
- code 190: `AuthError` (the token expired or was revoked: make a new one);
- code 10 or 200-299: `AuthError` naming the permission the request needed;
- HTTP 5xx, code 1 or 2, or `is_transient`: `TemporaryPlatformError`;
- on a reply, code 100 (the object does not exist or cannot be loaded): `ReplyRejected`.

References: https://developers.facebook.com/docs/graph-api/guides/error-handling,
https://developers.facebook.com/docs/graph-api/overview/rate-limiting/,
https://developers.facebook.com/docs/graph-api/results (paging).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from connectors import _http
from connectors._cursor import ChangeCursor
from monitor.domain import Mention
from monitor.errors import (
    AuthError,
    PlatformError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)

log = logging.getLogger(__name__)

#: The Graph API version every Facebook and Instagram URL is built on.
GRAPH_VERSION = "v21.0"
#: The Threads API has versions of its own (v1.0 is the one Meta documents).
THREADS_VERSION = "v1.0"
GRAPH_URL = f"https://graph.facebook.com/{GRAPH_VERSION}/"
THREADS_URL = f"https://graph.threads.net/{THREADS_VERSION}/"

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
TOKEN_CODE = 190
TEMPORARY_CODES = frozenset({1, 2})
MISSING_OBJECT_CODE = 100
_PERMISSION = re.compile(r"\b((?:pages|instagram|threads|business|ads)_[a-z_]+)\b")


@dataclass(frozen=True)
class GraphFault:
    """One error answer of the Graph API, as Meta writes it."""

    status: int
    message: str
    type: str = ""
    code: int | None = None
    subcode: int | None = None
    fbtrace_id: str = ""
    transient: bool = False

    @classmethod
    def read(cls, response: httpx.Response) -> GraphFault:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(response.status_code, response.reason_phrase or f"HTTP {response.status_code}")
        return cls(response.status_code, str(error.get("message") or response.reason_phrase),
                   str(error.get("type") or ""), _int(error.get("code")),
                   _int(error.get("error_subcode")), str(error.get("fbtrace_id") or ""),
                   bool(error.get("is_transient")))

    @property
    def words(self) -> str:
        """Meta's message with its code, for a person to read (and to quote to Meta)."""
        code = f"code {self.code}" if self.code is not None else f"HTTP {self.status}"
        if self.subcode is not None:
            code += f"/{self.subcode}"
        trace = f", fbtrace_id {self.fbtrace_id}" if self.fbtrace_id else ""
        return f"{self.message} ({code}{trace})"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until access is back, from the usage headers' `estimated_time_to_regain_access`.

    `X-Business-Use-Case-Usage` maps a business id to a list of use cases, each with the
    estimate in minutes; `X-App-Usage` is one object. The longest estimate wins.
    """
    minutes: list[float] = []
    for name in ("x-business-use-case-usage", "x-app-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        for case in _usage_cases(usage):
            value = case.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and not isinstance(value, bool):
                minutes.append(float(value))
    return max(minutes) * 60.0 if minutes else None


def _usage_cases(usage: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(usage, dict) and "estimated_time_to_regain_access" in usage:
        yield usage
    elif isinstance(usage, dict):
        for cases in usage.values():
            yield from (c for c in (cases if isinstance(cases, list) else [cases])
                        if isinstance(c, dict))


def parse_time(value: Any) -> datetime:
    """Read a Graph time: ISO 8601, written by Meta as `2026-11-21T09:12:44+0000`."""
    text = str(value)
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def next_link(page: Mapping[str, Any]) -> str | None:
    """The `paging.next` link of a list, without any access token in it; None on the last page."""
    paging = page.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    if not link:
        return None
    return str(httpx.URL(str(link)).copy_remove_param("access_token"))


class FeedCursors:
    """The cursor of a Meta source: per feed (endpoint), the newest time seen and its ids.

    Stored as JSON `{"<feed>": {"modified": ISO time, "ids": [...]}}`; a feed's position only
    moves forward.
    """

    def __init__(self, cursor: str | None, platform: str) -> None:
        self.raw = cursor
        self.state: dict[str, dict[str, Any]] = {}
        if cursor:
            try:
                loaded = json.loads(cursor)
                self.state = {str(k): dict(v) for k, v in loaded.items() if isinstance(v, dict)}
            except (ValueError, TypeError, AttributeError):
                log.warning("%s: ignored a cursor that is not this connector's JSON", platform)

    def of(self, feed: str) -> ChangeCursor:
        """The position in one feed."""
        state = self.state.get(feed) or {}
        try:
            return ChangeCursor.parse(json.dumps(state) if state else None)
        except (ValueError, TypeError):
            return ChangeCursor()

    def advance(self, feed: str, found: Sequence[Mention]) -> None:
        """Move `feed` past `found` (sorted oldest first); never backwards."""
        if not found:
            return
        position = self.of(feed)
        newest = found[-1].published_at
        if position.since is not None and newest < position.since:
            return
        ids = {m.id for m in found if m.published_at == newest}
        if newest == position.since:
            ids |= position.seen
        self.state[feed] = {"modified": newest.isoformat(), "ids": sorted(ids)}

    def dump(self) -> str | None:
        if not self.state:
            return self.raw
        return json.dumps(self.state, sort_keys=True)


def published(mention: Mention) -> datetime:
    return mention.published_at


class GraphConnector(_http.HttpConnector):
    """A connector on a Graph API host: signed GETs and POSTs, pages and Meta's errors."""

    base_url: ClassVar[str] = GRAPH_URL
    #: Where a person makes a new token (appended to the expired-token message).
    renew_help: ClassVar[str] = "see the README, Platforms"
    #: The permission each action (a feed name, "reply", "hide") needs.
    permissions: ClassVar[Mapping[str, str]] = {}

    @property
    def credential_key(self) -> str:
        """The credential that holds the access token: the connector's one credential."""
        return self.credentials[0]

    def _skip(self, exc: Exception) -> None:
        log.warning("%r: skipped a malformed item: %r", self, exc)

    def url(self, path: str) -> str:
        return path if path.startswith("https://") else self.base_url + path.lstrip("/")

    def call(self, method: str, path: str, action: str, *,
             params: Mapping[str, Any] | None = None,
             data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one request; return its JSON object or raise ours. Reads are retried."""
        token = self.spec.credentials.get(self.credential_key) or ""
        if not token:
            raise AuthError(self.platform, f"no access token: map credentials."
                            f"{self.credential_key} to an environment variable that holds "
                            f"it ({self.renew_help})")
        headers = {"Authorization": f"Bearer {token}"}
        response = _http.send(self.client, self.platform, self.title, method, self.url(path),
                              headers=headers, params=params, data=data)
        if response.is_success:
            body = _http.json_page(response, self.platform, self.title)
            if "error" not in body:
                return body
        raise self.graph_error(response, action)

    def pages(self, path: str, params: Mapping[str, Any], action: str
              ) -> Callable[[str | None], tuple[list[Any], str | None]]:
        """A page reader for `ChangeCursor.newest_first`: the token is the next link."""
        def page(link: str | None) -> tuple[list[Any], str | None]:
            body = self.call("GET", link or path, action, params=None if link else params)
            data = body.get("data")
            return (data if isinstance(data, list) else []), next_link(body)
        return page

    def graph_error(self, response: httpx.Response, action: str) -> PlatformError:
        """Explain a Graph API error answer in plain words, with what to do next."""
        fault = GraphFault.read(response)
        code = fault.code
        if response.status_code == 429 or code in RATE_LIMIT_CODES:
            wait = usage_wait(response.headers)
            if wait is None:
                wait = _http.retry_after(response.headers, self._clock())
            return RateLimited(self.platform, wait)
        if code == TOKEN_CODE:
            return AuthError(self.platform, "the access token expired or was revoked "
                             f"({fault.words}): create a new long-lived token ({self.renew_help}) "
                             "and set it in the environment variable that credentials."
                             f"{self.credential_key} names")
        if code == 10 or (code is not None and 200 <= code <= 299):
            named = _PERMISSION.search(fault.message)
            permission = named.group(1) if named else self.permissions.get(action, "")
            needs = f"the {permission} permission" if permission else "a permission it lacks"
            return AuthError(self.platform, f"Meta refused to {_verb(action)}: the token needs "
                             f"{needs} ({fault.words}); grant it to the app (App Review: "
                             "Advanced Access) and create a new token")
        if response.status_code >= 500 or code in TEMPORARY_CODES or fault.transient:
            return TemporaryPlatformError(self.platform, f"{self.title} failed ({fault.words}); "
                                          "will try again")
        if action in ("reply", "hide"):
            if code == MISSING_OBJECT_CODE:
                return ReplyRejected(self.platform, "the post or comment was deleted, or the "
                                     f"account can no longer see it ({fault.words}); nothing "
                                     "was published")
            return ReplyRejected(self.platform, f"{self.title} refused to {_verb(action)}: "
                                 f"{fault.words}")
        return PlatformError(self.platform, f"{self.title} refused to {_verb(action)} "
                             f"({fault.words}); check the source's options")


def _verb(action: str) -> str:
    return {"reply": "publish the reply", "hide": "hide the comment"}.get(
        action, f"read {action.replace('_', ' ')}")
