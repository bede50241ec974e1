"""Approval of replies: a proposer's reply waits for a responder (`approval:` in YAML).

A proposal's life, owned here as the case engine owns a case's: a proposer files it
("pending"; a newer one on the same case replaces it, "replaced"); a responder approves it,
which publishes its text (or the responder's edit of it) once through `casework.publish_reply`
("approved"), or rejects it with an optional reason ("rejected"). Each step is an event on
the case, committed in one transaction with the messages it causes: the proposal posted in
the alert's thread and later edited in place with its outcome, and the alert redrawn (it
says while a proposal waits). Approving a decided proposal, or one of a case that was
answered meanwhile, changes nothing; the outcome says why.
"""

from __future__ import annotations

from datetime import datetime

from monitor import case_engine, casework
from monitor.case_engine import Outcome, Result
from monitor.models import CaseRow
from monitor.notices import Notice, ProposalNote, Refresh
from monitor.ports import CaseDesk
from monitor.store_proposals import (
    APPROVED,
    EDITED,
    PENDING,
    REJECTED,
    REPLACED,
    Proposal,
    Proposals,
    ProposalTx,
)
from monitor.store_tx import Tx

# The case events of a proposal's life (`alerts.messages.EventKind` words them).
PROPOSED_EVENT, REPLACED_EVENT = "proposed", "proposal_replaced"
ANSWERED_EVENT = case_engine.PROPOSAL_NOT_NEEDED  # the case was answered or closed
APPROVED_EVENT, REJECTED_EVENT = "approved", "rejected"


def _queue(tx: Tx, case: CaseRow, *notices: Notice, now: datetime) -> None:
    for notice in notices:
        tx.queue(notice, now, brand_id=case.brand_id, channel=case.slack_channel)


def decided(proposal: Proposal, reference: str) -> Outcome:
    """The outcome for a click on a proposal that is no longer waiting."""
    return Outcome(Result.PROPOSAL_DECIDED, reference, who=proposal.decided_by, detail=proposal.state)


# -- the engine: each step inside the caller's transaction -------------------------------------

def file(tx: Tx, case: CaseRow, proposer: str, text: str, now: datetime) -> Outcome:
    """File `proposer`'s reply on an open, unanswered case; it replaces one still waiting."""
    refusal = case_engine.reply_allowed(case, now)
    if refusal is not None:
        return refusal
    proposals = ProposalTx(tx)
    notices: list[Notice] = []
    for older in proposals.pending(case.id):
        proposals.decide(older, REPLACED, proposer, now)
        tx.add_event(case.id, proposer, REPLACED_EVENT, now)
        notices.append(ProposalNote(case.id, older.id, REPLACED))
    row = proposals.add(case.id, proposer, text, now)
    event = tx.add_event(case.id, proposer, PROPOSED_EVENT, now)
    _queue(tx, case, *notices, ProposalNote(case.id, row.id, PENDING), Refresh(case.id, event), now=now)
    return Outcome(Result.PROPOSED, case.reference, who=proposer, detail=str(row.id))


def approved(tx: Tx, case: CaseRow, proposal_id: int, actor: str, edited: bool,
             now: datetime) -> Outcome:
    """Record that `actor` published proposal `proposal_id` (as written, or `edited`)."""
    proposals = ProposalTx(tx)
    row = proposals.get(proposal_id)
    if row.state == APPROVED:
        return Outcome(Result.PROPOSAL_DECIDED, case.reference, who=row.decided_by, detail=row.state)
    # Its text went out: that is what happened, even if a newer proposal or a rejection came in
    # between the check and the platform's answer.
    proposals.decide(row, APPROVED, actor, now, EDITED if edited else "")
    event = tx.add_event(case.id, actor, APPROVED_EVENT, now, EDITED if edited else "")
    _queue(tx, case, ProposalNote(case.id, row.id, APPROVED), Refresh(case.id, event), now=now)
    return Outcome(Result.APPROVED, case.reference, who=actor, detail=EDITED if edited else "")


def rejected(tx: Tx, case: CaseRow, proposal_id: int, actor: str, reason: str,
             now: datetime) -> Outcome:
    """Record that `actor` rejected a waiting proposal, with their reason (may be empty)."""
    proposals = ProposalTx(tx)
    row = proposals.get(proposal_id)
    if row.state != PENDING:
        return Outcome(Result.PROPOSAL_DECIDED, case.reference, who=row.decided_by, detail=row.state)
    proposals.decide(row, REJECTED, actor, now, reason)
    event = tx.add_event(case.id, actor, REJECTED_EVENT, now, reason)
    _queue(tx, case, ProposalNote(case.id, row.id, REJECTED), Refresh(case.id, event), now=now)
    return Outcome(Result.REJECTED, case.reference, who=actor, detail=reason)


# -- actions: what a click does, each in its own transactions ----------------------------------

def propose(deps: CaseDesk, case_id: int, text: str, user: str) -> Outcome:
    """File `user`'s reply for a responder to approve; nothing is published."""
    with deps.store.transaction() as tx:
        return file(tx, tx.case(case_id), user, text.strip(), deps.clock())


def approve(deps: CaseDesk, proposal_id: int, user: str, text: str | None = None) -> Outcome:
    """Publish a waiting proposal once (or `text`, the responder's edit of it) and record it.

    Publishing is `casework.publish_reply`, whose claim keeps a double click, from anyone,
    from publishing twice; the approval is recorded after the platform's answer.
    """
    proposal = Proposals(deps.store).get(proposal_id)
    case = deps.store.case(proposal.case_id)
    if not proposal.pending:
        return decided(proposal, case.reference)
    reply = proposal.text if text is None else text.strip()
    return casework.publish_reply(deps, proposal.case_id, reply, user,
                                  approving=(proposal_id, reply != proposal.text.strip()))


def reject(deps: CaseDesk, proposal_id: int, user: str, reason: str = "") -> Outcome:
    """Reject a waiting proposal; its proposer is told in the thread, nothing is published."""
    proposal = Proposals(deps.store).get(proposal_id)
    with deps.store.transaction() as tx:
        return rejected(tx, tx.case(proposal.case_id), proposal_id, user, reason.strip(),
                        deps.clock())


def waiting(kinds: list[str]) -> int:
    """How many proposals wait, from a case's event kinds in order (at most one: a newer one
    replaces the one before)."""
    count = 0
    for kind in kinds:
        if kind == PROPOSED_EVENT:
            count = 1
        elif kind in (APPROVED_EVENT, REJECTED_EVENT, ANSWERED_EVENT):
            count = 0
    return count
