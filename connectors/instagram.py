"""Instagram (business or creator account): comments on the account's media, and media it is
tagged in, through the Instagram Graph API (Facebook Login for Business, graph.facebook.com).

Comments of each of the `max_media` newest media are read newest first with their replies
nested (`replies{...}`); media that tag the account come from `/{ig-user-id}/tags`. The
cursor is JSON: per feed, the newest timestamp seen with the ids at that time. A reply is
`POST /{ig-comment-id}/replies`; Instagram threads one level deep, so an answer to a reply goes
under its top-level comment.

@mentions of the account in other people's captions and comments cannot be listed: Meta sends
each by webhook (object `instagram`, field `mentions`, value `{"comment_id", "media_id"}` for a
comment, `{"media_id"}` for a caption) and `mentioned()` then reads it with
`GET /{ig-user-id}?fields=mentioned_comment.comment_id(...)` or `mentioned_media.media_id(...)`.
A reply to a mention on someone else's media is `POST /{ig-user-id}/mentions` with `media_id`
(and `comment_id` for a comment mention) and `message`.

Endpoints: https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies,
https://developers.facebook.com/docs/graph-api/reference/shadow-ig-user/tags/,
https://developers.facebook.com/docs/instagram-api/guides/comment-moderation,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_media,
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors import _graph
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import ReplyRejected

log = logging.getLogger(__name__)

#: Every Graph API path this connector reaches, after GRAPH_URL (graph.facebook.com/vXX.X/).
API_PATH = {
    "media": "{ig_user_id}/media",
    "comments": "{media_id}/comments",
    "tags": "{ig_user_id}/tags",
    "replies": "{comment_id}/replies",  # POST: reply
    "user": "{ig_user_id}",  # GET: mentioned_comment / mentioned_media (webhook mentions)
    "mentions": "{ig_user_id}/mentions",  # POST: reply to a mention on someone else's media
}
MEDIA_FIELDS = "id,caption,permalink,timestamp,username"
_COMMENT = "id,text,timestamp,username,from{id,username},parent_id"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"
TAG_FIELDS = "id,caption,permalink,timestamp,username,media_type"
PAGE_SIZE = 50
#: The webhook field that carries @mentions, and what is read of each (the Mentions API).
MENTIONS_FIELD = "mentions"
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,username,like_count,media{id,permalink,username}"
MENTIONED_MEDIA_FIELDS = "id,caption,timestamp,username,permalink,media_type"


class InstagramOptions(BaseModel):
    """The `options:` of an Instagram source."""

    model_config = ConfigDict(extra="forbid")

    ig_user_id: str = Field(min_length=1, pattern=r"^\d+$",
                            description="the Instagram professional account's id (GET "
                                        "/{page-id}?fields=instagram_business_account)")
    max_media: int = Field(default=10, ge=1, le=100,
                           description="newest media whose comments are read")
    tags: bool = Field(default=True, description="read media the account is tagged in")
    max_pages: int = Field(default=3, ge=1, le=50, description="pages of 50 per feed and poll")


class InstagramConnector(_graph.GraphConnector):
    """Comments on the brand's Instagram media and media tagging it; replies as the account."""

    platform: ClassVar[str] = "instagram"
    title: ClassVar[str] = "Instagram"
    Options: ClassVar[type[BaseModel]] = InstagramOptions
    credentials: ClassVar[tuple[str, ...]] = ("access_token",)
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 2200
    blind_spot: ClassVar[str | None] = (
        "Only comments on the account's newest options.max_media media are read, and replies "
        "only under the comments read; comments on stories are not available; @mentions in "
        "other people's captions and comments cannot be polled: they come by the mentions "
        "webhook (subscribe the Instagram object's `mentions` field) and are fetched then, so "
        "none arrive without it; hidden comments are not listed to replies.")
    renew_help: ClassVar[str] = ("Graph API Explorer with instagram_basic, "
                                 "instagram_manage_comments, pages_read_engagement, exchanged "
                                 "for a long-lived page token; see the README, Platforms > "
                                 "Instagram")
    permissions: ClassVar[Mapping[str, str]] = {
        "media": "instagram_basic", "comments": "instagram_manage_comments",
        "tags": "instagram_manage_comments", "reply": "instagram_manage_comments",
        "mentioned_comment": "instagram_manage_comments",
        "mentioned_media": "instagram_manage_comments",
    }

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return new comments and replies, and new media tagging the account, oldest first."""
        cursors = _graph.FeedCursors(cursor, self.platform)
        user_id = self.options.ig_user_id
        skipped = 0
        notes: list[str] = []
        media = self.call("GET", API_PATH["media"].format(ig_user_id=user_id), "media",
                          params={"fields": MEDIA_FIELDS, "limit": self.options.max_media})
        at = cursors.of("comments")
        comments: list[Mention] = []
        for item in media.get("data") or []:
            media_id = item.get("id") if isinstance(item, dict) else None
            if not media_id:
                skipped += 1
                log.warning("%r: skipped a media item without an id", self)
                continue
            read = self.pages(API_PATH["comments"].format(media_id=media_id),
                              {"fields": COMMENT_FIELDS, "limit": PAGE_SIZE}, "comments")
            mentions, bad, truncated = at.newest_first(
                self.options.max_pages, read, partial(self._comment, media=item), self._skip,
                _graph.published)
            skipped += bad
            comments += mentions
            # Replies nest under their comment: each is new or not by its own time.
            for comment in mentions:
                for reply in comment.extra.get("replies", ()):
                    try:
                        mention = self._comment(reply, media=item, parent=comment.id)
                    except (KeyError, TypeError, ValueError) as exc:
                        skipped += 1
                        self._skip(exc)
                        continue
                    if at.is_new(mention.published_at, mention.id):
                        comments.append(mention)
            if truncated:
                notes.append(f"media {media_id}: more new comments than "
                             f"{self.options.max_pages} pages (raise options.max_pages)")
        found = self._advance(cursors, "comments", comments)
        if self.options.tags:
            mentions, bad, truncated = cursors.of("tags").newest_first(
                self.options.max_pages,
                self.pages(API_PATH["tags"].format(ig_user_id=user_id),
                           {"fields": TAG_FIELDS, "limit": PAGE_SIZE}, "tags"),
                self._tagged, self._skip, _graph.published)
            skipped += bad
            if truncated:
                notes.append(f"tagged media: more new than {self.options.max_pages} pages")
            found += self._advance(cursors, "tags", mentions)
        found.sort(key=lambda m: (m.published_at, m.id))
        return FetchResult(found, cursors.dump(), skipped, "; ".join(notes) or None)

    def _advance(self, cursors: _graph.FeedCursors, feed: str,
                 mentions: list[Mention]) -> list[Mention]:
        mentions = sorted({m.id: m for m in mentions}.values(), key=lambda m: (m.published_at, m.id))
        cursors.advance(feed, mentions)
        own = {h.lower().lstrip("@") for h in self.spec.own_handles}
        return [_without_replies(m) for m in mentions
                if m.author_id != self.options.ig_user_id and m.author_handle.lower() not in own]

    def _comment(self, item: Mapping[str, Any], media: Mapping[str, Any],
                 parent: str | None = None) -> Mention:
        """Translate an IG comment (or a reply nested in one) into a Mention."""
        comment_id = str(item["id"])
        author = item.get("from") or {}
        username = str(item.get("username") or author.get("username") or "")
        parent_id = parent or item.get("parent_id")
        replies = (item.get("replies") or {}).get("data") or []
        extra: dict[str, Any] = {"feed": "comments", "comment_id": comment_id,
                                 "media_id": str(media["id"])}
        if parent_id:
            extra["parent_id"] = str(parent_id)
        if replies:
            extra["replies"] = list(replies)
        return Mention(
            platform=self.platform,
            id=comment_id,
            text=str(item["text"]),
            url=str(media.get("permalink") or ""),
            author_id=str(author.get("id") or ""),
            author_handle=username,
            author_name=username,
            published_at=_graph.parse_time(item["timestamp"]),
            kind="comment",
            title=str(media.get("caption") or "")[:200],
            conversation_id=str(media["id"]),
            in_reply_to_id=str(parent_id or media["id"]),
            extra=extra,
        )

    def _tagged(self, item: Mapping[str, Any]) -> Mention:
        """Translate a media item that tags the account into a Mention."""
        media_id = str(item["id"])
        username = str(item.get("username") or "")
        return Mention(
            platform=self.platform,
            id=media_id,
            text=str(item.get("caption") or ""),
            url=str(item.get("permalink") or ""),
            author_id="",
            author_handle=username,
            author_name=username,
            published_at=_graph.parse_time(item["timestamp"]),
            kind="post",
            conversation_id=media_id,
            extra={"feed": "tags", "media_id": media_id,
                   "media_type": str(item.get("media_type") or "")},
        )

    def mentioned(self, change: Mapping[str, Any]) -> list[Mention]:
        """The @mention a `mentions` webhook change speaks of, read with the Mentions API.

        `change` is what alerts.meta_webhook hands on: `{"field", "value", "entry_id"}` (the
        bare `value` is taken too). A comment mention (`comment_id` and `media_id`) becomes a
        "comment", a caption mention (`media_id` alone) a "post"; a change of another field,
        one without a media id, a malformed answer, or the account's own words give []. Graph
        errors are raised as by fetch (AuthError, RateLimited, ...).
        """
        value = change.get("value")
        if not isinstance(value, Mapping):
            value = change
        if str(change.get("field") or MENTIONS_FIELD) != MENTIONS_FIELD:
            return []
        media_id = str(value.get("media_id") or "")
        comment_id = str(value.get("comment_id") or "")
        if not media_id.isdigit() or (comment_id and not comment_id.isdigit()):
            log.warning("%r: ignored a mentions change without numeric ids", self)
            return []
        path = API_PATH["user"].format(ig_user_id=self.options.ig_user_id)
        if comment_id:
            edge = "mentioned_comment"
            fields = f"{edge}.comment_id({comment_id}){{{MENTIONED_COMMENT_FIELDS}}}"
        else:
            edge = "mentioned_media"
            fields = f"{edge}.media_id({media_id}){{{MENTIONED_MEDIA_FIELDS}}}"
        body = self.call("GET", path, edge, params={"fields": fields})
        try:
            mention = (self._mentioned_comment(body[edge], media_id) if comment_id
                       else self._mentioned_media(body[edge]))
        except (KeyError, TypeError, ValueError) as exc:
            self._skip(exc)
            return []
        return [] if self._own(mention.author_handle) else [mention]

    def _own(self, username: Any) -> bool:
        """Whether `username` is one of the brand's own handles on Instagram."""
        own = {h.lower().lstrip("@") for h in self.spec.own_handles}
        return bool(username) and str(username).lower().lstrip("@") in own

    def _mentioned_comment(self, item: Mapping[str, Any], media_id: str) -> Mention:
        """Translate a `mentioned_comment` answer into a Mention."""
        comment_id = str(item["id"])
        media = item.get("media") or {}
        media_id = str(media.get("id") or media_id)
        username = str(item.get("username") or "")
        return Mention(
            platform=self.platform,
            id=comment_id,
            text=str(item["text"]),
            url=str(media.get("permalink") or ""),
            author_id="",
            author_handle=username,
            author_name=username,
            published_at=_graph.parse_time(item["timestamp"]),
            kind="comment",
            conversation_id=media_id,
            in_reply_to_id=media_id,
            extra={"feed": "mentions", "mention": True, "comment_id": comment_id,
                   "media_id": media_id, "own_media": self._own(media.get("username"))},
        )

    def _mentioned_media(self, item: Mapping[str, Any]) -> Mention:
        """Translate a `mentioned_media` answer (a caption that @mentions us) into a Mention."""
        media_id = str(item["id"])
        username = str(item.get("username") or "")
        return Mention(
            platform=self.platform,
            id=media_id,
            text=str(item["caption"]),
            url=str(item.get("permalink") or ""),
            author_id="",
            author_handle=username,
            author_name=username,
            published_at=_graph.parse_time(item["timestamp"]),
            kind="post",
            conversation_id=media_id,
            extra={"feed": "mentions", "mention": True, "media_id": media_id,
                   "media_type": str(item.get("media_type") or ""), "own_media": False},
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Reply as the account under the comment (its top-level comment, for a reply); to an
        @mention on someone else's media, through `POST /{ig-user-id}/mentions`."""
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; Instagram "
                                f"takes {self.reply_limit}")
        if target.extra.get("feed") == "tags":
            raise ReplyRejected(self.platform, "a media item that tags the brand belongs to "
                                "another account; open it on Instagram and comment there")
        if target.extra.get("mention") and not target.extra.get("own_media"):
            return self._reply_to_mention(target, text)
        comment_id = str(target.extra.get("parent_id") or target.extra.get("comment_id")
                         or target.mention_id)
        body = self.call("POST", API_PATH["replies"].format(comment_id=comment_id), "reply",
                         data={"message": text})
        return ReplyResult(str(body.get("id") or ""), target.url or None)

    def _reply_to_mention(self, target: ReplyTarget, text: str) -> ReplyResult:
        media_id = str(target.extra.get("media_id") or target.conversation_id or "")
        if not media_id:
            raise ReplyRejected(self.platform, "the mention has no media id to reply under; "
                                "open it on Instagram and reply there")
        data = {"media_id": media_id, "message": text}
        if target.extra.get("comment_id"):
            data["comment_id"] = str(target.extra["comment_id"])
        body = self.call("POST", API_PATH["mentions"].format(ig_user_id=self.options.ig_user_id),
                         "reply", data=data)
        return ReplyResult(str(body.get("id") or ""), target.url or None)


def _without_replies(mention: Mention) -> Mention:
    """The mention without the raw replies it carried while the poll read them."""
    if "replies" not in mention.extra:
        return mention
    extra = {k: v for k, v in mention.extra.items() if k != "replies"}
    return replace(mention, extra=extra)
