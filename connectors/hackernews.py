"""Hacker News: stories and comments that name the brand, through Algolia's HN Search API.

No credentials. The cursor is the newest item's `created_at_i` (Unix seconds), sent back as
`numericFilters=created_at_i>CURSOR`. Hacker News has no API to post, so alerts offer
"Open thread" instead of a reply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors import _http
from connectors._html import html_to_text
from connectors._query import search_query
from monitor.domain import FetchResult, Mention
from monitor.errors import PlatformError

log = logging.getLogger(__name__)

#: Every URL this connector reaches.
API_URL = {
    "search_by_date": "https://hn.algolia.com/api/v1/search_by_date",
    "item_page": "https://news.ycombinator.com/item?id={id}",
}


class HackerNewsOptions(BaseModel):
    """The `options:` of a Hacker News source."""

    model_config = ConfigDict(extra="forbid")

    max_pages: int = Field(default=3, ge=1, le=20)
    hits_per_page: int = Field(default=50, ge=1, le=1000)


class HackerNewsConnector(_http.HttpConnector):
    """Hacker News stories and comments matching the query; read only."""

    platform: ClassVar[str] = "hackernews"
    title: ClassVar[str] = "Hacker News"
    Options: ClassVar[type[BaseModel]] = HackerNewsOptions
    can_reply: ClassVar[bool] = False
    private_channel: ClassVar[str | None] = None  # no private messages to move to

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return items created after `cursor` (Unix seconds), oldest first, and the newest time."""
        since = _since(cursor)
        params: dict[str, Any] = {"query": search_query(self.platform, self.spec),
                                  "tags": "(story,comment)",
                                  "hitsPerPage": self.options.hits_per_page}
        if since is not None:
            params["numericFilters"] = f"created_at_i>{since}"
        # Without a cursor, the newest page is the starting point; history is not replayed.
        pages = self.options.max_pages if since is not None else 1
        hits: list[Any] = []
        truncated = False
        for page in range(pages):
            body = self._page({**params, "page": page})
            hits += body.get("hits") or []
            if page + 1 >= int(body.get("nbPages") or 0):
                break
        else:
            truncated = since is not None
        return self._collect(hits, since, truncated)

    def _page(self, params: Mapping[str, Any]) -> dict[str, Any]:
        url = API_URL["search_by_date"]
        response = _http.get(self.client, self.platform, url, params=params, now=self._clock())
        if response.status_code >= 400:
            raise PlatformError(self.platform, f"HN Search refused the query (HTTP "
                                f"{response.status_code}: {response.text[:200]}); check the "
                                "source's query")
        try:
            body = response.json()
        except ValueError as exc:
            raise PlatformError(self.platform, "HN Search answered something that is not "
                                "JSON; will try again at the next poll") from exc
        if not isinstance(body, dict):
            raise PlatformError(self.platform, "HN Search answered an unexpected shape")
        return body

    def _collect(self, hits: list[Any], since: int | None, truncated: bool) -> FetchResult:
        own = set(self.spec.own_handles)
        found: dict[str, Mention] = {}
        newest, skipped = since or 0, 0
        for hit in hits:
            try:
                mention = _to_mention(hit)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                item = hit.get("objectID") if isinstance(hit, dict) else None
                log.warning("%r: skipped a malformed item %r: %r", self, item, exc)
                skipped += 1
                continue
            newest = max(newest, int(mention.published_at.timestamp()))
            if mention.author_handle.lower() not in own:
                found[mention.id] = mention
        blind_spot = None
        if truncated:
            blind_spot = (f"more new items than {self.options.max_pages} pages; the older ones in "
                          "this poll were not read (raise options.max_pages or poll more often)")
        return FetchResult(mentions=sorted(found.values(), key=lambda m: (m.published_at, m.id)),
                           cursor=str(newest) if newest else None, skipped=skipped,
                           blind_spot=blind_spot)


def _since(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(cursor)
    except ValueError:
        log.warning("hackernews: ignored a cursor that is not a Unix time: %r", cursor)
        return None


def _to_mention(hit: Mapping[str, Any]) -> Mention:
    """Translate one Algolia hit (a story or a comment) into a Mention."""
    item_id = str(hit["objectID"])
    if not item_id.isdigit():
        raise ValueError(f"item id {item_id!r} is not numeric")
    tags = hit.get("_tags") or ()
    author = str(hit["author"])
    created = datetime.fromtimestamp(int(hit["created_at_i"]), tz=UTC)
    if "comment" in tags or hit.get("comment_text") is not None:
        kind, title = "comment", str(hit.get("story_title") or "")
        text = html_to_text(str(hit["comment_text"]))
    else:
        kind, title = "story", str(hit["title"])
        text = html_to_text(str(hit.get("story_text") or "")) or str(hit.get("url") or "")
    story_id = hit.get("story_id")
    parent_id = hit.get("parent_id")
    return Mention(
        platform="hackernews",
        id=item_id,
        text=text,
        url=API_URL["item_page"].format(id=item_id),
        author_id=author,
        author_handle=author,
        author_name=author,
        published_at=created,
        kind=kind,
        title=title,
        conversation_id=str(story_id) if story_id is not None else item_id,
        in_reply_to_id=str(parent_id) if parent_id is not None else None,
    )
