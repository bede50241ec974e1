"""The job engine's pieces on the real PostgreSQL: schema, hand-over, stalled jobs, the tick."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import procrastinate
import pytest
from sqlalchemy import text

from monitor import jobs
from monitor.config_loader import load_config
from monitor.settings import Environment
from monitor.store import Store
from monitor.wiring import build_runtime
from tests import worker_harness as wh

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]


def _jobs(url: str) -> list[tuple[object, ...]]:
    return wh.query(url, "SELECT task_name, status, queueing_lock, lock FROM procrastinate_jobs ORDER BY id")


def test_schema_is_created_once(pg_url: str) -> None:
    assert jobs.ensure_schema(pg_url) is True
    assert jobs.ensure_schema(pg_url) is False
    assert wh.scalar(pg_url, "SELECT count(*) FROM procrastinate_jobs") == 0


def test_defer_poll_queues_one_poll_per_source(pg_url: str) -> None:
    jobs.ensure_schema(pg_url)
    with jobs.connected(pg_url):
        assert jobs.defer_poll("acme", "x") is True
        assert jobs.defer_poll("acme", "x") is False  # one waits already
        assert jobs.defer_poll("acme", "reddit") is True
    assert _jobs(pg_url) == [("brand_monitor.poll", "todo", "poll:acme:x", "poll:acme:x"),
                             ("brand_monitor.poll", "todo", "poll:acme:reddit", "poll:acme:reddit")]


def test_stalled_jobs_are_retried_or_closed_when_their_twin_waits(pg_url: str) -> None:
    jobs.ensure_schema(pg_url)
    with jobs.connected(pg_url):
        jobs.defer_poll("acme", "x")
        jobs._defer(jobs.handle, brand_id="acme", source="x", mentions=[])
    # Both jobs were taken by a worker that died (no worker row: its heartbeat is gone)...
    engine = Store.from_url(pg_url, migrate_schema=False).engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing'"))
    # ...and meanwhile the tick queued the source's next poll.
    with jobs.connected(pg_url):
        jobs.defer_poll("acme", "x")

    async def requeue() -> tuple[int, int]:
        connector = procrastinate.PsycopgConnector(conninfo=jobs.conninfo(pg_url))
        with jobs.app.replace_connector(connector):
            async with jobs.app.open_async():
                return await jobs.requeue_stalled(jobs.app.job_manager, 30)

    retried, closed = asyncio.run(requeue())
    assert (retried, closed) == (1, 1)
    assert _jobs(pg_url) == [("brand_monitor.poll", "failed", "poll:acme:x", "poll:acme:x"),
                             ("brand_monitor.handle", "todo", None, None),
                             ("brand_monitor.poll", "todo", "poll:acme:x", "poll:acme:x")]


def test_hand_over_defers_batches_in_the_cursors_transaction(pg_url: str, tmp_path: Path) -> None:
    jobs.ensure_schema(pg_url)
    world = wh.make_world(tmp_path, pg_url, sources=1, posts_per_source=120, batch=120)
    env = Environment.from_env().model_copy(update={"database_url": pg_url})
    runtime = build_runtime(load_config(world.config), world.config, env=env)
    from monitor.poller import poll_source

    with jobs.connected(pg_url):
        result = poll_source(runtime, "orbita", "feed0", handle=jobs.hand_over)
    assert result.ok and result.fetched == 120
    sizes = wh.query(pg_url, "SELECT jsonb_array_length(args->'mentions') FROM procrastinate_jobs "
                             "WHERE task_name = 'brand_monitor.handle' ORDER BY id")
    assert sizes == [(50,), (50,), (20,)]
    assert runtime.sources.get("orbita", "feed0").cursor == "120"  # type: ignore[union-attr]
    assert wh.scalar(pg_url, "SELECT count(*) FROM mentions") == 0  # handed over, not handled here

    # A cursor transaction that fails takes its batches with it: nothing queued, cursor kept.
    def broken(*_args: object) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        runtime.sources.succeeded("orbita", "feed0", "replay", "240", 120, 0, None, runtime.clock(),
                                  runtime.clock() + timedelta(minutes=1),
                                  in_transaction=lambda conn: (jobs.hand_over(
                                      runtime, runtime.brand("orbita"), "feed0", [], runtime.clock()),
                                      broken()))
    assert runtime.sources.get("orbita", "feed0").cursor == "120"  # type: ignore[union-attr]


def test_a_poll_that_is_not_due_only_requeues_itself(pg_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    jobs.ensure_schema(pg_url)
    world = wh.make_world(tmp_path, pg_url, sources=1, posts_per_source=10)
    env = Environment.from_env().model_copy(update={"database_url": pg_url})
    runtime = build_runtime(load_config(world.config), world.config, env=env)
    now = runtime.clock()
    runtime.sources.succeeded("orbita", "feed0", "replay", None, 0, 0, None, now, now + timedelta(minutes=5))
    monkeypatch.setattr(jobs, "_RUNTIME", runtime)
    with jobs.connected(pg_url):
        jobs.poll("orbita", "feed0")
    assert runtime.sources.get("orbita", "feed0").polls_total == 1  # type: ignore[union-attr]
    scheduled = wh.query(pg_url, "SELECT scheduled_at FROM procrastinate_jobs "
                                 "WHERE task_name = 'brand_monitor.poll'")
    assert len(scheduled) == 1
    assert abs((scheduled[0][0] - (now + timedelta(minutes=5))).total_seconds()) < 1  # type: ignore[operator]


def test_the_tick_queues_only_sources_without_a_waiting_poll(pg_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    jobs.ensure_schema(pg_url)
    world = wh.make_world(tmp_path, pg_url, sources=3, posts_per_source=1)
    env = Environment.from_env().model_copy(update={"database_url": pg_url})
    runtime = build_runtime(load_config(world.config), world.config, env=env)
    monkeypatch.setattr(jobs, "_RUNTIME", runtime)
    with jobs.connected(pg_url):
        jobs.defer_poll("orbita", "feed1")
        jobs.tick(0)
        jobs.tick(15)  # nothing more: every source has its poll waiting now
    polls = sorted(str(lock) for task, _s, lock, _l in _jobs(pg_url) if task == "brand_monitor.poll")
    assert polls == ["poll:orbita:feed0", "poll:orbita:feed1", "poll:orbita:feed2"]
    assert [task for task, *_ in _jobs(pg_url)].count("brand_monitor.send") == 1


def test_the_reports_task_queues_a_due_report_once_and_a_send(pg_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    jobs.ensure_schema(pg_url)
    world = wh.make_world(tmp_path, pg_url, sources=1, posts_per_source=1)
    at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    brands = world.config.read_text(encoding="utf-8")
    daily = f'    waves: {{enabled: false}}\n    reports: {{daily: "{at}"}}\n'
    world.config.write_text(brands.replace("    waves: {enabled: false}\n", daily), encoding="utf-8")
    env = Environment.from_env().model_copy(update={"database_url": pg_url})
    runtime = build_runtime(load_config(world.config), world.config, env=env)
    monkeypatch.setattr(jobs, "_RUNTIME", runtime)
    with jobs.connected(pg_url):
        jobs.reports(0)
        jobs.reports(60)  # the same period again: already queued, nothing more
        jobs.spikes(0)  # no history: no spike, nothing to send
    keys = [k for (k,) in wh.query(pg_url, "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'report:%'")]
    assert len(keys) == 1 and keys[0].startswith("report:orbita:daily:")
    assert [task for task, *_ in _jobs(pg_url)].count("brand_monitor.send") == 1
