"""The operator's view: /healthz, /metrics (the documented names), JSON logs, status."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.http_server import HttpServer
from alerts.service import serve_operator
from monitor.log_format import configure_logging
from monitor.poller import poll_all
from monitor.status_report import render_status
from monitor.store import Store
from tests.factories import World, make_world, post


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as failed:
        return failed.code, failed.headers["Content-Type"], failed.read().decode()


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> World:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme my parcel is late again, terrible"), post("2", "acme is lovely"))
    poll_all(world.runtime)
    return world


def _serve(world: World) -> HttpServer:
    return serve_operator(world.runtime.store, world.runtime.clock, "127.0.0.1", 0)


def test_metrics_carry_the_documented_names_and_the_databases_figures(world: World) -> None:
    server = _serve(world)
    try:
        status, kind, body = _get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
    assert status == 200
    assert kind.startswith("text/plain")
    source = 'brand="acme",platform="replay",source="posts"'
    for line in (f"brand_monitor_polls_total{{{source}}} 1.0",
                 f"brand_monitor_poll_errors_total{{{source}}} 0.0",
                 f"brand_monitor_source_failures{{{source}}} 0.0",
                 "brand_monitor_mentions_total 2.0",
                 "brand_monitor_complaints_total 1.0",
                 'brand_monitor_cases{state="open"} 1.0',
                 'brand_monitor_cases{state="overdue"} 0.0',
                 "brand_monitor_outbox_queued 1.0",
                 "brand_monitor_alerts_sent_total 0.0",
                 "brand_monitor_outbox_given_up 0.0"):
        assert line in body.splitlines(), line
    assert f"brand_monitor_source_lag_seconds{{{source}}}" in body
    assert "brand_monitor_outbox_oldest_age_seconds" in body
    assert "brand_monitor_classifier_seconds_count" in body


def test_healthz_reports_the_database_and_each_source(world: World) -> None:
    server = _serve(world)
    try:
        status, kind, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        missing, _kind, _body = _get(f"http://127.0.0.1:{server.port}/nothing")
    finally:
        server.close()
    assert (status, kind, missing) == (200, "application/json", 404)
    answer = json.loads(body)
    assert answer["status"] == "ok"
    assert answer["database"] == "ok"
    assert answer["sources"] == [{"brand": "acme", "source": "posts", "healthy": True, "lag_seconds": 0.0}]
    expected = "ok" if world.runtime.store.engine.dialect.name == "postgresql" else "absent"
    assert answer["job_engine"] in (expected, "absent")


def test_healthz_is_503_with_the_reason_when_the_database_is_gone(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'gone' / 'bm.db'}", migrate_schema=False)
    server = serve_operator(store, lambda: datetime.now(UTC), "127.0.0.1", 0)
    try:
        health = _get(f"http://127.0.0.1:{server.port}/healthz")
        metrics = _get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
    assert health[0] == 503
    answer = json.loads(health[2])
    assert answer["status"] == "unavailable"
    assert "OperationalError" in answer["database"]
    assert "Traceback" not in health[2]
    assert metrics[0] == 503
    assert "/healthz" in metrics[2]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_job_engines_queue_shows_in_metrics_and_status(world: World, database_url: str) -> None:
    from monitor import jobs

    jobs.ensure_schema(database_url)
    with jobs.connected(database_url):
        jobs.defer_poll("acme", "posts")
    server = _serve(world)
    try:
        _status, _kind, body = _get(f"http://127.0.0.1:{server.port}/metrics")
        health = json.loads(_get(f"http://127.0.0.1:{server.port}/healthz")[2])
    finally:
        server.close()
    jobs_line = 'brand_monitor_jobs{queue="polls",status="todo",task="brand_monitor.poll"} 1.0'
    assert jobs_line in body.splitlines()
    assert "brand_monitor_workers 0.0" in body.splitlines()
    assert (health["job_engine"], health["workers"], health["jobs_waiting"]) == ("ok", 0, 1)
    report = render_status(world.runtime)
    assert "Workers: 0" in report
    assert "  polls: 1 waiting, 0 running, 0 failed for good" in report
    assert "in 1 poll(s), 0 failed" in report


def test_json_log_lines_parse_with_their_fields(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        configure_logging(logging.INFO, "json")
        logging.getLogger("monitor.test").warning("source %s is down", "acme/posts")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("monitor.test").exception("it failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        configure_logging(logging.WARNING, "text")
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "monitor.test"
    assert lines[0]["message"] == "source acme/posts is down"
    assert "time" in lines[0]
    assert "ValueError: boom" in lines[1]["exc_info"]


def test_the_slack_endpoint_answers_healthz_and_metrics_from_the_operators_view(world: World) -> None:
    from alerts.http_server import build_wsgi_app
    from monitor.operator_web import operator_app
    from tests.alerts.test_meta_webhook import call

    app = build_wsgi_app(object(), "slack-secret",  # type: ignore[arg-type]
                         operator=operator_app(world.runtime.store, world.runtime.clock))
    status, body = call(app, "GET", path="/metrics")
    assert status.startswith("200")
    assert b"brand_monitor_mentions_total 2.0" in body
    status, body = call(app, "GET", path="/healthz")
    assert status.startswith("200")
    assert json.loads(body)["sources"][0]["source"] == "posts"
    assert call(app, "POST", path="/metrics")[0].startswith("404")
