"""`brand-monitor report`: the team's figures over a period, as text, JSON or an HTML page."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from monitor.errors import ConfigError
from monitor.settings import parse_duration

if TYPE_CHECKING:
    from monitor.classify.encoder import Encoder
    from monitor.report_model import Period, Report

HELP = "the team's figures over a period: complaints, deadlines met, reply times, causes"
DESCRIPTION = """\
Mentions and complaints per day (in the brand's timezone), the share of complaints answered
within their deadline per platform, language, category, severity and responder, the time to
first reply (median and 90th percentile), open and overdue cases at the end of each day, the
recurring causes (the most recent 500 complaints grouped by what they are about, with their
trend against the period before), follow-ups, and how often the team corrected the bot.
Without --brand, one report covers every brand of the brands file.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `report` subcommand."""
    p = subparsers.add_parser("report", help=HELP, description=DESCRIPTION)
    p.add_argument("--config", metavar="FILE", help="brands file (default: $BRAND_MONITOR_CONFIG "
                                                    "or ./brands.yaml)")
    p.add_argument("--brand", metavar="ID", help="only this brand (default: every brand)")
    p.add_argument("--since", metavar="LENGTH", help="the period that ends now: 7d (default), 30d, 12h")
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help="first day, e.g. 2026-11-01 (in the brand's timezone)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day, included (default: today)")
    p.add_argument("--html", metavar="FILE", type=Path,
                   help="also write the report as one self-contained HTML page with its charts")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    p.set_defaults(func=cmd_report)


class _Shown:
    """An encoder that shows its progress on stderr: grouping a period's complaints by cause
    reads up to a thousand posts with the full encoder, which takes seconds."""

    CHUNK = 64

    def __init__(self, encoder: Encoder, label: str) -> None:
        self._encoder = encoder
        self._label = label

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from monitor.classify.progress import Progress

        if len(texts) <= self.CHUNK:
            return self._encoder.encode(texts)
        progress = Progress(len(texts), self._label)
        parts = []
        for start in range(0, len(texts), self.CHUNK):
            chunk = texts[start:start + self.CHUNK]
            parts.append(self._encoder.encode(chunk))
            progress.advance(len(chunk))
        progress.close()
        return np.concatenate(parts)


def make_encoder() -> Encoder:
    """The sentence encoder the causes are grouped with (tests put a small one in its place)."""
    from monitor.report_causes import default_encoder

    return default_encoder()


def _parse_date(value: str, words: Any) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError([words.report_bad_date(value)]) from None


def _period(args: argparse.Namespace, zone: str, now: datetime,
            words: Any) -> tuple[Period | None, timedelta]:
    from monitor.report_figures import calendar_period

    length = timedelta(days=7)
    if args.since and (args.date_from or args.date_to):
        raise ConfigError([words.report_since_and_dates()])
    if args.since:
        try:
            length = parse_duration(args.since)
        except ValueError:
            raise ConfigError([words.report_bad_since(args.since)]) from None
        if length <= timedelta(0):
            raise ConfigError([words.report_bad_since(args.since)])
        return None, length
    if args.date_to and not args.date_from:
        raise ConfigError([words.report_to_without_from()])
    if not args.date_from:
        return None, length
    from zoneinfo import ZoneInfo

    first = _parse_date(args.date_from, words)
    last = _parse_date(args.date_to, words) if args.date_to else now.astimezone(ZoneInfo(zone)).date()
    if first > last:
        raise ConfigError([words.report_dates_reversed()])
    return calendar_period(first, last, zone), length


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON values: times in ISO 8601 (UTC), durations in seconds, shares added."""
    data: dict[str, Any] = _plain(dataclasses.asdict(report))
    for table, source in zip(data["compliance"], report.compliance, strict=True):
        for row, rec in zip(table["rows"], source.rows, strict=True):
            row["share_within"] = rec.share_within
    data["feedback"]["precision"] = report.feedback.precision
    for cause, found in zip(data["causes"], report.causes, strict=True):
        cause["trend"] = found.trend
    if report.approvals is None:  # shown only when replies were proposed for approval
        del data["approvals"]
    return data


def cmd_report(args: argparse.Namespace) -> int:
    from monitor.cli import runtime_for
    from monitor.report_figures import report_for, zone_of
    from monitor.wiring import report_renderers

    charts, render_html, words = report_renderers()

    runtime = runtime_for(args)
    brands = list(runtime.config.brands)
    if args.brand:
        if args.brand not in {b.id for b in brands}:
            raise ConfigError([words.report_unknown_brand(args.brand, [b.id for b in brands])])
        brands = [runtime.brand(args.brand)]
    zone = zone_of(brands)
    now = runtime.clock()
    period, length = _period(args, zone, now, words)
    try:
        encoder = _Shown(make_encoder(), words.report_grouping_progress())
        report = report_for(runtime.store, brands, period, now, encoder, length=length,
                            combined=not args.brand)
    except ValueError as exc:  # a period of more days than a report holds
        raise ConfigError([str(exc)]) from None
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        print(words.report_summary(report))
    if args.html:
        drawn = charts(report)
        args.html.write_text(render_html(report, drawn), encoding="utf-8")
        print(words.report_html_written(str(args.html), len(drawn)), file=sys.stderr)
    return 0
