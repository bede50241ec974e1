"""Mastodon: full-text search and hashtag timelines across servers; replies from one account.

Reads through Mastodon.py. Search runs on the first server in `options.servers` (the home of
the access token) because most servers only answer it for a signed-in account; hashtag
timelines are read on every server. A post is known by its ActivityPub `uri`, the same on
every server, while replying needs the post's id on the home server: one found elsewhere is
looked up there first. The cursor is JSON: per server and per feed, the newest status id.
`stream()` pushes new posts in near real time through the streaming API.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
    StreamListener,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors._html import html_to_text
from connectors._query import source_query
from connectors.base import Connector
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    PlatformError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)
from monitor.names import NameMatcher

log = logging.getLogger(__name__)

#: Every Mastodon API path this connector reaches, with the Mastodon.py method that reaches it.
API_PATH = {
    "search": "/api/v2/search",  # search_v2
    "hashtag": "/api/v1/timelines/tag/{hashtag}",  # timeline_hashtag
    "post": "/api/v1/statuses",  # status_post
    "stream_hashtag": "/api/v1/streaming/hashtag?tag={hashtag}",  # stream_hashtag
    "stream_public": "/api/v1/streaming/public",  # stream_public
}
PAGE = 40  # the most statuses Mastodon returns per request
TIMEOUT = 30.0
#: Assumed instead of asking each server's /api/v1/instance at start; older servers are rare.
ASSUMED_VERSION = "4.0.0"
_TAG = re.compile(r"^\w+$")
_RENEW = ("create a new one on {home} under Preferences > Development > New application "
               "(scopes read and write:statuses) and put it in the environment variable that "
               "credentials.access_token names")


class MastodonOptions(BaseModel):
    """The `options:` of a Mastodon source."""

    model_config = ConfigDict(extra="forbid")

    servers: list[str] = Field(
        default_factory=lambda: ["https://mastodon.social"], min_length=1,
        description="servers to read, as base URLs; the first is the access token's home")
    hashtags: list[str] = Field(default_factory=list, description="hashtags to follow, no #")
    max_pages: int = Field(default=3, ge=1, le=20)

    @field_validator("servers")
    @classmethod
    def _servers(cls, value: list[str]) -> list[str]:
        servers = []
        for server in value:
            parts = urlsplit(server if "://" in server else f"https://{server}")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{server!r} is not a server; write its address like "
                                 "https://mastodon.social")
            servers.append(f"{parts.scheme}://{parts.netloc}")
        return servers

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, value: list[str]) -> list[str]:
        tags = [tag.strip().removeprefix("#") for tag in value]
        for tag in tags:
            if not _TAG.match(tag):
                raise ValueError(f"{tag!r} is not a hashtag; write letters, digits and _ only, "
                                 "like acme or AcmeSupport")
        return tags


class MastodonConnector(Connector):
    """Mastodon posts that match the query or carry the hashtags, and replies to them."""

    platform: ClassVar[str] = "mastodon"
    title: ClassVar[str] = "Mastodon"
    Options: ClassVar[type[BaseModel]] = MastodonOptions
    optional_credentials: ClassVar[tuple[str, ...]] = ("access_token",)
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 500
    blind_spot: ClassVar[str | None] = (
        "Mastodon search only finds posts from accounts that opted in to search or that the "
        "brand account wrote, favourited, boosted or was mentioned in; hashtag timelines only "
        "show posts that reached the configured servers")

    def __init__(self, spec: SourceSpec, client: Mapping[str, Mastodon] | None = None) -> None:
        """Use `client` (Mastodon.py clients by server base URL), or build them when used."""
        super().__init__(spec, None)
        self._clients: dict[str, Mastodon] = dict(client or {})

    @property
    def home(self) -> str:
        """The server the access token belongs to: search and replies go through it."""
        return str(self.options.servers[0])

    @property
    def _token(self) -> str | None:
        return self.spec.credentials.get("access_token") or None

    def _api(self, server: str) -> Mastodon:
        if server not in self._clients:
            self._clients[server] = Mastodon(
                api_base_url=server, access_token=self._token if server == self.home else None,
                ratelimit_method="throw", request_timeout=TIMEOUT,
                mastodon_version=ASSUMED_VERSION, version_check_mode="created",
                user_agent="brand-monitor")
        return self._clients[server]

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return statuses newer than the cursor's ids, oldest first, and the newest ids."""
        state = _load(cursor)
        query = source_query(self.spec)
        searched = bool(self._token and query)
        statuses: list[tuple[str, Any]] = []
        truncated = False
        for server in self.options.servers:
            seen = state.setdefault(server, {})
            with self._errors("read", server):
                read = [(f"#{tag}", self._hashtag(server, tag, seen.get(f"#{tag}")))
                        for tag in self.options.hashtags]
                if server == self.home and searched:
                    found, truncated = self._search(query, seen.get("search"))
                    read.append(("search", found))
            for feed, found in read:
                statuses += [(server, status) for status in found]
                newest = _newest(found, seen.get(feed))
                if newest:
                    seen[feed] = newest
        return self._collect(statuses, state, truncated, searched)

    def _hashtag(self, server: str, tag: str, since: str | None) -> list[Any]:
        """Read a hashtag timeline upward from `since`, each page starting after the last.

        What `max_pages` leaves is read from the new cursor at the next poll: nothing is lost.
        """
        api = self._api(server)
        if since is None:
            return list(api.timeline_hashtag(tag, limit=PAGE))
        found: list[Any] = []
        for _ in range(self.options.max_pages):
            page = list(api.timeline_hashtag(tag, min_id=since, limit=PAGE))
            found += page
            since = _newest(page, since)
            if len(page) < PAGE:
                break
        return found

    def _search(self, query: str, since: str | None) -> tuple[list[Any], bool]:
        """Search newest first, paging by offset; say whether pages were left unread."""
        api = self._api(self.home)
        found: list[Any] = []
        for number in range(self.options.max_pages if since is not None else 1):
            result = api.search_v2(query, resolve=False, result_type="statuses", min_id=since,
                                   offset=number * PAGE or None, limit=PAGE,
                                   exclude_unreviewed=False)
            page = list(result["statuses"])
            found += page
            if len(page) < PAGE:
                return found, False
        return found, since is not None

    def _collect(self, statuses: list[tuple[str, Any]], state: dict[str, dict[str, str]],
                 truncated: bool, searched: bool) -> FetchResult:
        found: dict[str, Mention] = {}
        skipped = 0
        for server, status in statuses:
            try:
                mention = _to_mention(status, server)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("%r: skipped a malformed status %r from %s: %r", self,
                            _get(status, "id"), server, exc)
                skipped += 1
                continue
            if not self._is_own(mention):
                found.setdefault(mention.id, mention)
        blind_spot = self.blind_spot
        if not searched:
            blind_spot = ("search is off (it needs an access_token and a query); only the hashtag "
                          "timelines are read")
        if truncated:
            blind_spot = (f"more new search results than {self.options.max_pages} pages; the older "
                          "ones in this poll were not read (raise options.max_pages or poll more "
                          "often)")
        return FetchResult(mentions=sorted(found.values(), key=lambda m: (m.published_at, m.id)),
                           cursor=json.dumps({s: f for s, f in state.items() if f},
                                             sort_keys=True), skipped=skipped,
                           blind_spot=blind_spot)

    def _is_own(self, mention: Mention) -> bool:
        handle = mention.author_handle.lower()
        return any(handle == own or ("@" not in own and handle.split("@")[0] == own
                                     and handle.endswith("@" + _host(self.home)))
                   for own in self.spec.own_handles)

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Post `text` in reply to the target from the home server, starting with @author."""
        if not self._token:
            raise AuthError(self.platform, "replying needs an access token of the brand account; "
                            + _RENEW.format(home=self.home))
        handle = target.author_handle.lstrip("@")
        if not text.lstrip().lower().startswith(f"@{handle}".lower()):
            text = f"@{handle} {text}"
        api = self._api(self.home)
        with self._errors("reply", self.home):
            status_id = self._home_id(api, target)
            status = api.status_post(text, in_reply_to_id=status_id,
                                     idempotency_key=idempotency_key)
        return ReplyResult(id=str(status["uri"]), url=status.get("url"))

    def _home_id(self, api: Mastodon, target: ReplyTarget) -> str:
        """Return the target's id on the home server, looking it up when read elsewhere."""
        if target.extra.get("server") == self.home and target.extra.get("id"):
            return str(target.extra["id"])
        found = api.search_v2(target.extra.get("uri") or target.url, resolve=True,
                              result_type="statuses", exclude_unreviewed=False)["statuses"]
        if not found:
            raise ReplyRejected(self.platform, f"{self.home} cannot see the post any more (deleted, "
                                "or its server does not federate with yours); open it and "
                                "answer there")
        return str(found[0]["id"])

    def stream(self, handler: Callable[[Mention], None], stop_event: threading.Event) -> None:
        """Pass each new post to `handler` until `stop_event` is set.

        Follows the hashtag streams of every server or, with no hashtags, each server's public
        stream filtered by the brand's keywords. Reconnects on its own.
        """
        handles = []
        try:
            for server in self.options.servers:
                api = self._api(server)
                listener = self._listener(server, handler)
                with self._errors("read", server):
                    if self.options.hashtags:
                        handles += [api.stream_hashtag(tag, listener, run_async=True,
                                                       reconnect_async=True)
                                    for tag in self.options.hashtags]
                    else:
                        handles.append(api.stream_public(listener, run_async=True,
                                                         reconnect_async=True))
            stop_event.wait()
        finally:
            for handle in handles:
                handle.close()

    def _listener(self, server: str, handler: Callable[[Mention], None]) -> StreamListener:
        return _Listener(self, server, handler, None if self.options.hashtags else self._names)

    @cached_property
    def _names(self) -> NameMatcher | None:
        """What a public stream's posts must name: the keywords and the query, as names."""
        names = [name for name in (*self.spec.keywords, self.spec.query.strip()) if name]
        return NameMatcher(names, self.spec.own_handles) if names else None

    @contextmanager
    def _errors(self, action: str, server: str) -> Iterator[None]:
        """Turn Mastodon.py's exceptions into ours, with what to do next."""
        try:
            yield
        except MastodonRatelimitError as exc:
            reset = self._api(server).ratelimit_reset
            raise RateLimited(self.platform, max(0.0, reset - time.time()) if reset else None
                              ) from exc
        except MastodonUnauthorizedError as exc:
            raise AuthError(self.platform, f"{server} refused the access token (401: "
                            f"{_reason(exc)}); " + _RENEW.format(home=self.home)) from exc
        except (MastodonServerError, MastodonNetworkError) as exc:
            raise TemporaryPlatformError(self.platform, f"{server} failed ({_reason(exc)}); "
                                         "will try again") from exc
        except MastodonNotFoundError as exc:
            if action == "reply":
                raise ReplyRejected(self.platform, "the post was deleted or is not visible to the "
                                    "brand account") from exc
            raise PlatformError(self.platform, f"{server} has no such timeline ({_reason(exc)}); "
                                "check options.servers and options.hashtags") from exc
        except MastodonAPIError as exc:
            status = exc.args[1] if len(exc.args) > 1 else None
            if status == 403 and (action == "read" or "scope" in _reason(exc).lower()):
                raise AuthError(self.platform, f"{server} refused access (403: {_reason(exc)}); "
                                "it may require a signed-in account, or the token lacks the "
                                "scopes read and write:statuses; "
                                + _RENEW.format(home=self.home)) from exc
            if action == "reply":
                raise ReplyRejected(self.platform, "Mastodon would not publish the reply: "
                                    f"{_reason(exc)}") from exc
            raise PlatformError(self.platform, f"{server} rejected the request ({_reason(exc)}); "
                                "check the source's query and options") from exc


class _Listener(StreamListener):
    """Hands each streamed status to the handler as a Mention."""

    def __init__(self, connector: MastodonConnector, server: str,
                 handler: Callable[[Mention], None], names: NameMatcher | None) -> None:
        """Pass to `handler` what `names` matches (everything when None)."""
        super().__init__()
        self.connector, self.server, self.handler, self.names = connector, server, handler, names

    def on_update(self, status: Any) -> None:
        try:
            mention = _to_mention(status, self.server)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("%r: skipped a malformed streamed status from %s: %r", self.connector,
                        self.server, exc)
            return
        if self.connector._is_own(mention):
            return
        if self.names is not None and not self.names.search(f"{mention.title}\n{mention.text}"):
            return
        self.handler(mention)

    on_status_update = on_update  # an edit is handled like a new post; the store tells apart

    def on_abort(self, err: Exception) -> None:
        log.warning("%r: stream from %s dropped (%s); reconnecting", self.connector,
                    self.server, err)


def _load(cursor: str | None) -> dict[str, dict[str, str]]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
        return {str(server): {str(k): str(v) for k, v in feeds.items()}
                for server, feeds in state.items()}
    except (ValueError, TypeError, AttributeError):
        log.warning("mastodon: ignored a cursor that is not this connector's JSON: %r", cursor)
        return {}


def _newest(statuses: list[Any], since: str | None) -> str | None:
    """Return the largest status id among `statuses` and `since` (ids grow with time)."""
    ids = [int(since)] if since else []
    for status in statuses:
        try:
            ids.append(int(_get(status, "id")))
        except (TypeError, ValueError):
            continue
    return str(max(ids)) if ids else None


def _get(status: Any, key: str) -> Any:
    return status.get(key) if isinstance(status, Mapping) else None


def _host(server: str) -> str:
    return urlsplit(server).hostname or server


def _reason(exc: Exception) -> str:
    """Mastodon's own words for an error (the last argument Mastodon.py passes)."""
    return str(exc.args[-1]) if exc.args else type(exc).__name__


def _when(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _to_mention(status: Mapping[str, Any], server: str) -> Mention:
    """Translate one Mastodon status, as `server` shows it, into a Mention."""
    account = status["account"]
    acct = str(account["acct"])
    handle = acct if "@" in acct else f"{acct}@{_host(server)}"
    uri = str(status["uri"])
    edited = status.get("edited_at")
    return Mention(
        platform="mastodon",
        id=uri,
        text=html_to_text(str(status["content"])),
        url=str(status.get("url") or uri),
        author_id=handle,
        author_handle=handle,
        author_name=str(account.get("display_name") or ""),
        author_followers=account.get("followers_count"),
        published_at=_when(status["created_at"]),
        edited_at=_when(edited) if edited else None,
        lang_hint=status.get("language") or None,
        kind="reply" if status.get("in_reply_to_id") else "post",
        title=str(status.get("spoiler_text") or ""),
        extra={"server": server, "id": str(status["id"]), "uri": uri},
    )
