"""The `brand-monitor` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import __version__
from monitor.errors import ConfigError
from monitor.log_format import ENV as LOG_ENV
from monitor.log_format import FORMATS, configure_logging

if TYPE_CHECKING:
    from monitor.wiring import Runtime

log = logging.getLogger("brand-monitor")
CONFIG_ENV = "BRAND_MONITOR_CONFIG"


def _log_format() -> str:
    value = os.environ.get(LOG_ENV, "text").strip().lower() or "text"
    return value if value in FORMATS else "text"


def _config_path(value: str | None) -> Path:
    if value:
        return Path(value)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    if Path("brands.yaml").exists():
        return Path("brands.yaml")
    raise ConfigError([
        "no brands file given: pass --config FILE, set BRAND_MONITOR_CONFIG, or create ./brands.yaml "
        "(copy config/brands.example.yaml). To try brand-monitor without one, run: brand-monitor demo"])


def cmd_check_config(args: argparse.Namespace) -> int:
    from monitor.config_loader import load_config

    config = load_config(args.file)
    sources = sum(len(b.sources) for b in config.brands)
    print(f"{args.file}: OK — {len(config.brands)} brand(s), {sources} source(s)")
    return 0


def runtime_for(args: argparse.Namespace, database_url: str | None = None) -> Runtime:
    """The runtime for a command's --config (or its default), on DATABASE_URL."""
    from monitor.config_loader import load_config
    from monitor.settings import Environment
    from monitor.wiring import build_runtime

    path = _config_path(args.config)
    config = load_config(path)
    env = Environment.from_env()
    if database_url:
        env = env.model_copy(update={"database_url": database_url})
    return build_runtime(config, path, env=env)


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.model_drafting import close_drafter

    runtime = runtime_for(args, "sqlite://" if args.dry_run else None)
    try:
        return _run(runtime, args)
    finally:  # the model's drafting pool: at most one drafting timeout more
        close_drafter(runtime)


def _run(runtime: Runtime, args: argparse.Namespace) -> int:
    from monitor.runner import make_delivery, run_forever, run_once

    delivery = make_delivery(runtime, console=args.dry_run)
    if args.once or args.dry_run:
        report = run_once(runtime, delivery)
        for poll in report.polls:
            state = "ok" if poll.ok else f"FAILED: {poll.error}"
            print(f"{poll.brand_id}/{poll.source}: {poll.fetched} fetched, "
                  f"{poll.outcome.complaints} complaint(s) — {state}", file=sys.stderr)
        print(f"{report.sent} Slack message(s) sent, {report.reminded} reminder(s), "
              f"{report.escalated} escalation(s)", file=sys.stderr)
        return 0 if report.ok else 1
    run_forever(runtime, delivery, args.mode, args.port, host=args.host)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from monitor.status_report import render_status

    runtime = runtime_for(args)
    print(render_status(runtime, mentions=args.mentions))
    return 0


def cmd_flag(args: argparse.Namespace) -> int:
    from monitor import casework

    runtime = runtime_for(args)
    row = (runtime.store.mention_by_url(args.mention) if "://" in args.mention
           else runtime.store.find_mention(int(args.mention)) if args.mention.isdigit() else None)
    if row is None:
        print(f"no stored mention {args.mention!r}; `brand-monitor status --mentions 20` lists "
              "recent ones with their numbers", file=sys.stderr)
        return 1
    result = casework.flag_mention(runtime, row.id, args.by)
    from monitor.runner import make_delivery
    from monitor.wiring import slack_entry

    service = slack_entry()
    service.flush(runtime, make_delivery(runtime))
    print(service.outcome_text(result))
    return 0 if result.changed else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.demo import run_demo

    return run_demo(keep=args.keep, database_url=args.database_url)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from monitor.settings import Environment
    from monitor.store import Store

    url = Environment.from_env().database_url
    Store.from_url(url)
    if url.startswith("postgresql"):
        try:
            from monitor import jobs
        except ImportError:  # the workers' extra is not installed: no job engine to set up
            pass
        else:
            if jobs.ensure_schema(url):
                print("job engine tables created (for `brand-monitor worker`)")
    print(f"database at {url.split('@')[-1]} is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brand-monitor",
        description="Find public complaints about your brand and answer them from Slack within the hour.")
    parser.add_argument("--version", action="version", version=f"brand-monitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--log-format", choices=FORMATS, default=_log_format(),
                        help=f"log lines as text (default) or one JSON object a line (or ${LOG_ENV})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="poll sources and send alerts (forever, or --once)")
    p.add_argument("--config", metavar="FILE", help=f"brands file (default: ${CONFIG_ENV} or ./brands.yaml)")
    p.add_argument("--once", action="store_true", help="poll every source once, send alerts, exit")
    p.add_argument("--dry-run", action="store_true",
                   help="fetch and classify, print alerts here; store nothing, publish nothing")
    p.add_argument("--mode", choices=["socket", "http"], default="socket",
                   help="how Slack reaches the buttons: Socket Mode (default) or HTTP /slack/events")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")),
                   help="HTTP mode port (default $PORT or 3000)")
    p.add_argument("--host", default=os.environ.get("BRAND_MONITOR_HOST", "127.0.0.1"),
                   help="HTTP mode address to listen on (default $BRAND_MONITOR_HOST or 127.0.0.1); "
                        "keep 127.0.0.1 behind a reverse proxy such as nginx or Caddy terminating TLS, "
                        "and use 0.0.0.0 only inside a container")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", help="validate a brands file and report every problem")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("demo", help="run the whole loop on demo posts; no account or token needed")
    p.add_argument("--keep", action="store_true", help="keep the demo database and reply log")
    p.add_argument("--database-url", help="use this database instead of a temporary SQLite file")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("status", help="show each source's health and the open and overdue cases")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--mentions", type=int, default=0, metavar="N",
                   help="also list the N latest mentions the bot let through (to flag them)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("flag", help="flag a mention the bot let through as a complaint")
    p.add_argument("mention", help="its number from `status --mentions N`, or its URL")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--by", default=os.environ.get("USER", "cli"), help="who flags it (recorded)")
    p.set_defaults(func=cmd_flag)

    p = sub.add_parser("db-upgrade", help="apply database migrations (run also does this)")
    p.set_defaults(func=cmd_db_upgrade)

    try:
        from monitor.classify import commands as classify_commands
    except ImportError as exc:  # pragma: no cover - the classifier package is part of the install
        log.debug("classifier commands unavailable: %s", exc)
    else:
        classify_commands.register(sub)
    from monitor import cli_privacy, cli_report, cli_worker

    cli_privacy.register(sub)
    cli_report.register(sub)
    cli_worker.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the command, and turn known errors into plain messages."""
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet = args.command in ("demo", "check-config", "status", "eval", "train", "report")
    level = logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO
    configure_logging(level, args.log_format)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        print(f"\n{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`brand-monitor report | head`): stop quietly, as `yes | head`
        # does, and keep Python from complaining about stdout again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
