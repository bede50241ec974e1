"""The outbox: Slack calls wait here until Slack takes them, each exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from monitor.models import OutboxRow
from monitor.store import Store

MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int


class Outbox:
    """Queue of pending Slack calls with retry times; `dedupe_key` stops doubles."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, dedupe_key: str, kind: str, payload: dict[str, Any], now: datetime,
            case_id: int | None = None) -> bool:
        """Queue a call; False when the same key was queued before (nothing is doubled)."""
        try:
            with self.store.session() as s:
                s.add(OutboxRow(dedupe_key=dedupe_key, kind=kind, case_id=case_id, payload=payload,
                                state="pending", attempts=0, next_attempt_at=now, created_at=now))
        except IntegrityError:
            return False
        return True

    def due(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        with self.store.session() as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.state == "pending",
                                                     OutboxRow.next_attempt_at <= now)
                             .order_by(OutboxRow.id).limit(limit))
            return [OutboxItem(r.id, r.kind, r.case_id, dict(r.payload), r.attempts) for r in rows]

    def sent(self, item_id: int, now: datetime) -> None:
        with self.store.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == item_id)
                      .values(state="sent", sent_at=now, attempts=OutboxRow.attempts + 1))

    def retry_later(self, item_id: int, error: str, at: datetime) -> None:
        with self.store.session() as s:
            row = s.get(OutboxRow, item_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error
            row.next_attempt_at = at
            if row.attempts >= MAX_ATTEMPTS:
                row.state = "dead"

    def give_up(self, item_id: int, error: str) -> None:
        with self.store.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == item_id)
                      .values(state="dead", last_error=error, attempts=OutboxRow.attempts + 1))

    def counts(self) -> dict[str, int]:
        with self.store.session() as s:
            rows = s.execute(select(OutboxRow.state, OutboxRow.id)).all()
        out: dict[str, int] = {}
        for state, _ in rows:
            out[state] = out.get(state, 0) + 1
        return out

    def oldest_pending(self) -> datetime | None:
        with self.store.session() as s:
            return s.scalar(select(OutboxRow.created_at).where(OutboxRow.state == "pending")
                            .order_by(OutboxRow.id).limit(1))


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait before the next try: Slack's Retry-After when given, else doubling to 5 minutes."""
    if retry_after is not None:
        return timedelta(seconds=max(1.0, retry_after))
    return timedelta(seconds=min(300, 2 ** min(attempts, 9)))
