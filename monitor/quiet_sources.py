"""Quiet sources: a source fetching far fewer posts than usual, for longer than usual.

A source that errors gets its "source down" notice; one that answers but finds nothing (a
query broken by a rename, an expired feed, a platform that silently returns empty pages)
would go unnoticed. An hour is near-silent when it brings at most `ratio` of the source's
typical hour (its median week over 168). The source is quiet when the near-silent hours
leading up to now outlast the longest such stretch in its own past weeks, and those hours
brought at most `ratio` of what the same hours of past weeks did (at least `min_expected`).
So a source that is always quiet at night, or at weekends, is not reported then; a source
with less than two weeks of history is not judged. It is back as soon as its last hour is
no longer near-silent. Pure: hourly counts in (`monitor.store_spikes`), a verdict out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.settings import QuietSources
from monitor.spikes import HOURS_A_WEEK, history_hours

MIN_WEEKS = 2
DAY = 24


@dataclass(frozen=True)
class Verdict:
    judged: bool  # enough history to tell
    quiet: bool
    back: bool  # the last hour is not near-silent
    run_hours: int = 0  # near-silent hours leading up to now
    longest_usual: int = 0  # the longest such stretch in the past weeks
    observed: int = 0  # posts in the current stretch
    expected: float = 0.0  # posts the same hours of past weeks brought (median)


@dataclass(frozen=True)
class Volume:
    """The last 24 hours against the same 24 hours of past weeks (for `status`)."""

    last_day: int
    usual_day: float | None  # None: not one past week to compare with


def _usual_at(counts: Sequence[int], hour: int, offsets: Sequence[int], history: int) -> float:
    past = [counts[hour + off] for off in offsets if hour + off < history]
    return float(np.median(past)) if past else 0.0


def _longest_run(silent: Sequence[bool]) -> int:
    longest = run = 0
    for is_silent in silent:
        run = run + 1 if is_silent else 0
        longest = max(longest, run)
    return longest


def judge(counts: Sequence[int], offsets: Sequence[int], rules: QuietSources) -> Verdict:
    """Whether a source, given its hourly counts back from now, is quieter than usual."""
    history = history_hours(counts)
    full_weeks = history // HOURS_A_WEEK
    if full_weeks < MIN_WEEKS:
        return Verdict(judged=False, quiet=False, back=bool(counts and counts[0]))
    # Week 0 holds the stretch being judged: the typical hour comes from the weeks before it.
    weekly = [sum(counts[k * HOURS_A_WEEK:(k + 1) * HOURS_A_WEEK]) for k in range(1, full_weeks)]
    near_silent = rules.ratio * float(np.median(weekly)) / HOURS_A_WEEK
    silent = [c <= near_silent for c in counts[:history]]
    run = next((i for i, s in enumerate(silent) if not s), history)
    longest = _longest_run(silent[run:])
    observed = int(sum(counts[:run]))
    expected = sum(_usual_at(counts, hour, offsets, history) for hour in range(run))
    quiet = (run > longest and expected >= rules.min_expected
             and observed <= rules.ratio * expected)
    return Verdict(judged=True, quiet=quiet, back=run == 0, run_hours=run, longest_usual=longest,
                   observed=observed, expected=expected)


def volume(counts: Sequence[int], offsets: Sequence[int]) -> Volume:
    """Posts in the last 24 hours, and the median of the same 24 hours in past weeks."""
    history = history_hours(counts)
    past = [sum(counts[off:off + DAY]) for off in offsets if off + DAY <= history]
    return Volume(int(sum(counts[:DAY])), float(np.median(past)) if past else None)
