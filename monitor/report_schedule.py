"""When each brand's scheduled reports are due, and queueing each one exactly once.

A check runs every minute (`monitor.scheduler` in `run`, a periodic task on the workers). It
finds, per brand and schedule, the latest time the report was due, in the brand's own
timezone, and queues a `ScheduledReport` whose key names the brand, the schedule and the
period's first day: the outbox's unique key makes every later check, in any process, a
no-op, and the sender builds and posts the report once. Times are local wall-clock times, so
"mon 09:00" stays 09:00 across a DST change (the week that holds it lasts 167 or 169 hours).
A report more than `GRACE` late (the bot was down) is skipped, not posted out of the blue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from monitor.notices import ScheduledReport
from monitor.outbox import Outbox
from monitor.report_figures import local_midnight
from monitor.settings import BrandConfig, Config

GRACE = timedelta(hours=6)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleDeps(Protocol):
    @property
    def config(self) -> Config: ...
    @property
    def outbox(self) -> Outbox: ...


def _clock_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _schedules(brand: BrandConfig) -> Iterator[tuple[str, int | None, time]]:
    """(name, weekday or None for every day, local time) of each report the brand asks for."""
    if brand.reports.daily:
        yield "daily", None, _clock_time(brand.reports.daily)
    if brand.reports.weekly:
        day, at = brand.reports.weekly.split(" ")
        yield "weekly", WEEKDAYS.index(day), _clock_time(at)


def _run_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def last_run(weekday: int | None, at: time, zone: ZoneInfo, now: datetime) -> date:
    """The local day of the latest scheduled time at or before `now`."""
    day = now.astimezone(zone).date()
    while (weekday is not None and day.weekday() != weekday) or _run_at(day, at, zone) > now:
        day -= timedelta(days=1)
    return day


def next_run(brand: BrandConfig, schedule: str, now: datetime) -> datetime:
    """When the brand's `schedule` ("daily" or "weekly") report is next due after `now` (UTC)."""
    for name, weekday, at in _schedules(brand):
        if name == schedule:
            day = now.astimezone(brand.zone).date()
            while (weekday is not None and day.weekday() != weekday) or _run_at(day, at, brand.zone) <= now:
                day += timedelta(days=1)
            return _run_at(day, at, brand.zone)
    raise KeyError(f"{brand.id} has no {schedule} report")


def due_reports(brand: BrandConfig, now: datetime) -> list[ScheduledReport]:
    """The brand's reports due at `now` (at most `GRACE` ago): the daily one covers the local
    day before its run, the weekly one the seven days before."""
    out = []
    for name, weekday, at in _schedules(brand):
        run_day = last_run(weekday, at, brand.zone, now)
        if now - _run_at(run_day, at, brand.zone) > GRACE:
            continue
        first = run_day - timedelta(days=7 if name == "weekly" else 1)
        last = run_day - timedelta(days=1)
        out.append(ScheduledReport(
            brand.id, name, first.isoformat(), last.isoformat(),
            local_midnight(first, brand.zone).isoformat(),
            local_midnight(run_day, brand.zone).isoformat()))
    return out


def queue_due_reports(deps: ScheduleDeps, now: datetime) -> int:
    """Queue every brand's due report not queued before (by any process); return how many."""
    queued = 0
    for brand in deps.config.brands:
        for notice in due_reports(brand, now):
            queued += deps.outbox.put(notice, now, brand_id=brand.id, channel=brand.slack.channel)
    return queued
