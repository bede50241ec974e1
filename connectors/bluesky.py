"""Bluesky: post search through the AT Protocol; replies threaded under the right root.

Uses the atproto SDK's Client with the brand account's handle and an app password. Logins
are rate limited (about 30 per 5 minutes, 300 a day), so the session is kept in the
connector, refreshed by the SDK when its access token ages, and handed to an optional
`session_store` so a restart reuses it too. The cursor is JSON: the newest `sortAt` time
seen (sent back as `since`, which is inclusive) and the posts seen at that instant.

Posts are read as plain JSON and only the fields a Mention is made of are checked, so a post
whose text is intact is kept whatever its embed or facets hold (a legacy image blob, a facet
of an unknown kind or out of range, a `$type` written `app.bsky.feed.post#main`). Links the
text shows shortened ("example.com/some/pa...") get their full address back from the link
facets.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

import regex
from atproto_client import Client, models
from atproto_client import exceptions as atx
from atproto_client.client.session import Session, SessionEvent
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from atproto_client.utils.facet_detection import detect_facets
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors._http import TIMEOUT, retry_after
from connectors._query import search_query
from connectors.base import Connector
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    PlatformError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)

log = logging.getLogger(__name__)

#: Every XRPC method this connector calls, with the SDK call that reaches it.
API_METHOD = {
    "login": "com.atproto.server.createSession",  # Client.login
    "refresh": "com.atproto.server.refreshSession",  # by the SDK when the token ages
    "search": "app.bsky.feed.searchPosts",  # invoke_query, to skip bad posts one by one
    "post": "com.atproto.repo.createRecord",  # app.bsky.feed.post.create
}
POST_URL = "https://bsky.app/profile/{handle}/post/{rkey}"
PAGE = 100  # the most posts searchPosts returns per request
#: Errors that mean the stored session is over: log in again with the app password.
_SESSION_OVER = {"ExpiredToken", "InvalidToken", "AuthenticationRequired"}
_RENEW = ("create a new app password under Settings > Privacy and security > App "
                  "passwords and put it in the environment variable that "
                  "credentials.app_password names (check credentials.handle too)")


class SessionStore(Protocol):
    """Where a Bluesky session string outlives the process (a file, the database...)."""

    def load(self) -> str | None:
        """Return the last saved session string, if any."""

    def save(self, session: str) -> None:
        """Keep `session` (it holds tokens: store it like a secret)."""


class BlueskyOptions(BaseModel):
    """The `options:` of a Bluesky source."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(default="https://bsky.social",
                         description="the account's server (PDS) to log in to")
    max_pages: int = Field(default=3, ge=1, le=20)


class BlueskyConnector(Connector):
    """Bluesky posts that match the query, and replies to them from the brand account."""

    platform: ClassVar[str] = "bluesky"
    title: ClassVar[str] = "Bluesky"
    Options: ClassVar[type[BaseModel]] = BlueskyOptions
    credentials: ClassVar[tuple[str, ...]] = ("handle", "app_password")
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 300

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time,
                 session_store: SessionStore | None = None) -> None:
        """Use `client` (an atproto Client), or build one when first used."""
        super().__init__(spec, client)
        self._clock = clock
        self._store = session_store
        self._did: str | None = None
        self._hooked = False
        self._published: dict[str, ReplyResult] = {}

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.options.service, request=Request(timeout=TIMEOUT))
        if not self._hooked:
            self._client.on_session_change(self._session_changed)
            self._hooked = True
        return self._client

    def _signed_in(self, fresh: bool = False) -> Client:
        """Return the client with a session: the one held, a stored one, or a new login."""
        client = self.client
        if self._did is not None and not fresh:
            return client
        saved = None if fresh or self._store is None else self._store.load()
        creds = self.spec.credentials
        if not saved and not (creds.get("handle") and creds.get("app_password")):
            raise AuthError(self.platform, "no handle or app password: map credentials.handle "
                            "and credentials.app_password to environment variables; "
                            + _RENEW)
        with self._errors("login"):
            if saved:
                client.login(session_string=saved, fetch_bsky_profile=False)
            else:
                client.login(creds["handle"], creds["app_password"], fetch_bsky_profile=False)
        self._did = Session.decode(client.export_session_string()).did
        return client

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        if self._store is not None and event in (SessionEvent.CREATE, SessionEvent.REFRESH):
            self._store.save(session.export())

    def _call(self, action: str, call: Callable[[Client], Any]) -> Any:
        """Run `call` signed in; when the session turns out to be over, log in once more."""
        with self._errors(action):
            try:
                return call(self._signed_in())
            except (atx.UnauthorizedError, atx.BadRequestError, atx.LoginRequiredError) as exc:
                if not _session_over(exc):
                    raise
                log.info("%r: Bluesky session is over; logging in again", self)
                return call(self._signed_in(fresh=True))

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return posts since the cursor's time, oldest first, and the newest time seen."""
        since, seen = _load(cursor)
        params: dict[str, Any] = {"q": search_query(self.platform, self.spec), "sort": "latest",
                                  "limit": PAGE}
        if since:
            params["since"] = since
        posts: list[Any] = []
        truncated = False
        # Without a cursor, the newest page is the starting point; history is not replayed.
        for _ in range(self.options.max_pages if since else 1):
            page = self._search_page(params)
            posts += page.get("posts") or []
            if not page.get("cursor"):
                break
            params["cursor"] = page["cursor"]
        else:
            truncated = bool(since)
        return self._collect(posts, since, seen, truncated)

    def _search_page(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return one searchPosts page as plain JSON, so one bad post cannot fail the page."""
        search = models.AppBskyFeedSearchPosts.Params(**params)
        content = self._call("read", lambda client: client.invoke_query(
            API_METHOD["search"], params=search, output_encoding="application/json").content)
        if not isinstance(content, dict):
            raise TemporaryPlatformError(self.platform, "Bluesky answered a search with something "
                                         "other than JSON; will try again")
        return content

    def _collect(self, posts: list[Any], since: str | None, seen: set[str],
                 truncated: bool) -> FetchResult:
        own = set(self.spec.own_handles)
        found: dict[str, Mention] = {}
        newest, at_newest, skipped = since, set(seen), 0
        for raw in posts:
            try:
                post = _PostView.model_validate(raw)
                mention = _to_mention(post, self._clock)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                uri = raw.get("uri") if isinstance(raw, dict) else None
                log.warning("%r: skipped a malformed post %r: %r", self, uri, exc)
                skipped += 1
                continue
            sort_at = _sort_at(post)
            if sort_at is None:
                pass  # no readable time of its own: it cannot move the cursor
            elif newest is None or sort_at > newest:
                newest, at_newest = sort_at, {mention.id}
            elif sort_at == newest:
                at_newest.add(mention.id)
            if mention.id in seen or mention.author_handle.lower() in own:
                continue
            found[mention.id] = mention
        blind_spot = None
        if truncated:
            blind_spot = (f"more new posts than {self.options.max_pages} pages; the older ones in "
                          "this poll were not read (raise options.max_pages or poll more often)")
        cursor = json.dumps({"since": newest, "seen": sorted(at_newest)}) if newest else None
        return FetchResult(mentions=sorted(found.values(), key=lambda m: (m.published_at, m.id)),
                           cursor=cursor, skipped=skipped, blind_spot=blind_spot)

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Post `text` under the target, in its thread (Bluesky takes no idempotency key)."""
        if idempotency_key in self._published:
            return self._published[idempotency_key]
        length = self.count_length(text)
        if length > (self.reply_limit or length):
            raise ReplyRejected(self.platform, f"the reply is {length} characters long; Bluesky "
                                f"takes at most {self.reply_limit}. Shorten it and send again")
        cid = target.extra.get("cid")
        if not cid:
            raise ReplyRejected(self.platform, "this post was stored without its content id, so "
                                "a reply cannot be threaded under it; open it and answer there")
        parent = models.ComAtprotoRepoStrongRef.Main(uri=target.mention_id, cid=cid)
        root = parent
        if target.extra.get("root_uri") and target.extra.get("root_cid"):
            root = models.ComAtprotoRepoStrongRef.Main(uri=target.extra["root_uri"],
                                                       cid=target.extra["root_cid"])

        def post(client: Client) -> Any:
            record = models.AppBskyFeedPost.Record(
                created_at=client.get_current_time_iso(), text=text,
                reply=models.AppBskyFeedPost.ReplyRef(root=root, parent=parent),
                facets=detect_facets(text) or None)
            return client.app.bsky.feed.post.create(self._did, record)

        created = self._call("reply", post)
        handle = self.spec.credentials.get("handle") or self._did
        result = ReplyResult(id=created.uri, url=POST_URL.format(
            handle=handle, rkey=created.uri.rsplit("/", 1)[-1]))
        self._published[idempotency_key] = result
        return result

    def count_length(self, text: str) -> int:
        """Count graphemes, as Bluesky does against its 300 limit."""
        return len(regex.findall(r"\X", unicodedata.normalize("NFC", text)))

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn the SDK's exceptions into ours, with what to do next."""
        try:
            yield
        except atx.RateLimitExceededError as exc:
            headers = exc.response.headers if exc.response is not None else {}
            raise RateLimited(self.platform, retry_after(headers, self._clock())) from exc
        except (atx.UnauthorizedError, atx.LoginRequiredError) as exc:
            raise AuthError(self.platform, f"Bluesky refused the account ({_reason(exc)}); "
                            + _RENEW) from exc
        except atx.NetworkError as exc:
            raise TemporaryPlatformError(self.platform, f"Bluesky failed ({_reason(exc)}); "
                                         "will try again") from exc
        except atx.RequestErrorBase as exc:
            status = exc.response.status_code if exc.response is not None else 500
            if status >= 500:
                raise TemporaryPlatformError(self.platform, f"Bluesky failed ({_reason(exc)}); "
                                             "will try again") from exc
            if action == "login":
                raise AuthError(self.platform, f"Bluesky refused the login ({_reason(exc)}); "
                                + _RENEW) from exc
            if action == "reply":
                raise ReplyRejected(self.platform, "Bluesky would not publish the reply: "
                                    f"{_reason(exc)}") from exc
            raise PlatformError(self.platform, f"Bluesky rejected the search ({_reason(exc)}); "
                                "check the source's query") from exc
        except atx.ModelError as exc:
            raise TemporaryPlatformError(self.platform, f"Bluesky answered an unexpected shape "
                                         f"({exc}); will try again") from exc


def _session_over(exc: Exception) -> bool:
    if isinstance(exc, atx.LoginRequiredError):
        return True
    content = getattr(getattr(exc, "response", None), "content", None)
    return getattr(content, "error", None) in _SESSION_OVER


def _reason(exc: Exception) -> str:
    """Bluesky's own words for an error: its error name and message."""
    content = getattr(getattr(exc, "response", None), "content", None)
    if isinstance(content, XrpcError):
        return f"{content.error}: {content.message}" if content.message else content.error
    return str(exc) or type(exc).__name__


def _load(cursor: str | None) -> tuple[str | None, set[str]]:
    if not cursor:
        return None, set()
    try:
        state = json.loads(cursor)
        return str(state["since"]), set(state.get("seen") or ())
    except (ValueError, TypeError, KeyError):
        log.warning("bluesky: ignored a cursor that is not this connector's JSON: %r", cursor)
        return None, set()


#: The `$type` of a post record; `#main` names the same definition and is seen in the wild.
_POST_TYPES = {"app.bsky.feed.post", "app.bsky.feed.post#main"}
_LINK = "app.bsky.richtext.facet#link"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as record keys use
_SCHEME = regex.compile(r"^[a-z][a-z0-9+.-]*://", regex.IGNORECASE)


class _Lax(BaseModel):
    """Read only the fields used; anything else in the post view may take any shape."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Author(_Lax):
    did: str
    handle: str
    display_name: str | None = Field(default=None, alias="displayName")


class _StrongRef(_Lax):
    uri: str
    cid: str


class _ReplyRef(_Lax):
    root: _StrongRef
    parent: _StrongRef


class _Record(_Lax):
    """An app.bsky.feed.post record: its embed (an image's blob, legacy or not) is not read,
    and its facets are read one by one, only for full link addresses."""

    type: str = Field(alias="$type")
    text: str
    created_at: Any = Field(default=None, alias="createdAt")
    langs: Any = None
    reply: _ReplyRef | None = None
    facets: Any = None

    @field_validator("type")
    @classmethod
    def _a_post(cls, value: str) -> str:
        if value not in _POST_TYPES:
            raise ValueError(f"record is {value!r}, not a post")
        return value


class _PostView(_Lax):
    """The parts of an app.bsky.feed.defs#postView that a Mention is made of."""

    uri: str
    cid: str
    author: _Author
    record: _Record
    indexed_at: Any = Field(default=None, alias="indexedAt")


def _when(value: Any) -> datetime | None:
    """Read a Bluesky datetime (any ISO 8601 offset); None when absent or not a real time."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # year 0000 is seen in the wild, and Python has no year 0
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _tid_time(uri: str) -> datetime | None:
    """The time in a TID record key (the rkey at the end of `uri`), if it is one.

    A TID is 13 base32-sortable characters: 53 bits of microseconds since 1970, then 10
    bits of clock id, under a zero top bit (atproto.com/specs/tid).
    """
    rkey = uri.rsplit("/", 1)[-1]
    if len(rkey) != 13 or any(c not in _TID_ALPHABET for c in rkey):
        return None
    value = 0
    for char in rkey:
        value = value * 32 + _TID_ALPHABET.index(char)
    if value >> 63:
        return None
    try:
        return datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _published(post: _PostView, clock: Callable[[], float]) -> datetime:
    """When the post was written: its createdAt, else when Bluesky indexed it.

    Some clients write impossible times (year 0000, seen in the wild with indexedAt just as
    bad); then the time in the record key (a TID) is used, and failing that, now.
    """
    return (_when(post.record.created_at) or _when(post.indexed_at) or _tid_time(post.uri)
            or datetime.fromtimestamp(clock(), UTC))


def _sort_at(post: _PostView) -> str | None:
    """Return the post's `sortAt` (the earlier of created and indexed), as `since` compares.

    None when neither time is readable: such a post does not move the cursor.
    """
    moments = [m for m in (_when(post.record.created_at), _when(post.indexed_at)) if m]
    if not moments:
        return None
    return min(moments).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _boundary(data: bytes, offset: int) -> bool:
    """Whether `offset` falls between two UTF-8 characters of `data`."""
    return offset == len(data) or (data[offset] & 0xC0) != 0x80


def _shortened(shown: str, uri: str) -> bool:
    """Whether `shown` is `uri` as the Bluesky app writes it: no scheme, maybe cut with "..."."""
    shown = shown.strip().lower()
    cut = shown.endswith(("...", "…"))
    shown = shown.removesuffix("...").removesuffix("…")
    if not shown:
        return False
    bare = _SCHEME.sub("", uri.lower())
    forms = (uri.lower(), bare, bare.removeprefix("www."))
    return any(form.startswith(shown) if cut else form == shown for form in forms)


def _full_links(text: str, facets: Any) -> str:
    """Put back the full address of each link that `text` shows shortened.

    A link facet marks the bytes [byteStart, byteEnd) of the UTF-8 text; those bytes are
    replaced by the facet's `uri` when they show that address (shortened or not), so words
    an author chose to link are kept. Facets of other kinds, out of range, cutting a
    character in two or overlapping another are left alone.
    """
    if not isinstance(facets, list):
        return text
    data = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) \
                or isinstance(end, bool) or not 0 <= start < end <= len(data) \
                or not (_boundary(data, start) and _boundary(data, end)):
            continue
        uri = next((f["uri"] for f in features if isinstance(f, dict)
                    and f.get("$type") == _LINK and isinstance(f.get("uri"), str)), None)
        if uri and _shortened(data[start:end].decode("utf-8"), uri):
            spans.append((start, end, uri))
    limit = len(data)
    for start, end, uri in sorted(spans, reverse=True):
        if end > limit:
            continue  # overlaps a link already put back
        data, limit = data[:start] + uri.encode("utf-8") + data[end:], start
    return data.decode("utf-8")


def _to_mention(post: _PostView, clock: Callable[[], float] = time.time) -> Mention:
    """Translate one app.bsky.feed.defs#postView into a Mention."""
    record = post.record
    author = post.author
    reply = record.reply
    extra: dict[str, Any] = {"cid": post.cid}
    if reply is not None:
        extra |= {"root_uri": reply.root.uri, "root_cid": reply.root.cid}
    langs = record.langs if isinstance(record.langs, list) else []
    return Mention(
        platform="bluesky",
        id=post.uri,
        text=_full_links(record.text, record.facets),
        url=POST_URL.format(handle=author.handle, rkey=post.uri.rsplit("/", 1)[-1]),
        author_id=author.did,
        author_handle=author.handle,
        author_name=author.display_name or "",
        published_at=_published(post, clock),
        lang_hint=langs[0] if langs and isinstance(langs[0], str) and langs[0] else None,
        kind="reply" if reply is not None else "post",
        conversation_id=reply.root.uri if reply is not None else post.uri,
        in_reply_to_id=reply.parent.uri if reply is not None else None,
        extra=extra,
    )
