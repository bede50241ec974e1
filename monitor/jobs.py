"""Several workers on one PostgreSQL database: the bot's work as procrastinate jobs.

Any number of `brand-monitor worker` processes, on any number of machines, take jobs from
procrastinate's tables in the bot's own database; no other server is needed.

- **poll** (queue `polls`, I/O): one source. Its lock is the source's, so one poll of a source
  runs at a time; its queueing lock too, so a schedule never piles up polls of one source.
  It fetches after the stored cursor and, in the one transaction that advances the cursor,
  defers the fetched mentions as `handle` jobs of `BATCH` posts: a crash before that commit
  leaves the cursor where it was (the mentions are fetched again), a crash after it leaves
  the batches queued. Then it defers its own next run at the source's next poll time.
- **handle** (queue `batches`, CPU): classify a batch and store it through the case engine
  (`pipeline.process`). Batches of one source spread over every worker, so throughput grows
  with workers; storing takes the brand's turn (`Tx.serialise`), so two workers never open
  two cases for one customer. A batch retried after a crash finds its stored posts done.
- **send** (queue `send`): the sender; claims make concurrent senders safe.
- **tick** (every 15 s, any worker): defers a poll of every source that is due and has none
  queued, and a send. Whichever worker is alive reschedules every source.
- **sweep** (every 30 s), **upkeep** (every minute: `monitor.upkeep`), **retention** (hourly),
  **stalled** (every 10 s: jobs of a worker that stopped sending heartbeats, e.g. killed with
  SIGKILL, go back to the queue).

Failed jobs are retried with exponential waits; jobs that succeed are deleted, so the table
holds no post text once its batch is done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import procrastinate
from procrastinate import exceptions as engine_errors
from procrastinate.manager import JobManager
from procrastinate.schema import SchemaManager
from procrastinate.utils import async_to_sync
from sqlalchemy.engine import make_url

from monitor.domain import Mention
from monitor.errors import ConfigError
from monitor.pipeline import Outcome, PipelineError, process
from monitor.poller import InTransaction, poll_source
from monitor.settings import BrandConfig
from monitor.store import mention_from_json, mention_to_json
from monitor.wiring import Runtime

log = logging.getLogger(__name__)

QUEUES = ("polls", "batches", "send", "timers")
BATCH = 50
"""Posts to a `handle` job: the encoder's batch, and the pipeline's transaction."""
EARLY = timedelta(seconds=1)
"""A poll this much before its time still runs (clocks of two machines differ a little)."""
HEARTBEAT_ENV = "BRAND_MONITOR_WORKER_HEARTBEAT"
GRACEFUL_STOP_SECONDS = 60.0
"""On SIGTERM running jobs get this long to finish; the rest are cancelled and run again."""
SCHEMA_LOCK_KEY = 0x626D70726F637261  # "bmprocra": serialises applying the engine's schema
RETRY = procrastinate.RetryStrategy(max_attempts=15, exponential_wait=2)

# Tasks live on one module-level app; its connector is given when a process opens it.
app = procrastinate.App(connector=procrastinate.PsycopgConnector())
_IN_TRANSACTION = JobManager(procrastinate.SyncPsycopgConnector())
_RUNTIME: Runtime | None = None
_DELIVERY: Any = None


def _runtime() -> Runtime:
    if _RUNTIME is None:
        raise RuntimeError("this process is not a brand-monitor worker (start one with "
                           "`brand-monitor worker`)")
    return _RUNTIME


def source_lock(brand_id: str, source: str) -> str:
    return f"poll:{brand_id}:{source}"


def conninfo(database_url: str) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL URL (options such as search_path kept)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError([
            "brand-monitor worker needs PostgreSQL: set DATABASE_URL to "
            "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE (several workers share it). "
            "On one machine, `brand-monitor run` needs no job engine and works on SQLite."])
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(database_url: str) -> bool:
    """Create the job engine's tables once (several workers may start together); True when
    this call created them."""
    import psycopg

    with psycopg.connect(conninfo(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if found is not None and found[0] is not None:
                return False
            conn.execute(SchemaManager.get_schema())
            log.info("job engine tables created")
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


# -- polls ------------------------------------------------------------------------------------


def _defer(task: Any, *, queueing_lock: str | None = None, lock: str | None = None,
           schedule_at: datetime | None = None, connection: Any = None, **kwargs: Any) -> bool:
    """Defer one job; False when one with the same queueing lock already waits."""
    options: dict[str, Any] = {"queueing_lock": queueing_lock, "lock": lock}
    if schedule_at is not None:
        options["schedule_at"] = schedule_at
    if connection is not None:
        options["connection"] = connection
    try:
        task.configure(**options).defer(**kwargs)
    except engine_errors.AlreadyEnqueued:
        return False
    return True


def defer_poll(brand_id: str, source: str, at: datetime | None = None) -> bool:
    """Queue a poll of one source (at `at`, else now) unless one is queued already."""
    key = source_lock(brand_id, source)
    return _defer(poll, queueing_lock=key, lock=key, schedule_at=at, brand_id=brand_id, source=source)


def hand_over(runtime: Runtime, brand: BrandConfig, source: str, mentions: Sequence[Mention],
              now: datetime) -> tuple[Outcome, InTransaction | None]:
    """Instead of handling a poll's mentions here, defer them as `handle` jobs in the
    transaction that advances the source's cursor."""
    if not mentions:
        return Outcome(), None
    jobs: list[dict[str, Any]] = [
        {"brand_id": brand.id, "source": source,
         "mentions": [mention_to_json(m) for m in mentions[at:at + BATCH]]}
        for at in range(0, len(mentions), BATCH)]

    def defer_batches(connection: Any) -> None:
        # The worker's own connector is asynchronous; a synchronous one writes these jobs on
        # the store's connection, inside its open transaction (it needs no pool of its own).
        deferrer = handle.configure()
        _IN_TRANSACTION.batch_defer_jobs([deferrer.make_new_job(**job) for job in jobs],
                                         connection=connection)

    return Outcome(), defer_batches


@app.task(name="brand_monitor.poll", queue="polls", retry=RETRY)
def poll(brand_id: str, source: str) -> None:
    """Poll one source now, unless it is not due (a duplicate, or backing off)."""
    runtime = _runtime()
    now = runtime.clock()
    state = runtime.sources.get(brand_id, source)
    if state is not None and state.next_poll_at is not None and state.next_poll_at > now + EARLY:
        defer_poll(brand_id, source, state.next_poll_at)
        return
    result = poll_source(runtime, brand_id, source, handle=hand_over)
    log.info("%s/%s polled: %d fetched, %s", brand_id, source, result.fetched,
             "ok" if result.ok else result.error)
    defer_poll(brand_id, source, now + result.next_poll_in)


@app.task(name="brand_monitor.handle", queue="batches", retry=RETRY, pass_context=True)
def handle(context: procrastinate.JobContext, brand_id: str, source: str,
           mentions: list[dict[str, Any]]) -> None:
    """Classify and store one batch of a source's mentions; then wake a sender."""
    job_id = context.job.id
    log.info("%s/%s: batch job %s started (%d posts)", brand_id, source, job_id, len(mentions))
    runtime = _runtime()
    brand = runtime.brand(brand_id)
    batch = [mention_from_json(m) for m in mentions]
    now = runtime.clock()
    try:
        outcome = process(runtime, brand, source, batch, now)
    except PipelineError as exc:
        cfg = runtime.source_config(brand_id, source)
        with contextlib.suppress(Exception):  # the database may be what failed
            runtime.sources.pipeline_failed(brand_id, source, cfg.type, str(exc), now)
        log.error("%s/%s: a batch of %d post(s) failed on our side and will be tried again: %s",
                  brand_id, source, len(batch), exc)
        raise
    log.info("%s/%s: batch job %s done: %d stored, %d complaint(s)", brand_id, source, job_id,
             outcome.stored, outcome.complaints)
    if outcome.cases or outcome.reopened:
        _defer(send, queueing_lock="send")


# -- the rest ---------------------------------------------------------------------------------


@app.task(name="brand_monitor.send", queue="send", retry=RETRY)
def send() -> None:
    """Send every due outbox message (claimed, so other senders skip it)."""
    from monitor.wiring import slack_entry

    slack_entry().flush(_runtime(), _DELIVERY)


@app.periodic(cron="* * * * * */15", periodic_id="tick")
@app.task(name="brand_monitor.tick", queue="timers", queueing_lock="tick")
def tick(timestamp: int) -> None:
    """Queue a poll of every enabled source that has none queued, and a send. Each poll
    queues its successor, so this only starts sources (new ones, after an outage) and mends
    a chain a stalled job broke: one query finds the waiting polls, and only the others are
    deferred, so thousands of sources cost one read, not thousands of refused inserts."""
    runtime = _runtime()
    waiting = {job.queueing_lock for job in app.job_manager.list_jobs(task=poll.name, status="todo")}
    due = {(s.brand_id, s.source): s.next_poll_at for s in runtime.sources.all()}
    now = runtime.clock()
    for brand in runtime.config.brands:
        for index, cfg in enumerate(brand.sources):
            name = brand.source_name(index)
            if cfg.enabled and source_lock(brand.id, name) not in waiting:
                at = due.get((brand.id, name))
                defer_poll(brand.id, name, at if at is not None and at > now else None)
    _defer(send, queueing_lock="send")


@app.periodic(cron="* * * * * */30", periodic_id="sweep")
@app.task(name="brand_monitor.sweep", queue="timers", queueing_lock="sweep", lock="sweep")
def sweep(timestamp: int) -> None:
    """Fire due reminders and escalations (each once per case, whoever runs it)."""
    from monitor import deadlines

    reminded, escalated = deadlines.sweep(_runtime())
    if reminded or escalated:
        _defer(send, queueing_lock="send")


@app.periodic(cron="* * * * *", periodic_id="upkeep")
@app.task(name="brand_monitor.upkeep", queue="timers", queueing_lock="upkeep", lock="upkeep")
def upkeep(timestamp: int) -> None:
    """Wave keys past their window; the vacuum a PostgreSQL without autovacuum never does."""
    from monitor.upkeep import run_upkeep

    run_upkeep(_runtime())


@app.periodic(cron="*/5 * * * *", periodic_id="spikes")
@app.task(name="brand_monitor.spikes", queue="timers", queueing_lock="spikes", lock="spikes")
def spikes(timestamp: int) -> None:
    """Open, update and close spike alerts, and tell of quiet sources (once each, whoever
    runs it: each brand's check takes the brand's turn)."""
    from monitor.spike_watch import check

    if check(_runtime()):
        _defer(send, queueing_lock="send")


@app.periodic(cron="* * * * *", periodic_id="reports")
@app.task(name="brand_monitor.reports", queue="timers", queueing_lock="reports")
def reports(timestamp: int) -> None:
    """Queue each brand's scheduled report when it is due (its outbox key makes it once)."""
    from monitor.report_schedule import queue_due_reports

    runtime = _runtime()
    if queue_due_reports(runtime, runtime.clock()):
        _defer(send, queueing_lock="send")


@app.periodic(cron="17 * * * *", periodic_id="retention")
@app.task(name="brand_monitor.retention", queue="timers", queueing_lock="retention", lock="retention")
def retention(timestamp: int) -> None:
    """Personal data past the brands' retention, and batches that failed for good longer ago
    than the shortest retention (their arguments hold the posts)."""
    from monitor.privacy import run_retention

    runtime = _runtime()
    run_retention(runtime)
    kept = [b.retention for b in runtime.config.brands if b.retention is not None]
    if kept:
        hours = max(1, int(min(kept).total_seconds() // 3600))
        async_to_sync(app.job_manager.delete_old_jobs, nb_hours=hours, include_failed=True,
                      include_cancelled=True, include_aborted=True)


@app.periodic(cron="* * * * * */10", periodic_id="stalled")
@app.task(name="brand_monitor.stalled", queue="timers", queueing_lock="stalled", pass_context=True)
async def stalled(context: procrastinate.JobContext, timestamp: int) -> None:
    """Put back in the queue the jobs of workers that stopped sending heartbeats."""
    await requeue_stalled(context.app.job_manager, 3 * heartbeat_seconds())


async def requeue_stalled(manager: JobManager, seconds_since_heartbeat: float) -> tuple[int, int]:
    """Retry every job of a worker silent for `seconds_since_heartbeat`; returns (retried,
    closed). A stalled job whose queueing lock another job of its kind holds now (a poll of
    the source that the tick queued again) is closed as failed instead: the queued one does
    the work, and the stalled one must not keep the source's lock."""
    retried = closed = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat):
        try:
            await manager.retry_job(job)
        except engine_errors.UniqueViolation:
            await manager.finish_job(job, status=procrastinate.jobs.Status.FAILED, delete_job=False)
            log.warning("job %s (%s) of a worker that stopped is closed: the same work is queued",
                        job.id, job.task_name)
            closed += 1
        else:
            log.warning("job %s (%s) of a worker that stopped is tried again", job.id, job.task_name)
            retried += 1
    return retried, closed


def heartbeat_seconds() -> float:
    return float(os.environ.get(HEARTBEAT_ENV, "10"))


class _NoPostText(logging.Filter):
    """procrastinate logs each job with its arguments; a batch's are posts (text, handles,
    names). Keep its id and drop the arguments, in the message and in the record's extras."""

    CALL = re.compile(r"(brand_monitor\.handle\[\d+\])\(.*\)(?=( ended with status|$))", re.S)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "brand_monitor.handle" in message:
            record.msg, record.args = self.CALL.sub(r"\1(…)", message), ()
        job = getattr(record, "job", None)
        if isinstance(job, dict) and "task_kwargs" in job and "handle" in str(job.get("task_name")):
            record.job = {**job, "task_kwargs": {}, "call_string": ""}
        return True


_ENGINE_LOGGERS = ("app", "blueprints", "jobs", "manager", "periodic", "psycopg_connector",
                   "sync_psycopg_connector", "tasks", "utils", "worker")


def keep_posts_out_of_logs() -> None:
    scrub = _NoPostText()
    for name in _ENGINE_LOGGERS:
        engine_log = logging.getLogger(f"procrastinate.{name}")
        if not any(isinstance(f, _NoPostText) for f in engine_log.filters):
            engine_log.addFilter(scrub)


# -- the worker -------------------------------------------------------------------------------


@contextlib.contextmanager
def connected(database_url: str) -> Iterator[procrastinate.App]:
    """The app, open on the bot's database, for as long as the block runs (a worker, or a
    command that defers jobs)."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    with app.replace_connector(connector), app.open():
        yield app


def run_worker(runtime: Runtime, delivery: Any, *, concurrency: int = 4,
               queues: Sequence[str] | None = None, name: str | None = None) -> None:
    """Work jobs until SIGINT or SIGTERM (running jobs finish first)."""
    global _RUNTIME, _DELIVERY
    url = runtime.env.database_url
    ensure_schema(url)
    _RUNTIME, _DELIVERY = runtime, delivery
    keep_posts_out_of_logs()
    heartbeat = heartbeat_seconds()
    with connected(url):
        for brand in runtime.config.brands:  # do not wait for the first tick
            for index, cfg in enumerate(brand.sources):
                if cfg.enabled:
                    defer_poll(brand.id, brand.source_name(index))
        runtime.classifier.warm_up()  # loads the model before the first batch, not during it
        log.info("worker started: %d job(s) at a time, queues %s", concurrency,
                 ", ".join(queues or QUEUES))
        app.run_worker(queues=list(queues or QUEUES), concurrency=concurrency, name=name,
                       delete_jobs="successful", update_heartbeat_interval=heartbeat,
                       shutdown_graceful_timeout=GRACEFUL_STOP_SECONDS,
                       stalled_worker_timeout=3 * heartbeat, install_signal_handlers=True)
    log.info("worker stopped")
