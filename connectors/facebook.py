"""Facebook Page: comments on the page's recent posts, visitor posts and posts tagging the page.

Reads the Graph API with a page access token. Comments of each of the `max_posts` newest page
posts are read as one stream (`filter=stream`, replies included, each with its `parent`),
newest first; visitor posts and posts that tag the page likewise. The cursor is JSON: per feed,
the newest creation time seen with the ids at that time. A reply is a comment under the
comment (or under the post, for a visitor or tagged post); `hide()` hides a comment from
everyone but its author and their friends.

Endpoints: https://developers.facebook.com/docs/graph-api/reference/page/feed,
https://developers.facebook.com/docs/graph-api/reference/page/visitor_posts/,
https://developers.facebook.com/docs/graph-api/reference/page/tagged,
https://developers.facebook.com/docs/graph-api/reference/object/comments/,
https://developers.facebook.com/docs/graph-api/reference/comment/.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors import _graph
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import ReplyRejected

log = logging.getLogger(__name__)

#: Every Graph API path this connector reaches, after GRAPH_URL (graph.facebook.com/vXX.X/).
API_PATH = {
    "posts": "{page_id}/posts",
    "comments": "{post_id}/comments",  # GET: read; POST: reply
    "visitor_posts": "{page_id}/visitor_posts",
    "tagged": "{page_id}/tagged",
    "comment": "{comment_id}",  # POST is_hidden=true: hide
}
POST_FIELDS = "id,message,created_time,permalink_url"
COMMENT_FIELDS = "id,message,created_time,from{id,name},permalink_url,parent{id}"
ITEM_FIELDS = "id,message,created_time,updated_time,from{id,name},permalink_url"
PAGE_SIZE = 100
POST_URL = "https://www.facebook.com/{object_id}"


class FacebookOptions(BaseModel):
    """The `options:` of a Facebook Page source."""

    model_config = ConfigDict(extra="forbid")

    page_id: str = Field(min_length=1, pattern=r"^\d+$",
                         description="the page's numeric id (Page > About > Page transparency)")
    max_posts: int = Field(default=10, ge=1, le=100,
                           description="newest page posts whose comments are read")
    visitor_posts: bool = Field(default=True, description="read posts visitors left on the page")
    tagged: bool = Field(default=True, description="read public posts that tag the page")
    max_pages: int = Field(default=3, ge=1, le=50, description="pages of 100 per feed and poll")


class FacebookConnector(_graph.GraphConnector):
    """Comments and posts about the brand's Facebook Page; replies as the page."""

    platform: ClassVar[str] = "facebook"
    title: ClassVar[str] = "Facebook"
    Options: ClassVar[type[BaseModel]] = FacebookOptions
    credentials: ClassVar[tuple[str, ...]] = ("page_access_token",)
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 8000
    blind_spot: ClassVar[str | None] = (
        "Only comments on the page's newest options.max_posts posts are read: comments on "
        "older posts, and on ads and unpublished (dark) posts, which need ads permissions, "
        "are not seen; hidden comments and comments Facebook filtered as spam are not listed; "
        "an edited comment is not read again.")
    renew_help: ClassVar[str] = ("Graph API Explorer: a user token with the page permissions, "
                                 "exchanged for a long-lived one, then GET /me/accounts for the "
                                 "page's token; see the README, Platforms > Facebook")
    permissions: ClassVar[Mapping[str, str]] = {
        "posts": "pages_read_engagement", "comments": "pages_read_engagement",
        "visitor_posts": "pages_read_user_content", "tagged": "pages_read_user_content",
        "reply": "pages_manage_engagement", "hide": "pages_manage_engagement",
    }

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return new comments, visitor posts and tagged posts, oldest first."""
        cursors = _graph.FeedCursors(cursor, self.platform)
        page_id = self.options.page_id
        found: list[Mention] = []
        skipped = 0
        notes: list[str] = []

        posts = self.call("GET", API_PATH["posts"].format(page_id=page_id), "posts",
                          params={"fields": POST_FIELDS, "limit": self.options.max_posts})
        comments_at = cursors.of("comments")
        comments: list[Mention] = []
        for post in posts.get("data") or []:
            post_id = post.get("id") if isinstance(post, dict) else None
            if not post_id:
                skipped += 1
                log.warning("%r: skipped a page post without an id", self)
                continue
            mentions, bad, truncated = comments_at.newest_first(
                self.options.max_pages,
                self.pages(API_PATH["comments"].format(post_id=post_id),
                           {"fields": COMMENT_FIELDS, "filter": "stream",
                            "order": "reverse_chronological", "limit": PAGE_SIZE}, "comments"),
                partial(self._to_mention, feed="comment", post=post),
                self._skip, _graph.published)
            comments += mentions
            skipped += bad
            if truncated:
                notes.append(f"post {post_id}: more new comments than {self.options.max_pages} "
                             "pages; the older ones were not read (raise options.max_pages)")
        found += self._advance(cursors, "comments", comments)

        for feed, wanted in (("visitor_posts", self.options.visitor_posts),
                             ("tagged", self.options.tagged)):
            if not wanted:
                continue
            mentions, bad, truncated = cursors.of(feed).newest_first(
                self.options.max_pages,
                self.pages(API_PATH[feed].format(page_id=page_id),
                           {"fields": ITEM_FIELDS, "limit": PAGE_SIZE}, feed),
                partial(self._to_mention, feed=feed), self._skip,
                _graph.published)
            skipped += bad
            if truncated:
                notes.append(f"{feed.replace('_', ' ')}: more new posts than "
                             f"{self.options.max_pages} pages (raise options.max_pages)")
            found += self._advance(cursors, feed, mentions)

        found.sort(key=lambda m: (m.published_at, m.id))
        return FetchResult(found, cursors.dump(), skipped, "; ".join(notes) or None)

    def _advance(self, cursors: _graph.FeedCursors, feed: str,
                 mentions: list[Mention]) -> list[Mention]:
        """Move the feed's cursor past everything read; return what is not the page's own."""
        mentions = sorted({m.id: m for m in mentions}.values(), key=lambda m: (m.published_at, m.id))
        cursors.advance(feed, mentions)
        return [m for m in mentions if m.author_id != self.options.page_id]

    def _to_mention(self, item: Mapping[str, Any], feed: str,
                    post: Mapping[str, Any] | None = None) -> Mention:
        """Translate a Graph comment or post into a Mention."""
        object_id = str(item["id"])
        author = item.get("from") or {}
        parent = item.get("parent") or {}
        updated = item.get("updated_time")
        published = _graph.parse_time(item["created_time"])
        extra: dict[str, Any] = {"feed": feed, "object_id": object_id, "page_id": self.options.page_id}
        if post is not None:
            extra["post_id"] = str(post["id"])
        if parent.get("id"):
            extra["parent_id"] = str(parent["id"])
        edited = _graph.parse_time(updated) if updated else None
        return Mention(
            platform=self.platform,
            id=object_id,
            text=str(item.get("message") or ""),
            url=str(item.get("permalink_url") or POST_URL.format(object_id=object_id)),
            author_id=str(author.get("id") or ""),
            author_handle=str(author.get("name") or ""),
            author_name=str(author.get("name") or ""),
            published_at=published,
            edited_at=edited if edited and edited > published else None,
            kind="comment" if feed == "comment" else "post",
            title=str(post.get("message") or "")[:200] if post is not None else "",
            conversation_id=extra.get("post_id", object_id),
            in_reply_to_id=extra.get("parent_id", extra.get("post_id")),
            extra=extra,
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Comment as the page under the comment (or the visitor's or tagging post).

        Facebook threads one level deep: an answer to a reply goes under its parent comment.
        """
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; Facebook "
                                f"takes {self.reply_limit}")
        object_id = str(target.extra.get("parent_id") or target.extra.get("object_id")
                        or target.mention_id)
        body = self.call("POST", API_PATH["comments"].format(post_id=object_id), "reply",
                         data={"message": text})
        reply_id = str(body.get("id") or "")
        return ReplyResult(reply_id, POST_URL.format(object_id=reply_id) if reply_id else None)

    def hide(self, target: ReplyTarget) -> None:
        """Hide a comment from everyone but its author and their friends (the page's choice)."""
        if target.extra.get("feed", "comment") != "comment":
            raise ReplyRejected(self.platform, "only comments can be hidden; a visitor or tagged "
                                "post can be removed on Facebook itself")
        object_id = str(target.extra.get("object_id") or target.mention_id)
        body = self.call("POST", API_PATH["comment"].format(comment_id=object_id), "hide",
                         data={"is_hidden": "true"})
        if body.get("success") is False:
            raise ReplyRejected(self.platform, "Facebook did not hide the comment; hide it on "
                                "the page")

