"""Poll one source: fetch after the stored cursor, process, then advance the cursor.

A source that fails is logged, backed off and marked unhealthy; it never stops the others.
The cursor moves only after the mentions are stored, so a crash in between loses nothing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.domain import Mention
from monitor.errors import AuthError, PlatformError, RateLimited
from monitor.notices import SourceNotice
from monitor.pipeline import Outcome, PipelineError, process
from monitor.poll_gate import Credential, HeldBack, credential_of, hold_back, rate_limited
from monitor.settings import BrandConfig
from monitor.source_health import poll_delay
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
#: Given a connection inside the transaction that advances the cursor, hands work over in it.
InTransaction = Callable[[Any], None]
#: What to do with a poll's mentions: handle them now (the default: `pipeline.process`), or
#: hand them over (the job engine: batch jobs deferred in the cursor's transaction).
Handler = Callable[[Runtime, BrandConfig, str, Sequence[Mention], datetime],
                   tuple[Outcome, InTransaction | None]]


def handle_here(runtime: Runtime, brand: BrandConfig, source: str, mentions: Sequence[Mention],
                now: datetime) -> tuple[Outcome, InTransaction | None]:
    """The single-process way: classify and store the mentions before the cursor moves."""
    return process(runtime, brand, source, mentions, now), None


@dataclass(frozen=True)
class PollResult:
    brand_id: str
    source: str
    ok: bool
    fetched: int = 0
    outcome: Outcome = field(default_factory=Outcome)
    error: str | None = None
    next_poll_in: timedelta = timedelta(0)
    # Why the poll did not call the platform (its credential paused or out of tokens); None
    # when it did.
    held_back: str | None = None


def poll_source(runtime: Runtime, brand_id: str, source: str,
                handle: Handler = handle_here) -> PollResult:
    """Run one poll of one source and record its health."""
    brand = runtime.brand(brand_id)
    cfg = runtime.source_config(brand_id, source)
    states = runtime.sources
    state = states.get(brand_id, source)
    now = runtime.clock()
    credential: Credential | None = None
    held: HeldBack | None = None
    try:
        connector = runtime.connector(brand_id, source)
        credential = credential_of(runtime, brand_id, source, connector)
        held = hold_back(runtime, credential, cfg.poll_interval, now)
        if held is None:
            result = connector.fetch(state.cursor if state else None)
    except Exception as exc:  # one source's failure must never stop the others
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        if credential is not None and isinstance(exc, RateLimited):
            rate_limited(runtime, credential, retry_after, now)  # for every source of the token
        message = _plain(exc)
        failures = (state.consecutive_failures if state else 0) + 1
        delay = poll_delay(cfg.poll_interval, failures, retry_after, random.random())
        health = states.failed(brand_id, source, cfg.type, message, now, now + delay)
        log_fn = log.warning if isinstance(exc, PlatformError) else log.exception
        log_fn("%s/%s failed (%d in a row), next try in %ds: %s", brand_id, source, failures,
               delay.total_seconds(), message)
        if (health.failing_since and now - health.failing_since >= runtime.config.source_down_after
                and not health.down_notified):
            _notify(runtime, brand_id, source, down=True, error=message)
        return PollResult(brand_id, source, False, error=message, next_poll_in=delay)
    if held is not None:
        states.held_back(brand_id, source, cfg.type, held.until)
        log.info("%s/%s not polled, next try at %s: %s", brand_id, source, held.until.isoformat(),
                 held.why)
        return PollResult(brand_id, source, True, next_poll_in=held.until - now, held_back=held.why)
    try:
        outcome, in_transaction = handle(runtime, brand, source, result.mentions, now)
    except PipelineError as exc:
        # Our failure, not the platform's: the source stays healthy, the cursor stays put and
        # the same mentions are fetched and handled again on the next poll.
        message = str(exc)
        try:
            states.pipeline_failed(brand_id, source, cfg.type, message, now)
        except Exception:  # the database itself is what failed: the log has to say it
            log.exception("%s/%s: could not record our failure in the database either", brand_id, source)
        log.error("%s/%s: handling %d fetched mention(s) failed on our side; they will be "
                  "handled again on the next poll: %s", brand_id, source, len(result.mentions), message)
        return PollResult(brand_id, source, False, fetched=len(result.mentions),
                          error=f"brand-monitor could not handle the posts: {message}",
                          next_poll_in=cfg.poll_interval)
    blind_spot = result.blind_spot or getattr(connector, "blind_spot", None)
    before = states.succeeded(brand_id, source, cfg.type, result.cursor, len(result.mentions),
                              result.skipped, blind_spot, now, now + cfg.poll_interval,
                              in_transaction=in_transaction)
    if before.down_notified:
        _notify(runtime, brand_id, source, down=False, error=before.last_error or "")
    return PollResult(brand_id, source, True, fetched=len(result.mentions), outcome=outcome,
                      next_poll_in=cfg.poll_interval)


def poll_all(runtime: Runtime) -> list[PollResult]:
    """Poll every enabled source of every brand once."""
    results = []
    for brand in runtime.config.brands:
        for index, source in enumerate(brand.sources):
            if source.enabled:
                results.append(poll_source(runtime, brand.id, brand.source_name(index)))
    return results


def _plain(exc: Exception) -> str:
    if isinstance(exc, AuthError):
        return f"{exc} (check the credentials' environment variables)"
    if isinstance(exc, PlatformError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def _notify(runtime: Runtime, brand_id: str, source: str, *, down: bool, error: str) -> None:
    """Queue one notice to the brand's channel when a source goes down or comes back."""
    now = runtime.clock()
    state = runtime.sources.get(brand_id, source)
    since = state.failing_since.isoformat() if state and state.failing_since else now.isoformat()
    runtime.outbox.put(SourceNotice(brand_id, source, since, error, not down, now.isoformat()), now,
                       brand_id=brand_id, channel=runtime.brand(brand_id).slack.channel)
    runtime.sources.mark_notified(brand_id, source, down)
