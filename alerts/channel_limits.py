"""Slack's posting limit per channel, shared by every sender on the database.

Slack lets an app post about one message a second to a channel, with "generous burst
behavior" (api.slack.com/methods/chat.postMessage, "Rate limiting"), and answers 429 with
Retry-After beyond that. Each channel has a pause every sender honours (`pauses` table,
`slack:<channel>`, set from a 429's Retry-After) and a token bucket every sender takes from
before it calls Slack for the channel (`monitor.rate_limits`): by default at most 10 messages
in any 10 seconds, one a second on average with a burst of 10. A sender finding the bucket
empty does not wait: it gives the message back to the outbox for a moment (a few seconds at
most) and goes on with the other channels' messages.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from monitor.pauses import Pauses
from monitor.rate_limits import limits_for
from monitor.settings import RateLimit, parse_rate_limit
from monitor.store import Store

log = logging.getLogger(__name__)
PREFIX = "slack:"
#: Messages per channel, counted across every sender; `BRAND_MONITOR_SLACK_RATE` (e.g.
#: `30/30s`) replaces it, for a Slack that allows more (a fake one in tests) or less.
RATE = parse_rate_limit(os.environ.get("BRAND_MONITOR_SLACK_RATE") or "10/10s")
TAKE_WAIT = 0.2  # seconds: rides over another sender taking a token at the same moment
SOONEST = timedelta(seconds=1)


class ChannelLimits:
    """The shared pause and bucket of each Slack channel."""

    def __init__(self, store: Store, *, paced: bool = True, rate: RateLimit | None = None) -> None:
        """`paced=False` skips the buckets (the terminal, which has no rate limit); `rate`
        replaces `RATE`."""
        self.store = store
        self.pauses = Pauses(store)
        self.paced = paced
        self.rate = rate if rate is not None else RATE

    def paused(self, now: datetime) -> dict[str, datetime]:
        """The channels paused now, with the end of each pause."""
        return self.pauses.active(PREFIX, now)

    def pause(self, channel: str, until: datetime) -> None:
        """Pause `channel` for every sender until `until` (Slack's Retry-After)."""
        self.pauses.hold(PREFIX + channel, until, "Slack answered 429")

    def wait(self, channel: str, now: datetime) -> datetime | None:
        """None when a message may go to `channel` now (its token is taken); else when to try
        again: the end of the channel's pause, or in a moment when its bucket is empty."""
        if not channel:
            return None
        paused = self.pauses.until(PREFIX + channel, now)
        if paused is not None or not self.paced:
            return paused
        try:
            free_in = limits_for(self.store).take(PREFIX + channel, self.rate, now, TAKE_WAIT)
        except Exception:  # a limiter that fails must not keep alerts back: Slack's 429 still will
            log.warning("could not take a Slack token for %s; sending anyway", channel, exc_info=True)
            return None
        if free_in is None:
            return None
        return now + max(timedelta(seconds=free_in), SOONEST)
