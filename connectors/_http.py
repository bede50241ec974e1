"""The HTTP edge shared by connectors that talk to a platform with httpx."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from monitor.errors import RateLimited, TemporaryPlatformError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "brand-monitor/0.1 (social listening bot)"
#: A reset header above this is a Unix time; below it, seconds from now.
_EPOCH_FLOOR = 1_000_000_000


def new_client() -> httpx.Client:
    """Build the client a connector uses when none was given."""
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": USER_AGENT})


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Read how long to wait from Retry-After, X-RateLimit-Reset or RateLimit-Reset."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", "x-ratelimit-reset", "ratelimit-reset"):
        value = (lowered.get(name) or "").strip()
        if not value:
            continue
        at = _instant(value, now)
        if at is not None:
            return max(0.0, at - now)
    return None


def _instant(value: str, now: float) -> float | None:
    """Read a header as a Unix time: seconds from now, a Unix time, an HTTP or ISO date."""
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number if number > _EPOCH_FLOOR else now + number
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            moment = parse(value)
        except (TypeError, ValueError):
            continue
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return None


def get(client: httpx.Client, platform: str, url: str, *, now: float,
        **kwargs: Any) -> httpx.Response:
    """GET `url`; raise ours for a timeout, a dropped connection, a 429 or a 5xx."""
    try:
        response = client.get(url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TemporaryPlatformError(platform, f"{_host(url)} did not answer in time; "
                                     "will try again") from exc
    except httpx.TransportError as exc:
        raise TemporaryPlatformError(platform, f"could not reach {_host(url)} "
                                     f"({type(exc).__name__}); will try again") from exc
    if response.status_code == 429:
        raise RateLimited(platform, retry_after(response.headers, now))
    if response.status_code >= 500:
        raise TemporaryPlatformError(platform, f"{_host(url)} failed (HTTP {response.status_code}); "
                                     "will try again")
    return response


def _host(url: str) -> str:
    return httpx.URL(url).host or url
