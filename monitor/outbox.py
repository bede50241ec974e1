"""The outbox: messages for Slack wait here until Slack takes them, each effectively once.

The case engine writes rows in the same transaction as the change they report. A sender
claims a row before calling Slack (a conditional update, safe across processes), records
what Slack answered, and gives the row up only after many tries — then the brand's channel
is told once and `status` shows it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update

from monitor.models import CaseRow, OutboxRow, WaveRow
from monitor.notices import DeadLetter, Notice, decode
from monitor.store import Store
from monitor.store_tx import Tx

MAX_ATTEMPTS = 50
# How long a sender's claim on a message lasts; a claim older than this was a dead sender's.
LEASE = timedelta(seconds=float(os.environ.get("BRAND_MONITOR_SENDER_LEASE", "90")))


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int
    claims: int
    created_at: datetime
    brand_id: str | None
    channel: str | None

    @property
    def notice(self) -> Notice:
        return decode(self.kind, self.payload)

    @property
    def tried_before(self) -> bool:
        """An earlier claim may have reached Slack before it could record the answer."""
        return self.claims > 1


@dataclass(frozen=True)
class Sent:
    """Slack's answer to one claimed row, for `Outbox.sent_many`: when it came, the message's
    channel and ts, and the case whose alert or the wave whose grouped alert the message is."""

    item_id: int
    at: datetime
    channel: str | None = None
    ts: str | None = None
    alert_of: int | None = None
    wave_of: int | None = None


#: Where a case's alert or a wave's grouped alert is in Slack: (channel, ts), ts None while not posted.
Posted = tuple[str | None, str | None]


def _item(r: OutboxRow) -> OutboxItem:
    return OutboxItem(r.id, r.dedupe_key, r.kind, r.case_id, dict(r.payload), r.attempts,
                      r.claims or 0, r.created_at, r.brand_id, r.slack_channel)


class Outbox:
    """Queue of pending Slack calls with claims and retry times."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, notice: Notice, now: datetime, *, brand_id: str | None = None,
            channel: str | None = None) -> bool:
        """Queue one message on its own (the engine queues inside its transactions)."""
        with self.store.transaction() as tx:
            return tx.queue(notice, now, brand_id=brand_id, channel=channel)

    def due(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        """The rows a sender would take now, oldest first (read only)."""
        with self.store.session() as s:
            rows = s.scalars(select(OutboxRow).where(
                or_((OutboxRow.state == "pending") & (OutboxRow.next_attempt_at <= now),
                    (OutboxRow.state == "sending") & (OutboxRow.claimed_until < now)))
                .order_by(OutboxRow.id).limit(limit))
            return [_item(r) for r in rows]

    def claim_due(self, now: datetime, limit: int, worker: str,
                  skip_channels: frozenset[str] = frozenset()) -> list[OutboxItem]:
        """Claim up to `limit` due rows for `worker`, oldest first; rows another sender holds
        are left alone, and a claim older than its lease is taken over."""
        claimable = or_((OutboxRow.state == "pending") & (OutboxRow.next_attempt_at <= now),
                        (OutboxRow.state == "sending") & (OutboxRow.claimed_until < now))
        with self.store.session() as s:
            query = select(OutboxRow.id, OutboxRow.slack_channel).where(claimable).order_by(OutboxRow.id)
            candidates = [(i, ch) for i, ch in s.execute(query.limit(limit * 4))
                          if ch not in skip_channels][:limit]
        ids = [item_id for item_id, _channel in candidates]
        if not ids:
            return []
        until = now + LEASE
        with self.store.session() as s:  # one conditional update claims the whole batch
            s.execute(update(OutboxRow).where(OutboxRow.id.in_(ids), claimable).values(
                state="sending", claimed_by=worker, claimed_until=until,
                claims=OutboxRow.claims + 1))
            rows = s.scalars(select(OutboxRow).where(
                OutboxRow.id.in_(ids), OutboxRow.state == "sending",
                OutboxRow.claimed_by == worker, OutboxRow.claimed_until == until)
                .order_by(OutboxRow.id))
            return [_item(r) for r in rows]

    def superseded(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Record messages made redundant by a later one sent in their place (an edit of a
        wave's alert that a newer edit of the same wave carries), in one statement."""
        if not items:
            return
        with self.store.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id.in_([i.id for i in items])).values(
                state="sent", sent_at=now, attempts=OutboxRow.attempts + 1, claimed_until=None,
                last_error=None))

    def sent(self, item: OutboxItem, now: datetime, channel: str | None = None,
             ts: str | None = None, *, alert_of: int | None = None, wave_of: int | None = None) -> None:
        """Record Slack's answer to one row; an alert's or a wave's message is recorded with it."""
        self.sent_many([Sent(item.id, now, channel, ts, alert_of, wave_of)])

    def sent_many(self, answers: Sequence[Sent]) -> None:
        """Record Slack's answers to several rows in one transaction, each alert's or wave's
        message with its row (three statements at most, however many rows). Until it commits
        the rows stay claimed: after a crash the next claim finds each post by its key."""
        if not answers:
            return
        outbox = cast(Table, OutboxRow.__table__)  # the table itself: one executemany, no ORM
        rows = outbox.c
        channel_type = rows.slack_channel.type
        with self.store.session() as s:
            s.execute(update(outbox).where(rows.id == bindparam("b_id")).values(
                state="sent", sent_at=bindparam("b_at"), attempts=rows.attempts + 1,
                claimed_until=None, last_error=None, slack_ts=bindparam("b_ts"),
                slack_channel=func.coalesce(bindparam("b_channel", type_=channel_type),
                                            rows.slack_channel)),
                [{"b_id": a.item_id, "b_at": a.at, "b_ts": a.ts, "b_channel": a.channel or None}
                 for a in answers])
            for model, of in ((CaseRow, "alert_of"), (WaveRow, "wave_of")):
                table = cast(Table, model.__table__)
                posts = [{"b_id": getattr(a, of), "b_ts": a.ts, "b_channel": a.channel}
                         for a in answers if getattr(a, of) is not None and a.ts is not None]
                if posts:
                    s.execute(update(table).where(table.c.id == bindparam("b_id")).values(
                        slack_ts=bindparam("b_ts"), slack_channel=bindparam("b_channel")), posts)

    def messages(self, case_ids: Collection[int], wave_ids: Collection[int]
                 ) -> tuple[dict[int, Posted], dict[int, Posted]]:
        """Where the alert of each case and the grouped alert of each wave named is, read in
        one go for a batch; a case or wave that is gone is left out."""
        cases: dict[int, Posted] = {}
        waves: dict[int, Posted] = {}
        if not case_ids and not wave_ids:
            return cases, waves
        with self.store.session() as s:
            if case_ids:
                cases = {i: (ch, ts) for i, ch, ts in s.execute(
                    select(CaseRow.id, CaseRow.slack_channel, CaseRow.slack_ts)
                    .where(CaseRow.id.in_(sorted(case_ids))))}
            if wave_ids:
                waves = {i: (ch, ts) for i, ch, ts in s.execute(
                    select(WaveRow.id, WaveRow.slack_channel, WaveRow.slack_ts)
                    .where(WaveRow.id.in_(sorted(wave_ids))))}
        return cases, waves

    def release(self, item: OutboxItem, at: datetime) -> None:
        """Give a claimed row back untried (its channel is paused), due again at `at`."""
        with self.store.session() as s:
            s.execute(update(OutboxRow).where(OutboxRow.id == item.id).values(
                state="pending", next_attempt_at=at, claimed_until=None))

    def retry_later(self, item: OutboxItem, error: str, at: datetime, now: datetime) -> bool:
        """Count a failed try and wait until `at`; after MAX_ATTEMPTS give up. True if dead."""
        with self.store.transaction() as tx:
            row = tx.session.get(OutboxRow, item.id)
            if row is None:
                return False
            row.attempts += 1
            row.last_error = error[:2000]
            row.next_attempt_at = at
            row.claimed_until = None
            row.state = "pending"
            if row.attempts < MAX_ATTEMPTS:
                return False
            _bury(tx, row, error, now)
            return True

    def give_up(self, item: OutboxItem, error: str, now: datetime) -> None:
        """A message that can never be sent (unknown kind, its case gone): dead, and said so."""
        with self.store.transaction() as tx:
            row = tx.session.get(OutboxRow, item.id)
            if row is not None:
                row.attempts += 1
                _bury(tx, row, error, now)

    def counts(self) -> dict[str, int]:
        with self.store.session() as s:
            rows = s.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state)).all()
        return {state: int(n) for state, n in rows}

    def oldest_pending(self) -> datetime | None:
        with self.store.session() as s:
            return s.scalar(select(OutboxRow.created_at).where(OutboxRow.state.in_(["pending", "sending"]))
                            .order_by(OutboxRow.id).limit(1))

    def dead(self, limit: int = 5) -> list[tuple[int, str, str]]:
        """The latest messages given up: id, kind, last error."""
        with self.store.session() as s:
            rows = s.execute(select(OutboxRow.id, OutboxRow.kind, OutboxRow.last_error)
                             .where(OutboxRow.state == "dead").order_by(OutboxRow.id.desc()).limit(limit))
            return [(i, k, e or "") for i, k, e in rows]


def _bury(tx: Tx, row: OutboxRow, error: str, now: datetime) -> None:
    """Mark a row dead and, unless it was itself such a report, tell the brand's channel once."""
    row.state = "dead"
    row.last_error = error[:2000]
    row.claimed_until = None
    if row.kind == DeadLetter.kind or row.brand_id is None:
        return
    reference = None
    if row.case_id is not None:
        case = tx.session.get(CaseRow, row.case_id)
        reference = case.reference if case else None
    tx.queue(DeadLetter(row.brand_id, row.id, row.kind, error[:300], reference), now,
             brand_id=row.brand_id)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait before the next try: Slack's Retry-After when given, else doubling to 5 minutes."""
    if retry_after is not None:
        return timedelta(seconds=max(1.0, retry_after))
    return timedelta(seconds=min(300, 2 ** min(attempts, 9)))
