"""YouTube: top-level comments on the brand's channel or videos, through the Data API v3.

Reading needs an API key; replying needs the channel's OAuth token (oauth_token, or a
refresh_token with client_id and client_secret so it renews itself). Comment threads come
newest first (order=time); the cursor is the newest change seen (updatedAt) with the ids at
that time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors import _google, _http
from connectors._cursor import ChangeCursor, gather, last_change
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

#: Every URL this connector builds itself; the API's own come from its discovery document.
API_URL = {
    "token": "https://oauth2.googleapis.com/token",
    "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
    "comment": "https://www.youtube.com/watch?v={video_id}&lc={comment_id}",
    "channel": "https://www.youtube.com/channel/{channel_id}",
}
OAUTH_CREDENTIALS = ("oauth_token", "refresh_token", "client_id", "client_secret")
PAGE_SIZE = 100
QUOTA_ZONE = "America/Los_Angeles"  # the daily quota resets at midnight Pacific time


class YouTubeOptions(BaseModel):
    """The `options:` of a YouTube source: the brand's channel, or a list of videos."""

    model_config = ConfigDict(extra="forbid")

    channel_id: str | None = Field(default=None, description="UC..., every video of the channel")
    video_ids: list[str] = Field(default_factory=list, description="only these videos")
    max_pages: int = Field(default=5, ge=1, le=100, description="pages of 100 per feed and poll")

    @model_validator(mode="after")
    def _one_feed(self) -> YouTubeOptions:
        if bool(self.channel_id) == bool(self.video_ids):
            raise ValueError("give either channel_id (the brand's channel) or video_ids")
        return self


class YouTubeConnector(Connector):
    """Comments under the brand's videos; a reply is a comment in the same thread."""

    platform: ClassVar[str] = "youtube"
    title: ClassVar[str] = "YouTube"
    Options: ClassVar[type[BaseModel]] = YouTubeOptions
    credentials: ClassVar[tuple[str, ...]] = ("api_key",)
    optional_credentials: ClassVar[tuple[str, ...]] = OAUTH_CREDENTIALS
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 10000
    private_channel: ClassVar[str | None] = None  # no private messages to move to
    blind_spot: ClassVar[str | None] = (
        "Only top-level comments are read, not the replies inside a thread; comments held for "
        "review or as likely spam are not listed; and as YouTube lists comments by when they "
        "were posted, an edit is seen only while the comment is among the newest."
    )

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Use `client` (a youtube v3 Resource) to read and reply, or build both when used."""
        super().__init__(spec, client)
        self._clock = clock
        self._writer: Any = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = build("youtube", "v3", developerKey=self.spec.credentials["api_key"],
                                 http=httplib2.Http(timeout=30), cache_discovery=False)
        return self._client

    def writer(self) -> Any:
        """The client that acts as the channel, built from its OAuth credentials."""
        creds = self.spec.credentials
        if not (creds.get("oauth_token") or creds.get("refresh_token")):
            raise AuthError(self.platform, "replying needs the channel's OAuth token: map "
                            "credentials.oauth_token, or refresh_token with client_id and "
                            "client_secret, to environment variables")
        if self._writer is None:
            user = Credentials(token=creds.get("oauth_token"),
                               refresh_token=creds.get("refresh_token"),
                               client_id=creds.get("client_id"),
                               client_secret=creds.get("client_secret"),
                               token_uri=API_URL["token"], scopes=[API_URL["scope"]])
            http = AuthorizedHttp(user, http=httplib2.Http(timeout=30))
            self._writer = build("youtube", "v3", http=http, cache_discovery=False)
        return self._writer

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return comments posted or edited since `cursor`, oldest change first."""
        position = ChangeCursor.parse(cursor)
        feeds = ([{"allThreadsRelatedToChannelId": self.options.channel_id}]
                 if self.options.channel_id else [{"videoId": v} for v in self.options.video_ids])
        found, skipped, notes = gather(
            feeds, lambda feed: self._fetch_feed(feed, position),
            lambda feed: str(next(iter(feed.values()))), "new comments", self.options.max_pages,
            last_change)
        cursor = position.advance(found, last_change)
        own = {_handle(h) for h in self.spec.own_handles}
        mentions = [m for m in found if m.author_id != self.options.channel_id
                    and _handle(m.author_handle) not in own]
        return FetchResult(mentions, cursor, skipped, "; ".join(notes) or None)

    def _fetch_feed(self, feed: Mapping[str, str],
                    position: ChangeCursor) -> tuple[list[Mention], int, bool]:
        """Read one channel's or video's threads until they reach what we have already."""
        def page(token: str | None) -> tuple[list[Any], str | None]:
            body = self._execute(self.client.commentThreads().list(
                part="snippet", order="time", textFormat="plainText", maxResults=PAGE_SIZE,
                pageToken=token, **feed), "read comments")
            return body.get("items") or [], body.get("nextPageToken")

        return position.newest_first(
            self.options.max_pages, page, self._to_mention,
            lambda exc: log.warning("%r: skipped a malformed comment thread: %r", self, exc),
            last_change)

    def _to_mention(self, thread: Mapping[str, Any]) -> Mention:
        """Translate a commentThread into a Mention of its top-level comment."""
        top = thread["snippet"]["topLevelComment"]
        snippet = top["snippet"]
        comment_id = str(top["id"])
        video_id = snippet.get("videoId") or thread["snippet"].get("videoId")
        channel_id = str(snippet.get("channelId") or thread["snippet"].get("channelId") or "")
        url = (API_URL["comment"].format(video_id=video_id, comment_id=comment_id) if video_id
               else API_URL["channel"].format(channel_id=channel_id))
        author = str(snippet.get("authorDisplayName") or "")
        return Mention(
            platform=self.platform,
            id=comment_id,
            text=str(snippet.get("textOriginal") or snippet["textDisplay"]),
            url=url,
            author_id=str((snippet.get("authorChannelId") or {}).get("value") or ""),
            author_handle=author,
            author_name=author,
            published_at=datetime.fromisoformat(snippet["publishedAt"]),
            edited_at=datetime.fromisoformat(snippet["updatedAt"]),
            kind="comment",
            conversation_id=video_id,
            extra={"video_id": video_id, "channel_id": channel_id, "parent_id": comment_id,
                   "can_reply": thread["snippet"].get("canReply", True)},
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Answer in the comment's thread, unless the same answer is already there.

        YouTube takes no idempotency key, so a retry after a lost response would post twice;
        reading the thread's replies first (1 quota unit, against 50 for posting) prevents it.
        """
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; YouTube "
                                f"takes at most {self.reply_limit}")
        if target.extra.get("can_reply") is False:
            raise ReplyRejected(self.platform, "replies are turned off on this video")
        parent = str(target.extra.get("parent_id") or target.mention_id)
        video_id = target.extra.get("video_id")
        writer = self.writer()
        replies = self._execute(writer.comments().list(
            part="snippet", parentId=parent, maxResults=100, textFormat="plainText"), "reply")
        for existing in replies.get("items") or []:
            if (existing.get("snippet") or {}).get("textOriginal") == text:
                return ReplyResult(str(existing["id"]), _reply_url(video_id, existing["id"]))
        created = self._execute(writer.comments().insert(
            part="snippet", body={"snippet": {"parentId": parent, "textOriginal": text}}), "reply")
        return ReplyResult(str(created["id"]), _reply_url(video_id, created["id"]))

    def _execute(self, request: Any, action: str) -> dict[str, Any]:
        """Run one API request, turning Google's failures into ours."""
        return _google.execute(request, self.platform, "YouTube", lambda exc: self._error(exc, action),
                               "Google would not renew the channel's token; authorise again and "
                               "renew refresh_token")

    def _error(self, exc: HttpError, action: str) -> PlatformError:
        """Explain an HTTP error from the YouTube Data API."""
        status = exc.resp.status
        message, reason = _google.error_parts(exc)
        if reason == "quotaExceeded":
            return RateLimited(self.platform, _until_quota_reset(self._clock()))
        if status == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            return RateLimited(self.platform, _http.retry_after(exc.resp, self._clock()))
        if status >= 500:
            return TemporaryPlatformError(self.platform, f"YouTube failed ({status}: {message}); "
                                          "will try again")
        if "API key" in message or reason in ("keyInvalid", "keyExpired"):
            return AuthError(self.platform, f"Google refused the API key ({message}); renew "
                             "api_key")
        if status == 401 or reason in ("insufficientPermissions", "ineligibleAccount", "forbidden"):
            return AuthError(self.platform, f"YouTube refused the channel's token ({status}: "
                             f"{message}); renew oauth_token (or refresh_token), authorised for "
                             "the brand's channel with the youtube.force-ssl scope")
        if reason == "commentsDisabled":
            if action == "reply":
                return ReplyRejected(self.platform, "comments are turned off on this video")
            return PlatformError(self.platform, "comments are turned off on one of "
                                 "options.video_ids; remove it")
        if action == "reply":
            if status == 404:
                return ReplyRejected(self.platform, "the comment no longer exists on YouTube")
            return ReplyRejected(self.platform, f"YouTube refused the reply: {message}")
        if status == 403:
            return AuthError(self.platform, f"YouTube refused to {action} (403: {message}); "
                             "check that api_key's project has the YouTube Data API enabled")
        return PlatformError(self.platform, f"YouTube refused the request ({status}: {message}); "
                             "check options.channel_id and options.video_ids")


def _handle(name: str) -> str:
    return name.strip().lstrip("@").lower()


def _reply_url(video_id: str | None, comment_id: str) -> str | None:
    return API_URL["comment"].format(video_id=video_id, comment_id=comment_id) if video_id else None


def _until_quota_reset(now: float) -> float:
    """Seconds to the next midnight Pacific time, when YouTube restores the daily quota."""
    zone = ZoneInfo(QUOTA_ZONE)
    tomorrow = datetime.fromtimestamp(now, zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, clock_time(), zone).timestamp() - now


