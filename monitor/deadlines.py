"""Reminders before the deadline and escalation at it: each fires once per case.

The scheduler calls these at the right moment (its jobs survive a restart); `sweep()` runs
the same checks on a timer and in `run --once`, so a missed job still fires, once. The case
engine decides; each check is one transaction.
"""

from __future__ import annotations

import logging

from monitor import case_engine
from monitor.ports import CaseDesk

log = logging.getLogger(__name__)


def remind(deps: CaseDesk, case_id: int) -> bool:
    """Queue the reminder in the alert's thread, mentioning the assignee or responders."""
    with deps.store.transaction() as tx:
        done = case_engine.remind(tx, tx.case(case_id), deps.clock())
    if done:
        log.info("reminder queued for case %d", case_id)
    return done


def escalate(deps: CaseDesk, case_id: int) -> bool:
    """Escalate a case whose deadline passed unanswered."""
    with deps.store.transaction() as tx:
        done = case_engine.escalate(tx, tx.case(case_id), deps.clock())
    if done:
        log.info("escalation queued for case %d", case_id)
    return done


def escalate_again(deps: CaseDesk, case_id: int) -> bool:
    """Second-level escalation, for a case still unanswered well after its deadline."""
    with deps.store.transaction() as tx:
        return case_engine.escalate(tx, tx.case(case_id), deps.clock(), level=2)


def follow_up(deps: CaseDesk, case_id: int) -> bool:
    """Ask the team, once, whether the customer of a resolved case is satisfied."""
    with deps.store.transaction() as tx:
        return case_engine.ask_followup(tx, tx.case(case_id), deps.clock())


def sweep(deps: CaseDesk) -> tuple[int, int]:
    """Remind, escalate and follow up every case that is due; return reminders and escalations."""
    now = deps.clock()
    reminded = escalated = 0
    for case in deps.store.cases(open_only=True, limit=10_000):
        if case.replied_at is not None:
            continue
        brand = deps.brand(case.brand_id)
        second = brand.escalation.second_level_after
        if case.deadline_at <= now and case.escalated_at is None:
            escalated += escalate(deps, case.id)
        elif (second is not None and case.escalated_at is not None and case.escalated2_at is None
              and case.escalated_at + second <= now):
            escalated += escalate_again(deps, case.id)
        elif (case.deadline_at - brand.reminder_before <= now and case.reminded_at is None
              and case.escalated_at is None):
            reminded += remind(deps, case.id)
    for case in deps.store.resolved_awaiting_followup():
        brand = deps.brand(case.brand_id)
        if brand.followup.enabled and case.closed_at and case.closed_at + brand.followup.after <= now:
            follow_up(deps, case.id)
    return reminded, escalated
