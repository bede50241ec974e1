"""Entry points of the alert layer that monitor.wiring calls."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, TextIO
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_sdk import WebClient

from alerts.delivery import ConsoleDelivery, SlackDelivery
from alerts.sender import flush
from monitor.settings import Environment
from monitor.wiring import Runtime

__all__ = ["console_delivery", "flush", "make_client", "slack_delivery", "start_interactions"]
log = logging.getLogger(__name__)
DEFAULT_API_URL = "https://slack.com/api/"


def make_client(env: Environment) -> WebClient:
    """Build the Web API client; SLACK_API_URL points it at GovSlack or a local fake."""
    token = env.slack_bot_token.get_secret_value() if env.slack_bot_token else None
    base = env.slack_api_url or DEFAULT_API_URL
    return WebClient(token=token, base_url=base if base.endswith("/") else base + "/", timeout=15)


def console_delivery(stream: TextIO | None = None) -> ConsoleDelivery:
    return ConsoleDelivery(stream)


def slack_delivery(env: Environment) -> SlackDelivery:
    return SlackDelivery(make_client(env))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


@dataclass
class Interactions:
    """A running Slack interaction endpoint (Socket Mode or HTTP)."""

    closer: Any
    port: int | None = None

    def close(self) -> None:
        self.closer()


def start_interactions(runtime: Runtime, mode: str = "socket", port: int = 3000,
                       host: str = "0.0.0.0") -> Interactions:  # noqa: S104 - Slack must reach it
    """Serve button clicks: Socket Mode (no public URL) or HTTP at /slack/events."""
    from alerts.slack_app import build_app

    env = runtime.env
    client = make_client(env)
    if mode == "http":
        if env.slack_signing_secret is None:
            raise SystemExit("HTTP mode needs SLACK_SIGNING_SECRET (Slack app > Basic Information > "
                             "Signing Secret); or use Socket Mode with SLACK_APP_TOKEN.")
        from slack_bolt.adapter.wsgi import SlackRequestHandler

        app = build_app(runtime, client, env.slack_signing_secret.get_secret_value())
        handler = SlackRequestHandler(app)

        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO") != "/slack/events":
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"brand-monitor: POST Slack events to /slack/events\n"]
            return handler(environ, start_response)

        server: WSGIServer = make_server(host, port, wsgi, handler_class=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="slack-http", daemon=True)
        thread.start()
        log.info("Slack interactions over HTTP on %s:%d/slack/events", host, server.server_port)
        def close() -> None:
            server.shutdown()
            server.server_close()

        return Interactions(close, server.server_port)
    if env.slack_app_token is None:
        raise SystemExit("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write); "
                         "or run with --mode http and SLACK_SIGNING_SECRET.")
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app = build_app(runtime, client, None, request_verification_enabled=False)
    socket = SocketModeHandler(app, env.slack_app_token.get_secret_value())
    socket.connect()
    log.info("Slack interactions over Socket Mode")
    return Interactions(socket.close)
