"""What a poll checks before it calls the platform: its credential's shared pause and tokens.

Every source that reads with the same credential values, of any brand and in any process,
shares one pause (`pauses` table, `credential:<platform>:<hash>`) and one token bucket
(`monitor.rate_limits`). A poll whose credential is paused, or whose bucket is empty, does not
call the platform: it is held back and its source's next poll is set to when the pause ends or
a token frees. A 429 with a reset time pauses the credential for everyone.

A poll never blocks waiting for a token: it runs on a worker (a scheduler thread, a job
worker) that other sources are waiting for, and a bucket emptied by other processes may stay
empty for minutes. So a poll finding its bucket empty gives its worker back and is rescheduled
for when the bucket says a token frees (never later than its poll interval, never sooner than
a second). It waits only while another process holds the bucket for its own take, half a
second at most.

A limiter or pause that cannot be read (the database failing) does not stop the poll: it
goes on as it would without them, and the platform's own 429 still backs the source off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.pauses import Pauses
from monitor.platform_limits import credential_key, credential_names, rate_of
from monitor.rate_limits import limits_for
from monitor.settings import RateLimit
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
MAX_WAIT = 0.5  # seconds a poll may wait for a token before it is rescheduled
SOONEST = timedelta(seconds=1)


@dataclass(frozen=True)
class Credential:
    """Whose rate limit a source's polls spend: the shared name, and the rate held to."""

    key: str  # credential:<platform>:<hash>, also the pause's name and the bucket's
    limit: RateLimit | None


@dataclass(frozen=True)
class HeldBack:
    """A poll that must not call the platform now; try again at `until`."""

    until: datetime
    why: str


def credential_of(runtime: Runtime, brand_id: str, source: str, connector: object) -> Credential:
    """The credential a source reads with, named without its secret."""
    brand = runtime.brand(brand_id)
    cfg = runtime.source_config(brand_id, source)
    values = runtime.spec(brand, cfg, source).credentials
    key = credential_key(cfg.type, values, credential_names(connector, values))
    return Credential(key, rate_of(cfg))


def hold_back(runtime: Runtime, credential: Credential, interval: timedelta,
              now: datetime) -> HeldBack | None:
    """None when the poll may call the platform now (its token is taken); else until when,
    and why, it must wait."""
    try:
        paused = Pauses(runtime.store).until(credential.key, now)
    except Exception:
        log.warning("could not read the pause of %s; polling anyway", credential.key, exc_info=True)
        paused = None
    if paused is not None:
        return HeldBack(paused, f"the credential is paused until {paused.isoformat()} "
                                "(the platform's rate limit, seen by a poll of this or another source)")
    if credential.limit is None:
        return None
    try:
        wait = limits_for(runtime.store).take(credential.key, credential.limit, now, MAX_WAIT)
    except Exception:
        log.warning("could not take a token for %s; polling anyway", credential.key, exc_info=True)
        return None
    if wait is None:
        return None
    delay = min(max(timedelta(seconds=wait), SOONEST), max(interval, SOONEST))
    return HeldBack(now + delay, f"the credential's rate limit ({credential.limit}) is spent "
                                 "for now, across every source and process that uses it")


def rate_limited(runtime: Runtime, credential: Credential, retry_after: float | None,
                 now: datetime) -> None:
    """Pause the credential for every source and process until the platform's reset time."""
    if retry_after is None or retry_after <= 0:
        return
    until = now + timedelta(seconds=retry_after)
    try:
        Pauses(runtime.store).hold(credential.key, until, "rate limited by the platform")
    except Exception:
        log.warning("could not record the pause of %s", credential.key, exc_info=True)
