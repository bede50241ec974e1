"""Replay: read mentions from JSONL files in order; append every reply to a JSONL log.

It powers the demo and the black-box tests, and lets a team rehearse on last month's posts.
Each input line is one JSON object:

    {"id": "1", "text": "...", "author": "jan", "author_name": "Jan", "platform": "x",
     "published_at": "2026-11-02T10:00:00Z" | "minutes_ago": 12, "followers": 230,
     "lang": "pl", "url": "https://...", "rating": 2, "conversation_id": "..."}
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import Connector
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import PlatformError, ReplyRejected

log = logging.getLogger(__name__)


class ReplayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="JSONL file of posts, relative to the brands file")
    reply_log: str = "replies.jsonl"
    batch: int = Field(default=100, ge=1, le=10_000)
    reply_limit: int = Field(default=280, ge=1)


class ReplayConnector(Connector):
    """Mentions from a JSONL file, replies to a JSONL log; no network, no account."""

    platform: ClassVar[str] = "replay"
    title: ClassVar[str] = "Replay"
    Options: ClassVar[type[BaseModel]] = ReplayOptions
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 280

    def _path(self, name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else Path(self.spec.config_dir) / path

    @property
    def posts_path(self) -> Path:
        return self._path(self.options.path)

    @property
    def reply_log_path(self) -> Path:
        return self._path(self.options.reply_log)

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return the lines after `cursor` (a line count), at most `batch` of them."""
        start = int(cursor or 0)
        try:
            lines = self.posts_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise PlatformError(self.platform, f"replay file {self.posts_path} does not exist; "
                                "check options.path in the brands file") from None
        chunk = lines[start:start + self.options.batch]
        mentions, skipped = [], 0
        own = set(self.spec.own_handles)
        for number, line in enumerate(chunk, start=start + 1):
            if not line.strip():
                continue
            try:
                mention = _to_mention(json.loads(line), datetime.now(UTC))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s line %d skipped: %s", self.posts_path, number, exc)
                skipped += 1
                continue
            if mention.author_handle.lower() in own:
                continue
            mentions.append(mention)
        return FetchResult(mentions, str(start + len(chunk)), skipped=skipped)

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Append the reply to the log once per idempotency key."""
        if self.count_length(text) > (self.options.reply_limit or 280):
            raise ReplyRejected(self.platform,
                                f"the reply is longer than {self.options.reply_limit} characters")
        if target.extra.get("deleted"):
            raise ReplyRejected(self.platform, "the post was deleted, so there is nothing to reply to")
        path = self.reply_log_path
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("idempotency_key") == idempotency_key:
                    return ReplyResult(record["reply_id"], record.get("url"))
        reply_id = f"r-{target.mention_id}"
        record = {"reply_id": reply_id, "in_reply_to": target.mention_id, "text": text,
                  "idempotency_key": idempotency_key, "at": datetime.now(UTC).isoformat()}
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return ReplyResult(reply_id, None)


def _to_mention(record: dict[str, Any], now: datetime) -> Mention:
    if not str(record["text"]).strip():
        raise ValueError("empty text")
    if "published_at" in record:
        published = datetime.fromisoformat(str(record["published_at"]).replace("Z", "+00:00"))
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
    else:
        published = now - timedelta(minutes=float(record.get("minutes_ago", 0)))
    handle = str(record["author"]).lstrip("@")
    platform = str(record.get("platform", "replay"))
    return Mention(
        platform=platform, id=str(record["id"]), text=str(record["text"]),
        url=str(record.get("url") or f"https://replay.invalid/{platform}/{record['id']}"),
        author_id=str(record.get("author_id", handle)), author_handle=handle,
        author_name=str(record.get("author_name", handle)),
        author_followers=int(record["followers"]) if "followers" in record else None,
        published_at=published.astimezone(UTC), lang_hint=record.get("lang"),
        kind=str(record.get("kind", "post")), title=str(record.get("title", "")),
        conversation_id=record.get("conversation_id"), in_reply_to_id=record.get("in_reply_to_id"),
        rating=int(record["rating"]) if record.get("rating") is not None else None,
        extra={k: v for k, v in record.items() if k in ("deleted",)},
    )
