"""Progress with an estimate of the time left, on stderr, for long `train` and `eval` runs."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Redraw one line on a terminal; elsewhere print a plain line every `every` percent."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 every: int = 10) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.done = 0
        self._start = time.monotonic()
        self._last_pct = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self, n: int = 1) -> None:
        """Count `n` more items done and show the progress if it is time to."""
        self.done = min(self.done + n, self.total)
        pct = self.done * 100 // self.total
        if self._tty:
            self.stream.write(f"\r{self._line(pct)}\x1b[K")
            self.stream.flush()
        elif pct // self.every > self._last_pct // self.every or self.done == self.total:
            self.stream.write(self._line(pct) + "\n")
        self._last_pct = pct

    def close(self) -> None:
        """End the progress line on a terminal."""
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, pct: int) -> str:
        elapsed = time.monotonic() - self._start
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        return f"{self.label}: {self.done}/{self.total} ({pct}%), about {_duration(left)} left"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
