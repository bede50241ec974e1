"""Typed messages for the team: what the case engine asks the alert layer to say in Slack.

Each kind is one dataclass with its own idempotency key. The engine writes them to the
outbox in the same transaction as the change they report; the sender turns each into one
Slack call, and the key keeps a message from going out twice, even across a crash (it
travels in the Slack message's metadata). They carry facts, never sentences: the alert
layer words them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from monitor.domain import CaseStatus


@dataclass(frozen=True)
class Notice:
    """Base of every outgoing message."""

    kind: ClassVar[str]

    @property
    def key(self) -> str:  # pragma: no cover - every kind defines its own
        raise NotImplementedError

    @property
    def case_id(self) -> int | None:
        return None

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CaseNotice(Notice):
    """A message about one case: in its alert's thread, or the alert itself."""

    case: int

    @property
    def case_id(self) -> int | None:
        return self.case


@dataclass(frozen=True)
class Alert(CaseNotice):
    """The case's alert: in the channel, or in its wave's thread."""

    kind: ClassVar[str] = "alert"
    wave: int | None = None

    @property
    def key(self) -> str:
        return f"alert:{self.case}"


@dataclass(frozen=True)
class WaveAlert(Notice):
    """The grouped alert of a wave, posted once and then kept current."""

    kind: ClassVar[str] = "wave"
    wave: int
    joined_by: int

    @property
    def key(self) -> str:
        return f"wave:{self.wave}:{self.joined_by}"


@dataclass(frozen=True)
class Refresh(CaseNotice):
    """Redraw the alert after event `event` changed the case."""

    kind: ClassVar[str] = "update"
    event: int

    @property
    def key(self) -> str:
        return f"update:{self.case}:{self.event}"


@dataclass(frozen=True)
class StatusNote(CaseNotice):
    """In the thread: someone (or the bot) moved the case to `status`, for `reason`."""

    kind: ClassVar[str] = "status_note"
    event: int
    actor: str
    status: CaseStatus
    reason: str = ""  # "edited_review", "not_satisfied", "flagged" or empty

    @property
    def key(self) -> str:
        return f"note:{self.case}:{self.event}"


@dataclass(frozen=True)
class AssignedNote(CaseNotice):
    kind: ClassVar[str] = "assigned_note"
    event: int
    actor: str
    assignee: str
    previous: str | None = None

    @property
    def key(self) -> str:
        return f"note:{self.case}:{self.event}"


@dataclass(frozen=True)
class ReplyNote(CaseNotice):
    """In the thread: the reply that was published, by whom, and where."""

    kind: ClassVar[str] = "reply_note"
    event: int
    actor: str
    text: str
    url: str | None
    platform_title: str

    @property
    def key(self) -> str:
        return f"note:{self.case}:{self.event}"


@dataclass(frozen=True)
class ProposalNote(CaseNotice):
    """In the thread: a proposed reply with Approve / Edit / Reject, posted once while
    `state` is "pending", then edited in place with its outcome ("approved", "rejected",
    "replaced"); its ts is kept on the proposal (`monitor.approvals`)."""

    kind: ClassVar[str] = "proposal"
    proposal: int
    state: str

    @property
    def key(self) -> str:
        return f"proposal:{self.proposal}:{self.state}"


@dataclass(frozen=True)
class CustomerPosted(CaseNotice):
    """In the thread: the customer wrote again in the same conversation."""

    kind: ClassVar[str] = "customer_posted"
    mention: int

    @property
    def key(self) -> str:
        return f"note:{self.case}:post:{self.mention}"


@dataclass(frozen=True)
class Reminder(CaseNotice):
    kind: ClassVar[str] = "reminder"

    @property
    def key(self) -> str:
        return f"remind:{self.case}"


@dataclass(frozen=True)
class Escalation(CaseNotice):
    kind: ClassVar[str] = "escalation"
    level: int = 1

    @property
    def key(self) -> str:
        return f"escalate:{self.case}:{self.level}"


@dataclass(frozen=True)
class FollowUpAsk(CaseNotice):
    kind: ClassVar[str] = "followup"

    @property
    def key(self) -> str:
        return f"followup:{self.case}"


@dataclass(frozen=True)
class SourceNotice(Notice):
    """To the brand's channel: a source went down for a while, or came back."""

    kind: ClassVar[str] = "source_notice"
    brand_id: str
    source: str
    down_since: str
    error: str
    recovered: bool
    at: str

    @property
    def key(self) -> str:
        when = self.at if self.recovered else self.down_since
        return f"source:{self.brand_id}:{self.source}:{'up' if self.recovered else 'down'}:{when}"


@dataclass(frozen=True)
class SpikeAlert(Notice):
    """To the brand's channel: a spike's alert, posted at revision 0 and then kept current
    (its count, and at the end that it ended) by editing it."""

    kind: ClassVar[str] = "spike"
    spike: int
    revision: int

    @property
    def key(self) -> str:
        return f"spike:{self.spike}:{self.revision}"


@dataclass(frozen=True)
class QuietSource(Notice):
    """To the brand's channel: a source fetches far fewer posts than usual, or is back."""

    kind: ClassVar[str] = "quiet_source"
    brand_id: str
    source: str
    since: str
    recovered: bool
    hours: int
    observed: int
    expected: float

    @property
    def key(self) -> str:
        return f"quiet:{self.brand_id}:{self.source}:{'back' if self.recovered else 'quiet'}:{self.since}"


@dataclass(frozen=True)
class ScheduledReport(Notice):
    """To the brand's channel: the daily or weekly report of the local days [first, last],
    over [start, end) in UTC; the sender builds it from the database when it posts."""

    kind: ClassVar[str] = "report"
    brand_id: str
    schedule: str  # "daily" or "weekly"
    first: str  # ISO dates of the brand's first and last day
    last: str
    start: str  # ISO times in UTC
    end: str

    @property
    def key(self) -> str:
        return f"report:{self.brand_id}:{self.schedule}:{self.first}"


@dataclass(frozen=True)
class DeadLetter(Notice):
    """To the brand's channel: a message could not be delivered and was given up."""

    kind: ClassVar[str] = "dead_letter"
    brand_id: str
    outbox_id: int
    what: str
    error: str
    reference: str | None = None

    @property
    def key(self) -> str:
        return f"dead:{self.outbox_id}"


@dataclass(frozen=True)
class LegacyNote(CaseNotice):
    """A thread text queued by an older version (kept so an upgrade loses nothing)."""

    kind: ClassVar[str] = "thread"
    text: str = ""
    event: int = 0

    @property
    def key(self) -> str:
        return f"thread:{self.case}:{self.event}"


KINDS: dict[str, type[Notice]] = {cls.kind: cls for cls in (
    Alert, WaveAlert, Refresh, StatusNote, AssignedNote, ReplyNote, CustomerPosted, Reminder,
    Escalation, FollowUpAsk, SourceNotice, DeadLetter, LegacyNote, SpikeAlert, QuietSource,
    ScheduledReport, ProposalNote)}


class UnknownNotice(ValueError):
    """An outbox row of a kind this version does not know."""


def decode(kind: str, payload: dict[str, Any]) -> Notice:
    """Rebuild a notice from its outbox row, including rows older versions wrote."""
    data = dict(payload)
    if "case_id" in data:  # rows written before the typed messages
        data["case"] = data.pop("case_id")
    if kind == "thread":
        if "reply" in data:
            reply = data["reply"]
            return ReplyNote(int(data["case"]), 0, reply["by"], reply["text"], reply.get("url"),
                             reply.get("platform", ""))
        if "mention_id" in data:
            return CustomerPosted(int(data["case"]), int(data["mention_id"]))
        return LegacyNote(int(data["case"]), str(data.get("text", "")))
    if kind == "update" and "event" not in data:
        data["event"] = 0
    if kind == "wave" and "joined_by" not in data:
        data["joined_by"] = 0
    if kind == "wave" and "wave_id" in data:
        data["wave"] = data.pop("wave_id")
    if kind == "alert" and "wave_id" in data:
        data["wave"] = data.pop("wave_id")
    cls = KINDS.get(kind)
    if cls is None:
        raise UnknownNotice(kind)
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        notice = cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise UnknownNotice(f"{kind}: {exc}") from None
    if isinstance(notice, StatusNote) and not isinstance(notice.status, CaseStatus):
        notice = dataclasses.replace(notice, status=CaseStatus(notice.status))
    return notice
