"""Personal data policy: how long posts are kept, erasing a customer on request, the audit trail.

Posts are public, but their authors keep rights over them (the GDPR for EU authors among
them). brand-monitor therefore keeps the figures the team reports on and lets go of the people:

- Retention (`retention:` per brand, e.g. `180d`; unset keeps everything): a mention fetched
  more than `retention` ago whose case, if it has one, is no longer open (replied, resolved or
  not a complaint) loses its text, title, link, author (id, handle, name, followers),
  conversation ids, platform fields and quoted cue words. Its case loses the reply text and
  link, the acknowledgement, the suggested replies' texts and the customer key; events keep
  their kind, time and actor, and lose the detail of those that quote or greet the customer
  (the customer's own posts, the reply, the acknowledgement) — the team's notes stay. Labels
  of those posts are deleted (an example without its text teaches nothing), sent Slack
  messages lose their payload, waves older than the retention lose their topic (a customer's
  post), and links between handles no remaining case names are deleted. Kept: classification
  (complaint or not, score, severity, category, language, model), statuses, priorities,
  deadlines, every timestamp (response times), who did what. A pass changes only rows that
  still hold something, so it is cheap to rerun; it runs hourly and in `run --once`.
- Forget (`brand-monitor forget x:maya`): see `store_privacy.forget_customer`. The customer's
  data goes; the team's audit trail stays as anonymised records.
- Audit (`brand-monitor audit --since 30d`): one entry per case event, without customer texts.

SQL lives in `monitor.store_privacy`; this module decides which brands, cutoffs and batches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from monitor import store_privacy
from monitor.settings import parse_duration
from monitor.store import Store
from monitor.store_privacy import AuditEntry, ForgetCounts, RedactionCounts

if TYPE_CHECKING:
    from monitor.wiring import Runtime

log = logging.getLogger(__name__)
BATCH_SIZE = 500
Progress = Callable[[str, RedactionCounts], None]


@dataclass(frozen=True)
class RetentionReport:
    """What one brand's retention pass did."""

    brand_id: str
    cutoff: datetime
    counts: RedactionCounts
    waves: int = 0
    customer_links: int = 0
    quarantined: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.counts.total or self.waves or self.customer_links or self.quarantined)


def retention_cutoff(retention: timedelta | None, now: datetime) -> datetime | None:
    """Mentions fetched before this are redacted; None when the brand keeps everything."""
    return None if retention is None else now - retention


def apply_retention(store: Store, brand_id: str, retention: timedelta | None, now: datetime,
                    batch_size: int = BATCH_SIZE, progress: Progress | None = None
                    ) -> RetentionReport | None:
    """Redact one brand's mentions older than `retention`, `batch_size` per transaction."""
    cutoff = retention_cutoff(retention, now)
    if cutoff is None:
        return None
    total = RedactionCounts()
    while True:
        batch = store_privacy.redact_batch(store, brand_id, cutoff, now, limit=batch_size)
        if not batch.mentions:
            break
        total += batch
        if progress is not None:
            progress(brand_id, total)
        if batch.mentions < batch_size:
            break
    total += store_privacy.tidy_redacted(store, brand_id)
    waves = store_privacy.clear_wave_topics(store, brand_id, cutoff)
    links = store_privacy.drop_stale_links(store, brand_id, cutoff)
    quarantined = store_privacy.drop_old_quarantine(store, brand_id, cutoff)
    report = RetentionReport(brand_id, cutoff, total, waves, links, quarantined)
    if report.changed:
        log.info("retention %s (before %s): %d mention(s), %d case(s), %d event(s), %d label(s) "
                 "deleted, %d message(s), %d wave(s), %d customer link(s) deleted", brand_id,
                 cutoff.isoformat(), total.mentions, total.cases, total.events, total.labels,
                 total.outbox, waves, links)
    return report


def _log_progress(brand_id: str, counts: RedactionCounts) -> None:
    log.info("retention %s: %d mention(s) redacted so far", brand_id, counts.mentions)


def run_retention(runtime: Runtime, batch_size: int = BATCH_SIZE,
                  progress: Progress | None = _log_progress) -> list[RetentionReport]:
    """Apply every brand's `retention:`; a brand that fails is logged and the others go on."""
    from sqlalchemy.exc import SQLAlchemyError

    now = runtime.clock()
    reports = []
    for brand in runtime.config.brands:
        try:
            report = apply_retention(runtime.store, brand.id, brand.retention, now, batch_size,
                                     progress)
        except SQLAlchemyError:
            log.exception("retention pass for %s failed; it is tried again at the next run", brand.id)
            continue
        if report is not None:
            reports.append(report)
    return reports


@dataclass(frozen=True)
class Customer:
    """A customer as the team names them: platform and handle, lowercase, without @."""

    platform: str
    handle: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.handle}"


def parse_customer(value: str) -> Customer | None:
    """Read `x:maya`, `reddit:Maya_R` or `x:@maya`; None when it is not platform:handle."""
    platform, sep, handle = value.strip().partition(":")
    platform, handle = platform.strip().lower(), handle.strip().lstrip("@").lower()
    if not sep or not platform.isidentifier() or not handle:
        return None
    return Customer(platform, handle)


def forget(store: Store, customer: Customer, actor: str, now: datetime,
           dry_run: bool = False) -> ForgetCounts:
    """Erase `customer` everywhere, keeping the anonymised audit trail (see store_privacy)."""
    counts = store_privacy.forget_customer(store, customer.platform, customer.handle, actor=actor,
                                           now=now, dry_run=dry_run)
    if not dry_run and not counts.nothing:
        log.info("forgot %s on request by %s: %d mention(s), %d case(s) anonymised",
                 customer.key, actor, counts.mentions, counts.cases)
    return counts


def parse_since(value: str, now: datetime) -> datetime | None:
    """`30d`, `12h` (back from `now`) or an ISO date or time (UTC unless it says otherwise)."""
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def audit_trail(store: Store, since: datetime, brand_id: str | None = None) -> list[AuditEntry]:
    """Who did what to which case since `since`, oldest first."""
    return store_privacy.audit_entries(store, since, brand_id)
