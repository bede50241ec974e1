"""Threads: keyword search of public posts, and the replies to the brand's own threads.

Reads the Threads API (graph.threads.net) with the brand profile's access token. Search asks
for the most recent posts (`search_type=RECENT`) matching the source's query, from the
cursor's time on (`since`); the conversations (every reply, at any depth, newest first) of the
`max_threads` newest threads of the profile are read too. The cursor is JSON: per feed, the
newest timestamp seen with the ids at that time. A reply is published in two steps: a TEXT
container with `reply_to_id`, then `threads_publish` of that container.

Endpoints: https://developers.facebook.com/docs/threads/keyword-search,
https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/replies-and-conversations,
https://developers.facebook.com/docs/threads/retrieve-and-manage-replies/create-replies,
https://developers.facebook.com/docs/threads/reference/reply-management.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors import _graph
from connectors._query import source_query
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import ReplyRejected

log = logging.getLogger(__name__)

#: Every Threads API path this connector reaches, after THREADS_URL (graph.threads.net/v1.0/).
API_PATH = {
    "search": "keyword_search",
    "threads": "{user_id}/threads",  # GET: the profile's threads; POST: a reply container
    "conversation": "{thread_id}/conversation",
    "publish": "{user_id}/threads_publish",
}
FIELDS = "id,text,username,permalink,timestamp,media_type,is_reply,replied_to,root_post"
REPLY_FIELDS = f"{FIELDS},is_reply_owned_by_me,hide_status"
PAGE_SIZE = 50


class ThreadsOptions(BaseModel):
    """The `options:` of a Threads source."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(default="me", min_length=1,
                         description="the brand's Threads user id; `me` is the token's owner")
    search: bool = Field(default=True, description="keyword search (threads_keyword_search)")
    search_mode: str = Field(default="KEYWORD", pattern="^(KEYWORD|TAG)$",
                             description="KEYWORD, or TAG to search a topic tag")
    replies: bool = Field(default=True, description="read replies to the brand's threads")
    max_threads: int = Field(default=10, ge=1, le=100,
                             description="newest own threads whose replies are read")
    max_pages: int = Field(default=3, ge=1, le=50, description="pages of 50 per feed and poll")


class ThreadsConnector(_graph.GraphConnector):
    """Public Threads posts naming the brand and replies to its threads; replies as the brand."""

    platform: ClassVar[str] = "threads"
    title: ClassVar[str] = "Threads"
    Options: ClassVar[type[BaseModel]] = ThreadsOptions
    credentials: ClassVar[tuple[str, ...]] = ("access_token",)
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 500
    blind_spot: ClassVar[str | None] = (
        "Keyword search returns only public posts (only the brand's own until the app is "
        "approved for threads_keyword_search), nothing for keywords Meta deems sensitive, and "
        "at most 2,200 queries per profile in 24 hours; replies are read only under the "
        "profile's newest options.max_threads threads.")
    base_url: ClassVar[str] = _graph.THREADS_URL
    renew_help: ClassVar[str] = ("authorise the app again as the brand's Threads profile and "
                                 "exchange the code for a long-lived token (th_exchange_token); "
                                 "see the README, Platforms > Threads")
    permissions: ClassVar[Mapping[str, str]] = {
        "search": "threads_keyword_search", "threads": "threads_basic",
        "conversation": "threads_read_replies", "reply": "threads_manage_replies",
    }

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return new matching posts and new replies to the brand's threads, oldest first."""
        cursors = _graph.FeedCursors(cursor, self.platform)
        found: list[Mention] = []
        skipped = 0
        notes: list[str] = []
        query = source_query(self.spec)
        if self.options.search and query:
            at = cursors.of("search")
            params: dict[str, Any] = {"q": query, "search_type": "RECENT",
                                      "search_mode": self.options.search_mode,
                                      "fields": FIELDS, "limit": PAGE_SIZE}
            if at.since is not None:
                params["since"] = int(at.since.timestamp())
            mentions, bad, truncated = at.newest_first(
                self.options.max_pages, self.pages(API_PATH["search"], params, "search"),
                self._to_mention, self._skip, _graph.published)
            skipped += bad
            if truncated:
                notes.append(f"search: more new posts than {self.options.max_pages} pages "
                             "(raise options.max_pages or poll more often)")
            found += self._advance(cursors, "search", mentions)
        elif self.options.search:
            notes.append("search is off: give the source a query: or the brand keywords:")
        if self.options.replies:
            replies, bad = self._replies(cursors, notes)
            found += replies
            skipped += bad
        unique = sorted({m.id: m for m in found}.values(), key=lambda m: (m.published_at, m.id))
        return FetchResult(unique, cursors.dump(), skipped, "; ".join(notes) or None)

    def _replies(self, cursors: _graph.FeedCursors, notes: list[str]
                 ) -> tuple[list[Mention], int]:
        """Read the conversations of the profile's newest threads; return them and the bad count."""
        own = self.call("GET", API_PATH["threads"].format(user_id=self.options.user_id),
                        "threads", params={"fields": "id,timestamp",
                                           "limit": self.options.max_threads})
        at = cursors.of("replies")
        found: list[Mention] = []
        skipped = 0
        for thread in own.get("data") or []:
            thread_id = thread.get("id") if isinstance(thread, dict) else None
            if not thread_id:
                skipped += 1
                log.warning("%r: skipped an own thread without an id", self)
                continue
            mentions, bad, truncated = at.newest_first(
                self.options.max_pages,
                self.pages(API_PATH["conversation"].format(thread_id=thread_id),
                           {"fields": REPLY_FIELDS, "reverse": "true", "limit": PAGE_SIZE},
                           "conversation"),
                self._to_mention, self._skip, _graph.published)
            skipped += bad
            found += mentions
            if truncated:
                notes.append(f"thread {thread_id}: more new replies than "
                             f"{self.options.max_pages} pages (raise options.max_pages)")
        return self._advance(cursors, "replies", found), skipped

    def _advance(self, cursors: _graph.FeedCursors, feed: str,
                 mentions: list[Mention]) -> list[Mention]:
        mentions = sorted({m.id: m for m in mentions}.values(), key=lambda m: (m.published_at, m.id))
        cursors.advance(feed, mentions)
        own = {h.lower().lstrip("@") for h in self.spec.own_handles}
        return [m for m in mentions
                if not m.extra.get("own") and m.author_handle.lower() not in own]

    def _to_mention(self, item: Mapping[str, Any]) -> Mention:
        """Translate a Threads media object (a post or a reply) into a Mention."""
        media_id = str(item["id"])
        username = str(item.get("username") or "")
        replied_to = (item.get("replied_to") or {}).get("id")
        root = (item.get("root_post") or {}).get("id")
        extra: dict[str, Any] = {"media_id": media_id}
        if item.get("is_reply_owned_by_me"):
            extra["own"] = True
        return Mention(
            platform=self.platform,
            id=media_id,
            text=str(item.get("text") or ""),
            url=str(item.get("permalink") or ""),
            author_id=username,
            author_handle=username,
            author_name=username,
            published_at=_graph.parse_time(item["timestamp"]),
            kind="reply" if item.get("is_reply") else "post",
            conversation_id=str(root) if root else media_id,
            in_reply_to_id=str(replied_to) if replied_to else None,
            extra=extra,
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Publish `text` as the brand's reply: create a TEXT container, then publish it."""
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; Threads "
                                f"takes {self.reply_limit}")
        user_id = self.options.user_id
        reply_to = str(target.extra.get("media_id") or target.mention_id)
        container = self.call("POST", API_PATH["threads"].format(user_id=user_id), "reply",
                              data={"media_type": "TEXT", "text": text, "reply_to_id": reply_to})
        creation_id = container.get("id")
        if not creation_id:
            raise ReplyRejected(self.platform, "Threads created no reply container; nothing was "
                                "published")
        published = self.call("POST", API_PATH["publish"].format(user_id=user_id), "reply",
                              data={"creation_id": str(creation_id)})
        return ReplyResult(str(published.get("id") or ""), target.url or None)
