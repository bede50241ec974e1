"""The quiet-source rule: a usual quiet night, a source gone quiet, too little history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from monitor.notices import QuietSource
from monitor.poller import poll_all
from monitor.quiet_sources import judge, volume
from monitor.settings import QuietSources
from monitor.spike_watch import check
from monitor.spikes import week_offsets
from monitor.status_report import render_status
from tests.factories import make_world
from tests.monitor.test_spikes import NOW
from tests.monitor.test_spikes_store import add, row

RULES = QuietSources()
OFFSETS = week_offsets(NOW, ZoneInfo("UTC"), RULES.weeks)
HOURS = max(OFFSETS) + 24


def day_and_night(now_hour: int, silent_last: int = 0, history: int = HOURS) -> list[int]:
    """6 posts an hour from 08:00 to 22:00, none at night; nothing in the last `silent_last`
    hours; nothing before `history` hours ago."""
    counts = []
    for i in range(HOURS):
        hour = (now_hour - 1 - i) % 24
        busy = 8 <= hour < 22 and silent_last <= i < history
        counts.append(6 if busy else 0)
    return counts


def test_quiet_night__usual_not_reported() -> None:
    verdict = judge(day_and_night(now_hour=6), OFFSETS, RULES)  # 8 silent hours since 22:00
    assert verdict.judged and verdict.run_hours == 8
    assert verdict.longest_usual == 10  # every night, 22:00 to 08:00
    assert not verdict.quiet


def test_source_gone_quiet__reported_and_back() -> None:
    counts = day_and_night(now_hour=18, silent_last=20)  # none since 22:00 yesterday: a night and a day
    verdict = judge(counts, OFFSETS, RULES)
    assert verdict.judged and verdict.quiet
    assert verdict.run_hours > verdict.longest_usual
    assert verdict.observed == 0 and verdict.expected == 6 * 10
    counts[0] = 6
    back = judge(counts, OFFSETS, RULES)
    assert back.back and not back.quiet


def test_too_little_history__not_judged() -> None:
    verdict = judge(day_and_night(now_hour=18, silent_last=20, history=24 * 10), OFFSETS, RULES)
    assert not verdict.judged and not verdict.quiet


def test_volume__last_day_against_the_same_day_of_past_weeks() -> None:
    counts = day_and_night(now_hour=18, silent_last=20)
    assert volume(counts, OFFSETS).last_day == 4 * 6  # 18:00-22:00 yesterday
    assert volume(counts, OFFSETS).usual_day == 14 * 6
    assert volume(day_and_night(18, history=12), OFFSETS).usual_day is None


def test_quiet_source__one_notice_then_one_back_and_status_shows_volume(
        tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    poll_all(world.runtime)  # the source answers, without errors, and finds nothing new
    now = world.clock()
    counts = day_and_night(now_hour=now.hour, silent_last=20)
    add(world, [row("acme", now - timedelta(hours=i, minutes=30), False)
                for i, n in enumerate(counts) for _ in range(n)])
    assert check(world.runtime) == 1
    [notice] = [i.notice for i in world.runtime.outbox.due(now) if i.kind == "quiet_source"]
    assert isinstance(notice, QuietSource) and not notice.recovered and notice.source == "posts"
    assert notice.observed == 0 and notice.expected == 60
    assert check(world.runtime) == 0  # told once
    assert "QUIETER THAN USUAL" in render_status(world.runtime)
    assert "volume: 24 in the last 24 h, usually 84" in render_status(world.runtime)
    add(world, [row("acme", now - timedelta(minutes=m), False) for m in range(1, 7)])
    assert check(world.runtime) == 1
    back = [i.notice for i in world.runtime.outbox.due(now) if i.kind == "quiet_source"]
    assert [n.recovered for n in back if isinstance(n, QuietSource)] == [False, True]
    assert "QUIETER" not in render_status(world.runtime)
