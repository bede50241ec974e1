"""APScheduler wiring: polls, the outbox flush, deadline jobs that survive a restart."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from monitor import deadlines
from monitor.poller import poll_source
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
_RUNTIME: Runtime | None = None


def _runtime() -> Runtime:
    if _RUNTIME is None:  # pragma: no cover - only when a job outlives its scheduler
        raise RuntimeError("the scheduler's runtime is not set")
    return _RUNTIME


# Persisted jobs name module-level functions with plain arguments, so they survive a restart.
def remind_job(case_id: int) -> None:
    deadlines.remind(_runtime(), case_id)


def escalate_job(case_id: int) -> None:
    deadlines.escalate(_runtime(), case_id)


def poll_job(brand_id: str, source: str) -> None:
    runtime = _runtime()
    state = runtime.sources.get(brand_id, source)
    if state and state.next_poll_at and state.next_poll_at > runtime.clock():
        return  # backing off after failures
    poll_source(runtime, brand_id, source)


def sweep_job() -> None:
    deadlines.sweep(_runtime())


def retention_job() -> None:
    from monitor.privacy import run_retention

    run_retention(_runtime())


def upkeep_job() -> None:
    from monitor.upkeep import run_upkeep

    run_upkeep(_runtime())


def spikes_job() -> None:
    from monitor.spike_watch import check

    check(_runtime())


def reports_job() -> None:
    from monitor.report_schedule import queue_due_reports

    runtime = _runtime()
    queue_due_reports(runtime, runtime.clock())


def build_scheduler(runtime: Runtime, flush: object | None = None) -> BackgroundScheduler:
    """Create the scheduler; deadline jobs go to a job store in the database."""
    global _RUNTIME  # noqa: PLW0603 - persisted jobs can only name module-level functions
    _RUNTIME = runtime
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore(),
                   "deadlines": SQLAlchemyJobStore(engine=runtime.store.engine)},
        executors={"default": ThreadPoolExecutor(8)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="UTC",
    )
    for brand in runtime.config.brands:
        for index, source in enumerate(brand.sources):
            if not source.enabled:
                continue
            name = brand.source_name(index)
            scheduler.add_job(poll_job, "interval", args=[brand.id, name], id=f"poll:{brand.id}:{name}",
                              seconds=max(5, source.poll_interval.total_seconds() / 4),
                              next_run_time=runtime.clock(), replace_existing=True)
    scheduler.add_job(sweep_job, "interval", seconds=60, id="sweep", replace_existing=True)
    scheduler.add_job(retention_job, "interval", hours=1, id="retention", replace_existing=True)
    scheduler.add_job(upkeep_job, "interval", seconds=60, id="upkeep", replace_existing=True)
    scheduler.add_job(reports_job, "interval", seconds=60, id="reports", replace_existing=True)
    scheduler.add_job(spikes_job, "interval", minutes=5, id="spikes", replace_existing=True)
    if callable(flush):
        scheduler.add_job(flush, "interval", seconds=2, id="outbox", replace_existing=True)

    def schedule_deadlines(case_id: int) -> None:
        case = runtime.store.case(case_id)
        brand = runtime.brand(case.brand_id)
        for job_id, func, at in ((f"remind-{case_id}", remind_job, case.deadline_at - brand.reminder_before),
                                 (f"escalate-{case_id}", escalate_job, case.deadline_at)):
            if func is remind_job and case.deadline_at <= runtime.clock():
                continue  # found after its deadline: escalate only
            scheduler.add_job(func, "date", run_date=max(at, runtime.clock() + timedelta(seconds=1)),
                              args=[case_id], id=job_id, jobstore="deadlines", replace_existing=True)

    def cancel_deadlines(case_id: int) -> None:
        for job_id in (f"remind-{case_id}", f"escalate-{case_id}"):
            if scheduler.get_job(job_id, jobstore="deadlines"):
                scheduler.remove_job(job_id, jobstore="deadlines")

    runtime.on_case_opened.append(schedule_deadlines)
    runtime.on_answered.append(cancel_deadlines)
    return scheduler
