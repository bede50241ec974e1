"""X (formerly Twitter): recent search plus the brand account's mentions; replies as posts.

Reads with the app's bearer token through tweepy's v2 Client, asked for plain JSON so that
one malformed post is skipped instead of failing the whole page. Replying needs the brand
account's OAuth 1.0a user tokens. The cursor is the newest post id seen, sent back as
`since_id`; X's ids grow with time, so one cursor serves both timelines.

X's v2 `text` is HTML-escaped (`&amp;`, `&lt;`, `&gt;`) and is unescaped here. A repost
("RT @user: ..." cut to 140 characters) is read as the post it reposts, taken whole from
`includes.tweets`; a quote post keeps its own text and carries the quoted one in `extra`
and `title`. X's language codes become ISO 639-1 (`in` is `id`) or no hint.
"""

from __future__ import annotations

import html
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
import tweepy
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors._query import fit_terms, keyword_terms, search_query, spec_languages
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

#: Every X API v2 path this connector reaches, with the tweepy.Client method that reaches it.
API_PATH = {
    "search": "/2/tweets/search/recent",  # search_recent_tweets
    "mentions": "/2/users/{id}/mentions",  # get_users_mentions
    "user_by_username": "/2/users/by/username/{username}",  # get_user
    "create_tweet": "/2/tweets",  # create_tweet
}
#: The X API access each of those paths needs (developer.x.com rate limits and "About the X
#: API" pages, 2025; since February 2026 pay-per-use credits are the other way in). Also
#: in README.md, X; the client-not-enrolled error names the one refused.
ACCESS = {
    "search": "Basic or above (Free: 1 request / 15 min, 100 posts a month)",
    "mentions": "Basic or above (Free: 1 request / 15 min, 100 posts a month)",
    "user_by_username": "Free or above (Free: 3 requests / 15 min; looked up once)",
    "create_tweet": "Basic or above for a team's volume (Free: 17 posts / 24 h per app)",
}

USER_CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
TIMEOUT = 30.0
QUERY_LIMIT = 512  # characters in a recent-search query (self-serve access levels)
#: `referenced_tweets.id` (+ `.author_id`) puts reposted, quoted and replied-to posts, and
#: their authors, in `includes`: a repost's own text is cut, the original's is whole.
_FIELDS = {
    "expansions": ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"],
    "tweet_fields": ["author_id", "created_at", "lang", "conversation_id", "referenced_tweets",
                     "note_tweet"],
    "user_fields": ["username", "name", "public_metrics"],
}
_HANDLE = re.compile(r"^(\d{1,20}|[A-Za-z0-9_]{1,15})$")
#: X's language codes that are not ISO 639-1, and (None) those that name no language:
#: undetermined, no linguistic content, mentions, cashtags, hashtags, media links or very
#: short text only, "art". Any other code that is not two letters is no hint either.
_LANGUAGE: dict[str, str | None] = {
    "in": "id", "iw": "he", "ji": "yi", "ckb": "ku",
    **dict.fromkeys(("und", "zxx", "qam", "qct", "qht", "qme", "qst", "art"), None),
}
#: Why X refused a reply, in its words, and what we tell the responder.
_REFUSALS = (
    ("duplicate", "X refused it as a duplicate of a post the account already published; "
                  "reword it, or check the thread: it may be there already"),
    ("deleted or not visible", "the post was deleted or is no longer visible to the brand account"),
    ("not been mentioned", "the author only lets people they mention reply to this conversation"),
)


class XOptions(BaseModel):
    """The `options:` of an X source."""

    model_config = ConfigDict(extra="forbid")

    mentions_of: str | None = Field(
        default=None, description="the brand account (@handle or numeric user id) whose "
        "mentions timeline is read besides the search")
    max_pages: int = Field(default=3, ge=1, le=20)
    max_results: int = Field(default=100, ge=10, le=100)

    @field_validator("mentions_of")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@")
        if not _HANDLE.match(value):
            raise ValueError(f"{value!r} is not an X account; write its handle like @acme "
                             "or its numeric user id")
        return value


class _Session(requests.Session):
    """A session with a timeout: tweepy sets none, and a hung read would block a worker."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


class XConnector(Connector):
    """Posts on X that match the query, and replies to them from the brand account."""

    platform: ClassVar[str] = "x"
    title: ClassVar[str] = "X"
    Options: ClassVar[type[BaseModel]] = XOptions
    credentials: ClassVar[tuple[str, ...]] = ("bearer_token",)
    optional_credentials: ClassVar[tuple[str, ...]] = USER_CREDENTIALS
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 280

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Wrap `client` (a tweepy.Client with return_type=dict), or build one when first used."""
        super().__init__(spec, client)
        self._clock = clock
        self._mentions_id: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            creds = self.spec.credentials
            if not creds.get("bearer_token"):
                raise AuthError(self.platform, "no bearer token: map credentials.bearer_token to "
                                "an environment variable holding the app's Bearer Token "
                                "(developer portal > your app > Keys and tokens)")
            client = tweepy.Client(bearer_token=creds["bearer_token"],
                                   **{name: creds.get(name) for name in USER_CREDENTIALS},
                                   return_type=dict, wait_on_rate_limit=False)
            client.session = _Session()
            self._client = client
        return self._client

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return posts newer than `cursor` (a post id), oldest first, and the newest id."""
        common = {"since_id": cursor, "max_results": self.options.max_results, **_FIELDS}
        languages = spec_languages(self.spec)
        query = search_query(self.platform, self.spec,
                             lambda keywords: _query_from_keywords(keywords, languages))
        with self._errors("read"):
            try:
                pages, truncated = self._read(self.client.search_recent_tweets, "next_token",
                                              {"query": query, **common})
            except tweepy.BadRequest as exc:
                # Recent search covers 7 days; an older since_id (a long outage) is refused.
                if not cursor or "since_id" not in _message(exc):
                    raise
                log.warning("%r: stored cursor is older than X's search window; reading "
                            "the last 7 days instead", self)
                pages, truncated = self._read(self.client.search_recent_tweets, "next_token",
                                              {"query": query, **common, "since_id": None})
            if self.options.mentions_of:
                more, cut = self._read(self.client.get_users_mentions, "pagination_token",
                                       {"id": self._account_id(), **common})
                pages, truncated = pages + more, truncated or cut
        return self._collect(pages, cursor, truncated)

    def _read(self, call: Callable[..., dict[str, Any]], token_param: str,
              params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """Follow `next_token` for at most `max_pages`; say whether more pages were left."""
        pages: list[dict[str, Any]] = []
        token = None
        for _ in range(self.options.max_pages):
            page = call(**params, **({token_param: token} if token else {}))
            pages.append(page)
            token = page.get("meta", {}).get("next_token")
            if not token:
                return pages, False
        return pages, True

    def _account_id(self) -> str:
        account = self.options.mentions_of
        if self._mentions_id is None:
            if account.isdigit():
                self._mentions_id = account
            else:
                user = self.client.get_user(username=account).get("data")
                if not user:
                    raise PlatformError(self.platform, f"there is no X account @{account}; "
                                        "check options.mentions_of")
                self._mentions_id = str(user["id"])
        return self._mentions_id

    def _collect(self, pages: list[dict[str, Any]], cursor: str | None,
                 truncated: bool) -> FetchResult:
        users = {u.get("id"): u for p in pages for u in p.get("includes", {}).get("users", [])}
        included = {str(t.get("id")): t for p in pages
                    for t in p.get("includes", {}).get("tweets", []) if isinstance(t, Mapping)}
        own = set(self.spec.own_handles)
        found: dict[str, Mention] = {}
        newest, skipped = int(cursor or 0), 0
        for page in pages:
            newest = max(newest, int(page.get("meta", {}).get("newest_id") or 0))
            for tweet in page.get("data", []):
                try:
                    mention = _read_post(tweet, users, included)
                except _Skipped as why:
                    log.info("%r: skipped post %s: %s", self, tweet.get("id"), why)
                    skipped += 1
                    newest = max(newest, int(tweet["id"]))
                    continue
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    log.warning("%r: skipped a malformed post %r: %r", self, tweet.get("id"), exc)
                    skipped += 1
                    continue
                newest = max(newest, int(tweet["id"]))
                if mention.author_handle.lower() in own:
                    continue
                earlier = found.get(mention.id)
                found[mention.id] = _merged(earlier, mention) if earlier else mention
        blind_spot = None
        if truncated and cursor:  # a first poll reads only the newest pages, on purpose
            blind_spot = (f"more new posts than {self.options.max_pages} pages; the older ones in "
                          "this poll were not read (raise options.max_pages or poll more often)")
        return FetchResult(mentions=sorted(found.values(), key=lambda m: int(m.id)),
                           cursor=str(newest) if newest else cursor, skipped=skipped,
                           blind_spot=blind_spot)

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Post `text` as a reply to the target post (X takes no idempotency key)."""
        missing = [name for name in USER_CREDENTIALS if not getattr(self.client, name, None)]
        if missing:
            raise AuthError(self.platform, "replying needs the brand account's user tokens: map "
                            f"credentials {', '.join(USER_CREDENTIALS)} to environment variables "
                            "(API Key and Secret, Access Token and Secret with Read and Write "
                            f"permission); missing: {', '.join(missing)}")
        with self._errors("reply"):
            body = self.client.create_tweet(text=text, in_reply_to_tweet_id=target.mention_id,
                                            user_auth=True)
        tweet_id = str(body["data"]["id"])
        account = self.spec.own_handles[0] if self.spec.own_handles else "i/web"
        return ReplyResult(id=tweet_id, url=f"https://x.com/{account}/status/{tweet_id}")

    def count_length(self, text: str) -> int:
        """Count as X does: each URL 23, CJK and other wide code points 2, an emoji 2."""
        return weighted_length(text)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn tweepy's and requests' exceptions into ours, with what to do next."""
        try:
            yield
        except tweepy.TooManyRequests as exc:
            reset = exc.response.headers.get("x-rate-limit-reset")
            retry_after = max(0.0, float(reset) - self._clock()) if reset else None
            raise RateLimited(self.platform, retry_after) from exc
        except tweepy.Unauthorized as exc:
            names = ", ".join(USER_CREDENTIALS) if action == "reply" else "bearer_token"
            raise AuthError(self.platform, f"X rejected the credentials (401: {_message(exc)}); "
                            f"check that {names} hold current values from the developer "
                            "portal") from exc
        except tweepy.TwitterServerError as exc:
            raise TemporaryPlatformError(self.platform, f"X failed ({_message(exc)}); "
                                         "will try again") from exc
        except tweepy.HTTPException as exc:
            raise _refusal(self.platform, action, exc) from exc
        except requests.RequestException as exc:
            raise TemporaryPlatformError(self.platform, "could not reach X "
                                         f"({type(exc).__name__}); will try again") from exc


def _refusal(platform: str, action: str, exc: tweepy.HTTPException) -> PlatformError:
    """Explain a 4xx other than 401 and 429."""
    message = _message(exc)
    lowered = message.lower()
    if isinstance(exc, tweepy.Forbidden) and _problem(exc).get("reason") == "client-not-enrolled":
        path = urlsplit(str(getattr(exc.response, "url", "") or "")).path
        endpoint = _endpoint(path)
        need = f"; {path} needs {ACCESS[endpoint]}" if endpoint else ""
        return AuthError(platform, f"X refused {path or 'the request'} (403 client-not-enrolled: "
                         "the app is not attached to a Project, or its access tier lacks this "
                         "endpoint): attach the app to a Project in the developer portal and use "
                         f"a tier that includes this endpoint{need}")
    if isinstance(exc, tweepy.Forbidden) and (action == "read" or "permission" in lowered
                                              or "enroll" in lowered):
        return AuthError(platform, f"X refused access (403: {message}); check the app's access "
                         "level (recent search needs a paid tier) and, to reply, that the app "
                         "has Read and Write permission and the tokens were made after setting it")
    if action == "reply":
        words = next((w for needle, w in _REFUSALS if needle in lowered), None)
        return ReplyRejected(platform, words or f"X would not publish the reply: {message}")
    return PlatformError(platform, f"X rejected the request ({message}); check the source's query "
                         "and options.mentions_of")


def _message(exc: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in exc.api_messages) or str(exc)


def _problem(exc: tweepy.HTTPException) -> Mapping[str, Any]:
    """The error body X sent (a problem object), or {} when it sent none."""
    try:
        body = exc.response.json()
    except (ValueError, AttributeError):
        return {}
    return body if isinstance(body, Mapping) else {}


def _endpoint(path: str) -> str | None:
    """Name the API_PATH entry that `path` (as requested) is, if any."""
    for name, template in API_PATH.items():
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path):  # no metacharacters
            return name
    return None


def _query_from_keywords(keywords: tuple[str, ...], languages: tuple[str, ...] = ()) -> str:
    """Build a search query: any form of the keywords, quoted, without reposts.

    Forms are those of `languages` (() means all); past X's query length the declined forms
    go first, then the last keywords, never part of a term.
    """
    return fit_terms("x", keyword_terms(keywords, languages), _any_of, QUERY_LIMIT)


def _any_of(terms: list[str]) -> str:
    quoted = " OR ".join(f'"{term}"' for term in terms)
    return f"({quoted}) -is:retweet" if len(terms) > 1 else f"{quoted} -is:retweet"


class _Skipped(Exception):
    """A well-formed post that gives no mention; the message says why."""


def _read_post(tweet: Mapping[str, Any], users: Mapping[Any, Mapping[str, Any]],
               included: Mapping[str, Mapping[str, Any]]) -> Mention:
    """Translate one post of `data`; a repost becomes the post it reposts.

    A repost is not the reposter's own words: its text is "RT @author: " and the original cut
    to 140 characters, and a reply to it would land under the reposter, not the author. So
    the mention is the original itself, whole from `includes.tweets` (its id, author, time
    and text), with `extra["reposted_by"]` and `extra["repost_ids"]` saying who reposted it.
    Sharing the original's id, the original found directly and through any number of
    reposts is one mention (here, and in the store across polls): one case, not one per
    repost. A repost whose original X left out (deleted, protected, withheld) is skipped.
    """
    if not str(tweet["id"]).isdigit():
        raise ValueError(f"post id {tweet['id']!r} is not numeric")
    reposted = _referenced(tweet, "retweeted")
    if reposted is None:
        return _to_mention(tweet, users, included)
    original = included.get(reposted)
    if original is None:
        raise _Skipped(f"a repost of {reposted}, which X did not include (deleted, protected "
                       "or withheld); the repost's own text is cut, so it is not read")
    mention = _to_mention(original, users, included)
    reposter = users.get(tweet["author_id"]) or {}
    return replace(mention, extra={**mention.extra, "repost_ids": [str(tweet["id"])],
                                   "reposted_by": [str(reposter.get("username")
                                                       or tweet["author_id"])]})


def _merged(earlier: Mention, later: Mention) -> Mention:
    """One mention of a post found more than once: the reposts that brought it, together."""
    extra = dict(earlier.extra)
    for key in ("repost_ids", "reposted_by"):
        both = [*earlier.extra.get(key, ()), *later.extra.get(key, ())]
        if both:
            extra[key] = list(dict.fromkeys(both))
    return replace(earlier, extra=extra)


def _referenced(tweet: Mapping[str, Any], kind: str) -> str | None:
    """The id of the post `tweet` refers to as `kind` (retweeted, quoted, replied_to)."""
    return next((str(r["id"]) for r in tweet.get("referenced_tweets") or ()
                 if r.get("type") == kind), None)


def _text(tweet: Mapping[str, Any]) -> str:
    """The post's whole text (a long post's `note_tweet`), HTML entities unescaped."""
    text = (tweet.get("note_tweet") or {}).get("text") or tweet["text"]
    if not isinstance(text, str):
        raise TypeError("post text is not a string")
    return html.unescape(text)


def _language(code: Any) -> str | None:
    """X's language code as ISO 639-1, or None where it names no language."""
    if not code:
        return None
    lang = _LANGUAGE.get(str(code).lower(), str(code).lower().split("-")[0])
    return lang if lang and len(lang) == 2 and lang.isalpha() else None


def _to_mention(tweet: Mapping[str, Any], users: Mapping[Any, Mapping[str, Any]],
                included: Mapping[str, Mapping[str, Any]] | None = None) -> Mention:
    """Translate one v2 post object, with its expanded author, into a Mention.

    A quote post is the quoting author's words: its own text is the text; the quoted post's
    text goes to `extra["quoted_text"]` and, as context (the way Hacker News comments carry
    their story's title), to `title` as "Quoting @author: ...".
    """
    tweet_id = str(tweet["id"])
    if not tweet_id.isdigit():
        raise ValueError(f"post id {tweet_id!r} is not numeric")
    text = _text(tweet)
    author = users[tweet["author_id"]]
    handle = str(author["username"])
    replied_to = _referenced(tweet, "replied_to")
    title, extra = "", dict[str, Any]()
    quoted_id = _referenced(tweet, "quoted")
    if quoted_id is not None:
        extra["quoted_id"] = quoted_id
        quoted = (included or {}).get(quoted_id)
        if quoted is not None:  # X leaves out a deleted or protected one
            extra["quoted_text"] = _text(quoted)
            quoted_handle = (users.get(quoted.get("author_id")) or {}).get("username")
            if quoted_handle:
                extra["quoted_author"] = str(quoted_handle)
            by = f" @{quoted_handle}" if quoted_handle else ""
            title = f"Quoting{by}: {extra['quoted_text']}"
    return Mention(
        platform="x",
        id=tweet_id,
        text=text,
        url=f"https://x.com/{handle}/status/{tweet_id}",
        author_id=str(author["id"]),
        author_handle=handle,
        author_name=str(author.get("name", "")),
        author_followers=author.get("public_metrics", {}).get("followers_count"),
        published_at=datetime.fromisoformat(tweet["created_at"]).astimezone(UTC),
        lang_hint=_language(tweet.get("lang")),
        kind="reply" if replied_to else "post",
        title=title,
        conversation_id=tweet.get("conversation_id"),
        in_reply_to_id=replied_to,
        extra=extra,
    )


_URL = re.compile(r"(?i)(?:https?://|www\.)\S+?(?=[.,;:!?'\")\]]*(?:\s|$))")
#: Code points X weighs 1; every other one weighs 2 (twitter-text v3 configuration).
_NARROW = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
#: Parts of an emoji sequence X counts with the emoji: joiner, variation selectors, skin tones.
_JOINED = {0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)}


def weighted_length(text: str) -> int:
    """Return X's weighted length of `text` (it may overcount rare emoji sequences, never under)."""
    text = unicodedata.normalize("NFC", text)
    length = 23 * len(_URL.findall(text))
    after_joiner = False
    for char in _URL.sub("", text):
        point = ord(char)
        if point in _JOINED or after_joiner:
            after_joiner = point == 0x200D
            continue
        length += 1 if any(lo <= point <= hi for lo, hi in _NARROW) else 2
    return length
