"""Scheduled reports: when they are due in the brand's timezone, once per period, DST, Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from alerts.delivery import SlackDelivery
from alerts.report_post import post_report
from alerts.sender import flush
from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.report_schedule import due_reports, next_run, queue_due_reports
from monitor.settings import BrandConfig
from tests.factories import make_world, write_brands
from tests.fake_slack import FakeSlack
from tests.monitor.test_report_figures import _world

SCHEDULE = '    reports:\n      daily: "09:00"\n      weekly: "mon 09:00"\n'


def _brand(tmp_path: Path, extra: str = SCHEDULE) -> BrandConfig:
    return load_config(write_brands(tmp_path, extra), env={}).brands[0]


def test_next_run__in_the_brands_timezone(tmp_path: Path) -> None:
    brand = _brand(tmp_path)  # Europe/Warsaw, UTC+1 in November
    now = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # Wednesday 11:00 in Warsaw
    assert next_run(brand, "daily", now) == datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    assert next_run(brand, "weekly", now) == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


def test_due_reports__daily_covers_the_day_before(tmp_path: Path) -> None:
    brand = _brand(tmp_path, '    reports:\n      daily: "09:00"\n')
    # 08:59 in Warsaw: today's is not due yet, and yesterday's is over six hours late.
    assert due_reports(brand, datetime(2026, 11, 5, 7, 59, tzinfo=UTC)) == []
    [report] = due_reports(brand, datetime(2026, 11, 5, 8, 0, tzinfo=UTC))
    assert (report.schedule, report.first, report.last) == ("daily", "2026-11-04", "2026-11-04")
    assert (report.start, report.end) == ("2026-11-03T23:00:00+00:00", "2026-11-04T23:00:00+00:00")
    assert report.key == "report:acme:daily:2026-11-04"
    assert due_reports(brand, datetime(2026, 11, 5, 14, 1, tzinfo=UTC)) == []  # over 6 h late


def test_due_reports__weekly_across_the_dst_change(tmp_path: Path) -> None:
    brand = _brand(tmp_path, '    reports:\n      weekly: "mon 09:00"\n')
    # Clocks went back on Sunday 25 October: Monday 09:00 is 08:00 UTC, a week before 07:00.
    assert due_reports(brand, datetime(2026, 10, 26, 7, 59, tzinfo=UTC)) == []
    [report] = due_reports(brand, datetime(2026, 10, 26, 8, 0, tzinfo=UTC))
    assert (report.first, report.last) == ("2026-10-19", "2026-10-25")
    start, end = datetime.fromisoformat(report.start), datetime.fromisoformat(report.end)
    assert start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=169)
    after = datetime(2026, 10, 20, tzinfo=UTC)
    assert next_run(brand, "weekly", after) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_queue_due_reports__once_per_period(database_url: str, tmp_path: Path) -> None:
    world = make_world(tmp_path, database_url, extra=SCHEDULE)
    monday = datetime(2026, 11, 9, 8, 5, tzinfo=UTC)
    assert queue_due_reports(world.runtime, monday) == 2  # the daily and the weekly one
    assert queue_due_reports(world.runtime, monday + timedelta(minutes=1)) == 0
    assert queue_due_reports(world.runtime, monday + timedelta(days=1)) == 1  # Tuesday's daily


@pytest.mark.parametrize(("value", "says"), [
    ('daily: "9am"', "'9am' is not a time of day"),
    ('weekly: "funday 09:00"', "'funday 09:00' is not a day and a time"),
    ('weekly: "mon 25:00"', "'mon 25:00' is not a day and a time"),
])
def test_reports_config__bad_day_or_time_names_the_line(tmp_path: Path, value: str, says: str) -> None:
    path = write_brands(tmp_path, f"    reports:\n      {value}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, env={})
    problem = next(p for p in error.value.problems if says in p)
    assert problem.startswith(f"{path}:") and "reports" in problem


def test_scheduled_report__reaches_slack_once_with_its_charts(tmp_path: Path) -> None:
    world = make_world(tmp_path, extra='    reports:\n      daily: "09:00"\n')
    _world(world.runtime.store)
    world.clock.now = datetime(2026, 11, 5, 8, 30, tzinfo=UTC)  # 09:30 in Warsaw
    assert queue_due_reports(world.runtime, world.clock.now) == 1
    with FakeSlack() as slack:
        delivery = SlackDelivery(WebClient(token="xoxb-test", base_url=slack.url, timeout=5))
        assert flush(world.runtime, delivery) == 1
        assert queue_due_reports(world.runtime, world.clock.now) == 0
        assert flush(world.runtime, delivery) == 0
        [post] = slack.posts_with_key("report:acme:daily:2026-11-04")
        assert "Acme Coffee: complaints report, Wed 4 Nov 2026 (Europe/Warsaw)" in post["text"]
        assert "4 mentions, 2 complaints" in post["text"]
        assert "U1: 100% (1 of 1), 1 answered, 1 new" in post["text"]
        files = slack.files_in("C0ACME")
        assert files and all(f["data"].startswith(b"\x89PNG") for f in files)
        assert len(slack.of("files.completeUploadExternal")) == 1


def test_scheduled_report__a_sender_after_a_crash_finds_the_charts_and_uploads_none(tmp_path: Path) -> None:
    world = make_world(tmp_path, extra='    reports:\n      daily: "09:00"\n')
    _world(world.runtime.store)
    now = datetime(2026, 11, 5, 8, 30, tzinfo=UTC)
    [notice] = due_reports(world.runtime.brand("acme"), now)
    with FakeSlack() as slack:
        delivery = SlackDelivery(WebClient(token="xoxb-test", base_url=slack.url, timeout=5))
        summary = delivery.post("C0ACME", "the summary", key=notice.key)

        def found(channel: str, message: dict[str, object]) -> tuple[str, str]:
            return summary  # the sender's post-once finds the summary by its key

        post_report(world.runtime.store, world.runtime, delivery, notice, "C0ACME", now, found)
        assert len(slack.of("files.completeUploadExternal")) == 1
        # The record of that upload was lost in a crash: the next sender tries again.
        post_report(world.runtime.store, world.runtime, delivery, notice, "C0ACME", now, found)
        assert len(slack.of("files.completeUploadExternal")) == 1
        assert slack.files_in("C0ACME")
