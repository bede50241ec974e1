"""The spike detector on synthetic series: flat weeks, a real spike, a daily rhythm, a new brand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.settings import Spikes
from monitor.spikes import (
    Hourly,
    Method,
    Shown,
    SpikeKind,
    Step,
    opens,
    share,
    step,
    telling_words,
    volume,
    week_offsets,
)
from tests.factories import write_brands

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday, 15:00 UTC
RULES = Spikes()
OFFSETS = week_offsets(NOW, ZoneInfo("UTC"), RULES.weeks)
HOURS = max(OFFSETS) + 1


def series(complaints: Callable[[int], int], mentions: Callable[[int], int] | None = None,
           history: int = HOURS) -> Hourly:
    """Counts by hours before NOW; nothing older than `history` hours."""
    c = [complaints(i) if i < history else 0 for i in range(HOURS)]
    m = [(mentions(i) if mentions else 4 * c[i] + 10) if i < history else 0 for i in range(HOURS)]
    return Hourly(tuple(m), tuple(c))


RNG = np.random.default_rng(12)
NOISE = RNG.poisson(6, HOURS)


def test_flat_weeks__no_spike() -> None:
    reading = volume(series(lambda i: int(NOISE[i])), OFFSETS, RULES)
    assert reading.baseline.method is Method.SEASONAL and reading.baseline.weeks == 4
    assert 4 <= reading.usual <= 8
    assert not opens(reading, RULES)


def test_real_spike__opens_against_the_same_hour_of_past_weeks() -> None:
    reading = volume(series(lambda i: 45 if i == 0 else int(NOISE[i])), OFFSETS, RULES)
    assert reading.complaints == 45 and reading.usual < 9
    assert reading.score >= RULES.threshold
    assert opens(reading, RULES)


def test_daily_rhythm__the_busy_hour_is_no_spike() -> None:
    def rhythm(i: int) -> int:  # 30 an hour at 14:00-15:00 every day, 2 at night
        hour = (NOW.hour - 1 - i) % 24
        return 30 if hour == 14 else 12 if 9 <= hour <= 20 else 2

    hourly = series(rhythm)
    assert hourly.complaints[0] == 30
    assert hourly.complaints[0] >= 2 * np.mean(hourly.complaints)  # far above the day's mean
    reading = volume(hourly, OFFSETS, RULES)
    assert reading.usual == 30
    assert not opens(reading, RULES)


def test_new_brand__no_history_is_not_judged() -> None:
    reading = volume(series(lambda i: 50, history=1), OFFSETS, RULES)  # its first hour
    assert reading.baseline.method is Method.NONE
    assert not opens(reading, RULES)


def test_new_brand__a_few_days_use_ewma() -> None:
    few_days = 72
    spike = volume(series(lambda i: 40 if i == 0 else int(NOISE[i]) // 2, history=few_days),
                   OFFSETS, RULES)
    assert spike.baseline.method is Method.EWMA
    assert 1.5 <= spike.usual <= 4.5
    assert opens(spike, RULES)
    usual = volume(series(lambda i: int(NOISE[i]) // 2, history=few_days), OFFSETS, RULES)
    assert usual.baseline.method is Method.EWMA and not opens(usual, RULES)


def test_small_numbers__three_against_half_is_no_spike() -> None:
    reading = volume(series(lambda i: 3 if i == 0 else i % 2), OFFSETS, RULES)
    assert reading.value >= RULES.ratio * reading.usual  # many times the usual...
    assert not opens(reading, RULES)  # ...but under min_count


def test_share_rise__opens_when_complaints_take_over_the_mentions() -> None:
    hourly = series(lambda i: 32 if i == 0 else 10, mentions=lambda i: 60 if i == 0 else 100)
    reading = share(hourly, OFFSETS, RULES)
    assert reading.kind is SpikeKind.SHARE
    assert reading.usual == pytest.approx(0.10)
    assert reading.value == pytest.approx(32 / 60)
    assert opens(reading, RULES)
    same_share = share(series(lambda i: 30 if i == 0 else 10,
                              mentions=lambda i: 300 if i == 0 else 100), OFFSETS, RULES)
    assert same_share.value == pytest.approx(0.10) and not opens(same_share, RULES)


def test_step__opens_once_updates_at_most_every_n_minutes_closes_and_cools_down() -> None:
    high = volume(series(lambda i: 45 if i == 0 else int(NOISE[i])), OFFSETS, RULES)
    higher = volume(series(lambda i: 60 if i == 0 else int(NOISE[i])), OFFSETS, RULES)
    low = volume(series(lambda i: int(NOISE[i])), OFFSETS, RULES)
    assert step(None, high, RULES, NOW, None) is Step.OPEN
    shown = Shown(NOW, high.value)
    assert step(shown, high, RULES, NOW + timedelta(hours=1), None) is Step.NOTHING  # unchanged
    assert step(shown, higher, RULES, NOW + timedelta(minutes=5), None) is Step.NOTHING  # too soon
    assert step(shown, higher, RULES, NOW + RULES.update_every, None) is Step.UPDATE
    assert step(shown, low, RULES, NOW + timedelta(minutes=5), None) is Step.CLOSE
    ended = NOW + timedelta(minutes=5)
    assert step(None, high, RULES, ended + timedelta(minutes=30), ended) is Step.NOTHING
    assert step(None, high, RULES, ended + RULES.cooldown, ended) is Step.OPEN


def test_week_offsets__same_local_hour_across_daylight_saving() -> None:
    after_change = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # Europe/Warsaw left DST on 25 Oct
    assert week_offsets(after_change, ZoneInfo("Europe/Warsaw"), 2) == (168, 337)
    assert week_offsets(after_change, ZoneInfo("UTC"), 2) == (168, 336)


def test_telling_words__what_sets_the_spike_apart() -> None:
    usual = ["acme parcel late again", "acme refund never came", "acme parcel late"] * 20
    now = ["acme app crashes at checkout", "app crashes when I pay", "checkout crashes acme app",
           "parcel late"]
    words = telling_words(now, usual, exclude=["Acme"])
    assert words[:3] == ["app", "crashes", "checkout"]  # 3 posts each (ties by name), then 2
    assert "acme" not in words and "late" not in words


def test_yaml__spike_thresholds_are_validated(tmp_path: Path) -> None:
    good = write_brands(tmp_path, "    spikes: {threshold: 5, min_count: 20, window: 2h}\n")
    brand = load_config(good, env={}).brands[0]
    assert brand.spikes.threshold == 5 and brand.spikes.min_count == 20
    assert brand.spikes.window == timedelta(hours=2)
    assert brand.spikes.cooldown == timedelta(hours=2)  # the default
    bad = write_brands(tmp_path, "    spikes:\n      threshold: -1\n      window: 90m\n"
                                 "      min_weeks: 6\n      weeks: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad, env={})
    text = str(caught.value)
    assert "brands.yaml:" in text
    assert "spikes.threshold" in text and "spikes.window" in text
    assert "whole hours" in text
    quiet = write_brands(tmp_path, "    quiet_sources: {ratio: 2}\n")
    with pytest.raises(ConfigError, match=r"quiet_sources\.ratio"):
        load_config(quiet, env={})
