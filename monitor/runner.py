"""Run the bot: once (poll, alert, exit) or forever (scheduler plus the Slack app)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from monitor import deadlines
from monitor.poller import PollResult, poll_all
from monitor.privacy import run_retention
from monitor.wiring import Runtime, slack_entry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnceReport:
    polls: list[PollResult]
    reminded: int
    escalated: int
    sent: int

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.polls)


def make_delivery(runtime: Runtime, stream: TextIO | None = None, console: bool = False) -> Any:
    """Slack when a bot token is set (and not forced to the console), else the terminal."""
    service = slack_entry()
    if console or runtime.env.slack_bot_token is None:
        return service.console_delivery(stream)
    return service.slack_delivery(runtime.env)


def run_once(runtime: Runtime, delivery: Any) -> OnceReport:
    """Poll every source once, fire due reminders and escalations, send the outbox."""
    service = slack_entry()
    polls = poll_all(runtime)
    reminded, escalated = deadlines.sweep(runtime)
    sent = service.flush(runtime, delivery)
    run_retention(runtime)  # personal data past the brands' retention: see monitor/privacy.py
    return OnceReport(polls, reminded, escalated, sent)


def run_forever(runtime: Runtime, delivery: Any, mode: str, port: int,
                stop: threading.Event | None = None,
                on_ready: Callable[[], None] | None = None, host: str = "127.0.0.1") -> None:
    """Start the scheduler and, with a Slack token, the interactive app; stop on a signal."""
    from monitor.scheduler import build_scheduler

    service = slack_entry()
    stop = stop or threading.Event()
    scheduler = build_scheduler(runtime, flush=lambda: service.flush(runtime, delivery))
    scheduler.start()
    from monitor.streams import start_streams

    start_streams(runtime, stop)
    server = None
    if runtime.env.slack_bot_token is not None:
        server = service.start_interactions(runtime, mode=mode, port=port, host=host)
    else:
        log.warning("SLACK_BOT_TOKEN is not set: alerts print to this terminal and buttons are "
                    "disabled. Set it (and SLACK_APP_TOKEN for Socket Mode) to go live.")

    def _stop(signum: int, _frame: Any) -> None:
        log.info("signal %d received; finishing running jobs and stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    if on_ready:
        on_ready()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        if server is not None:
            server.close()
        log.info("stopped")
