"""`GET /healthz` and `GET /metrics` for the operator, as one WSGI app.

`/healthz` answers 200 with JSON when the database answers (and says whether the job engine's
tables are there, and each source's lag and health), 503 with the reason when it does not.
`/metrics` is Prometheus' text format (monitor/operator_metrics.py). The Slack HTTP endpoint
mounts this app; workers serve it on `--metrics-port` (alerts/service.py `serve_operator`,
with the endpoint's waitress server).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from monitor.operator_metrics import build_registry
from monitor.source_health import SourceStates
from monitor.store_operator import database_answers, engine_figures

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from monitor.store import Store

log = logging.getLogger(__name__)
HEALTH_PATH, METRICS_PATH = "/healthz", "/metrics"


def health(store: Store, clock: Callable[[], datetime]) -> tuple[int, dict[str, Any]]:
    """The health answer: HTTP status and body."""
    problem = database_answers(store)
    if problem is not None:
        return 503, {"status": "unavailable", "database": problem}
    now = clock()
    try:
        engine = engine_figures(store)
        states = SourceStates(store).all()
    except Exception as exc:  # the database answered a moment ago: say what failed, never a traceback
        return 503, {"status": "unavailable", "database": f"{type(exc).__name__}"}
    sources = [{"brand": s.brand_id, "source": s.source, "healthy": s.healthy,
                "lag_seconds": round((now - s.last_success_at).total_seconds(), 1)
                if s.last_success_at else None} for s in states]
    body: dict[str, Any] = {"status": "ok", "database": "ok", "sources": sources,
                            "job_engine": "absent" if engine is None else "ok"}
    if engine is not None:
        body["workers"] = len(engine.workers)
        body["jobs_waiting"] = engine.waiting()
    return 200, body


def operator_app(store: Store, clock: Callable[[], datetime]) -> WSGIApplication:
    registry = build_registry(store, clock)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            code, body = health(store, clock)
            data = json.dumps(body).encode()
            start_response(f"{code} {'OK' if code == 200 else 'Service Unavailable'}",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        if path == METRICS_PATH:
            try:
                data = generate_latest(registry)
            except Exception as exc:  # the database is down: the scrape fails, visibly, in one line
                log.warning("metrics could not be read: %s", type(exc).__name__)
                message = b"the database could not be read; see /healthz\n"
                start_response("503 Service Unavailable", [("Content-Type", "text/plain"),
                                                           ("Content-Length", str(len(message)))])
                return [message]
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                      ("Content-Length", str(len(data)))])
            return [data]
        message = b"not found: GET /healthz or /metrics\n"
        start_response("404 Not Found", [("Content-Type", "text/plain"),
                                         ("Content-Length", str(len(message)))])
        return [message]

    return app

