"""An access token held until shortly before it lapses, then renewed on the next use."""

from __future__ import annotations

from collections.abc import Callable

#: Renew this many seconds before the token's stated expiry, so a request never carries a
#: token that lapses on the way.
MARGIN = 60.0


class CachedToken:
    """One connector's bearer token and the Unix time it expires."""

    def __init__(self) -> None:
        self._held: tuple[str, float] | None = None

    def get(self, now: float, renew: Callable[[float], tuple[str, float]]) -> str:
        """Return the held token, or the one `renew(now)` gives (token, expiry) when it lapses."""
        if self._held is None or now >= self._held[1] - MARGIN:
            self._held = renew(now)
        return self._held[0]

    def drop(self) -> None:
        """Forget the token, so the next use renews it (the platform refused it)."""
        self._held = None
