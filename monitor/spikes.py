"""Spikes: a brand's complaints, or their share of its mentions, well above the usual.

The usual is the same hour of the week in past weeks: the median of those weeks' counts, and
their spread as the median absolute deviation scaled to a standard deviation (1.4826 × MAD),
so one odd week moves neither. A brand with fewer weeks of history than `min_weeks` is
measured against an exponentially weighted mean and variance of the hours it has (EWMA); one
with less than `min_history` is not judged at all.

A window is a spike when it holds at least `min_count` complaints, at least `ratio` times the
usual, and `threshold` spreads above it. The spread is never taken below Poisson's √usual
(binomial's for a share), so 3 complaints in an hour that usually has 0.5 are no spike. An
open spike stays open while the window stays half as far above the usual (so it does not
flap at the edge), then closes; after that `cooldown` passes before another of its kind opens.
Everything here is pure: counts come in (`monitor.store_spikes`), decisions go out.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from monitor.settings import Spikes
from monitor.waves import tokens

HOURS_A_WEEK = 168
MAD_TO_SD = 1.4826
EWMA_HALF_LIFE_HOURS = 24.0
_ALPHA = 1 - 0.5 ** (1 / EWMA_HALF_LIFE_HOURS)


class SpikeKind(enum.StrEnum):
    VOLUME = "volume"  # how many complaints
    SHARE = "share"  # complaints as a share of all mentions


class Method(enum.StrEnum):
    SEASONAL = "seasonal"  # median and MAD of the same hour of the week in past weeks
    EWMA = "ewma"  # too few weeks: the weighted mean of the hours there are
    NONE = "none"  # too little history to judge


class Step(enum.StrEnum):
    NOTHING = "nothing"
    OPEN = "open"
    UPDATE = "update"
    CLOSE = "close"


@dataclass(frozen=True)
class Hourly:
    """Mentions and complaints per hour, counted back from now: index 0 is the last 60
    minutes, index 168 the same 60 minutes a week ago."""

    mentions: tuple[int, ...]
    complaints: tuple[int, ...]

    @property
    def history(self) -> int:
        """Hours back to the oldest hour with any mention (0: none at all)."""
        return history_hours(self.mentions)


def history_hours(counts: Sequence[int]) -> int:
    """Hours back to the oldest hour with anything in `counts` (0: nothing)."""
    for index in range(len(counts) - 1, -1, -1):
        if counts[index]:
            return index + 1
    return 0


def week_offsets(now: datetime, zone: ZoneInfo, weeks: int) -> tuple[int, ...]:
    """Hours before `now` of the same local time 1…`weeks` weeks ago: 168 a week, one more or
    less across a change of daylight saving time."""
    local = now.astimezone(zone)
    offsets = []
    for k in range(1, weeks + 1):
        then = (local - timedelta(weeks=k)).astimezone(UTC)  # wall-clock arithmetic in `zone`
        offsets.append(round((now - then).total_seconds() / 3600))
    return tuple(offsets)


def lookback_hours(offsets: Sequence[int], window: int) -> int:
    """How many hours of counts a judgement reads."""
    return max(offsets, default=0) + window


def window_hours(rules: Spikes) -> int:
    return int(rules.window.total_seconds() // 3600)


@dataclass(frozen=True)
class Baseline:
    usual: float
    spread: float
    method: Method
    weeks: int = 0  # past weeks the seasonal baseline read


@dataclass(frozen=True)
class Reading:
    """One kind's window against its baseline."""

    kind: SpikeKind
    value: float  # complaints in the window, or their share of the window's mentions
    baseline: Baseline
    complaints: int
    mentions: int

    @property
    def usual(self) -> float:
        return self.baseline.usual

    @property
    def score(self) -> float:
        """How many spreads above the usual."""
        spread = self.baseline.spread
        return (self.value - self.usual) / spread if spread > 0 else 0.0


def _sum(series: Sequence[int], start: int, window: int) -> int:
    return int(sum(series[start:start + window]))


def robust(values: Sequence[float]) -> tuple[float, float]:
    """Median and MAD-based spread (a standard deviation's scale) of `values`."""
    data = np.asarray(values, dtype=float)
    median = float(np.median(data))
    return median, MAD_TO_SD * float(np.median(np.abs(data - median)))


def ewma(values: Iterable[float]) -> tuple[float, float]:
    """Exponentially weighted mean and variance, oldest value first (half-life one day)."""
    data = np.asarray(list(values), dtype=float)
    if data.size == 0:
        return 0.0, 0.0
    mean, var = float(data.mean()), float(data.var())
    for x in data:
        delta = x - mean
        mean += _ALPHA * delta
        var = (1 - _ALPHA) * (var + _ALPHA * delta * delta)
    return mean, var


def _past(hourly: Hourly, offsets: Sequence[int], window: int) -> list[int]:
    """The weeks, among `offsets`, whose window lies inside the brand's history."""
    return [off for off in offsets if off + window <= hourly.history]


def volume(hourly: Hourly, offsets: Sequence[int], rules: Spikes) -> Reading:
    """Complaints in the window against the same window of past weeks."""
    window = window_hours(rules)
    now = _sum(hourly.complaints, 0, window)
    mentions = _sum(hourly.mentions, 0, window)
    return Reading(SpikeKind.VOLUME, float(now), _volume_baseline(hourly, offsets, rules, window),
                   now, mentions)


def _volume_baseline(hourly: Hourly, offsets: Sequence[int], rules: Spikes,
                     window: int) -> Baseline:
    min_history = int(rules.min_history.total_seconds() // 3600)
    if hourly.history < window + min_history:
        return Baseline(0.0, 0.0, Method.NONE)
    weeks = _past(hourly, offsets, window)
    if len(weeks) >= rules.min_weeks:
        usual, spread = robust([_sum(hourly.complaints, off, window) for off in weeks])
        return Baseline(usual, max(spread, math.sqrt(max(usual, 1.0))), Method.SEASONAL, len(weeks))
    mean, var = ewma(reversed(hourly.complaints[window:hourly.history]))
    usual = mean * window
    return Baseline(usual, max(math.sqrt(var * window), math.sqrt(max(usual, 1.0))), Method.EWMA)


def share(hourly: Hourly, offsets: Sequence[int], rules: Spikes) -> Reading:
    """The complaints' share of the window's mentions against past weeks' share."""
    window = window_hours(rules)
    complaints = _sum(hourly.complaints, 0, window)
    mentions = _sum(hourly.mentions, 0, window)
    value = complaints / mentions if mentions else 0.0
    return Reading(SpikeKind.SHARE, value, _share_baseline(hourly, offsets, rules, window, mentions),
                   complaints, mentions)


def _binomial(p: float, n: int) -> float:
    p = min(max(p, 0.02), 0.98)  # never a zero spread, even at a share of 0 or 1
    return math.sqrt(p * (1 - p) / max(n, 1))


def _share_baseline(hourly: Hourly, offsets: Sequence[int], rules: Spikes, window: int,
                    mentions_now: int) -> Baseline:
    min_history = int(rules.min_history.total_seconds() // 3600)
    if hourly.history < window + min_history:
        return Baseline(0.0, 0.0, Method.NONE)
    shares = [_sum(hourly.complaints, off, window) / n
              for off in _past(hourly, offsets, window)
              if (n := _sum(hourly.mentions, off, window))]
    if len(shares) >= rules.min_weeks:
        usual, spread = robust(shares)
        return Baseline(usual, max(spread, _binomial(usual, mentions_now)), Method.SEASONAL,
                        len(shares))
    c_mean, _ = ewma(reversed(hourly.complaints[window:hourly.history]))
    m_mean, _ = ewma(reversed(hourly.mentions[window:hourly.history]))
    usual = c_mean / m_mean if m_mean > 0 else 0.0
    return Baseline(usual, _binomial(usual, mentions_now), Method.EWMA)


def opens(reading: Reading, rules: Spikes) -> bool:
    """Whether the window is a spike of its kind."""
    if reading.baseline.method is Method.NONE or reading.complaints < rules.min_count:
        return False
    if reading.kind is SpikeKind.VOLUME:
        return reading.value >= rules.ratio * reading.usual and reading.score >= rules.threshold
    return (reading.mentions >= rules.min_mentions
            and reading.value - reading.usual >= rules.share_rise
            and reading.score >= rules.threshold)


def holds(reading: Reading, rules: Spikes) -> bool:
    """Whether an open spike goes on: half as far above the usual as it took to open."""
    if reading.baseline.method is Method.NONE or reading.complaints < math.ceil(rules.min_count / 2):
        return False
    if reading.kind is SpikeKind.VOLUME:
        return reading.value > reading.usual and reading.score >= rules.threshold / 2
    return (reading.mentions >= math.ceil(rules.min_mentions / 2)
            and reading.value - reading.usual >= rules.share_rise / 2
            and reading.score >= rules.threshold / 2)


@dataclass(frozen=True)
class Shown:
    """What the open spike's alert shows now, and when it last changed."""

    updated_at: datetime
    value: float


def step(shown: Shown | None, reading: Reading, rules: Spikes, now: datetime,
         last_ended_at: datetime | None) -> Step:
    """What to do about one kind of spike of one brand at this check."""
    if shown is None:
        if not opens(reading, rules):
            return Step.NOTHING
        if last_ended_at is not None and now - last_ended_at < rules.cooldown:
            return Step.NOTHING
        return Step.OPEN
    if not holds(reading, rules):
        return Step.CLOSE
    if now - shown.updated_at >= rules.update_every and not math.isclose(reading.value, shown.value):
        return Step.UPDATE
    return Step.NOTHING


def telling_words(texts: Sequence[str], usual_texts: Sequence[str], exclude: Iterable[str] = (),
                  limit: int = 5) -> list[str]:
    """The words that set the spike's posts apart from the usual complaints: frequent among
    them and rarer before (a smoothed ratio of document frequencies, weighted by how many posts
    use the word), whatever the language; the brand's own names left out."""
    left_out = set().union(*(tokens(name) for name in exclude)) if exclude else set()
    now = Counter(w for text in texts for w in tokens(text) - left_out)
    before = Counter(w for text in usual_texts for w in tokens(text) - left_out)
    n, m = max(len(texts), 1), len(usual_texts)
    least = max(2, math.ceil(0.1 * len(texts)))
    scored = []
    for word, df in now.items():
        if df < least:
            continue
        lift = ((df + 0.5) / (n + 1)) / ((before[word] + 0.5) / (m + 1))
        if lift > 1.5 or m == 0:
            scored.append((df * math.log(lift + 1), word))
    return [word for _score, word in sorted(scored, key=lambda p: (-p[0], p[1]))[:limit]]
