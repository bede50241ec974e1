"""RSS and Atom feeds: Google Alerts, news searches, a blog's comments, any feed at all.

Each feed is fetched with httpx (sending the ETag and Last-Modified it answered last time,
so an unchanged feed costs a 304) and parsed by feedparser. The cursor is JSON: per feed URL,
the newest entry time seen and the validators to send next. Feeds offer no way to answer,
so alerts link to the article instead.

RSS 2.0 makes an item's `pubDate` optional. An entry without a date of its own is dated by
its channel (`pubDate`, else `lastBuildDate`; an Atom feed's `updated`), else by the time of
the fetch, and `extra["dated_by"]` says which ("entry", "feed" or "fetch"). Such an entry
neither moves the cursor nor is held back by it: it is read on every poll, and the store,
which keeps a mention once per id, drops the repeats. An entry's id is its guid, else its
link, else a hash of the feed and its title. FeedBurner entries link to the article
(`feedburner:origLink`), Google Alerts entries to the page behind Google's redirect.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import feedparser
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors import _http
from connectors._html import html_to_text
from monitor.domain import FetchResult, Mention
from monitor.errors import PlatformError
from monitor.names import NameMatcher

log = logging.getLogger(__name__)


class RssOptions(BaseModel):
    """The `options:` of a feed source."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(min_length=1, description="the feeds to read (RSS or Atom)")
    require_keyword: bool = Field(
        default=False, description="keep only entries that name one of the brand's keywords; "
        "for general news feeds (a Google Alerts feed matches already)")

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{url!r} is not a feed address; write the full URL, "
                                 "like https://www.google.com/alerts/feeds/.../...")
        return value


@dataclass
class _FeedState:
    """What the cursor remembers about one feed."""

    newest: datetime | None = None
    etag: str | None = None
    modified: str | None = None


@dataclass
class _Read:
    """One feed's poll: its new entries, what was skipped, and the state to keep."""

    state: _FeedState
    mentions: list[Mention] = field(default_factory=list)
    skipped: int = 0


class _Unreadable(Exception):
    """One feed failed in a way that retrying soon will not fix (gone, not a feed)."""


class RssConnector(_http.HttpConnector):
    """Entries of RSS and Atom feeds; read only."""

    platform: ClassVar[str] = "rss"
    title: ClassVar[str] = "RSS/Atom feed"
    Options: ClassVar[type[BaseModel]] = RssOptions
    can_reply: ClassVar[bool] = False
    private_channel: ClassVar[str | None] = None  # no private messages to move to
    blind_spot: ClassVar[str | None] = (
        "a feed lists only its latest entries, and Google Alerts picks only part of the web; "
        "what a feed drops between two polls is never seen")

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return entries newer than each feed's last newest entry, oldest first."""
        states = _load(cursor)
        mentions: list[Mention] = []
        skipped = 0
        failures: list[str] = []
        for url in self.options.urls:
            try:
                read = self._read(url, states.get(url, _FeedState()))
            except _Unreadable as exc:
                log.warning("%r: %s", self, exc)
                failures.append(str(exc))
                continue
            states[url] = read.state
            mentions += read.mentions
            skipped += read.skipped
        if failures and len(failures) == len(self.options.urls):
            raise PlatformError(self.platform, "; ".join(failures))
        blind_spot = self.blind_spot
        if failures:
            blind_spot = f"{len(failures)} of {len(self.options.urls)} feeds unread: " + "; ".join(
                failures)
        unique = {m.id: m for m in mentions}
        return FetchResult(mentions=sorted(unique.values(), key=lambda m: (m.published_at, m.id)),
                           cursor=_dump(states), skipped=skipped, blind_spot=blind_spot)

    def _read(self, url: str, state: _FeedState) -> _Read:
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.modified:
            headers["If-Modified-Since"] = state.modified
        response = _http.get(self.client, self.platform, url, headers=headers, now=self._clock())
        if response.status_code == 304:
            return _Read(state)
        if response.status_code >= 400:
            raise _Unreadable(f"{url} answered HTTP {response.status_code}; check the address "
                              "in options.urls")
        parsed = feedparser.parse(response.content, response_headers={
            "content-location": str(response.url),
            "content-type": response.headers.get("content-type", "application/xml"),
        })
        if not parsed.get("version") and not parsed.entries:
            raise _Unreadable(f"{url} is not an RSS or Atom feed; check the address in "
                              "options.urls")
        read = _Read(_FeedState(state.newest, response.headers.get("etag"),
                                response.headers.get("last-modified")))
        own = set(self.spec.own_handles)
        feed = parsed.get("feed", {})
        fetched = datetime.fromtimestamp(self._clock(), UTC)
        for entry in parsed.entries:
            try:
                mention = _to_mention(entry, url, feed, fetched)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                log.warning("%r: skipped a malformed entry %r in %s: %r", self,
                            entry.get("id") or entry.get("link"), url, exc)
                read.skipped += 1
                continue
            if mention.extra.get("dated_by") == "entry":
                if state.newest is not None and mention.published_at <= state.newest:
                    continue
                read.state.newest = max(read.state.newest or mention.published_at,
                                        mention.published_at)
            if mention.author_handle.lower() in own or not self._wanted(mention):
                continue
            read.mentions.append(mention)
        return read

    def _wanted(self, mention: Mention) -> bool:
        if not self.options.require_keyword:
            return True
        return self._names.search(f"{mention.title}\n{mention.text}")

    @cached_property
    def _names(self) -> NameMatcher:
        """The brand's keywords and handles, compiled on first use."""
        return NameMatcher(self.spec.keywords, self.spec.own_handles)


def _load(cursor: str | None) -> dict[str, _FeedState]:
    if not cursor:
        return {}
    try:
        raw = json.loads(cursor)
        return {url: _FeedState(datetime.fromisoformat(s["newest"]) if s.get("newest") else None,
                                s.get("etag"), s.get("modified"))
                for url, s in raw.items()}
    except (ValueError, TypeError, AttributeError, KeyError):
        log.warning("rss: ignored a cursor that is not this connector's JSON: %r", cursor)
        return {}


def _dump(states: Mapping[str, _FeedState]) -> str:
    return json.dumps({url: {"newest": s.newest.isoformat() if s.newest else None,
                             "etag": s.etag, "modified": s.modified}
                       for url, s in states.items()}, sort_keys=True)


def _to_mention(entry: Mapping[str, Any], feed_url: str, feed: Mapping[str, Any],
                fetched: datetime) -> Mention:
    """Translate one feedparser entry into a Mention."""
    title = _plain(entry, "title")
    link = _link(entry)
    entry_id = entry.get("id") or link or _digest(feed_url, title or _plain(entry, "summary"))
    when, dated_by = _dated(entry, feed, fetched)
    url = link or _unwrap(str(feed.get("link") or feed_url))
    host = urlsplit(url).hostname or urlsplit(feed_url).hostname or feed_url
    language = str(feed.get("language") or "").split("-")[0].split("_")[0].lower() or None
    return Mention(
        platform="rss",
        id=str(entry_id),
        text=_plain(entry, "summary") or title,
        url=url,
        author_id=host,
        author_handle=host,
        author_name=str(entry.get("author") or feed.get("title") or host),
        published_at=when,
        lang_hint=language,
        kind="article",
        title=title,
        extra={"feed": feed_url, "dated_by": dated_by},
    )


def _link(entry: Mapping[str, Any]) -> str | None:
    """The article's address: FeedBurner's original link, else the entry's (unwrapped)."""
    for name in ("feedburner_origlink", "link"):
        value = entry.get(name)
        if isinstance(value, str) and value.strip():
            return _unwrap(value.strip())
    return None


def _digest(feed_url: str, words: str) -> str:
    """An id for an entry that has neither a guid nor a link: a hash of its feed and title
    (its description when it has no title), stable while those are."""
    if not words:
        raise KeyError("entry has no id, no link, no title and no description")
    return "sha256:" + hashlib.sha256(f"{feed_url}\n{words}".encode()).hexdigest()


def _dated(entry: Mapping[str, Any], feed: Mapping[str, Any],
           fetched: datetime) -> tuple[datetime, str]:
    """When the entry was published, and what told: the entry, its feed, or the fetch."""
    when = _parsed_time(entry)
    if when is not None:
        return when, "entry"
    channel = _parsed_time(feed)
    if channel is not None:
        return min(channel, fetched), "feed"
    return fetched, "fetch"


def _parsed_time(item: Mapping[str, Any]) -> datetime | None:
    parsed: time.struct_time | None = item.get("published_parsed") or item.get("updated_parsed")
    return None if parsed is None else datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _plain(entry: Mapping[str, Any], name: str) -> str:
    value = str(entry.get(name) or "")
    detail = entry.get(f"{name}_detail") or {}
    return value.strip() if detail.get("type") == "text/plain" else html_to_text(value)


def _unwrap(link: str) -> str:
    """Return the article behind a Google Alerts redirect (google.com/url?url=...)."""
    parts = urlsplit(link)
    if (parts.hostname or "").endswith("google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url")
        if target:
            return target[0]
    return link
