"""Progress with an estimate of the time left, on stderr, for long `train` and `eval` runs.

A run may be made of phases whose steps take very different times (encoder chunks of a few
seconds, then model fits of a minute), so the time left is reckoned per phase: the phase
under way at the pace of its own steps so far, the phases to come at the pace an earlier
run recorded (`timings`, a JSON file next to the embedding cache). On a first run the
phases not yet begun cannot be timed: the line says how many of their steps remain.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)
TIMINGS_FILE = "progress.json"


def timings_file(cache: Path | None) -> Path | None:
    """Where runs keep the pace of their steps for the next run's estimates: beside the
    embedding cache, whose state decides how many encoder steps a run has."""
    return cache / TIMINGS_FILE if cache is not None else None


@dataclass
class _Phase:
    name: str
    steps: int
    done: int = 0
    started: float = 0.0  # when the phase before it ended (the first: when the run began)
    seconds: float = 0.0

    def pace(self, recorded: float | None) -> float | None:
        """Seconds a step: as measured in this run, else as an earlier run recorded."""
        return self.seconds / self.done if self.done else recorded


class Progress:
    """Redraw one line on a terminal; elsewhere print a plain line every `every` percent.

    `phases` names the run's parts in order, with their step counts (their sum is the
    total); without it the run is one phase of `total` steps."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 every: int = 10, phases: Sequence[tuple[str, int]] | None = None,
                 timings: Path | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        parts = [(name, n) for name, n in phases if n > 0] if phases else [("steps", total)]
        self._phases = [_Phase(name, n) for name, n in parts] or [_Phase("steps", 0)]
        self.total = max(sum(p.steps for p in self._phases), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.done = 0
        self._clock = clock
        self._phases[0].started = clock()
        self._last_pct = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._timings = timings
        self._recorded = _read(timings).get(label, {}) if timings else {}

    def advance(self, n: int = 1) -> None:
        """Count `n` more steps done and show the progress if it is time to."""
        now = self._clock()
        for _ in range(n):
            phase = self._current()
            if phase is None:
                break
            phase.done += 1
            phase.seconds = now - phase.started
            self.done += 1
            following = self._current()
            if following is not None and following is not phase:
                following.started = now
        pct = self.done * 100 // self.total
        if self._tty:
            self.stream.write(f"\r{self._line(pct)}\x1b[K")
            self.stream.flush()
        elif pct // self.every > self._last_pct // self.every or self.done == self.total:
            self.stream.write(self._line(pct) + "\n")
        self._last_pct = pct

    def close(self) -> None:
        """End the progress line on a terminal and record each phase's pace for later runs."""
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
        if self._timings is not None:
            paces = {p.name: p.seconds / p.done for p in self._phases if p.done}
            if paces:
                _write(self._timings, self.label, paces)

    def left(self) -> tuple[float, list[tuple[str, int]]]:
        """Seconds left for the steps that can be timed, and the phases (name, steps left)
        that cannot be yet."""
        seconds, untimed = 0.0, []
        for phase in self._phases:
            remaining = phase.steps - phase.done
            if not remaining:
                continue
            pace = phase.pace(self._recorded.get(phase.name))
            if pace is None:
                untimed.append((phase.name, remaining))
            else:
                seconds += pace * remaining
        return seconds, untimed

    def _current(self) -> _Phase | None:
        return next((p for p in self._phases if p.done < p.steps), None)

    def _line(self, pct: int) -> str:
        head = f"{self.label}: {self.done}/{self.total} ({pct}%)"
        seconds, untimed = self.left()
        if not untimed:
            return f"{head}, about {_duration(seconds)} left"
        waiting = ", ".join(f"{steps} {name}" for name, steps in untimed)
        timed = f", about {_duration(seconds)} left, then" if seconds else ","
        return f"{head}{timed} {waiting} not timed yet"


def _read(path: Path) -> dict[str, dict[str, float]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {label: {k: float(v) for k, v in paces.items() if isinstance(v, int | float)}
            for label, paces in data.items() if isinstance(paces, dict)}


def _write(path: Path, label: str, paces: dict[str, float]) -> None:
    data = _read(path)
    data[label] = {**data.get(label, {}), **paces}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    except OSError as exc:  # the estimate of a later run is worse; the run itself is fine
        log.warning("could not record the pace of %s in %s: %s", label, path, exc)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
