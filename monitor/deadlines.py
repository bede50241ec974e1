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


def _claim(runtime: Runtime, case_id: int, column: str, now: datetime,
           statuses: list[str] = OPEN, unanswered: bool = True) -> bool:
    """Set a timestamp column if still empty on a case in `statuses`; True if we did."""
    col = getattr(CaseRow, column)
    conditions = [CaseRow.id == case_id, col.is_(None), CaseRow.status.in_(statuses)]
    if unanswered:
        conditions.append(CaseRow.replied_at.is_(None))
    with runtime.store.session() as s:
        result = s.execute(update(CaseRow).where(*conditions).values({column: now}))
        return bool(getattr(result, "rowcount", 0))


def remind(runtime: Runtime, case_id: int) -> bool:
    """Post the reminder in the alert's thread, mentioning the assignee or responders."""
    now = runtime.clock()
    case = runtime.store.case(case_id)
    if case.escalated_at is not None or case.deadline_at <= now:
        return False  # past the deadline already: the escalation says it all
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


def escalate_again(runtime: Runtime, case_id: int) -> bool:
    """Second-level escalation, for a case still unanswered well after its deadline."""
    now = runtime.clock()
    if not _claim(runtime, case_id, "escalated2_at", now):
        return False
    runtime.outbox.put(f"escalate2:{case_id}", "escalation", {"case_id": case_id, "level": 2}, now,
                       case_id=case_id)
    runtime.store.add_event(case_id, "brand-monitor", "escalated", now, "second level")
    return True


def follow_up(runtime: Runtime, case_id: int) -> bool:
    """Ask the team, once, whether the customer of a resolved case is satisfied."""
    now = runtime.clock()
    if not _claim(runtime, case_id, "followup_sent_at", now, [CaseStatus.RESOLVED.value], False):
        return False
    runtime.outbox.put(f"followup:{case_id}", "followup", {"case_id": case_id}, now, case_id=case_id)
    runtime.store.add_event(case_id, "brand-monitor", "followup_asked", now)
    return True


def sweep(runtime: Runtime) -> tuple[int, int]:
    """Remind, escalate and follow up every case that is due; return reminders and escalations."""
    now = runtime.clock()
    reminded = escalated = 0
    for case in runtime.store.cases(open_only=True, limit=10_000):
        if case.replied_at is not None:
            continue
        brand = runtime.brand(case.brand_id)
        second = brand.escalation.second_level_after
        if case.deadline_at <= now and case.escalated_at is None:
            escalated += escalate(runtime, case.id)
        elif (second is not None and case.escalated_at is not None and case.escalated2_at is None
              and case.escalated_at + second <= now):
            escalated += escalate_again(runtime, case.id)
        elif (case.deadline_at - brand.reminder_before <= now and case.reminded_at is None
              and case.escalated_at is None):
            reminded += remind(runtime, case.id)
    for case in runtime.store.resolved_awaiting_followup():
        brand = runtime.brand(case.brand_id)
        if brand.followup.enabled and case.closed_at and case.closed_at + brand.followup.after <= now:
            follow_up(runtime, case.id)
    return reminded, escalated
