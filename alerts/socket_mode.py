"""Socket Mode with several connections: Slack spreads an app's events over up to 10 of them.

Each connection is a slack_bolt `SocketModeHandler` (its own slack_sdk `SocketModeClient` and
WebSocket) over the one Bolt app. With more than one, a connection that drops or is being
refreshed by Slack leaves the others answering clicks. Several processes may each open their
own: every click is answered from the database, so it does not matter which one gets it (Slack
counts all of an app's connections together against its limit of 10).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

__all__ = ["CONNECTIONS_ENV", "MAX_CONNECTIONS", "SocketConnections", "connections_wanted"]
log = logging.getLogger(__name__)
CONNECTIONS_ENV = "BRAND_MONITOR_SOCKET_CONNECTIONS"
MAX_CONNECTIONS = 10
"""Slack allows an app at most 10 Socket Mode connections at once."""
CLOSE_WAIT = 10.0
"""Seconds `SocketConnections.close` waits for the connections to stop."""


def connections_wanted(environ: Mapping[str, str] | None = None) -> int:
    """How many connections this process opens: `$BRAND_MONITOR_SOCKET_CONNECTIONS`, default 1."""
    raw = (os.environ if environ is None else environ).get(CONNECTIONS_ENV, "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_CONNECTIONS:
        raise SystemExit(f"{CONNECTIONS_ENV}={raw!r}: write a whole number from 1 to {MAX_CONNECTIONS} "
                         f"(Slack allows an app at most {MAX_CONNECTIONS} Socket Mode connections, "
                         "counting those of every process)")
    return int(raw)


class SocketConnections:
    """`count` Socket Mode connections for `app`, all open after `connect()`, all closed by
    `close()`."""

    def __init__(self, app: App, app_token: str, count: int = 1) -> None:
        if not 1 <= count <= MAX_CONNECTIONS:
            raise ValueError(f"Socket Mode connections must be from 1 to {MAX_CONNECTIONS}, not {count}")
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.handlers = [SocketModeHandler(app, app_token) for _ in range(count)]

    def connect(self) -> SocketConnections:
        """Open every connection; if one cannot be opened, close them all and raise."""
        try:
            for each in self.handlers:
                each.connect()
        except BaseException:
            self.close()
            raise
        log.info("Slack interactions over Socket Mode (%d connection%s)", len(self.handlers),
                 "" if len(self.handlers) == 1 else "s")
        return self

    def close(self) -> None:
        """Close every connection, side by side (each client takes up to a second to stop its
        threads), even when closing one of them fails. One that has not stopped after
        `CLOSE_WAIT` seconds is logged and left to end with the process: slack_sdk's client can
        restart its read loop while it is being closed and then waits on it forever, and
        shutting down must not hang on that."""
        outcomes: dict[int, BaseException | None] = {}
        closers = [threading.Thread(target=_close, args=(each, outcomes, i), daemon=True,
                                    name=f"socket-close-{i}")
                   for i, each in enumerate(self.handlers)]
        for closer in closers:
            closer.start()
        deadline = time.monotonic() + CLOSE_WAIT
        for closer in closers:
            closer.join(max(0.0, deadline - time.monotonic()))
        for i, closer in enumerate(closers):
            if closer.is_alive():
                log.warning("Socket Mode connection %d of %d did not stop within %.0f s; "
                            "leaving it to end with the process", i + 1, len(closers), CLOSE_WAIT)
            elif (exc := outcomes.get(i)) is not None:
                log.error("closing a Socket Mode connection failed: %s", exc, exc_info=exc)


def _close(handler: SocketModeHandler, outcomes: dict[int, BaseException | None], i: int) -> None:
    try:
        handler.close()
        outcomes[i] = None
    except Exception as exc:
        outcomes[i] = exc
