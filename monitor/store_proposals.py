"""The proposals' named operations: the SQL behind `monitor.approvals`.

The approval engine decides what happens to a proposal; this module only reads and writes
the `proposals` table, inside the caller's transaction (`ProposalTx`) or on its own
(`Proposals`: what the alert layer reads to draw a proposal and records once it is posted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from monitor.models import ProposalRow
from monitor.store import Store
from monitor.store_tx import Tx

PENDING, APPROVED, REJECTED, REPLACED = "pending", "approved", "rejected", "replaced"
ANSWERED = "answered"  # a responder answered the customer directly while it waited
DECIDED = (APPROVED, REJECTED)  # a responder's decision; "replaced" is the proposer's own
# The note of an approval whose text the responder changed before publishing (a rejection's
# note is its reason).
EDITED = "edited"


@dataclass(frozen=True)
class Proposal:
    """A reply a proposer drafted for a responder to approve."""

    id: int
    case_id: int
    proposer: str
    text: str
    state: str
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    slack_channel: str | None = None
    slack_ts: str | None = None

    @property
    def pending(self) -> bool:
        return self.state == PENDING

    @property
    def edited(self) -> bool:
        return self.state == APPROVED and self.note == EDITED


def proposal_record(row: ProposalRow) -> Proposal:
    return Proposal(id=row.id, case_id=row.case_id, proposer=row.proposer, text=row.text,
                    state=row.state, created_at=row.created_at, decided_by=row.decided_by,
                    decided_at=row.decided_at, note=row.note or "", slack_channel=row.slack_channel,
                    slack_ts=row.slack_ts)


class ProposalTx:
    """Proposal operations inside one open transaction (`Store.transaction()`)."""

    def __init__(self, tx: Tx) -> None:
        self.session = tx.session

    def add(self, case_id: int, proposer: str, text: str, now: datetime) -> ProposalRow:
        row = ProposalRow(case_id=case_id, proposer=proposer, text=text, state=PENDING,
                          created_at=now, note="")
        self.session.add(row)
        self.session.flush()
        return row

    def pending(self, case_id: int) -> list[ProposalRow]:
        """The case's proposals still waiting, locked for this transaction (PostgreSQL)."""
        return list(self.session.scalars(
            select(ProposalRow).where(ProposalRow.case_id == case_id, ProposalRow.state == PENDING)
            .order_by(ProposalRow.id).with_for_update()))

    def get(self, proposal_id: int) -> ProposalRow:
        """The proposal, locked for this transaction; KeyError when there is none."""
        row = self.session.scalar(select(ProposalRow).where(ProposalRow.id == proposal_id)
                                  .with_for_update())
        if row is None:
            raise KeyError(proposal_id)
        return row

    def decide(self, row: ProposalRow, state: str, by: str, at: datetime, note: str = "") -> None:
        row.state, row.decided_by, row.decided_at, row.note = state, by, at, note


class Proposals:
    """Proposal reads and the record of its Slack message, each in a transaction of its own."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, proposal_id: int) -> Proposal | None:
        with self.store.session() as s:
            row = s.get(ProposalRow, proposal_id)
            return proposal_record(row) if row else None

    def get(self, proposal_id: int) -> Proposal:
        found = self.find(proposal_id)
        if found is None:
            raise KeyError(proposal_id)
        return found

    def of_case(self, case_id: int) -> list[Proposal]:
        """The case's proposals, oldest first."""
        with self.store.session() as s:
            rows = s.scalars(select(ProposalRow).where(ProposalRow.case_id == case_id)
                             .order_by(ProposalRow.id))
            return [proposal_record(r) for r in rows]

    def set_message(self, proposal_id: int, channel: str, ts: str) -> None:
        """Remember where the proposal was posted, so its outcome edits that message."""
        with self.store.session() as s:
            s.execute(update(ProposalRow).where(ProposalRow.id == proposal_id)
                      .values(slack_channel=channel, slack_ts=ts))
