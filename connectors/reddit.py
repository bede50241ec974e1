"""Reddit: posts from keyword search and newest comments, in chosen subreddits or everywhere.

Talks to Reddit through praw (sign-in, token refresh, pacing) but reads the raw JSON, so one
malformed item is skipped instead of failing a page. Search does not cover comments, so with
`include_comments` the newest comments are read and matched against the brand keywords here.

The cursor is the `created_utc` (whole seconds) of the newest item seen. Search indexes posts
with a delay, so each poll reads back `OVERLAP` seconds before the cursor; the store drops
the posts it already has (it dedups on platform and id). A mention's id is Reddit's fullname
(`t3_...` for a post, `t1_...` for a comment), which is also what a reply is addressed to.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

import praw
import prawcore
import requests
from praw.exceptions import RedditAPIException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors._http import retry_after
from connectors._query import fit_terms, keyword_terms, search_query, spec_languages
from connectors.base import Connector
from monitor import __version__
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

#: Every Reddit API path this connector reaches (praw signs in at api/v1/access_token).
API_PATH = {
    "search": "r/{subreddits}/search",  # posts matching q, newest first
    "comments": "r/{subreddits}/comments",  # newest comments
    "reply": "api/comment/",  # answer a post (t3_) or a comment (t1_)
}

SITE = "https://www.reddit.com"
OVERLAP = 600
PAGE_SIZE = 100
QUERY_LIMIT = 512  # characters Reddit's search takes in q
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_GONE = {"[deleted]", "[removed]"}
_WAIT = re.compile(r"(\d+) (milli)?(second|minute)")
#: Reddit's error codes for a refused reply, and what we tell the responder.
_REFUSALS = {
    "THREAD_LOCKED": "moderators locked the thread; it takes no new comments",
    "DELETED_COMMENT": "the comment was deleted",
    "DELETED_LINK": "the post was deleted",
    "TOO_OLD": "the post is archived (too old to comment on)",
    "TOO_LONG": "the reply is longer than Reddit's 10000 characters; shorten it",
    "USER_BLOCKED": "the author has blocked the brand account",
}


class RedditOptions(BaseModel):
    """The `options:` of a Reddit source."""

    model_config = ConfigDict(extra="forbid")

    subreddits: list[str] = Field(default_factory=list, description="empty: all of Reddit")
    include_comments: bool = True
    max_pages: int = Field(default=3, ge=1, le=10)

    @field_validator("subreddits")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [name.strip().removeprefix("/").removeprefix("r/") for name in value]
        for name in names:
            if not _SUBREDDIT.match(name):
                raise ValueError(f"{name!r} is not a subreddit name; write names like r/acme")
        return names


class RedditConnector(Connector):
    """Reddit posts and comments that mention the brand; replies as comments."""

    platform: ClassVar[str] = "reddit"
    title: ClassVar[str] = "Reddit"
    Options: ClassVar[type[BaseModel]] = RedditOptions
    credentials: ClassVar[tuple[str, ...]] = ("client_id", "client_secret")
    optional_credentials: ClassVar[tuple[str, ...]] = ("username", "password")
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 10_000

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Wrap `client` (a praw.Reddit), or build one from the credentials when first used."""
        super().__init__(spec, client)
        self._clock = clock
        self._resume_at = 0.0
        self._keywords = NameMatcher(spec.keywords, spec.own_handles) if spec.keywords else None

    @property
    def client(self) -> Any:
        if self._client is None:
            creds: dict[str, Any] = {k: v for k, v in self.spec.credentials.items() if v}
            missing = [name for name in self.credentials if name not in creds]
            if missing:
                raise AuthError(self.platform, f"no {' or '.join(missing)}: map credentials."
                                f"{missing[0]} to an environment variable holding the value from "
                                "reddit.com/prefs/apps (a 'script' app)")
            session = requests.Session()
            # Seeing the limit run out lets fetch() report it instead of praw sleeping it off.
            session.hooks["response"].append(self._note_limit)
            by = f"; by /u/{creds['username']}" if "username" in creds else ""
            self._client = praw.Reddit(
                **creds, user_agent=f"python:brand-monitor:{__version__} (self-hosted{by})",
                check_for_updates=False, check_for_async=False, ratelimit_seconds=0,
                requestor_kwargs={"session": session})
        return self._client

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return posts (and comments) since `cursor`, oldest first, and the newest created_utc."""
        since = float(cursor) - OVERLAP if cursor else None
        where = "+".join(self.options.subreddits) or "all"
        languages = spec_languages(self.spec)
        query = search_query(self.platform, self.spec,
                             lambda keywords: _query_from_keywords(keywords, languages))
        search: dict[str, str | int] = {"q": query, "sort": "new", "t": "all", "type": "link",
                                        "limit": PAGE_SIZE}
        if self.options.subreddits:
            search["restrict_sr"] = "true"
        with self._errors("read"):
            things, truncated = self._read(API_PATH["search"].format(subreddits=where), search,
                                           since)
            if self.options.include_comments and self._keywords:
                comments, cut = self._read(API_PATH["comments"].format(subreddits=where),
                                           {"limit": PAGE_SIZE}, since)
                things += [c for c in comments if self._keywords.search(_body(c))]
                truncated = truncated or cut
        return self._collect(things, cursor, since, truncated)

    def _read(self, path: str, params: Mapping[str, str | int],
              since: float | None) -> tuple[list[Any], bool]:
        """Page through a listing, newest first, until `since` or `max_pages`."""
        things: list[Any] = []
        after = None
        for _ in range(self.options.max_pages):
            self._check_limit()
            listing = self.client.request(method="GET", path=path,
                                          params={**params, **({"after": after} if after else {})})
            page = listing["data"]["children"]
            things += page
            after = listing["data"].get("after")
            times = [t["data"]["created_utc"] for t in page
                     if isinstance(t.get("data", {}).get("created_utc"), int | float)]
            if not after or (since is not None and times and min(times) <= since):
                return things, False
        return things, since is not None

    def _collect(self, things: list[Any], cursor: str | None, since: float | None,
                 truncated: bool) -> FetchResult:
        own = set(self.spec.own_handles)
        found: dict[str, Mention] = {}
        newest, skipped = float(cursor or 0), 0
        for thing in things:
            why = _gone(thing)
            if why:
                # Deleted or removed: nothing to answer, and a deleted comment lacks fields
                # (permalink, link_title) a live one has. It still counts as seen.
                stamp = _created(thing)
                newest = max(newest, stamp) if stamp is not None else newest
                log.info("%r: left out %r: %s", self, _name(thing), why)
                continue
            try:
                mention = _to_mention(thing)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("%r: skipped a malformed item %r: %r", self, _name(thing), exc)
                skipped += 1
                continue
            stamp = mention.published_at.timestamp()
            newest = max(newest, stamp)
            gone = mention.author_handle in _GONE or mention.text in _GONE
            if (since is None or stamp > since) and not gone and \
                    mention.author_handle.lower() not in own:
                found[mention.id] = mention
        blind_spot = None
        if truncated:
            blind_spot = (f"more new posts or comments than {self.options.max_pages} pages; the "
                          "older ones in this poll were not read (list subreddits, raise "
                          "options.max_pages or poll more often)")
        return FetchResult(mentions=sorted(found.values(), key=lambda m: (m.published_at, m.id)),
                           cursor=str(int(newest)) if newest else cursor, skipped=skipped,
                           blind_spot=blind_spot)

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Comment `text` under the target post or comment (Reddit takes no idempotency key)."""
        if self.client.read_only:
            raise AuthError(self.platform, "replying needs the brand's Reddit account: map "
                            "credentials username and password to environment variables (the "
                            "app must be a 'script' app of that account)")
        fullname = str(target.extra.get("fullname") or target.mention_id)
        with self._errors("reply"):
            self._check_limit()
            body = self.client.request(method="POST", path=API_PATH["reply"],
                                       data={"thing_id": fullname, "text": text})
        answer = body.get("json") if isinstance(body, dict) else None
        answer = answer if isinstance(answer, dict) else {}
        errors = answer.get("errors") or []
        if errors:
            raise _refusal([(e[0], e[1]) for e in errors])
        return _published(answer, fullname)

    def _note_limit(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and reset is not None and float(remaining) < 1:
            self._resume_at = self._clock() + float(reset)

    def _check_limit(self) -> None:
        wait = self._resume_at - self._clock()
        if wait > 0:
            raise RateLimited(self.platform, wait)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn praw's and prawcore's exceptions into ours, with what to do next."""
        p = self.platform
        try:
            yield
        except prawcore.TooManyRequests as exc:
            raise RateLimited(p, retry_after(exc.response.headers, self._clock())) from exc
        except prawcore.OAuthException as exc:
            raise AuthError(p, f"Reddit refused to sign in ({exc.error}); check username and "
                            "password, and that the app is a 'script' app of that account") from exc
        except (prawcore.ServerError, prawcore.RequestException) as exc:
            raise TemporaryPlatformError(p, f"Reddit failed or could not be reached "
                                         f"({type(exc).__name__}); will try again") from exc
        except prawcore.Redirect as exc:
            raise PlatformError(p, "a subreddit in options.subreddits does not exist; "
                                "check the names") from exc
        except prawcore.ResponseException as exc:
            raise _http_refusal(p, action, exc.response.status_code) from exc
        except RedditAPIException as exc:
            raise _refusal([(item.error_type, item.message or "") for item in exc.items]) from exc


def _published(answer: Mapping[str, Any], fullname: str) -> ReplyResult:
    """What Reddit told of a comment it accepted (an answer without errors).

    Reddit may accept a comment and list no `things` for it (praw's `reply()` then returns
    None; its docs say the comment was created, in a quarantined subreddit for one). The
    reply is published all the same: it is reported with what is known, no id and no URL,
    rather than failing after the fact and leaving the case unmarked.
    """
    data = answer.get("data")
    things = data.get("things") if isinstance(data, dict) else None
    first = things[0] if isinstance(things, list) and things else None
    comment = first.get("data") if isinstance(first, dict) else None
    name = comment.get("name") if isinstance(comment, dict) else None
    if not isinstance(comment, dict) or not isinstance(name, str) or not name:
        log.info("reddit: the reply to %s was accepted, but Reddit sent back no comment; "
                 "published without its id or URL", fullname)
        return ReplyResult(id="", url=None)
    permalink = comment.get("permalink")
    return ReplyResult(id=name, url=SITE + permalink if isinstance(permalink, str) else None)


def _http_refusal(platform: str, action: str, status: int) -> PlatformError:
    if status == 401:
        return AuthError(platform, "Reddit rejected the credentials (401); check client_id and "
                         "client_secret (reddit.com/prefs/apps), and username and password")
    if action == "reply" and status in (403, 404):
        return ReplyRejected(platform, f"Reddit refused the reply ({status}): the post or comment "
                             "is gone, or the account is banned from that subreddit")
    if status == 403:
        return PlatformError(platform, "Reddit refused access (403): a subreddit in "
                             "options.subreddits may be private, quarantined or banned")
    return PlatformError(platform, f"Reddit answered {status}; check the source's query")


def _refusal(errors: list[tuple[str, str]]) -> PlatformError:
    """Explain why Reddit would not publish a reply."""
    for code, message in errors:
        if code == "RATELIMIT":
            wait = _WAIT.search(message or "")
            seconds = None
            if wait:
                seconds = 1 if wait[2] else int(wait[1]) * (60 if wait[3] == "minute" else 1)
            return RateLimited("reddit", seconds)
    code, message = errors[0]
    return ReplyRejected("reddit", _REFUSALS.get(code)
                         or f"Reddit would not publish the reply: {message} ({code})")


def _query_from_keywords(keywords: tuple[str, ...], languages: tuple[str, ...] = ()) -> str:
    """Build a search query: any form of the keywords, quoted.

    Forms are those of `languages` (() means all); past Reddit's query length the declined
    forms go first, then the last keywords, never part of a term.
    """
    return fit_terms("reddit", keyword_terms(keywords, languages),
                     lambda terms: " OR ".join(f'"{term}"' for term in terms), QUERY_LIMIT)


def _body(thing: Any) -> str:
    body = thing.get("data", {}).get("body") if isinstance(thing, dict) else None
    return body if isinstance(body, str) else ""


def _name(thing: Any) -> Any:
    return thing.get("data", {}).get("name") if isinstance(thing, dict) else None


def _gone(thing: Any) -> str | None:
    """Why a listing child is left out before it is read: its author or body was deleted."""
    data = thing.get("data") if isinstance(thing, dict) else None
    if not isinstance(data, dict):
        return None
    for field, marker in (("body", data.get("body")), ("author", data.get("author"))):
        if marker in _GONE:
            what = "comment" if thing.get("kind") == "t1" else "post"
            whose = "" if field == "body" else "'s author"
            return f"the {what}{whose} was {marker.strip('[]')}"
    return None


def _created(thing: Mapping[str, Any]) -> float | None:
    created = thing["data"].get("created_utc")
    return float(created) if isinstance(created, int | float) else None


def _to_mention(thing: Mapping[str, Any]) -> Mention:
    """Translate one listing child (t3 post or t1 comment) into a Mention."""
    data = thing["data"]
    if thing["kind"] == "t3":
        title, body = data["title"], data.get("selftext") or ""
        text = f"{title}\n\n{body}" if body else title
        conversation, parent, kind = data["name"], None, "post"
    elif thing["kind"] == "t1":
        title, text = data.get("link_title", ""), data["body"]
        conversation, parent, kind = data["link_id"], data["parent_id"], "comment"
    else:
        raise ValueError(f"unexpected kind {thing['kind']!r}")
    if not isinstance(text, str) or not isinstance(data["name"], str):
        raise TypeError("text and name must be strings")
    return Mention(
        platform="reddit",
        id=data["name"],
        text=text,
        url=SITE + data["permalink"],
        author_id=str(data.get("author_fullname") or ""),
        author_handle=str(data["author"]),
        published_at=datetime.fromtimestamp(float(data["created_utc"]), UTC),
        kind=kind,
        title=str(title),
        conversation_id=conversation,
        in_reply_to_id=parent,
        extra={"fullname": data["name"], "subreddit": data.get("subreddit")},
    )
