"""Reminders before the deadline and escalation at it: each fires once per case.

The scheduler calls these at the right moment (its jobs survive a restart); `sweep()` runs
the same checks on a timer and in `run --once`, so a missed job still fires, once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update

from monitor.domain import CaseStatus
from monitor.models import CaseRow
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
OPEN = [s.value for s in CaseStatus if s.is_open]


def _claim(runtime: Runtime, case_id: int, column: str, now: datetime) -> bool:
    """Set reminded_at / escalated_at if still empty on an open case; True if we did."""
    col = getattr(CaseRow, column)
    with runtime.store.session() as s:
        result = s.execute(update(CaseRow).where(CaseRow.id == case_id, col.is_(None),
                                                 CaseRow.status.in_(OPEN),
                                                 CaseRow.replied_at.is_(None))
                           .values({column: now}))
        return bool(getattr(result, "rowcount", 0))


def remind(runtime: Runtime, case_id: int) -> bool:
    """Post the reminder in the alert's thread, mentioning the assignee or responders."""
    now = runtime.clock()
    if not _claim(runtime, case_id, "reminded_at", now):
        return False
    runtime.outbox.put(f"remind:{case_id}", "reminder", {"case_id": case_id}, now, case_id=case_id)
    runtime.store.add_event(case_id, "brand-monitor", "reminded", now)
    log.info("reminder queued for case %d", case_id)
    return True


def escalate(runtime: Runtime, case_id: int) -> bool:
    """Escalate a case whose deadline passed unanswered."""
    now = runtime.clock()
    if not _claim(runtime, case_id, "escalated_at", now):
        return False
    runtime.outbox.put(f"escalate:{case_id}", "escalation", {"case_id": case_id, "level": 1}, now,
                       case_id=case_id)
    runtime.outbox.put(f"update:{case_id}:escalated", "update", {"case_id": case_id}, now,
                       case_id=case_id)
    runtime.store.add_event(case_id, "brand-monitor", "escalated", now)
    log.info("escalation queued for case %d", case_id)
    return True


def sweep(runtime: Runtime) -> tuple[int, int]:
    """Remind and escalate every open case that is due; return how many of each."""
    now = runtime.clock()
    reminded = escalated = 0
    for case in runtime.store.cases(open_only=True, limit=10_000):
        if case.replied_at is not None:
            continue
        brand = runtime.brand(case.brand_id)
        if case.deadline_at <= now and case.escalated_at is None:
            escalated += escalate(runtime, case.id)
        elif case.deadline_at - brand.reminder_before <= now and case.reminded_at is None:
            reminded += remind(runtime, case.id)
    return reminded, escalated
