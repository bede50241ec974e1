"""Fill a database with mentions, cases and their status events directly, for the report's
tests and benchmark: thousands of rows a second, with every time chosen by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert

from monitor.models import CaseEventRow, CaseRow, MentionRow
from monitor.store import Store


@dataclass
class Post:
    published_at: datetime
    is_complaint: bool = True
    platform: str = "x"
    lang: str = "en"
    category: str = "delivery"
    severity: int = 3
    text: str = "my parcel is late"
    brand_id: str = "acme"


@dataclass
class Complaint:
    """A case for its post; `events` are (kind, at) status events after the opening."""

    post: Post
    deadline_at: datetime
    status: str = "new"
    replied_at: datetime | None = None
    replied_by: str | None = None
    assignee: str | None = None
    closed_at: datetime | None = None
    followup_sent_at: datetime | None = None
    followup_outcome: str | None = None
    events: Sequence[tuple[str, datetime]] = field(default_factory=tuple)
    opened_at: datetime | None = None


def _mention(i: int, p: Post) -> dict[str, object]:
    return {"brand_id": p.brand_id, "source": "posts", "platform": p.platform,
            "external_id": f"m{i}", "text": p.text, "url": f"https://example.com/{i}",
            "author_id": f"a{i}", "author_handle": f"user{i}", "author_name": "", "published_at":
            p.published_at, "fetched_at": p.published_at, "kind": "post", "title": "",
            "extra": {}, "lang": p.lang, "is_complaint": p.is_complaint, "score": 0.9,
            "severity": p.severity if p.is_complaint else 0,
            "category": p.category if p.is_complaint else None, "why": "", "cues": {},
            "model": "test"}


def fill(store: Store, posts: Sequence[Post], complaints: Sequence[Complaint], start: int = 0) -> None:
    """Insert `posts` (no case) and `complaints` (a post and its case) in one transaction."""
    with store.session() as s:
        everything = [*posts, *(c.post for c in complaints)]
        s.execute(insert(MentionRow), [_mention(start + i, p) for i, p in enumerate(everything)])
        first = len(posts)
        mention_ids = {row.external_id: row.id for row in s.query(MentionRow.external_id, MentionRow.id)
                       .filter(MentionRow.external_id.in_([f"m{start + first + i}"
                                                            for i in range(len(complaints))]))}
        cases = []
        for i, c in enumerate(complaints):
            n = start + first + i
            cases.append({
                "reference": f"ACME-{n}", "brand_id": c.post.brand_id,
                "mention_id": mention_ids[f"m{n}"], "customer_key": f"x:user{n}",
                "status": c.status, "priority": 0, "opened_at": c.opened_at or c.post.published_at,
                "deadline_at": c.deadline_at, "assignee": c.assignee, "replied_by": c.replied_by,
                "replied_at": c.replied_at, "closed_at": c.closed_at,
                "followup_sent_at": c.followup_sent_at, "followup_outcome": c.followup_outcome})
        if not cases:
            return
        s.execute(insert(CaseRow), cases)
        case_ids = {r.reference: r.id for r in s.query(CaseRow.reference, CaseRow.id).filter(
            CaseRow.reference.in_([c["reference"] for c in cases]))}
        events = []
        for i, c in enumerate(complaints):
            case_id = case_ids[f"ACME-{start + first + i}"]
            events.append({"case_id": case_id, "at": c.opened_at or c.post.published_at,
                           "actor": "brand-monitor", "kind": "opened", "detail": ""})
            events += [{"case_id": case_id, "at": at, "actor": "U1", "kind": kind, "detail": ""}
                       for kind, at in c.events]
        s.execute(insert(CaseEventRow), events)
