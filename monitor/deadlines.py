"""Reminders before the deadline and escalation at it: each fires once per case.

The scheduler calls these at the right moment (its jobs survive a restart); `sweep()` runs
the same checks on a timer and in `run --once`, so a missed job still fires, once. The case
engine decides; a scheduled check is one transaction, and the sweep fires `CHUNK` due cases
to a transaction (one at a time again when one of them fails).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from monitor import case_engine
from monitor.models import CaseRow
from monitor.ports import CaseDesk
from monitor.store import is_database_failure
from monitor.store_tx import Tx

log = logging.getLogger(__name__)
CHUNK = 50
Step = Callable[[Tx, CaseRow, datetime], bool]


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


def sweep(deps: CaseDesk, page: int = 500) -> tuple[int, int]:
    """Remind, escalate and follow up every case that is due, however many are open: the
    database picks the due ones, a page at a time; each fires once (the engine claims it).
    Returns reminders and escalations."""
    now = deps.clock()
    reminded = escalated = 0
    for brand in deps.config.brands:
        brand_id = brand.id
        escalated += _each_due(deps, brand_id, "escalate", now, case_engine.escalate, page)
        if brand.escalation.second_level_after is not None:
            escalated += _each_due(deps, brand_id, "escalate_again",
                                   now - brand.escalation.second_level_after, _second_level, page)
        reminded += _each_due(deps, brand_id, "remind", now + brand.reminder_before,
                              case_engine.remind, page)
        if brand.followup.enabled:
            _each_due(deps, brand_id, "follow_up", now - brand.followup.after,
                      case_engine.ask_followup, page)
    return reminded, escalated


def _second_level(tx: Tx, case: CaseRow, now: datetime) -> bool:
    return case_engine.escalate(tx, case, now, level=2)


def _each_due(deps: CaseDesk, brand_id: str, timer: str, due_before: datetime, step: Step,
              page: int) -> int:
    fired, after = 0, 0
    while True:
        ids = deps.store.due_case_ids(brand_id, timer, due_before, after, page)
        for at in range(0, len(ids), CHUNK):
            fired += _fire(deps, ids[at:at + CHUNK], step, timer)
        if len(ids) < page:
            return fired
        after = ids[-1]


def _fire(deps: CaseDesk, ids: list[int], step: Step, timer: str) -> int:
    """Fire `step` for due cases in one transaction; when one fails, each in its own, so one
    broken case never holds back the others."""
    now = deps.clock()
    try:
        with deps.store.transaction() as tx:
            return sum(step(tx, tx.case(case_id), now) for case_id in ids)
    except Exception as exc:
        if is_database_failure(exc):
            raise  # the database itself, not one case: the sweep stops and runs again later
        if len(ids) == 1:
            log.exception("%s of case %d failed; the next sweep tries again", timer, ids[0])
            return 0
    return sum(_fire(deps, [case_id], step, timer) for case_id in ids)
