"""`brand-monitor worker` and `brand-monitor serve`: the bot split over several processes.

`worker` runs the polls, the pipeline, the sender and the deadlines as jobs of the job engine
(monitor/jobs.py) on PostgreSQL; start as many as the load needs, on any machines. `serve`
answers Slack (buttons, webhooks) without polling, so the endpoint stays answerable while the
workers are busy and can run as several replicas behind a load balancer.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import threading
from typing import Any

log = logging.getLogger("brand-monitor")
WORKER_HELP = "work the job queue on PostgreSQL: polls, classification, alerts, deadlines"
SERVE_HELP = "answer Slack's buttons and the platforms' webhooks (no polling); run beside workers"


def cmd_worker(args: argparse.Namespace) -> int:
    from monitor.cli import runtime_for
    from monitor.jobs import QUEUES, conninfo, run_worker
    from monitor.model_drafting import close_drafter
    from monitor.runner import make_delivery

    runtime = runtime_for(args)
    conninfo(runtime.env.database_url)  # a clear error on SQLite, before anything starts
    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    unknown = sorted(set(queues or ()) - set(QUEUES))
    if unknown:
        from monitor.errors import ConfigError

        raise ConfigError([f"--queues: unknown queue(s) {', '.join(unknown)}; the queues are "
                           f"{', '.join(QUEUES)}"])
    if runtime.env.slack_bot_token is None:
        log.warning("SLACK_BOT_TOKEN is not set: this worker prints alerts to its terminal.")
    server = None
    if args.metrics_port is not None:
        from monitor.wiring import slack_entry

        server = slack_entry().serve_operator(runtime.store, runtime.clock, args.metrics_host,
                                              args.metrics_port)
    try:
        run_worker(runtime, make_delivery(runtime), concurrency=args.concurrency, queues=queues,
                   name=args.name)
    finally:
        if server is not None:
            server.close()
        close_drafter(runtime)  # the model's drafting pool: at most one drafting timeout more
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from monitor.cli import runtime_for
    from monitor.model_drafting import close_drafter
    from monitor.wiring import slack_entry

    runtime = runtime_for(args)
    if runtime.env.slack_bot_token is None:
        raise SystemExit("serve answers Slack and needs SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET for "
                         "--mode http, SLACK_APP_TOKEN for Socket Mode).")
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("signal %d received; stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with contextlib.ExitStack() as engine:
        if runtime.env.database_url.startswith("postgresql"):
            from monitor import jobs

            jobs.ensure_schema(runtime.env.database_url)
            engine.enter_context(jobs.connected(runtime.env.database_url))
            runtime.queue_poll = jobs.defer_poll  # webhooks queue polls for the workers
        interactions = slack_entry().start_interactions(runtime, mode=args.mode, port=args.port,
                                                        host=args.host)
        try:
            stop.wait()
        finally:
            interactions.close()
            close_drafter(runtime)  # cases opened by webhooks or clicks, still being redrafted
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("worker", help=WORKER_HELP, description=WORKER_HELP + ". Needs DATABASE_URL "
                       "on PostgreSQL; creates the job engine's tables on first start.")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("BRAND_MONITOR_CONCURRENCY", "4")),
                   help="jobs this process runs at a time (default $BRAND_MONITOR_CONCURRENCY or 4); "
                        "polls wait on the network, batches on the CPU: start one worker per core")
    p.add_argument("--queues", metavar="Q1,Q2",
                   help="work only these queues (polls, batches, send, timers; default all), e.g. "
                        "classification-only workers on bigger machines")
    p.add_argument("--name", help="the worker's name in its log lines")
    p.add_argument("--metrics-port", type=int, metavar="PORT",
                   help="serve GET /healthz and /metrics (Prometheus) on this port")
    p.add_argument("--metrics-host", default="127.0.0.1",
                   help="address for --metrics-port (default 127.0.0.1; 0.0.0.0 inside a container)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("serve", help=SERVE_HELP, description=SERVE_HELP)
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--mode", choices=["socket", "http"], default="http",
                   help="HTTP /slack/events (the default: replicas behind a load balancer) or Socket Mode")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    p.add_argument("--host", default=os.environ.get("BRAND_MONITOR_HOST", "127.0.0.1"))
    p.set_defaults(func=cmd_serve)
