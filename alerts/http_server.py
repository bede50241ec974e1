"""The HTTP endpoint Slack posts button clicks and slash commands to, served by waitress.

Routes: `POST /slack/events` goes, through the replay guard, to Bolt; `GET /healthz` and
`GET /metrics` go to the operator's view (monitor/operator_web.py) when given, else /healthz
answers 200 `ok`; anything else 404 with a one-line hint. Waitress reads requests on one event loop and
runs the app on worker threads, so an idle or half-sent connection costs a socket, never a
worker; such a connection is closed after `Limits.channel_timeout` seconds of silence. Bodies
over `Limits.max_body_bytes` get 413 from the headers alone.

Bind to 127.0.0.1 (the default) behind a reverse proxy that terminates TLS; 0.0.0.0 only inside
a container whose port is published to that proxy.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.server import create_server
from waitress.trigger import trigger

from alerts.meta_webhook import PATH as META_PATH
from alerts.replay_guard import ReplayGuard, SeenRequests
from alerts.wsgi_io import MAX_BODY_BYTES, plain_text

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from slack_bolt import App

__all__ = ["DEFAULT_HOST", "EVENTS_PATH", "HEALTH_PATH", "HttpServer", "Limits", "build_wsgi_app",
           "serve_slack"]
log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
HELPDESK_PREFIX = "/helpdesk/"
NOT_FOUND_HINT = f"brand-monitor: Slack posts to POST {EVENTS_PATH}; health check at GET {HEALTH_PATH}\n"
_LOOP_SECONDS = 1.0


@dataclass(frozen=True)
class Limits:
    """What one client may cost the server."""

    max_body_bytes: int = MAX_BODY_BYTES
    """Larger requests get 413 as soon as the headers say so (Slack's payloads are a few KiB)."""
    channel_timeout: int = 5
    """Seconds of silence after which a connection is closed (idle keep-alive, slow loris)."""
    threads: int = 16
    """Requests served at once; more wait in waitress's queue, they are not refused."""
    connection_limit: int = 500
    """Open connections at most; beyond it new ones wait in the listen backlog."""
    backlog: int = 1024
    """Connections the kernel queues before they are accepted."""


def build_wsgi_app(bolt_app: App, signing_secret: str, seen: SeenRequests | None = None, *,
                   max_body_bytes: int = MAX_BODY_BYTES,
                   clock: Callable[[], float] = time.time,
                   meta: WSGIApplication | None = None,
                   operator: WSGIApplication | None = None,
                   helpdesk: WSGIApplication | None = None) -> WSGIApplication:
    """Route requests: Slack's to Bolt (signature checked, replays refused), Meta's webhook
    (when configured; it checks its own signature), the operator's /healthz and /metrics
    (monitor/operator_web.py; without it /healthz answers a plain `ok`), 404."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = ReplayGuard(SlackRequestHandler(bolt_app, path=EVENTS_PATH), signing_secret, seen,
                        clock=clock, max_body_bytes=max_body_bytes)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        started = time.perf_counter()
        status = ""

        def recording(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        try:
            if path == EVENTS_PATH and method == "POST":
                return slack(environ, recording)
            if meta is not None and path == META_PATH:
                return meta(environ, recording)
            if helpdesk is not None and path.startswith(HELPDESK_PREFIX):  # alerts.helpdesk_webhook
                return helpdesk(environ, recording)
            if operator is not None and path in (HEALTH_PATH, METRICS_PATH) and method in ("GET", "HEAD"):
                return operator(environ, recording)
            if path == HEALTH_PATH and method in ("GET", "HEAD"):
                return plain_text(recording, "200 OK", "ok")
            return plain_text(recording, "404 Not Found", NOT_FOUND_HINT)
        finally:
            # Method, path and status only: never the body, the query or a header.
            log.debug("http %s %s -> %s in %.1f ms", method, path, status or "?",
                      (time.perf_counter() - started) * 1000)

    return app


class HttpServer:
    """A waitress server on its own thread: bound on creation, serving after `start()`.

    `port=0` takes any free port; `port` tells which one after creation.
    """

    def __init__(self, app: WSGIApplication, host: str = DEFAULT_HOST, port: int = 0,
                 limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._map: dict[int, Any] = {}
        self._server = create_server(
            app, map=self._map, host=host, port=port, threads=self.limits.threads,
            channel_timeout=self.limits.channel_timeout, cleanup_interval=1,
            connection_limit=self.limits.connection_limit, backlog=self.limits.backlog,
            # waitress refuses a body of exactly this size: one byte more lets 1 MiB itself through
            max_request_body_size=self.limits.max_body_bytes + 1, asyncore_use_poll=True,
            expose_tracebacks=False, ident="brand-monitor")
        listening = getattr(self._server, "effective_listen", None) or [
            (self._server.effective_host, self._server.effective_port)]
        self.host: str = str(listening[0][0])
        self.port: int = int(listening[0][1])
        self._wake = trigger(self._map)
        self._stop = threading.Event()
        self._grace = 5.0
        self._closed = False
        self._down = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="slack-http", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def close(self, grace: float = 5.0) -> None:
        """Stop accepting, let running requests finish (up to `grace` s), close every socket."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._grace = grace
        if not self._thread.is_alive():
            self._shutdown()
            return
        self._stop.set()
        with self._lock:
            if not self._down:
                # Wake the loop now; where the pipe is already gone (EBADF, seen once in CI)
                # the loop still sees the stop within its timeout.
                with contextlib.suppress(OSError):
                    self._wake.pull_trigger()
        self._thread.join(grace + 5)

    def __enter__(self) -> HttpServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=_LOOP_SECONDS, map=self._map, use_poll=True, count=1)
            self._stop_accepting()
            deadline = time.monotonic() + self._grace
            while self._busy() and time.monotonic() < deadline:
                wasyncore.loop(timeout=0.05, map=self._map, use_poll=True, count=1)
        except Exception:
            log.exception("the HTTP server loop failed")
        finally:
            self._shutdown()

    def _stop_accepting(self) -> None:
        for dispatcher in list(self._map.values()):
            if getattr(dispatcher, "accepting", False):
                wasyncore.dispatcher.close(dispatcher)

    def _busy(self) -> bool:
        tasks = self._server.task_dispatcher
        return bool(tasks.queue) or tasks.active_count > 0 or any(
            getattr(d, "total_outbufs_len", 0) for d in list(self._map.values()))

    def _shutdown(self) -> None:
        with self._lock:  # no wake-up is written to the pipe once it may be closed
            self._down = True
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(self._map, ignore_all=True)


def serve_slack(bolt_app: App, signing_secret: str, host: str = DEFAULT_HOST, port: int = 0, *,
                seen: SeenRequests | None = None, limits: Limits | None = None,
                meta: WSGIApplication | None = None,
                operator: WSGIApplication | None = None,
                helpdesk: WSGIApplication | None = None) -> HttpServer:
    """Serve `bolt_app` at http://host:port/slack/events (and Meta's webhook, and the operator's
    /healthz and /metrics) on a thread."""
    limits = limits or Limits()
    app = build_wsgi_app(bolt_app, signing_secret, seen, max_body_bytes=limits.max_body_bytes,
                         meta=meta, operator=operator, helpdesk=helpdesk)
    server = HttpServer(app, host, port, limits).start()
    log.info("Slack interactions over HTTP on %s%s (%d threads, bodies up to %d KiB, idle connections "
             "closed after %d s)", server.url, EVENTS_PATH, limits.threads, limits.max_body_bytes // 1024,
             limits.channel_timeout)
    return server
