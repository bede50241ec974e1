"""What the store hands out: plain frozen records of stored rows, never ORM objects.

They carry the columns' names, so a reader writes `case.deadline_at` or `case.mention.text`;
changes go through the store's named operations and the case engine, never through them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoredMention:
    id: int
    brand_id: str
    source: str
    platform: str
    external_id: str
    text: str
    url: str
    author_id: str
    author_handle: str
    author_name: str
    author_followers: int | None
    published_at: datetime
    fetched_at: datetime
    edited_at: datetime | None
    kind: str
    title: str
    conversation_id: str | None
    in_reply_to_id: str | None
    rating: int | None
    lang_hint: str | None
    extra: dict[str, Any]
    lang: str | None
    is_complaint: bool | None
    score: float | None
    severity: int | None
    category: str | None
    anger: float | None
    why: str
    cues: dict[str, Any]
    model: str
    joined_case_id: int | None


@dataclass(frozen=True)
class Case:
    id: int
    reference: str
    brand_id: str
    mention_id: int
    customer_key: str
    status: str
    priority: int
    opened_at: datetime
    deadline_at: datetime
    assignee: str | None
    replied_by: str | None
    replied_at: datetime | None
    reply_external_id: str | None
    reply_url: str | None
    reply_text: str | None
    last_error: str | None
    closed_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    slack_channel: str | None
    slack_ts: str | None
    acknowledgement: str | None
    escalated2_at: datetime | None
    followup_sent_at: datetime | None
    followup_outcome: str | None
    wave_id: int | None
    mention: StoredMention
    gloss: str | None = None
    drafts_origin: str | None = None
    drafts_note: str | None = None


@dataclass(frozen=True)
class Wave:
    id: int
    brand_id: str
    started_at: datetime
    last_at: datetime
    topic: str
    slack_channel: str | None
    slack_ts: str | None


@dataclass(frozen=True)
class StoredSuggestion:
    id: int
    case_id: int
    position: int
    lang: str
    text: str


@dataclass(frozen=True)
class ReplyClaim:
    case_id: int
    actor: str
    claimed_at: datetime
    idempotency_key: str


def copy_row(cls: type[Any], row: Any, **more: Any) -> Any:
    """Copy an ORM row's columns into the record `cls` (plus `more`)."""
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in more}
    values.update(more)
    if isinstance(values.get("extra"), dict):
        values["extra"] = dict(values["extra"])
    if isinstance(values.get("cues"), dict):
        values["cues"] = dict(values["cues"])
    return cls(**values)
