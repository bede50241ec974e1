"""The report's queries: every figure counted by the database, one query per figure.

Each query reads one brand's (or several brands') rows of one period through an index on
(brand, time) and returns counts grouped in SQL, never the rows themselves: a report over
50,000 mentions and 20,000 cases costs a handful of aggregate queries (`benchmarks/reports.py`).
Days are given as UTC boundaries (the brand's local midnights, worked out by the caller), so
the database never needs to know about timezones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, not_, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from monitor.domain import CaseStatus
from monitor.models import CaseEventRow, CaseRow, MentionRow, ProposalRow, UTCDateTime
from monitor.report_model import Compliance, FollowUps
from monitor.store import Store
from monitor.store_privacy import FORGOTTEN_KIND
from monitor.store_proposals import ANSWERED, APPROVED, DECIDED, EDITED, PENDING, REJECTED, REPLACED

NAC = CaseStatus.NOT_A_COMPLAINT.value
OPEN_VALUES = tuple(s.value for s in CaseStatus if s.is_open)
# The events that set a case's status, and the status each one sets (the case engine's moves,
# the opening, and an erasure on request, which closes an open case as resolved).
STATUS_EVENTS = {"opened": CaseStatus.NEW.value, FORGOTTEN_KIND: CaseStatus.RESOLVED.value,
                 **{s.value: s.value for s in CaseStatus}}
OPEN_EVENTS = tuple(k for k, v in STATUS_EVENTS.items() if v in OPEN_VALUES)
FLAGGED_EVENT = "flagged"  # casework.flag_mention: a post the bot let through, made a case
SATISFIED, UNSATISFIED = "satisfied", "not satisfied"  # case_engine.record_followup


@dataclass(frozen=True)
class DayCategoryCount:
    """Mentions published in day `day` (an index into the boundaries) with main category
    `category` (None for posts without one), and how many of them are complaints."""

    day: int
    category: str | None
    mentions: int
    complaints: int


@dataclass(frozen=True)
class BacklogCount:
    day: int
    open: int
    overdue: int


@dataclass(frozen=True)
class ComplaintText:
    """One complaint for grouping by cause: its words as written, and where it is."""

    reference: str
    text: str
    lang: str
    category: str
    url: str


@dataclass(frozen=True)
class ProposalCounts:
    proposed: int
    approved: int
    edited: int
    rejected: int
    replaced: int
    pending: int

    @property
    def decided(self) -> int:
        return self.approved + self.rejected


@dataclass(frozen=True)
class FeedbackCounts:
    opened: int
    not_complaint: int
    flagged: int


def _bucket(column: Any, bounds: Sequence[datetime]) -> ColumnElement[Any]:
    """The index of the day a time falls in: bounds[i] <= t < bounds[i + 1] gives i."""
    inner = bounds[1:-1]
    if not inner:
        return literal(0)
    return case(*[(column < b, i) for i, b in enumerate(inner)], else_=len(inner))


class ReportQueries:
    """The report's figures for the brands `brand_ids` over [start, end)."""

    def __init__(self, store: Store, brand_ids: Sequence[str]) -> None:
        self.store = store
        self.brand_ids = list(brand_ids)

    @property
    def _sqlite(self) -> bool:
        return self.store.engine.dialect.name == "sqlite"

    def _complaint_cases(self) -> list[Any]:
        return [CaseRow.brand_id.in_(self.brand_ids), CaseRow.status != NAC]

    def days(self, bounds: Sequence[datetime]) -> list[DayCategoryCount]:
        """Mentions and complaints per day and main category; a complaint is a post the
        classifier (or the team's flag) called one, unless the team closed its case as not
        a complaint."""
        day = _bucket(MentionRow.published_at, bounds).label("day")
        complaint = and_(MentionRow.is_complaint.is_(True),
                         or_(CaseRow.status.is_(None), CaseRow.status != NAC))
        q = (select(day, MentionRow.category, func.count(),
                    func.sum(case((complaint, 1), else_=0)))
             .select_from(MentionRow)
             .outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
             .where(MentionRow.brand_id.in_(self.brand_ids),
                    MentionRow.published_at >= bounds[0], MentionRow.published_at < bounds[-1])
             .group_by(day, MentionRow.category))
        with self.store.session() as s:
            return [DayCategoryCount(int(d), c, int(n), int(k or 0)) for d, c, n, k in s.execute(q)]

    def compliance(self, dimension: str, start: datetime, end: datetime) -> list[Compliance]:
        """Per platform, language, category, severity or responder: the complaints opened in
        the period, those due in it (deadline in it, or answered in it), answered, and
        answered before their deadline. The responder of an unanswered case is its assignee."""
        key: Any = {
            "platform": MentionRow.platform,
            "language": func.coalesce(MentionRow.lang, ""),
            "category": func.coalesce(MentionRow.category, ""),
            "severity": func.coalesce(MentionRow.severity, -1),
            "responder": func.coalesce(CaseRow.replied_by, CaseRow.assignee, ""),
        }[dimension]
        opened = and_(CaseRow.opened_at >= start, CaseRow.opened_at < end)
        due = or_(and_(CaseRow.deadline_at >= start, CaseRow.deadline_at < end),
                  and_(CaseRow.replied_at >= start, CaseRow.replied_at < end))
        answered = and_(due, CaseRow.replied_at.is_not(None), CaseRow.replied_at < end)
        within = and_(answered, CaseRow.replied_at <= CaseRow.deadline_at)
        q = (select(key.label("k"), *(func.sum(case((c, 1), else_=0))
                                      for c in (opened, due, answered, within)))
             .select_from(CaseRow).join(MentionRow, CaseRow.mention_id == MentionRow.id)
             .where(*self._complaint_cases(), or_(opened, due))
             .group_by(key))
        with self.store.session() as s:
            rows = [Compliance("" if k in (None, -1) else str(k), int(a or 0), int(b or 0),
                               int(c or 0), int(d or 0)) for k, a, b, c, d in s.execute(q)]
        return sorted(rows, key=lambda r: (-r.due, -r.complaints, r.key))

    def _reply_span(self) -> ColumnElement[Any]:
        if self._sqlite:  # datetimes are text there: compare them as Julian days
            return func.julianday(CaseRow.replied_at) - func.julianday(MentionRow.published_at)
        return CaseRow.replied_at - MentionRow.published_at

    def _answered_in(self, start: datetime, end: datetime) -> list[Any]:
        return [*self._complaint_cases(), CaseRow.replied_at >= start, CaseRow.replied_at < end]

    def answered_count(self, start: datetime, end: datetime) -> int:
        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(CaseRow)
                                .where(*self._answered_in(start, end))) or 0)

    def reply_times_at(self, start: datetime, end: datetime, offset: int,
                       limit: int = 2) -> list[tuple[datetime, datetime]]:
        """(posted, first reply) of the complaints answered in the period, fastest first,
        from rank `offset` on: percentiles read two rows, not every reply."""
        q = (select(MentionRow.published_at, CaseRow.replied_at)
             .select_from(CaseRow).join(MentionRow, CaseRow.mention_id == MentionRow.id)
             .where(*self._answered_in(start, end))
             .order_by(self._reply_span(), CaseRow.id).offset(offset).limit(limit))
        with self.store.session() as s:
            return [(p, r) for p, r in s.execute(q) if r is not None]

    def backlog(self, day_ends: Sequence[datetime], start: datetime) -> list[BacklogCount]:
        """Cases open, and of them overdue, at each of `day_ends`, from each case's status
        events: a case reopened after its reply counts as open again from then on."""
        if not day_ends:
            return []
        last = max(day_ends)
        done_before = or_(and_(CaseRow.status.in_([CaseStatus.RESOLVED.value, NAC]),
                               CaseRow.closed_at < start),
                          and_(CaseRow.status == CaseStatus.REPLIED.value, CaseRow.replied_at < start))
        until = func.lead(CaseEventRow.at).over(partition_by=CaseEventRow.case_id,
                                                order_by=(CaseEventRow.at, CaseEventRow.id))
        spans = (select(CaseEventRow.kind, CaseEventRow.at, until.label("until"),
                        CaseRow.deadline_at, CaseRow.replied_at)
                 .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
                 .where(CaseRow.brand_id.in_(self.brand_ids), CaseRow.opened_at <= last,
                        not_(done_before), CaseEventRow.kind.in_(list(STATUS_EVENTS)))
                 .subquery())
        ends = union_all(*(select(literal(i).label("day"), literal(t, UTCDateTime()).label("t"))
                           for i, t in enumerate(day_ends))).subquery()
        overdue = and_(spans.c.deadline_at <= ends.c.t,
                       or_(spans.c.replied_at.is_(None), spans.c.replied_at > ends.c.t))
        q = (select(ends.c.day, func.count(), func.sum(case((overdue, 1), else_=0)))
             .select_from(spans.join(ends, and_(spans.c.at <= ends.c.t,
                                                or_(spans.c.until.is_(None),
                                                    spans.c.until > ends.c.t))))
             .where(spans.c.kind.in_(OPEN_EVENTS))
             .group_by(ends.c.day))
        with self.store.session() as s:
            found = {int(d): (int(n), int(o or 0)) for d, n, o in s.execute(q)}
        return [BacklogCount(i, *found.get(i, (0, 0))) for i in range(len(day_ends))]

    def followups(self, start: datetime, end: datetime) -> FollowUps:
        """Follow-up questions asked in the period, and what the customers answered."""
        q = (select(func.count(),
                    func.sum(case((CaseRow.followup_outcome == SATISFIED, 1), else_=0)),
                    func.sum(case((CaseRow.followup_outcome == UNSATISFIED, 1), else_=0)))
             .where(CaseRow.brand_id.in_(self.brand_ids), CaseRow.followup_sent_at >= start,
                    CaseRow.followup_sent_at < end))
        with self.store.session() as s:
            asked, yes, no = s.execute(q).one()
        return FollowUps(int(asked or 0), int(yes or 0), int(no or 0))

    def feedback(self, start: datetime, end: datetime) -> FeedbackCounts:
        """Cases opened in the period, those of them the team closed as not a complaint, and
        those the team opened itself by flagging a post the bot had let through."""
        flagged = (select(CaseEventRow.case_id).where(CaseEventRow.kind == FLAGGED_EVENT)
                   .where(CaseEventRow.case_id == CaseRow.id).exists())
        q = (select(func.count(),
                    func.sum(case((and_(CaseRow.status == NAC, not_(flagged)), 1), else_=0)),
                    func.sum(case((flagged, 1), else_=0)))
             .where(CaseRow.brand_id.in_(self.brand_ids), CaseRow.opened_at >= start,
                    CaseRow.opened_at < end))
        with self.store.session() as s:
            opened, nac, flags = s.execute(q).one()
        return FeedbackCounts(int(opened or 0), int(nac or 0), int(flags or 0))

    def complaint_texts(self, start: datetime, end: datetime, limit: int) -> list[ComplaintText]:
        """The `limit` most recent complaints opened in the period that still have their text
        (retention empties old ones), newest first."""
        q = (select(CaseRow.reference, MentionRow.text, MentionRow.lang, MentionRow.category,
                    MentionRow.url)
             .select_from(CaseRow).join(MentionRow, CaseRow.mention_id == MentionRow.id)
             .where(*self._complaint_cases(), CaseRow.opened_at >= start, CaseRow.opened_at < end,
                    MentionRow.text != "")
             .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc()).limit(limit))
        with self.store.session() as s:
            return [ComplaintText(r, t, lang or "", c or "", u or "") for r, t, lang, c, u in s.execute(q)]

    def _proposed_in(self, start: datetime, end: datetime) -> list[Any]:
        mine = select(CaseRow.id).where(CaseRow.brand_id.in_(self.brand_ids))
        return [ProposalRow.case_id.in_(mine), ProposalRow.created_at >= start,
                ProposalRow.created_at < end]

    def proposals(self, start: datetime, end: datetime) -> ProposalCounts:
        """Replies proposed for approval in the period, by what became of them."""
        def count(condition: ColumnElement[bool]) -> Any:
            return func.sum(case((condition, 1), else_=0))

        q = select(func.count(), count(ProposalRow.state == APPROVED),
                   count(ProposalRow.state == REJECTED),
                   count(ProposalRow.state.in_((REPLACED, ANSWERED))),  # not needed
                   count(ProposalRow.state == PENDING),
                   count(and_(ProposalRow.state == APPROVED, ProposalRow.note == EDITED))
                   ).where(*self._proposed_in(start, end))
        with self.store.session() as s:
            total, approved, rejected, replaced, pending, edited = s.execute(q).one()
        return ProposalCounts(int(total or 0), int(approved or 0), int(edited or 0),
                              int(rejected or 0), int(replaced or 0), int(pending or 0))

    def decision_times_at(self, start: datetime, end: datetime, offset: int,
                          limit: int = 2) -> list[tuple[datetime, datetime]]:
        """(proposed, decided) of the period's proposals a responder decided, quickest first,
        from rank `offset` on (a median reads two rows, as `reply_times_at`)."""
        span: ColumnElement[Any] = (
            func.julianday(ProposalRow.decided_at) - func.julianday(ProposalRow.created_at)
            if self._sqlite else ProposalRow.decided_at - ProposalRow.created_at)
        q = (select(ProposalRow.created_at, ProposalRow.decided_at)
             .where(*self._proposed_in(start, end), ProposalRow.state.in_(DECIDED),
                    ProposalRow.decided_at.is_not(None))
             .order_by(span, ProposalRow.id).offset(offset).limit(limit))
        with self.store.session() as s:
            return [(p, d) for p, d in s.execute(q) if d is not None]

    def complaint_count(self, start: datetime, end: datetime) -> int:
        """Complaints opened in the period (every one, not only those with text left)."""
        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(CaseRow).where(
                *self._complaint_cases(), CaseRow.opened_at >= start, CaseRow.opened_at < end)) or 0)
