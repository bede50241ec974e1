"""Entry points of the alert layer that monitor.wiring calls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from slack_sdk import WebClient

from alerts.delivery import ConsoleDelivery, SlackDelivery
from alerts.messages import outcome_text, ticket_outcome
from alerts.sender import flush
from monitor.ports import Services as Runtime
from monitor.settings import Environment

if TYPE_CHECKING:
    from alerts.http_server import HttpServer
    from monitor.store import Store

__all__ = ["console_delivery", "flush", "make_client", "outcome_text", "serve_helpdesk", "slack_delivery",
           "start_interactions", "ticket_outcome"]
log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://slack.com/api/"
HANDLER_THREADS = 128
"""Threads for Bolt listeners in HTTP mode: a burst of clicks must each get one to call ack()."""


def make_client(env: Environment) -> WebClient:
    """Build the Web API client; SLACK_API_URL points it at GovSlack or a local fake."""
    token = env.slack_bot_token.get_secret_value() if env.slack_bot_token else None
    base = env.slack_api_url or DEFAULT_API_URL
    return WebClient(token=token, base_url=base if base.endswith("/") else base + "/", timeout=15)


def console_delivery(stream: TextIO | None = None) -> ConsoleDelivery:
    return ConsoleDelivery(stream)


def slack_delivery(env: Environment) -> SlackDelivery:
    return SlackDelivery(make_client(env))


@dataclass
class Interactions:
    """A running Slack interaction endpoint (Socket Mode or HTTP)."""

    closer: Any
    port: int | None = None

    def close(self) -> None:
        self.closer()


META_PLATFORMS = {"page": "facebook", "instagram": "instagram", "threads": "threads"}


def meta_webhook(runtime: Runtime) -> Any:
    """Meta's webhook at /webhooks/meta when META_APP_SECRET and META_WEBHOOK_VERIFY_TOKEN are
    set: an Instagram @mention is fetched and handled at once (it cannot be polled); any other
    change makes the matching source poll at once. The regular polls go on."""
    env = runtime.env
    if env.meta_app_secret is None or env.meta_webhook_verify_token is None:
        return None
    from alerts.meta_webhook import meta_webhook_app

    def on_change(kind: str, change: dict[str, Any]) -> None:
        platform = META_PLATFORMS.get(kind)
        if platform is not None:
            entry = change.get("entry_id")
            account = str(entry) if entry is not None else None
            if kind == "instagram" and change.get("field") == "mentions":
                # An @mention elsewhere: polling cannot list it, so it is fetched from the change.
                runtime.take_pushed(platform, account, change)
            else:
                runtime.poll_soon(platform, account)

    return meta_webhook_app(env.meta_app_secret.get_secret_value(),
                            env.meta_webhook_verify_token.get_secret_value(), on_change)


def helpdesk_webhook(runtime: Runtime, client: WebClient, seen: Any) -> Any:
    """`/helpdesk/<brand id>` when a brand has a helpdesk: a ticket solved there resolves its
    case, and the alert's update goes out at once."""
    if not any(b.helpdesk is not None for b in runtime.config.brands):
        return None
    from alerts.helpdesk_webhook import helpdesk_webhook_app

    delivery = SlackDelivery(client)
    environ = getattr(runtime, "environ", {})
    return helpdesk_webhook_app(runtime, environ, seen, after=lambda: flush(runtime, delivery))


def start_interactions(runtime: Runtime, mode: str = "socket", port: int = 3000,
                       host: str = "127.0.0.1", connections: int | None = None) -> Interactions:
    """Serve button clicks: Socket Mode (no public URL) or HTTP at /slack/events.

    HTTP mode listens on `host` (keep 127.0.0.1 behind a TLS-terminating reverse proxy) with
    alerts.http_server: worker threads, timeouts, a body limit and replay refusal, the requests
    seen kept in the database so that replicas behind a load balancer share them. Socket Mode
    opens `connections` WebSockets (default `$BRAND_MONITOR_SOCKET_CONNECTIONS`, else 1; at
    most 10).
    """
    from alerts.slack_app import build_app

    env = runtime.env
    client = make_client(env)
    if mode == "http":
        if env.slack_signing_secret is None:
            raise SystemExit("HTTP mode needs SLACK_SIGNING_SECRET (Slack app > Basic Information > "
                             "Signing Secret); or use Socket Mode with SLACK_APP_TOKEN.")
        from concurrent.futures import ThreadPoolExecutor

        from alerts.http_server import serve_slack
        from alerts.replay_store import DatabaseSeenRequests
        from monitor.operator_web import operator_app

        secret = env.slack_signing_secret.get_secret_value()
        # Bolt runs each listener, ack() included, on this pool: with Bolt's default of 5 threads,
        # clicks still flushing to Slack kept later clicks from acknowledging within 3 s.
        handlers = ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="slack-handler")
        seen = DatabaseSeenRequests(runtime.store)  # shared by every replica on the database
        server = serve_slack(build_app(runtime, client, secret, listener_executor=handlers), secret,
                             host=host, port=port, seen=seen, meta=meta_webhook(runtime),
                             operator=operator_app(runtime.store, runtime.clock),
                             helpdesk=helpdesk_webhook(runtime, client, seen))

        def close() -> None:
            server.close()
            handlers.shutdown(wait=True)  # clicks already acknowledged finish their work
            seen.close()

        return Interactions(close, server.port)
    if env.slack_app_token is None:
        raise SystemExit("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write); "
                         "or run with --mode http and SLACK_SIGNING_SECRET.")
    from alerts.socket_mode import SocketConnections, connections_wanted

    count = connections_wanted() if connections is None else connections
    app = build_app(runtime, client, None, request_verification_enabled=False)
    sockets = SocketConnections(app, env.slack_app_token.get_secret_value(), count).connect()
    return Interactions(sockets.close)


def serve_operator(store: Store, clock: Callable[[], datetime], host: str, port: int) -> HttpServer:
    """Serve only the operator's GET /healthz and /metrics (a worker's `--metrics-port`), on
    the same waitress server as the Slack endpoint."""
    from alerts.http_server import HttpServer
    from monitor.operator_web import operator_app

    server = HttpServer(operator_app(store, clock), host, port).start()
    log.info("health and metrics at %s/healthz and /metrics", server.url)
    return server


def serve_helpdesk(runtime: Runtime, delivery: Any, host: str = "127.0.0.1", port: int = 0) -> HttpServer:
    """Serve only `/helpdesk/<brand id>` (the demo's hand-off), sending alert updates to `delivery`."""
    from alerts.helpdesk_webhook import helpdesk_webhook_app
    from alerts.http_server import HttpServer

    app = helpdesk_webhook_app(runtime, getattr(runtime, "environ", {}),
                               after=lambda: flush(runtime, delivery))
    return HttpServer(app, host, port).start()
