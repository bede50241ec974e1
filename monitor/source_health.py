"""Per-source cursors and health: last success, last error, items fetched, blind spots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.models import SourceStateRow
from monitor.store import Store


@dataclass(frozen=True)
class SourceHealth:
    brand_id: str
    source: str
    platform: str
    cursor: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failing_since: datetime | None
    consecutive_failures: int
    items_fetched: int
    items_skipped: int
    next_poll_at: datetime | None
    blind_spot: str | None
    down_notified: bool
    pipeline_error: str | None = None
    pipeline_error_at: datetime | None = None
    polls_total: int = 0
    errors_total: int = 0
    last_poll_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


class SourceStates:
    """Read and write each source's cursor and health."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _row(self, s: Session, brand_id: str, source: str, platform: str) -> SourceStateRow:
        row = s.get(SourceStateRow, (brand_id, source))
        if row is not None:
            return row
        try:
            with s.begin_nested():
                row = SourceStateRow(brand_id=brand_id, source=source, platform=platform,
                                     consecutive_failures=0, items_fetched=0, items_skipped=0,
                                     down_notified=False)
                s.add(row)
        except IntegrityError:  # another process made the row a moment ago: use theirs
            row = s.get(SourceStateRow, (brand_id, source), populate_existing=True)
            if row is None:
                raise
        return row

    def get(self, brand_id: str, source: str) -> SourceHealth | None:
        with self.store.session() as s:
            row = s.get(SourceStateRow, (brand_id, source))
            return _health(row) if row else None

    def all(self) -> list[SourceHealth]:
        with self.store.session() as s:
            rows = s.scalars(select(SourceStateRow).order_by(SourceStateRow.brand_id,
                                                             SourceStateRow.source))
            return [_health(r) for r in rows]

    def succeeded(self, brand_id: str, source: str, platform: str, cursor: str | None,
                  fetched: int, skipped: int, blind_spot: str | None, now: datetime,
                  next_poll_at: datetime,
                  in_transaction: Callable[[Any], None] | None = None) -> SourceHealth:
        """Advance the cursor (only after the mentions are stored, or handed over by
        `in_transaction`, which is given the driver's connection of this same transaction)
        and clear failures."""
        with self.store.session() as s:
            if in_transaction is not None:
                in_transaction(s.connection().connection.driver_connection)
            row = self._row(s, brand_id, source, platform)
            before = _health(row)
            if cursor is not None:
                row.cursor = cursor
            row.last_success_at = now
            row.consecutive_failures = 0
            row.failing_since = None
            row.items_fetched = (row.items_fetched or 0) + fetched
            row.items_skipped = (row.items_skipped or 0) + skipped
            row.blind_spot = blind_spot
            row.next_poll_at = next_poll_at
            row.pipeline_error = None
            _count_poll(row, now, failed=False)
            return before

    def pipeline_failed(self, brand_id: str, source: str, platform: str, error: str,
                        now: datetime) -> None:
        """Record a failure on our side while handling the source's mentions."""
        with self.store.session() as s:
            row = self._row(s, brand_id, source, platform)
            row.pipeline_error, row.pipeline_error_at = error[:2000], now

    def held_back(self, brand_id: str, source: str, platform: str, next_poll_at: datetime) -> None:
        """A poll that did not call the platform (its credential paused or out of tokens):
        only the next poll moves; health, cursor and counts stay as they were."""
        with self.store.session() as s:
            self._row(s, brand_id, source, platform).next_poll_at = next_poll_at

    def failed(self, brand_id: str, source: str, platform: str, error: str, now: datetime,
               next_poll_at: datetime) -> SourceHealth:
        with self.store.session() as s:
            row = self._row(s, brand_id, source, platform)
            row.last_error = error
            row.last_error_at = now
            row.consecutive_failures = (row.consecutive_failures or 0) + 1
            row.failing_since = row.failing_since or now
            row.next_poll_at = next_poll_at
            _count_poll(row, now, failed=True)
            return _health(row)

    def load_session(self, brand_id: str, source: str) -> str | None:
        with self.store.session() as s:
            row = s.get(SourceStateRow, (brand_id, source))
            return row.session if row else None

    def save_session(self, brand_id: str, source: str, platform: str, session: str) -> None:
        with self.store.session() as s:
            self._row(s, brand_id, source, platform).session = session

    def mark_notified(self, brand_id: str, source: str, down: bool) -> None:
        with self.store.session() as s:
            row = s.get(SourceStateRow, (brand_id, source))
            if row is not None:
                row.down_notified = down


def _count_poll(row: SourceStateRow, now: datetime, *, failed: bool) -> None:
    # Plain increments: one poll of a source runs at a time (the job engine's lock per source).
    row.polls_total = (row.polls_total or 0) + 1
    if failed:
        row.errors_total = (row.errors_total or 0) + 1
    row.last_poll_at = now


def _health(row: SourceStateRow) -> SourceHealth:
    return SourceHealth(row.brand_id, row.source, row.platform, row.cursor, row.last_success_at,
                        row.last_error_at, row.last_error, row.failing_since,
                        row.consecutive_failures or 0, row.items_fetched or 0,
                        row.items_skipped or 0, row.next_poll_at, row.blind_spot,
                        bool(row.down_notified), row.pipeline_error, row.pipeline_error_at,
                        row.polls_total or 0, row.errors_total or 0, row.last_poll_at)


def poll_delay(interval: timedelta, failures: int, retry_after: float | None,
               jitter: float) -> timedelta:
    """Next poll: the interval when healthy; exponential backoff (capped at 30 min) when not."""
    if failures == 0:
        return interval
    base = interval.total_seconds() * (2 ** min(failures, 6))
    if retry_after is not None:
        base = max(base, retry_after)
    return timedelta(seconds=min(base, 1800) * (1 + 0.1 * jitter))
