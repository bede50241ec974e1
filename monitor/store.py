"""The store: mentions, cases, suggestions, events, reply claims and labels (SQLAlchemy 2).

Every write runs in its own short transaction so that a crash never leaves half a case.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, make_url, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from monitor import migrate
from monitor.domain import (
    CaseEvent,
    CaseStatus,
    Category,
    Classification,
    CustomerHistory,
    Kind,
    Mention,
    Severity,
    Suggestion,
)
from monitor.models import (
    CaseEventRow,
    CaseRow,
    CustomerLinkRow,
    LabelRow,
    MentionRow,
    QuarantineRow,
    ReplyClaimRow,
    SuggestionRow,
    WaveRow,
)
from monitor.records import Case, ReplyClaim, StoredMention, StoredSuggestion, Wave, copy_row
from monitor.sanitize import clean_mention
from monitor.store_tx import Tx, is_new_edit

log = logging.getLogger(__name__)
ACK_PENDING = "…"


def is_database_failure(exc: BaseException) -> bool:
    """A failure of the database itself (down, full, read-only, locked), not of one row."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


_IN_CHUNK = 500  # values in one IN (...): well inside SQLite's and PostgreSQL's limits


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so threads can share it."""
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        options: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **options)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    # No ping on every checkout (a round trip each time): connections are recycled after 5
    # minutes, and one dropped by a restart is invalidated on its first error and replaced.
    # psycopg 3 prepares a statement on its fifth use, and PostgreSQL may then keep a generic
    # plan made while the table was small: a scan of every brand's mention per lookup as the
    # table grows (benchmarks/volume.py: 2.9 ms a lookup at 10,000 mentions, 0.4 ms unprepared).
    unprepared = {"prepare_threshold": None} if make_url(url).get_driver_name() == "psycopg" else {}
    return create_engine(url, pool_recycle=300, connect_args=unprepared)


def mention_from_row(row: MentionRow | StoredMention) -> Mention:
    return Mention(
        platform=row.platform, id=row.external_id, text=row.text, url=row.url,
        author_id=row.author_id, author_handle=row.author_handle, author_name=row.author_name,
        author_followers=row.author_followers, published_at=row.published_at,
        lang_hint=row.lang_hint, kind=row.kind, title=row.title,
        conversation_id=row.conversation_id, in_reply_to_id=row.in_reply_to_id,
        rating=row.rating, edited_at=row.edited_at, extra=dict(row.extra or {}),
    )


def _mention(row: MentionRow) -> StoredMention:
    record: StoredMention = copy_row(StoredMention, row)
    return record


def case_record(row: CaseRow) -> Case:
    record: Case = copy_row(Case, row, mention=_mention(row.mention))
    return record


def _case_filters(brand_id: str | None, brand_ids: Sequence[str] | None, open_only: bool,
                  overdue_at: datetime | None, assignee: str | None,
                  since: datetime | None) -> list[Any]:
    conditions: list[Any] = []
    if brand_id:
        conditions.append(CaseRow.brand_id == brand_id)
    if brand_ids is not None:
        conditions.append(CaseRow.brand_id.in_(list(brand_ids)))
    if open_only or overdue_at is not None:
        conditions.append(CaseRow.status.in_([st.value for st in CaseStatus if st.is_open]))
    if overdue_at is not None:  # case_engine.is_overdue, in SQL (a test holds them equal)
        conditions += [CaseRow.deadline_at <= overdue_at, CaseRow.replied_at.is_(None)]
    if assignee is not None:
        conditions.append(CaseRow.assignee == assignee)
    if since is not None:
        conditions.append(CaseRow.opened_at >= since)
    return conditions


def mention_to_json(mention: Mention) -> dict[str, Any]:
    data = dataclasses.asdict(mention)
    for name in ("published_at", "edited_at"):
        if data[name] is not None:
            data[name] = data[name].isoformat()
    return data


def mention_from_json(data: dict[str, Any]) -> Mention:
    values = dict(data)
    for name in ("published_at", "edited_at"):
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    names = {f.name for f in dataclasses.fields(Mention)}
    return Mention(**{k: v for k, v in values.items() if k in names})


def classification_from_row(row: MentionRow | StoredMention) -> Classification:
    # The `cues` JSON column also keeps what the verdict says beyond its own columns: the
    # kind, why a post was not alerted, and every category of the complaint.
    details = row.cues or {}
    is_complaint = bool(row.is_complaint)
    return Classification(
        is_complaint=is_complaint, score=row.score or 0.0, lang=row.lang or "und",
        severity=Severity(row.severity or 0), category=Category(row.category or "other"),
        anger=row.anger or 0.0, why=row.why, cues=tuple(details.get("cues", [])),
        model=row.model,
        kind=Kind(details.get("kind") or ("complaint" if is_complaint else "other")),
        reason=details.get("reason", ""), reason_detail=details.get("reason_detail", ""),
        categories=tuple(Category(c) for c in details.get("categories", [])),
    )


class Store:
    """Database access for everything except the outbox and source health."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, migrate_schema: bool = True) -> Store:
        engine = make_engine(url)
        if migrate_schema:
            migrate.upgrade(engine)
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction for a change and the messages that report it: all or nothing."""
        with self.session() as s:
            yield Tx(s)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session inside one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    # -- mentions -------------------------------------------------------------------------

    def save_mention(self, brand_id: str, source: str, mention: Mention,
                     now: datetime) -> tuple[int, str]:
        """Store `mention` once on its own; return its row id and "new", "edited" or "seen".
        (The pipeline does this inside its transaction, with the verdict and the case.)"""
        mention = clean_mention(mention)
        with self.transaction() as tx:
            row = tx.find_mention(brand_id, mention.platform, mention.id)
            if row is None:
                return tx.add_mention(brand_id, source, mention, now).id, "new"
            if is_new_edit(row, mention):
                tx.apply_edit(row, mention)
                return row.id, "edited"
            return row.id, "seen"

    def set_classification(self, mention_id: int, c: Classification) -> None:
        with self.transaction() as tx:
            tx.set_verdict(mention_id, c)

    def mention(self, mention_id: int) -> StoredMention:
        found = self.find_mention(mention_id)
        if found is None:
            raise KeyError(mention_id)
        return found

    def find_mention(self, mention_id: int) -> StoredMention | None:
        with self.session() as s:
            row = s.get(MentionRow, mention_id)
            return _mention(row) if row else None

    def mention_by_url(self, url: str) -> StoredMention | None:
        with self.session() as s:
            row = s.scalar(select(MentionRow).where(MentionRow.url == url.rstrip("/"))
                           .order_by(MentionRow.id.desc()).limit(1))
            return _mention(row) if row else None

    def recent_mentions(self, limit: int = 20, complaints: bool | None = None) -> list[StoredMention]:
        with self.session() as s:
            q = select(MentionRow).order_by(MentionRow.published_at.desc()).limit(limit)
            if complaints is not None:
                q = q.where(MentionRow.is_complaint.is_(complaints))
            return [_mention(r) for r in s.scalars(q)]

    # -- cases ------------------------------------------------------------------------------

    def next_reference(self, brand_id: str) -> str:
        """Give the next human-readable reference for a brand, e.g. ACME-0042."""
        with self.transaction() as tx:
            return tx.next_reference(brand_id)

    def open_case(self, *, brand_id: str, mention_id: int, reference: str, customer_key: str,
                  opened_at: datetime, deadline_at: datetime, priority: int,
                  suggestions: Sequence[tuple[str, str]], channel: str) -> Case:
        """Open a case with its suggestions and an "opened" event, on its own (no alert: the
        case engine opens the pipeline's cases, with their messages)."""
        with self.transaction() as tx:
            row = tx.add_case(brand_id=brand_id, mention_id=mention_id, reference=reference,
                              customer_key=customer_key, opened_at=opened_at,
                              deadline_at=deadline_at, priority=priority, suggestions=suggestions,
                              channel=channel)
            tx.add_event(row.id, "brand-monitor", "opened", opened_at, reference)
            tx.session.refresh(row)
            return case_record(row)

    def case(self, case_id: int) -> Case:
        with self.session() as s:
            row = s.get(CaseRow, case_id)
            if row is None:
                raise KeyError(case_id)
            return case_record(row)

    def case_for_mention(self, mention_id: int) -> Case | None:
        with self.session() as s:
            row = s.scalar(select(CaseRow).where(CaseRow.mention_id == mention_id))
            return case_record(row) if row else None

    def add_event(self, case_id: int, actor: str, kind: str, now: datetime, detail: str = "") -> None:
        with self.transaction() as tx:
            tx.add_event(case_id, actor, kind, now, detail)

    def events(self, case_id: int) -> list[CaseEvent]:
        with self.session() as s:
            rows = s.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case_id)
                             .order_by(CaseEventRow.at, CaseEventRow.id))
            return [CaseEvent(r.at, r.actor, r.kind, r.detail) for r in rows]

    def suggestions(self, case_id: int) -> list[Suggestion]:
        with self.session() as s:
            rows = s.scalars(select(SuggestionRow).where(SuggestionRow.case_id == case_id,
                                                         SuggestionRow.retired.is_(False))
                             .order_by(SuggestionRow.position))
            return [Suggestion(r.id, r.text, r.lang, r.origin, r.gloss) for r in rows]

    def suggestion(self, suggestion_id: int) -> StoredSuggestion | None:
        with self.session() as s:
            row = s.get(SuggestionRow, suggestion_id)
            return copy_row(StoredSuggestion, row) if row and not row.retired else None

    def cases(self, *, brand_id: str | None = None, open_only: bool = True,
              overdue_at: datetime | None = None, assignee: str | None = None,
              since: datetime | None = None, limit: int = 100,
              brand_ids: Sequence[str] | None = None) -> list[Case]:
        """Cases, nearest deadline first, at most `limit` (see `count_cases` for how many)."""
        with self.session() as s:
            q = select(CaseRow).where(*_case_filters(brand_id, brand_ids, open_only, overdue_at,
                                                      assignee, since))
            return [case_record(r) for r in s.scalars(q.order_by(CaseRow.deadline_at).limit(limit))]

    def count_cases(self, *, brand_id: str | None = None, open_only: bool = True,
                    overdue_at: datetime | None = None, assignee: str | None = None,
                    since: datetime | None = None, brand_ids: Sequence[str] | None = None) -> int:
        """How many cases `cases` would list without its limit, counted by the database."""
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(CaseRow).where(
                *_case_filters(brand_id, brand_ids, open_only, overdue_at, assignee, since))) or 0)

    def opened_since(self, brand_id: str | None, since: datetime
                     ) -> list[tuple[datetime, datetime | None, datetime]]:
        """For the cases opened since `since`: (posted, replied, deadline), columns only."""
        with self.session() as s:
            q = (select(MentionRow.published_at, CaseRow.replied_at, CaseRow.deadline_at)
                 .join(MentionRow, CaseRow.mention_id == MentionRow.id)
                 .where(*_case_filters(brand_id, None, False, None, None, since)))
            return [(a, b, c) for a, b, c in s.execute(q)]

    def due_case_ids(self, brand_id: str, timer: str, due_before: datetime, after_id: int = 0,
                     limit: int = 500) -> list[int]:
        """Ids of the brand's cases whose `timer` is due before `due_before`, in id order after
        `after_id` (page through them: every due case is reached however many are open).

        timer: "remind" and "escalate" (open, unanswered, by deadline), "escalate_again" (by
        the first escalation), "follow_up" (resolved, by when it closed)."""
        open_values = [st.value for st in CaseStatus if st.is_open]
        unanswered = [CaseRow.status.in_(open_values), CaseRow.replied_at.is_(None)]
        conditions = {
            "escalate": [*unanswered, CaseRow.escalated_at.is_(None), CaseRow.deadline_at <= due_before],
            "remind": [*unanswered, CaseRow.escalated_at.is_(None), CaseRow.reminded_at.is_(None),
                       CaseRow.deadline_at <= due_before],
            "escalate_again": [*unanswered, CaseRow.escalated2_at.is_(None),
                               CaseRow.escalated_at.is_not(None), CaseRow.escalated_at <= due_before],
            "follow_up": [CaseRow.status == CaseStatus.RESOLVED.value, CaseRow.followup_sent_at.is_(None),
                          CaseRow.closed_at.is_not(None), CaseRow.closed_at <= due_before],
        }[timer]
        with self.session() as s:
            return list(s.scalars(select(CaseRow.id).where(
                CaseRow.brand_id == brand_id, CaseRow.id > after_id, *conditions)
                .order_by(CaseRow.id).limit(limit)))

    def case_counts(self, now: datetime) -> tuple[int, int]:
        """How many cases are open, and how many of them are overdue (counted by the database)."""
        open_values = [st.value for st in CaseStatus if st.is_open]
        with self.session() as s:
            opened = s.scalar(select(func.count()).select_from(CaseRow)
                              .where(CaseRow.status.in_(open_values))) or 0
            overdue = s.scalar(select(func.count()).select_from(CaseRow).where(
                CaseRow.status.in_(open_values), CaseRow.replied_at.is_(None),
                CaseRow.deadline_at <= now)) or 0
        return int(opened), int(overdue)

    def link_customers(self, brand_id: str, key_a: str, key_b: str, actor: str, now: datetime) -> bool:
        """Record that two handles are one customer; False if already linked."""
        a, b = sorted((key_a.lower(), key_b.lower()))
        try:
            with self.session() as s:
                s.add(CustomerLinkRow(brand_id=brand_id, key_a=a, key_b=b, actor=actor, created_at=now))
        except IntegrityError:
            return False
        return True

    def linked_keys(self, brand_id: str, keys: set[str]) -> set[str]:
        """Follow the team's links out from `keys` until no new handle turns up."""
        found = set(keys)
        with self.session() as s:
            while True:
                rows = s.execute(select(CustomerLinkRow.key_a, CustomerLinkRow.key_b).where(
                    CustomerLinkRow.brand_id == brand_id,
                    CustomerLinkRow.key_a.in_(found) | CustomerLinkRow.key_b.in_(found))).all()
                more = {k for row in rows for k in row} - found
                if not more:
                    return found
                found |= more

    def history(self, customer_keys: Sequence[str], before_case: int) -> CustomerHistory:
        """Summarise a customer's earlier cases, across every linked handle."""
        with self.session() as s:
            rows = list(s.scalars(select(CaseRow).where(CaseRow.customer_key.in_(customer_keys),
                                                        CaseRow.id < before_case)
                                  .order_by(CaseRow.id.desc())))
            if not rows:
                return CustomerHistory()
            last = rows[0]
            category = last.mention.category
            return CustomerHistory(earlier_cases=len(rows),
                                   last_category=Category(category) if category else None,
                                   last_outcome=last.status, last_reference=last.reference)

    # -- reply claims: the lock that keeps a double click from posting twice ------------------

    def claim_reply(self, case_id: int, actor: str, now: datetime) -> str | None:
        """Take the right to publish this case's reply; None when someone already has it."""
        key = f"case-{case_id}-reply"
        try:
            with self.session() as s:
                s.add(ReplyClaimRow(case_id=case_id, actor=actor, claimed_at=now, idempotency_key=key))
        except IntegrityError:
            return None
        return key

    def release_claim(self, case_id: int) -> None:
        with self.session() as s:
            claim = s.scalar(select(ReplyClaimRow).where(ReplyClaimRow.case_id == case_id))
            if claim is not None:
                s.delete(claim)

    def claim_holder(self, case_id: int) -> ReplyClaim | None:
        with self.session() as s:
            row = s.scalar(select(ReplyClaimRow).where(ReplyClaimRow.case_id == case_id))
            return copy_row(ReplyClaim, row) if row else None

    # -- labels the team gives ---------------------------------------------------------------

    def add_label(self, text: str, lang: str | None, label: int, actor: str, now: datetime,
                  mention_id: int | None = None) -> None:
        with self.session() as s:
            s.add(LabelRow(text=text, lang=lang, label=label, actor=actor, created_at=now,
                           mention_id=mention_id))

    def labelled_examples(self) -> list[tuple[str, str | None, int]]:
        """Every example the team labelled, latest label per mention winning."""
        with self.session() as s:
            rows = list(s.scalars(select(LabelRow).order_by(LabelRow.id)))
        latest: dict[Any, LabelRow] = {}
        for row in rows:
            latest[row.mention_id if row.mention_id is not None else ("text", row.text)] = row
        return [(r.text, r.lang, r.label) for r in latest.values()]

    # -- what the pipeline asks before classifying, and the quarantine ---------------------

    def needs_work(self, brand_id: str, mentions: Sequence[Mention]) -> list[bool]:
        """For each mention, False when it was fully handled before (stored, judged, its case
        open); one query for the batch's mentions and one for their cases."""
        if not mentions:
            return []
        by_platform: dict[str, list[str]] = {}
        for m in mentions:
            by_platform.setdefault(m.platform, []).append(m.id)
        rows: dict[tuple[str, str], MentionRow] = {}
        with_case: set[int] = set()
        with self.session() as s:
            for platform, ids in by_platform.items():  # along the uq_mention index
                for at in range(0, len(ids), _IN_CHUNK):
                    rows.update(((r.platform, r.external_id), r) for r in s.scalars(
                        select(MentionRow).where(
                            MentionRow.brand_id == brand_id, MentionRow.platform == platform,
                            MentionRow.external_id.in_(ids[at:at + _IN_CHUNK]))))
            waiting = [r.id for r in rows.values()
                       if r.is_complaint and r.joined_case_id is None]
            for at in range(0, len(waiting), _IN_CHUNK):
                with_case.update(s.scalars(select(CaseRow.mention_id).where(
                    CaseRow.mention_id.in_(waiting[at:at + _IN_CHUNK]))))
        out = []
        for mention in mentions:
            row = rows.get((mention.platform, mention.id))
            out.append(row is None or row.is_complaint is None or is_new_edit(row, mention)
                       or (bool(row.is_complaint) and row.joined_case_id is None
                           and row.id not in with_case))
        return out

    def quarantine(self, brand_id: str, source: str, mention: Mention, error: str,
                   now: datetime) -> None:
        """Keep a mention that could not be handled, with why; counted again on each failure."""
        with self.session() as s:
            row = s.scalar(select(QuarantineRow).where(
                QuarantineRow.brand_id == brand_id, QuarantineRow.platform == mention.platform,
                QuarantineRow.external_id == mention.id))
            if row is None:
                s.add(QuarantineRow(brand_id=brand_id, source=source, platform=mention.platform,
                                    external_id=mention.id, mention=mention_to_json(mention),
                                    error=error, attempts=1, first_at=now, last_at=now, done=False))
            else:
                row.attempts, row.error, row.last_at, row.done = row.attempts + 1, error, now, False

    def quarantined(self, brand_id: str, source: str, max_attempts: int) -> list[Mention]:
        """Quarantined mentions of a source still worth another try."""
        with self.session() as s:
            rows = s.scalars(select(QuarantineRow).where(
                QuarantineRow.brand_id == brand_id, QuarantineRow.source == source,
                QuarantineRow.done.is_(False), QuarantineRow.attempts < max_attempts)
                .order_by(QuarantineRow.id).limit(100))
            return [mention_from_json(r.mention) for r in rows]

    def quarantine_done(self, brand_id: str, mention: Mention) -> None:
        with self.session() as s:
            s.execute(update(QuarantineRow).where(
                QuarantineRow.brand_id == brand_id, QuarantineRow.platform == mention.platform,
                QuarantineRow.external_id == mention.id, QuarantineRow.done.is_(False))
                .values(done=True))

    def quarantine_report(self, limit: int = 5) -> tuple[int, list[tuple[str, str, str, int]]]:
        """How many mentions wait in quarantine, and the latest (brand/source, id, error, tries)."""
        with self.session() as s:
            waiting = s.scalar(select(func.count()).select_from(QuarantineRow)
                               .where(QuarantineRow.done.is_(False))) or 0
            rows = s.scalars(select(QuarantineRow).where(QuarantineRow.done.is_(False))
                             .order_by(QuarantineRow.last_at.desc()).limit(limit))
            return int(waiting), [(f"{r.brand_id}/{r.source}", f"{r.platform}:{r.external_id}",
                                   r.error, r.attempts) for r in rows]

    # -- named changes outside the case engine ---------------------------------------------

    def claim_acknowledgement(self, case_id: int) -> bool:
        """Take the right to post the case's out-of-hours acknowledgement, once."""
        with self.session() as s:
            claimed = s.execute(update(CaseRow).where(CaseRow.id == case_id,
                                                      CaseRow.acknowledgement.is_(None))
                                .values(acknowledgement=ACK_PENDING))
            return bool(getattr(claimed, "rowcount", 0))

    def set_acknowledgement(self, case_id: int, text: str | None, now: datetime,
                            failure: str | None = None) -> None:
        """Record the published acknowledgement (None: none went out, free the claim)."""
        with self.session() as s:
            s.execute(update(CaseRow).where(CaseRow.id == case_id).values(acknowledgement=text))
            if text is not None:
                s.add(CaseEventRow(case_id=case_id, at=now, actor="brand-monitor",
                                   kind="acknowledged_out_of_hours", detail=text))
            elif failure:
                s.add(CaseEventRow(case_id=case_id, at=now, actor="brand-monitor", kind="ack_failed",
                                   detail=failure))

    def wave(self, wave_id: int) -> Wave:
        with self.session() as s:
            row = s.get(WaveRow, wave_id)
            if row is None:
                raise KeyError(wave_id)
            return copy_row(Wave, row)

    def wave_cases(self, wave_id: int) -> list[Case]:
        with self.session() as s:
            return [case_record(r) for r in s.scalars(select(CaseRow).where(CaseRow.wave_id == wave_id)
                                                .order_by(CaseRow.id))]

    def waves_to_read(self, brand_id: str, since: datetime, limit: int = 20, samples: int = 5
                      ) -> list[tuple[int, list[tuple[str, str]]]]:
        """The brand's recent waves that have no meaning vector yet, each with the (text,
        language) of its `samples` newest cases: what they share is the wave's meaning."""
        with self.session() as s:
            ids = list(s.scalars(select(WaveRow.id).where(
                WaveRow.brand_id == brand_id, WaveRow.last_at >= since, WaveRow.meaning.is_(None),
                WaveRow.category.is_not(None)).order_by(WaveRow.id.desc()).limit(limit)))
            out = []
            for wave_id in ids:
                posts = s.execute(select(MentionRow.text, MentionRow.lang)
                                  .join(CaseRow, CaseRow.mention_id == MentionRow.id)
                                  .where(CaseRow.wave_id == wave_id, MentionRow.text != "")
                                  .order_by(CaseRow.id.desc()).limit(samples))
                out.append((wave_id, [(text, lang or "") for text, lang in posts]))
            return out

    def set_wave_meaning(self, wave_id: int, meaning: bytes,
                         keys: Sequence[tuple[int, int]]) -> None:
        """Give a wave the meaning vector of its posts and that vector's band keys, unless a
        case gave it one meanwhile."""
        with self.transaction() as tx:
            wave = tx.session.get(WaveRow, wave_id)
            if wave is None or wave.meaning is not None:
                return
            wave.meaning = meaning
            tx.add_wave_keys(wave.brand_id, keys, wave.last_at, wave_id=wave_id)

    def wave_count(self, wave_id: int) -> int:
        """How many cases the wave holds (one COUNT, whatever its size)."""
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(CaseRow)
                                .where(CaseRow.wave_id == wave_id)) or 0)

    def wave_samples(self, wave_id: int, limit: int = 3) -> list[Case]:
        """The wave's `limit` newest cases, oldest of them first (as the tail of `wave_cases`)."""
        with self.session() as s:
            rows = s.scalars(select(CaseRow).where(CaseRow.wave_id == wave_id)
                             .order_by(CaseRow.id.desc()).limit(limit))
            return [case_record(r) for r in reversed(list(rows))]

    def set_wave_message(self, wave_id: int, channel: str, ts: str) -> None:
        with self.session() as s:
            row = s.get_one(WaveRow, wave_id)
            row.slack_channel, row.slack_ts = channel, ts

    def count(self, model: type[Any]) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

