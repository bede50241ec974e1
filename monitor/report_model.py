"""What a report holds: the team's figures for one brand (or all) over one period.

Plain frozen values, built by `monitor.report_figures` from the database and read by every
renderer (the terminal, `--json`, the HTML file, the Slack summary and its charts). Days are
the brand's own calendar days; every duration is a `timedelta`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and the timezone whose days the report counts."""

    start: datetime
    end: datetime
    zone: str

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class DayCount:
    day: date
    mentions: int
    complaints: int


@dataclass(frozen=True)
class Compliance:
    """Complaints of one group (a platform, a language…) and how many met their deadline.

    `due` counts the complaints whose deadline fell inside the period or that were answered
    in it: the denominator of the share. `answered` of them were answered at all, `within`
    before their deadline."""

    key: str
    complaints: int
    due: int
    answered: int
    within: int

    @property
    def share_within(self) -> float | None:
        return self.within / self.due if self.due else None


@dataclass(frozen=True)
class ComplianceTable:
    dimension: str  # "platform", "language", "category", "severity" or "responder"
    rows: tuple[Compliance, ...]


@dataclass(frozen=True)
class ResponseTimes:
    """Time from the post to the team's first reply, over the complaints answered."""

    answered: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class BacklogPoint:
    """Cases open, and of them overdue, at the end of one day."""

    day: date
    open: int
    overdue: int


@dataclass(frozen=True)
class CategoryDay:
    day: date
    counts: Mapping[str, int]  # category value -> complaints that day (main category)


@dataclass(frozen=True)
class Sample:
    """One post shown as an example: its own words, as written."""

    reference: str
    text: str
    lang: str
    url: str


@dataclass(frozen=True)
class Cause:
    """A recurring cause: complaints grouped by what they are about.

    `words` are the cluster's most telling words, `previous` its count in the period of the
    same length just before (the trend), `samples` up to two posts of it."""

    words: tuple[str, ...]
    count: int
    previous: int
    category: str
    samples: tuple[Sample, ...]

    @property
    def trend(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class FollowUps:
    """The follow-up question after a reply: asked, and what the customers answered."""

    asked: int
    satisfied: int
    unsatisfied: int


@dataclass(frozen=True)
class Feedback:
    """How well the bot did, by the team's own marks: cases opened, those the team closed as
    "not a complaint", and posts it flagged as complaints the bot had not alerted."""

    alerted: int
    not_complaint: int
    flagged: int

    @property
    def precision(self) -> float | None:
        return 1 - self.not_complaint / self.alerted if self.alerted else None


@dataclass(frozen=True)
class Approvals:
    """Replies proposed for a responder's approval in the period (`approval:` in YAML), and
    what became of them so far: approved as written or with edits, rejected, replaced by a
    newer proposal, or still waiting. `median_decision` runs from the proposal to a
    responder's approval or rejection."""

    proposed: int
    approved: int
    edited: int  # of the approved
    rejected: int
    replaced: int
    pending: int
    median_decision: timedelta | None


@dataclass(frozen=True)
class Report:
    brand_id: str | None  # None: every brand of the config
    brand_name: str
    period: Period
    generated_at: datetime
    mentions: int
    complaints: int
    open_now: int
    overdue_now: int
    days: tuple[DayCount, ...]
    compliance: tuple[ComplianceTable, ...]
    response_times: ResponseTimes
    backlog: tuple[BacklogPoint, ...]
    categories: tuple[CategoryDay, ...]
    causes: tuple[Cause, ...]
    followups: FollowUps
    feedback: Feedback
    # The causes group the most recent complaints only (the encoder is slow-ish): how many
    # of the period's complaints they were drawn from (monitor.report_causes.MAX_EMBEDDED).
    causes_from: int = 0
    # Only when replies were proposed for approval in the period.
    approvals: Approvals | None = None

    def table(self, dimension: str) -> ComplianceTable | None:
        return next((t for t in self.compliance if t.dimension == dimension), None)


@dataclass(frozen=True)
class Chart:
    """One rendered chart: a PNG for Slack's file upload and the HTML report."""

    filename: str
    title: str
    png: bytes
