"""The SQL of spikes and quiet sources: hourly counts, open spikes, quiet sources.

Counts are made by the database, GROUP BY hours before now, bounded to the weeks a baseline
reads, on the (brand_id, published_at) and (brand_id, source, published_at) indexes: a few
hundred rows come back whatever the volume. Changes happen in `SpikeStore.turn`, one
transaction per brand that holds the brand's spike lock (PostgreSQL) and writes the outbox
message in the same commit; a unique index keeps one open spike per brand and kind even where
no lock is taken.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, delete, extract, func, literal, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from monitor.models import CaseRow, MentionRow, QuietSourceRow, SpikeRow, WaveRow
from monitor.records import copy_row
from monitor.spikes import Hourly, SpikeKind
from monitor.store import Store
from monitor.store_tx import Tx

TEXTS = 200
"""At most this many post texts are read to find a spike's words (and as many usual ones)."""


@dataclass(frozen=True)
class Spike:
    id: int
    brand_id: str
    kind: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    revision: int
    peak: float
    facts: dict[str, Any]
    slack_channel: str | None
    slack_ts: str | None


@dataclass(frozen=True)
class Sample:
    """A post of the spike, as its alert quotes it."""

    platform: str
    author_handle: str
    text: str
    url: str


@dataclass(frozen=True)
class WaveLink:
    id: int
    topic: str
    cases: int
    slack_channel: str | None
    slack_ts: str | None


@dataclass(frozen=True)
class Quiet:
    brand_id: str
    source: str
    quiet_since: datetime
    notified_at: datetime


def _spike(row: SpikeRow) -> Spike:
    record: Spike = copy_row(Spike, row, facts=dict(row.facts or {}))
    return record


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _hours_ago(session: Session, now: datetime) -> Any:
    """Whole hours between `published_at` and `now`, in the database's own date functions."""
    now_s = int(now.timestamp())
    if session.get_bind().dialect.name == "postgresql":
        seconds: Any = cast(func.floor(extract("epoch", MentionRow.published_at)), BigInteger)
        return (literal(now_s, BigInteger) - seconds) // 3600
    seconds = cast(func.strftime("%s", MentionRow.published_at), Integer)
    return (literal(now_s, Integer) - seconds) // 3600


def _span(now: datetime, hours: int) -> list[Any]:
    return [MentionRow.published_at > now - timedelta(hours=hours), MentionRow.published_at <= now]


class SpikeTx(Tx):
    """The spike and quiet-source operations inside one brand's turn."""

    def open_spike(self, brand_id: str, kind: SpikeKind) -> Spike | None:
        row = self.session.scalar(select(SpikeRow).where(
            SpikeRow.brand_id == brand_id, SpikeRow.kind == kind.value, SpikeRow.ended_at.is_(None)))
        return _spike(row) if row else None

    def last_ended(self, brand_id: str, kind: SpikeKind) -> datetime | None:
        return self.session.scalar(select(func.max(SpikeRow.ended_at)).where(
            SpikeRow.brand_id == brand_id, SpikeRow.kind == kind.value))

    def start_spike(self, brand_id: str, kind: SpikeKind, now: datetime, value: float,
                    facts: dict[str, Any], channel: str) -> Spike:
        row = SpikeRow(brand_id=brand_id, kind=kind.value, started_at=now, updated_at=now,
                       revision=0, peak=value, facts=facts, slack_channel=channel)
        self.session.add(row)
        self.session.flush()
        return _spike(row)

    def revise_spike(self, spike_id: int, now: datetime, value: float, facts: dict[str, Any] | None,
                     *, end: bool = False) -> int:
        """Record a change the alert must show; returns the new revision."""
        row = self.session.get_one(SpikeRow, spike_id, with_for_update=True)
        row.revision += 1
        row.updated_at = now
        row.peak = max(row.peak, value)
        if facts is not None:
            row.facts = facts
        if end:
            row.ended_at = now
        return row.revision

    def top(self, brand_id: str, since: datetime, until: datetime, column: Any
            ) -> tuple[str | None, int]:
        """The most frequent value of `column` among the complaints in the span, and its count."""
        found = self.session.execute(
            select(column, func.count().label("n")).where(
                MentionRow.brand_id == brand_id, MentionRow.is_complaint.is_(True),
                MentionRow.published_at > since, MentionRow.published_at <= until)
            .group_by(column).order_by(func.count().desc(), column).limit(1)).first()
        return (str(found[0]) if found[0] is not None else None, int(found[1])) if found else (None, 0)

    def complaint_texts(self, brand_id: str, since: datetime, until: datetime,
                        limit: int = TEXTS) -> list[str]:
        return list(self.session.scalars(select(MentionRow.text).where(
            MentionRow.brand_id == brand_id, MentionRow.is_complaint.is_(True),
            MentionRow.published_at > since, MentionRow.published_at <= until, MentionRow.text != "")
            .order_by(MentionRow.published_at.desc()).limit(limit)))

    def sample_ids(self, brand_id: str, since: datetime, until: datetime, limit: int = 3) -> list[int]:
        """The newest complaints of the span, newest first."""
        return list(self.session.scalars(select(MentionRow.id).where(
            MentionRow.brand_id == brand_id, MentionRow.is_complaint.is_(True),
            MentionRow.published_at > since, MentionRow.published_at <= until, MentionRow.text != "")
            .order_by(MentionRow.published_at.desc(), MentionRow.id.desc()).limit(limit)))

    def main_wave(self, brand_id: str, since: datetime, until: datetime) -> int | None:
        """The wave holding most of the span's cases, if one formed."""
        return self.session.scalar(
            select(CaseRow.wave_id).join(MentionRow, CaseRow.mention_id == MentionRow.id)
            .where(CaseRow.brand_id == brand_id, CaseRow.wave_id.is_not(None),
                   MentionRow.published_at > since, MentionRow.published_at <= until)
            .group_by(CaseRow.wave_id).order_by(func.count().desc(), CaseRow.wave_id.desc()).limit(1))

    # -- quiet sources ----------------------------------------------------------------------

    def quiet_sources(self, brand_id: str) -> dict[str, Quiet]:
        rows = self.session.scalars(select(QuietSourceRow).where(QuietSourceRow.brand_id == brand_id))
        return {r.source: copy_row(Quiet, r) for r in rows}

    def start_quiet(self, brand_id: str, source: str, since: datetime, now: datetime) -> None:
        self.session.add(QuietSourceRow(brand_id=brand_id, source=source, quiet_since=since,
                                        notified_at=now))
        self.session.flush()

    def end_quiet(self, brand_id: str, source: str) -> bool:
        result = self.session.execute(delete(QuietSourceRow).where(
            QuietSourceRow.brand_id == brand_id, QuietSourceRow.source == source))
        return bool(getattr(result, "rowcount", 0))


class SpikeStore:
    """Counts for the baselines, and each spike's state, for the checks and the sender."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def turn(self, brand_id: str, what: str = "spikes") -> Iterator[SpikeTx]:
        """One transaction for a brand's check and the messages it queues. PostgreSQL: a
        transaction-level advisory lock per brand, so two workers checking at once take turns
        (the second sees what the first did); SQLite lets one writer in at a time already."""
        with self.store.session() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"),
                          {"key": _lock_key(f"{what}:{brand_id}")})
            yield SpikeTx(s)

    def hourly(self, brand_id: str, now: datetime, hours: int) -> Hourly:
        """The brand's mentions and complaints per hour, `hours` back from `now`."""
        mentions, complaints = [0] * hours, [0] * hours
        with self.store.session() as s:
            ago = _hours_ago(s, now).label("ago")
            rows = s.execute(
                select(ago, func.count(), func.count().filter(MentionRow.is_complaint.is_(True)))
                .where(MentionRow.brand_id == brand_id, *_span(now, hours)).group_by(ago))
            for index, n, c in rows:
                if 0 <= int(index) < hours:
                    mentions[int(index)], complaints[int(index)] = int(n), int(c)
        return Hourly(tuple(mentions), tuple(complaints))

    def hourly_by_source(self, brand_id: str, now: datetime, hours: int
                         ) -> dict[str, tuple[int, ...]]:
        """Each of the brand's sources' mentions per hour, `hours` back from `now`."""
        series: dict[str, list[int]] = {}
        with self.store.session() as s:
            ago = _hours_ago(s, now).label("ago")
            rows = s.execute(select(MentionRow.source, ago, func.count())
                             .where(MentionRow.brand_id == brand_id, *_span(now, hours))
                             .group_by(MentionRow.source, ago))
            for source, index, n in rows:
                if 0 <= int(index) < hours:
                    series.setdefault(str(source), [0] * hours)[int(index)] = int(n)
        return {source: tuple(counts) for source, counts in series.items()}

    def spike(self, spike_id: int) -> Spike:
        with self.store.session() as s:
            row = s.get(SpikeRow, spike_id)
            if row is None:
                raise KeyError(spike_id)
            return _spike(row)

    def spikes(self, brand_id: str | None = None) -> list[Spike]:
        with self.store.session() as s:
            q = select(SpikeRow).order_by(SpikeRow.id)
            if brand_id is not None:
                q = q.where(SpikeRow.brand_id == brand_id)
            return [_spike(r) for r in s.scalars(q)]

    def samples(self, mention_ids: Sequence[int]) -> list[Sample]:
        """The posts a spike quotes, in the order given; erased ones are left out."""
        if not mention_ids:
            return []
        with self.store.session() as s:
            rows = {r.id: r for r in s.scalars(select(MentionRow).where(
                MentionRow.id.in_(list(mention_ids))))}
        return [Sample(r.platform, r.author_handle, r.text, r.url)
                for i in mention_ids if (r := rows.get(i)) is not None and r.text]

    def wave_link(self, wave_id: int | None) -> WaveLink | None:
        if wave_id is None:
            return None
        with self.store.session() as s:
            row = s.get(WaveRow, wave_id)
            if row is None:
                return None
            cases = int(s.scalar(select(func.count()).select_from(CaseRow)
                                 .where(CaseRow.wave_id == wave_id)) or 0)
            return WaveLink(row.id, row.topic, cases, row.slack_channel, row.slack_ts)

    def set_message(self, spike_id: int, channel: str, ts: str) -> None:
        with self.store.session() as s:
            row = s.get_one(SpikeRow, spike_id)
            row.slack_channel, row.slack_ts = channel, ts

    def quiet(self) -> dict[tuple[str, str], Quiet]:
        with self.store.session() as s:
            return {(r.brand_id, r.source): copy_row(Quiet, r)
                    for r in s.scalars(select(QuietSourceRow))}
