"""The SQL of a case's helpdesk ticket: the claim that makes it once, and what came of it.

A case has at most one row in `tickets` (its unique case_id is the lock). The claim commits in
a transaction of its own before the helpdesk is called; the answer is recorded, with the
case's event and notices, in the case engine's transaction (the `Tx` functions below).

Row statuses of ours: "creating" (claimed), "failed" (the helpdesk answered an error: a retry
sends a new idempotency key), "unanswered" (no answer: a retry must send the same key). Any
other status is the helpdesk's own ("new", "open", "solved"…), once the ticket exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from monitor.models import CaseRow, TicketRow
from monitor.records import copy_row
from monitor.store import Store
from monitor.store_tx import Tx

CREATING, FAILED, UNANSWERED = "creating", "failed", "unanswered"
CLAIM_LEASE = timedelta(minutes=5)
"""A "creating" claim older than this was a crashed process's: the next click may take it over
(with the same idempotency key, so Zendesk answers with the ticket if it was made)."""


@dataclass(frozen=True)
class Ticket:
    id: int
    case_id: int
    system: str
    external_id: str | None
    url: str | None
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    last_error: str | None

    @property
    def exists(self) -> bool:
        return self.external_id is not None


def ticket(store: Store, case_id: int) -> Ticket | None:
    with store.session() as s:
        row = s.scalar(select(TicketRow).where(TicketRow.case_id == case_id))
        return copy_row(Ticket, row) if row else None


def ticket_by_external(store: Store, brand_id: str, system: str, external_id: str) -> Ticket | None:
    """The ticket `external_id` of `system` if it belongs to a case of `brand_id`."""
    with store.session() as s:
        row = s.scalar(select(TicketRow).join(CaseRow, CaseRow.id == TicketRow.case_id).where(
            TicketRow.system == system, TicketRow.external_id == external_id,
            CaseRow.brand_id == brand_id))
        return copy_row(Ticket, row) if row else None


def claim(store: Store, case_id: int, system: str, actor: str, now: datetime) -> Ticket | None:
    """Take the right to create this case's ticket; None when a ticket exists or is being made.

    A claim freed by a failure is taken again; after an answered failure `created_at` moves
    on, which gives the retry a new idempotency key (`monitor.tickets.idempotency_key`).
    """
    try:
        with store.session() as s:
            s.add(TicketRow(case_id=case_id, system=system, status=CREATING, created_by=actor,
                            created_at=now, updated_at=now))
    except IntegrityError:
        with store.session() as s:
            free = TicketRow.case_id == case_id, TicketRow.external_id.is_(None)
            taken = s.execute(update(TicketRow).where(*free, TicketRow.status == FAILED).values(
                status=CREATING, created_by=actor, created_at=now, updated_at=now, system=system))
            if not getattr(taken, "rowcount", 0):
                taken = s.execute(update(TicketRow).where(*free, or_(
                    TicketRow.status == UNANSWERED,
                    (TicketRow.status == CREATING) & (TicketRow.updated_at < now - CLAIM_LEASE),
                )).values(status=CREATING, created_by=actor, updated_at=now))
            if not getattr(taken, "rowcount", 0):
                return None
    return ticket(store, case_id)


def record_created(tx: Tx, case_id: int, *, external_id: str, url: str, status: str,
                   now: datetime) -> None:
    tx.session.execute(update(TicketRow).where(TicketRow.case_id == case_id).values(
        external_id=external_id, url=url or None, status=status[:40] or "new", updated_at=now,
        last_error=None))


def record_failed(tx: Tx, case_id: int, *, error: str, answered: bool, now: datetime) -> None:
    """Free the claim for a retry and keep why it failed."""
    tx.session.execute(update(TicketRow).where(
        TicketRow.case_id == case_id, TicketRow.external_id.is_(None)).values(
        status=FAILED if answered else UNANSWERED, last_error=error[:2000], updated_at=now))


def record_status(tx: Tx, case_id: int, status: str, now: datetime) -> None:
    tx.session.execute(update(TicketRow).where(TicketRow.case_id == case_id).values(
        status=status[:40], updated_at=now))


def forget_tickets(tx: Tx, case_ids: list[int]) -> int:
    """Delete the ticket rows of these cases (erasing a customer)."""
    if not case_ids:
        return 0
    result = tx.session.execute(delete(TicketRow).where(TicketRow.case_id.in_(case_ids)))
    return int(getattr(result, "rowcount", 0) or 0)
