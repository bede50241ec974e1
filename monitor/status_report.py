"""`brand-monitor status`: each source's health, then the open and overdue cases."""

from __future__ import annotations

from datetime import datetime

from monitor.case_engine import is_overdue
from monitor.classify.explain import reason_text
from monitor.quiet_sources import Volume
from monitor.sla import describe_remaining
from monitor.spike_watch import source_volumes
from monitor.store import classification_from_row
from monitor.store_operator import engine_figures
from monitor.store_spikes import SpikeStore
from monitor.wiring import Runtime


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    minutes = (now - when).total_seconds() / 60
    if minutes < 1:
        return "just now"
    return f"{minutes:.0f} min ago" if minutes < 120 else f"{minutes / 60:.1f} h ago"


def _volume(volume: Volume | None) -> str:
    """The source's last 24 hours against the same hours of past weeks."""
    if volume is None:
        return "no posts yet"
    usual = (f"usually {volume.usual_day:.0f}" if volume.usual_day is not None
             else "too little history for a usual figure")
    return f"{volume.last_day} in the last 24 h, {usual}"


def _engine_lines(runtime: Runtime) -> list[str]:
    """The job engine's workers and queues, where `brand-monitor worker` runs on this database."""
    engine = engine_figures(runtime.store)
    if engine is None:
        return []
    lines = ["", f"Workers: {len(engine.workers)}"]
    lines += [f"  worker {wid}: last heartbeat {age:.0f} s ago" for wid, age in engine.workers]
    queues: dict[str, dict[str, int]] = {}
    for (queue, _task, status), n in engine.jobs.items():
        queues.setdefault(queue, {}).setdefault(status, 0)
        queues[queue][status] += n
    lines.append("Queues:" if queues else "Queues: empty")
    for queue, counts in sorted(queues.items()):
        lines.append(f"  {queue}: {counts.get('todo', 0)} waiting, {counts.get('doing', 0)} running, "
                     f"{counts.get('failed', 0)} failed for good")
    return lines


def render_status(runtime: Runtime, mentions: int = 0) -> str:
    """Return a plain-text report a person can read in a terminal."""
    now = runtime.clock()
    known = {(s.brand_id, s.source): s for s in runtime.sources.all()}
    volumes, quiet = source_volumes(runtime), SpikeStore(runtime.store).quiet()
    lines = ["Sources"]
    for brand in runtime.config.brands:
        for index, source in enumerate(brand.sources):
            name = brand.source_name(index)
            state = known.get((brand.id, name))
            if state is None:
                lines.append(f"  {brand.id}/{name} ({source.type}): not polled yet")
                continue
            health = "healthy" if state.healthy else f"FAILING x{state.consecutive_failures}"
            lines.append(f"  {brand.id}/{name} ({source.type}): {health}; last success "
                         f"{_ago(state.last_success_at, now)}; {state.items_fetched} fetched in "
                         f"{state.polls_total} poll(s), {state.errors_total} failed; "
                         f"cursor {state.cursor or '-'}")
            if state.last_error:
                lines.append(f"      last error {_ago(state.last_error_at, now)}: {state.last_error}")
            if state.pipeline_error:
                lines.append(f"      OUR ERROR {_ago(state.pipeline_error_at, now)} (the source is fine; "
                             f"its posts are handled again on the next poll): {state.pipeline_error}")
            if state.blind_spot:
                lines.append(f"      blind spot: {state.blind_spot}")
            lines.append(f"      volume: {_volume(volumes.get((brand.id, name)))}"
                         + (" (QUIETER THAN USUAL since "
                            f"{_ago(quiet[(brand.id, name)].quiet_since, now)})"
                            if (brand.id, name) in quiet else ""))
    lines += _engine_lines(runtime)
    open_count, overdue_count = runtime.store.case_counts(now)
    lines += ["", f"Cases: {open_count} open, {overdue_count} overdue"]
    shown = runtime.store.cases(open_only=True, limit=50)  # the most urgent first
    if open_count > len(shown):
        lines.append(f"  (the {len(shown)} with the nearest deadlines)")
    for case in shown:
        mention = case.mention
        flag = "OVERDUE" if is_overdue(case.status, case.replied_at, case.deadline_at, now) else "open"
        text = " ".join(mention.text.split())
        due = describe_remaining(case.deadline_at, now)
        lines.append(f"  {case.reference} [{flag}, {case.status}] {due} — "
                     f"@{mention.author_handle} on {mention.platform}: {text[:70]}")
    if mentions:
        lines += ["", f"Latest {mentions} mentions not flagged (brand-monitor flag N to make one a case)"]
        for row in runtime.store.recent_mentions(limit=mentions, complaints=False):
            text = " ".join(row.text.split())
            verdict = classification_from_row(row)
            lines.append(f"  {row.id:>6}  [{row.lang or '?'} {row.score or 0:.2f}] @{row.author_handle} "
                         f"on {row.platform}: {text[:70]}")
            lines.append(f"          not alerted: {reason_text(verdict.reason, verdict.reason_detail)}")
    counts = runtime.outbox.counts()
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    if pending:
        oldest = runtime.outbox.oldest_pending()
        lines += ["", f"Slack outbox: {pending} message(s) waiting since {_ago(oldest, now)}"]
    if counts.get("dead"):
        lines += ["", f"Slack outbox: {counts['dead']} message(s) GIVEN UP after repeated failures "
                  "(the brand's channel was told); latest:"]
        lines += [f"  #{item_id} {kind}: {error}" for item_id, kind, error in runtime.outbox.dead()]
    waiting, latest = runtime.store.quarantine_report()
    if waiting:
        lines += ["", f"Quarantine: {waiting} post(s) could not be stored and wait for another try "
                  "(the rest of their batches went on); latest:"]
        lines += [f"  {where} {ident} (tried {tries}x): {error}" for where, ident, error, tries in latest]
    return "\n".join(lines)
