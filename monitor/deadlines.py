"""Reminders before the deadline and escalation at it: each fires once per case.

The scheduler calls these at the right moment (its jobs survive a restart); `sweep()` runs
the same checks on a timer and in `run --once`, so a missed job still fires, once. The case
engine decides; each check is one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

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


def sweep(deps: CaseDesk, page: int = 500) -> tuple[int, int]:
    """Remind, escalate and follow up every case that is due, however many are open: the
    database picks the due ones, a page at a time; each fires once (the engine claims it).
    Returns reminders and escalations."""
    now = deps.clock()
    reminded = escalated = 0
    for brand in deps.config.brands:
        brand_id = brand.id
        escalated += _each_due(deps, brand_id, "escalate", now, escalate, page)
        if brand.escalation.second_level_after is not None:
            escalated += _each_due(deps, brand_id, "escalate_again",
                                   now - brand.escalation.second_level_after, escalate_again, page)
        reminded += _each_due(deps, brand_id, "remind", now + brand.reminder_before, remind, page)
        if brand.followup.enabled:
            _each_due(deps, brand_id, "follow_up", now - brand.followup.after, follow_up, page)
    return reminded, escalated


def _each_due(deps: CaseDesk, brand_id: str, timer: str, due_before: datetime,
              fire: Callable[[CaseDesk, int], bool], page: int) -> int:
    fired, after = 0, 0
    while True:
        ids = deps.store.due_case_ids(brand_id, timer, due_before, after, page)
        for case_id in ids:
            fired += fire(deps, case_id)
        if len(ids) < page:
            return fired
        after = ids[-1]
