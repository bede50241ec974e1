"""The periodic check: each brand's spikes and quiet sources, judged and recorded.

Run every few minutes by `brand-monitor run`'s scheduler and by a worker's `spikes` job. Each
brand is checked in its own turn (`SpikeStore.turn`), so several processes checking at once
open one spike, and each change commits with the outbox message that shows it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from monitor import quiet_sources, spikes
from monitor.models import MentionRow
from monitor.notices import QuietSource, SpikeAlert
from monitor.settings import BrandConfig
from monitor.spikes import Reading, Shown, Step
from monitor.store_spikes import SpikeStore, SpikeTx
from monitor.wiring import Runtime

log = logging.getLogger(__name__)


def check(runtime: Runtime) -> int:
    """Check every brand's spikes and sources; return how many messages were queued."""
    queued = 0
    for brand in runtime.config.brands:
        for what, enabled, run in (("spikes", brand.spikes.enabled, check_spikes),
                                   ("quiet sources", brand.quiet_sources.enabled, check_quiet)):
            if not enabled:
                continue
            try:
                queued += run(runtime, brand, runtime.clock())
            except IntegrityError:  # another process recorded the same change a moment ago
                log.info("%s: %s already recorded by another process", brand.id, what)
            except Exception:  # one brand's failure never stops the others' checks
                log.exception("%s: checking %s failed", brand.id, what)
    return queued


def _facts(tx: SpikeTx, brand: BrandConfig, reading: Reading, now: datetime,
           window: int) -> dict[str, Any]:
    since = now - timedelta(hours=window)
    usual_since = now - timedelta(weeks=brand.spikes.weeks)
    category, category_n = tx.top(brand.id, since, now, MentionRow.category)
    platform, platform_n = tx.top(brand.id, since, now, MentionRow.platform)
    words = spikes.telling_words(tx.complaint_texts(brand.id, since, now),
                                 tx.complaint_texts(brand.id, usual_since, since),
                                 exclude=[brand.name, *brand.keywords, *brand.aliases])
    return {"value": reading.value, "usual": reading.usual, "method": reading.baseline.method.value,
            "weeks": reading.baseline.weeks, "complaints": reading.complaints,
            "mentions": reading.mentions, "window_hours": window, "category": category,
            "category_count": category_n, "platform": platform, "platform_count": platform_n,
            "words": words, "samples": tx.sample_ids(brand.id, since, now),
            "wave": tx.main_wave(brand.id, since, now)}


def check_spikes(runtime: Runtime, brand: BrandConfig, now: datetime) -> int:
    """Open, update or close the brand's spike of each kind."""
    rules = brand.spikes
    window = spikes.window_hours(rules)
    offsets = spikes.week_offsets(now, brand.zone, rules.weeks)
    store = SpikeStore(runtime.store)
    hourly = store.hourly(brand.id, now, spikes.lookback_hours(offsets, window))
    readings = (spikes.volume(hourly, offsets, rules), spikes.share(hourly, offsets, rules))
    queued = 0
    with store.turn(brand.id) as tx:
        for reading in readings:
            current = tx.open_spike(brand.id, reading.kind)
            shown = Shown(current.updated_at, float(current.facts.get("value", 0))) if current else None
            ended = tx.last_ended(brand.id, reading.kind) if current is None else None
            what = spikes.step(shown, reading, rules, now, ended)
            if what is Step.NOTHING:
                continue
            if what is Step.OPEN:
                spike = tx.start_spike(brand.id, reading.kind, now, reading.value,
                                       _facts(tx, brand, reading, now, window), brand.slack.channel)
                notice = SpikeAlert(spike.id, 0)
                log.info("%s: %s spike opened (%.2f, usually %.2f)", brand.id, reading.kind,
                         reading.value, reading.usual)
            else:
                assert current is not None
                facts = (_facts(tx, brand, reading, now, window) if what is Step.UPDATE
                         else current.facts)
                revision = tx.revise_spike(current.id, now, reading.value, facts,
                                           end=what is Step.CLOSE)
                notice = SpikeAlert(current.id, revision)
            queued += tx.queue(notice, now, brand_id=brand.id, channel=brand.slack.channel)
    return queued


def check_quiet(runtime: Runtime, brand: BrandConfig, now: datetime) -> int:
    """Tell the channel once when a source goes quieter than usual, and once when it is back."""
    rules = brand.quiet_sources
    offsets = spikes.week_offsets(now, brand.zone, rules.weeks)
    store = SpikeStore(runtime.store)
    series = store.hourly_by_source(brand.id, now, spikes.lookback_hours(offsets, quiet_sources.DAY))
    failing = {s.source for s in runtime.sources.all() if s.brand_id == brand.id and not s.healthy}
    queued = 0
    with store.turn(brand.id, "quiet") as tx:
        known = tx.quiet_sources(brand.id)
        for index, cfg in enumerate(brand.sources):
            name = brand.source_name(index)
            if not cfg.enabled or name in failing:  # a failing source has its down notice
                continue
            verdict = quiet_sources.judge(series.get(name, ()), offsets, rules)
            was = known.get(name)
            if was is None and verdict.quiet:
                since = now - timedelta(hours=verdict.run_hours)
                tx.start_quiet(brand.id, name, since, now)
                notice = QuietSource(brand.id, name, since.isoformat(), False, verdict.run_hours,
                                     verdict.observed, verdict.expected)
            elif was is not None and verdict.back:
                tx.end_quiet(brand.id, name)
                hours = int((now - was.quiet_since).total_seconds() // 3600)
                notice = QuietSource(brand.id, name, was.quiet_since.isoformat(), True, hours,
                                     verdict.observed, verdict.expected)
            else:
                continue
            queued += tx.queue(notice, now, brand_id=brand.id, channel=brand.slack.channel)
    return queued


def source_volumes(runtime: Runtime) -> dict[tuple[str, str], quiet_sources.Volume]:
    """Each source's last 24 hours against the same hours of past weeks (for `status`)."""
    now = runtime.clock()
    store = SpikeStore(runtime.store)
    volumes = {}
    for brand in runtime.config.brands:
        offsets = spikes.week_offsets(now, brand.zone, brand.quiet_sources.weeks)
        series = store.hourly_by_source(brand.id, now,
                                        spikes.lookback_hours(offsets, quiet_sources.DAY))
        for index in range(len(brand.sources)):
            name = brand.source_name(index)
            volumes[(brand.id, name)] = quiet_sources.volume(series.get(name, ()), offsets)
    return volumes

