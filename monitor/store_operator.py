"""What the operator's view reads: counts made by the database, never rows loaded to count.

Shared by `/metrics`, `/healthz` and `brand-monitor status`: every replica and worker reads the
same database, so each reports the whole deployment's figures. The job engine's tables exist on
PostgreSQL once `db-upgrade` or a worker created them; elsewhere the engine figures are empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text

from monitor.models import MentionRow
from monitor.outbox import Outbox
from monitor.source_health import SourceHealth, SourceStates
from monitor.store import Store


@dataclass(frozen=True)
class EngineFigures:
    """The job engine's queue: jobs per (queue, task, status), and its live workers."""

    jobs: dict[tuple[str, str, str], int] = field(default_factory=dict)
    workers: list[tuple[int, float]] = field(default_factory=list)  # (id, seconds since heartbeat)

    def waiting(self, queue: str | None = None) -> int:
        return sum(n for (q, _t, status), n in self.jobs.items()
                   if status in ("todo", "doing") and (queue is None or q == queue))


@dataclass(frozen=True)
class Figures:
    mentions: int
    complaints: int
    open_cases: int
    overdue_cases: int
    outbox: dict[str, int]
    oldest_queued: datetime | None
    sources: list[SourceHealth]
    engine: EngineFigures | None  # None: no job engine in this database


def database_answers(store: Store) -> str | None:
    """None when the database answers a trivial query; else why not, in one line."""
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure is the answer: /healthz reports it, never raises
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    return None


def engine_figures(store: Store) -> EngineFigures | None:
    """The job engine's figures, or None where its tables do not exist."""
    if store.engine.dialect.name != "postgresql":
        return None
    with store.engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            return None
        jobs = {(str(q), str(t), str(s)): int(n) for q, t, s, n in conn.execute(text(
            "SELECT queue_name, task_name, status, count(*) FROM procrastinate_jobs "
            "GROUP BY queue_name, task_name, status"))}
        workers = [(int(i), float(age)) for i, age in conn.execute(text(
            "SELECT id, EXTRACT(EPOCH FROM now() - last_heartbeat) FROM procrastinate_workers "
            "ORDER BY id"))]
    return EngineFigures(jobs, workers)


def figures(store: Store, now: datetime) -> Figures:
    with store.session() as s:
        mentions = int(s.scalar(select(func.count()).select_from(MentionRow)) or 0)
        complaints = int(s.scalar(select(func.count()).select_from(MentionRow)
                                  .where(MentionRow.is_complaint.is_(True))) or 0)
    open_cases, overdue = store.case_counts(now)
    outbox = Outbox(store)
    return Figures(mentions, complaints, open_cases, overdue, outbox.counts(), outbox.oldest_pending(),
                   SourceStates(store).all(), engine_figures(store))
