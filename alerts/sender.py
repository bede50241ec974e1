"""Send what waits in the outbox, each message effectively once, across crashes and processes.

A sender claims a batch of rows, calls Slack for each, and records Slack's answers. A row
claimed before (a crashed sender, a timeout that may have reached Slack) is first looked up
in the channel's recent history by the idempotency key its message carries in Slack
metadata, and recorded instead of posted again; that is what lets a batch's answers be
recorded together at its end (or before a message that needs one of them) rather than in a
transaction each. A 429 pauses that channel until Slack's Retry-After, for every sender on
the database, and each channel's messages go out at Slack's pace, counted across every
sender (`alerts.channel_limits`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerts import blocks, blocks_spike, home_tab, messages
from alerts.blocks_kit import Message
from alerts.channel_limits import ChannelLimits
from alerts.delivery import ConsoleDelivery, Delivery
from monitor import notices as n
from monitor.case_view import ViewDeps, case_view
from monitor.domain import CaseView
from monitor.errors import AuthError, PlatformError, RateLimited, TemporaryPlatformError
from monitor.outbox import LEASE, Outbox, OutboxItem, Posted, Sent, backoff
from monitor.ports import Brands
from monitor.settings import Config
from monitor.store import Store
from monitor.store_spikes import SpikeStore

log = logging.getLogger(__name__)
# How far before a message was queued its post is looked for: Slack stamps posts with its own
# clock, which may differ from ours.
LOOKBACK = timedelta(minutes=10)


class SenderDeps(ViewDeps, Brands, Protocol):
    """What the sender needs: the store, the time, brands and connectors (for the views),
    and the config (the Home tabs it refreshes show each reader's brands)."""

    @property
    def config(self) -> Config: ...


class NotReady(Exception):
    """The message depends on one not sent yet (a thread note before its alert)."""


@dataclass(frozen=True)
class Answer:
    channel: str | None = None
    ts: str | None = None
    alert_of: int | None = None
    wave_of: int | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:80]


#: How much of a claim's lease the sender may spend on one batch before it leaves the rest.
CLAIM_USE = LEASE * 2 / 3


def flush(deps: SenderDeps, delivery: Delivery, batch: int = 50, max_batches: int = 40) -> int:
    """Send every due message, a batch at a time; return how many went out."""
    outbox = Outbox(deps.store)
    worker = worker_name()
    channels = ChannelLimits(deps.store, paced=not isinstance(delivery, ConsoleDelivery))
    sent = 0
    changed: set[str] = set()  # brands whose case messages went out: their Home tabs are stale
    for _ in range(max_batches):
        now = deps.clock()
        skip = frozenset(channels.paused(now))
        claimed = outbox.claim_due(now, batch, worker, skip)
        known = _Batch(deps, outbox, claimed)
        items = _latest_wave_edits(known, outbox, claimed, now)
        progress = 0
        try:
            for item in items:
                if deps.clock() >= now + CLAIM_USE:
                    # Our claims on the rest lapse soon and another sender may take them: leave
                    # them to whoever claims them next rather than post them twice.
                    log.info("sender: the batch outlasted two thirds of its lease; the rest is left")
                    break
                if known.needs_unrecorded(item):
                    known.record()
                channel = _channel(deps, item)
                wait_until = channels.wait(channel, deps.clock())  # paused, or its tokens spent
                if wait_until is not None:
                    outbox.release(item, wait_until)
                    continue
                if _send_one(deps, outbox, delivery, item, channel, channels, known):
                    progress += 1
                    if item.brand_id and (item.case_id is not None or item.kind == n.WaveAlert.kind):
                        changed.add(item.brand_id)
        except Exception:
            known.record()  # what Slack took before the failure is kept, not looked up later
            raise
        known.record()
        sent += progress
        if not items or not progress:  # a short batch may only mean other senders took the rest
            break
    home_tab.refresh(deps, delivery, sorted(changed))  # never raises
    return sent


class _Batch:
    """What a claimed batch knows: where its cases' alerts and its waves' grouped alerts are
    (read once for the batch), and Slack's answers not recorded yet.

    The answers are written together (`Outbox.sent_many`) when the batch ends, and first
    whenever the next message needs one of them in the database: any message of a case
    whose alert, or of a wave whose grouped alert, is among them. Until then a crash leaves
    their rows claimed, and the next claim finds each post by its key (`_posted_before`)."""

    def __init__(self, deps: SenderDeps, outbox: Outbox, items: Sequence[OutboxItem]) -> None:
        self.deps, self.outbox = deps, outbox
        self.cases, self.waves = outbox.messages(
            {i.case_id for i in items if i.case_id is not None},
            {w for i in items if (w := _wave_named(i)) is not None})
        self.unrecorded: list[Sent] = []

    def add(self, answer: Sent) -> None:
        self.unrecorded.append(answer)

    def needs_unrecorded(self, item: OutboxItem) -> bool:
        cases = {a.alert_of for a in self.unrecorded if a.alert_of is not None}
        waves = {a.wave_of for a in self.unrecorded if a.wave_of is not None}
        return item.case_id in cases or _wave_named(item) in waves

    def record(self) -> None:
        if not self.unrecorded:
            return
        self.outbox.sent_many(self.unrecorded)
        for a in self.unrecorded:
            if a.ts is not None and a.alert_of is not None:
                self.cases[a.alert_of] = (a.channel, a.ts)
            if a.ts is not None and a.wave_of is not None:
                self.waves[a.wave_of] = (a.channel, a.ts)
        self.unrecorded = []

    def case(self, case_id: int, fresh_if_unposted: bool = False) -> Posted:
        """The case's alert (KeyError when the case is gone). `fresh_if_unposted`: when the
        batch saw no alert, look again, in case another sender recorded it meanwhile."""
        posted = self.cases.get(case_id)
        if posted is None or (posted[1] is None and fresh_if_unposted):
            case = self.deps.store.case(case_id)
            posted = self.cases[case_id] = (case.slack_channel, case.slack_ts)
        return posted

    def wave(self, wave_id: int) -> Posted:
        """The wave's grouped alert, looked up again while the batch saw none."""
        posted = self.waves.get(wave_id)
        if posted is None or posted[1] is None:
            wave = self.deps.store.wave(wave_id)  # KeyError: the wave is gone
            posted = self.waves[wave_id] = (wave.slack_channel, wave.slack_ts)
        return posted


def _latest_wave_edits(known: _Batch, outbox: Outbox, items: list[OutboxItem],
                       now: datetime) -> list[OutboxItem]:
    """Of several edits of one posted wave alert in a batch, send only the last: each edit
    redraws the alert from the wave's current count and samples, so the last one carries the
    others. A wave not posted yet keeps every message (its first post must be found by its
    own key after a crash)."""
    of_wave = {i.id: w for i in items if (w := _wave_of(i)) is not None}
    last = {w: i for i in items if (w := of_wave.get(i.id)) is not None}
    posted = {w for w in last if known.waves.get(w, (None, None))[1] is not None}
    redundant = [i for i in items if of_wave.get(i.id) in posted and last[of_wave[i.id]] is not i]
    outbox.superseded(redundant, now)
    gone = {i.id for i in redundant}
    return [i for i in items if i.id not in gone]


def _wave_of(item: OutboxItem) -> int | None:
    """The wave whose grouped alert the item posts or edits."""
    if item.kind != n.WaveAlert.kind:
        return None
    try:
        notice = item.notice
    except n.UnknownNotice:
        return None
    return notice.wave if isinstance(notice, n.WaveAlert) else None


def _wave_named(item: OutboxItem) -> int | None:
    """The wave the item needs or makes the grouped alert of: its own, or its alert's wave."""
    if item.kind != n.Alert.kind:
        return _wave_of(item)
    try:
        notice = item.notice
    except n.UnknownNotice:
        return None
    return notice.wave if isinstance(notice, n.Alert) else None


def _channel(deps: SenderDeps, item: OutboxItem) -> str:
    if item.channel:
        return item.channel
    if item.brand_id:
        return deps.brand(item.brand_id).slack.channel
    return ""


def _send_one(deps: SenderDeps, outbox: Outbox, delivery: Delivery, item: OutboxItem,
              channel: str, channels: ChannelLimits, known: _Batch) -> bool:
    """Send one message; Slack's answer joins the batch's unrecorded ones. A failure is
    recorded at once."""
    now = deps.clock()
    try:
        notice = item.notice
    except n.UnknownNotice as exc:
        log.error("outbox item %d has a kind this version does not know (%s); giving it up",
                  item.id, exc)
        outbox.give_up(item, f"unknown message kind {exc}", now)
        return False
    try:
        answer = _dispatch(deps, delivery, item, notice, channel, now, known)
    except NotReady:
        outbox.retry_later(item, "waiting for the alert to be posted", now + backoff(0), now)
        return False
    except RateLimited as exc:
        wait = backoff(item.attempts, exc.retry_after)
        channels.pause(channel, now + wait)
        outbox.release(item, now + wait)
        log.warning("Slack rate limit on %s; its messages wait %s s", channel, wait.total_seconds())
        return False
    except KeyError as exc:  # the case or wave it reports on is gone (erased on request)
        outbox.give_up(item, f"what it reports on is gone ({exc})", now)
        return False
    except (TemporaryPlatformError, AuthError, PlatformError) as exc:
        # Even a config mistake (wrong channel, revoked token) must not lose the alert:
        # keep it and retry slowly until someone fixes the setting.
        dead = outbox.retry_later(item, str(exc), now + backoff(item.attempts + 4), now)
        log.error("could not send outbox item %d (%s)%s: %s", item.id, item.kind,
                  "; given up" if dead else "", exc)
        return False
    known.add(Sent(item.id, deps.clock(), answer.channel, answer.ts, alert_of=answer.alert_of,
                   wave_of=answer.wave_of))
    return True


def _posted_before(delivery: Delivery, item: OutboxItem, channel: str, thread_ts: str | None,
                   key: str) -> str | None:
    """When an earlier try may have reached Slack, the ts of the post it made (found by key)."""
    if not item.tried_before:
        return None
    found = delivery.find(channel, key, item.created_at - LOOKBACK, thread_ts)
    if found is not None:
        log.info("outbox item %d was posted before a crash; recorded, not posted again", item.id)
    return found


def _post(delivery: Delivery, item: OutboxItem, channel: str, message: Message,
          thread_ts: str | None = None, key_suffix: str = "") -> tuple[str, str]:
    """Post once: when an earlier try may have reached Slack, find that post instead."""
    key = item.key + key_suffix
    found = _posted_before(delivery, item, channel, thread_ts, key)
    if found is not None:
        return found, channel
    return delivery.post(channel, message["text"], message.get("blocks"), thread_ts=thread_ts,
                         key=key)


def _dispatch(deps: SenderDeps, delivery: Delivery, item: OutboxItem, notice: n.Notice,
              channel: str, now: datetime, known: _Batch) -> Answer:
    store = deps.store
    if isinstance(notice, n.SourceNotice):
        message = blocks.build_source_notice(notice.source, datetime.fromisoformat(notice.down_since),
                                             notice.error, notice.recovered)
        ts, where = _post(delivery, item, channel, message)
        return Answer(where, ts)
    if isinstance(notice, n.DeadLetter):
        ts, where = _post(delivery, item, channel, {"text": messages.dead_letter(
            notice.what, notice.reference, notice.error)})
        return Answer(where, ts)
    if isinstance(notice, n.ScheduledReport):
        from alerts.report_post import post_report

        ts, where = post_report(store, deps, delivery, notice, channel, now,
                                lambda ch, message: _post(delivery, item, ch, message))
        return Answer(where, ts)
    if isinstance(notice, n.WaveAlert):
        return _send_wave(deps, delivery, item, notice.wave, now)
    if isinstance(notice, n.SpikeAlert):
        return _send_spike(deps, delivery, item, notice, now)
    if isinstance(notice, n.QuietSource):
        message = blocks_spike.build_quiet_notice(
            notice.source, datetime.fromisoformat(notice.since), notice.hours, notice.observed,
            notice.expected, notice.recovered)
        ts, where = _post(delivery, item, channel, message)
        return Answer(where, ts)
    assert isinstance(notice, n.CaseNotice)
    # Whether it can go, before its view is built: the alert recorded, its thread there.
    case_channel, alert_ts = known.case(notice.case, fresh_if_unposted=not isinstance(notice, n.Alert))
    if isinstance(notice, n.Alert):
        if alert_ts:
            return Answer()  # recorded already
        thread_ts = None
        if notice.wave:
            wave_channel, thread_ts = known.wave(notice.wave)
            if thread_ts is None:
                raise NotReady
            channel = wave_channel or channel
        found = _posted_before(delivery, item, channel, thread_ts, item.key)
        if found is not None:
            return Answer(channel, found, alert_of=notice.case)
        view = case_view(deps, notice.case)
        responders = deps.brand(view.brand_id).responders
        ts, posted_in = delivery.alert(channel, view, now, responders, thread_ts=thread_ts, key=item.key)
        return Answer(posted_in or channel, ts, alert_of=notice.case)
    if alert_ts is None:
        raise NotReady
    channel = case_channel or channel
    view = case_view(deps, notice.case)
    if isinstance(notice, n.ProposalNote):
        return _send_proposal(deps, delivery, item, notice, view, channel, alert_ts)
    if isinstance(notice, n.Refresh):
        delivery.update(channel, alert_ts, view, now, deps.brand(view.brand_id).responders)
        return Answer(channel, alert_ts)
    message = _in_thread(deps, view, notice, now)
    ts, _ = _post(delivery, item, channel, message, thread_ts=alert_ts)
    elsewhere = _escalation_channel(deps, view, notice) if isinstance(notice, n.Escalation) else None
    if elsewhere:
        _post(delivery, item, elsewhere, message, key_suffix=":elsewhere")
    return Answer(channel, ts)


def _send_proposal(deps: SenderDeps, delivery: Delivery, item: OutboxItem, notice: n.ProposalNote,
                   view: CaseView, channel: str, thread_ts: str) -> Answer:
    """A proposal in the alert's thread, posted once, then edited with its outcome."""
    from alerts.sender_approval import NotPosted, send_proposal

    try:
        ts = send_proposal(deps.store, deps, delivery, notice, view, channel,
                           lambda message, suffix: _post(delivery, item, channel, message,
                                                         thread_ts, suffix)[0])
    except NotPosted:
        raise NotReady from None
    return Answer(channel, ts)


def _send_wave(deps: SenderDeps, delivery: Delivery, item: OutboxItem, wave_id: int,
               now: datetime) -> Answer:
    """Post the grouped alert once, then keep its count and samples current."""
    wave = deps.store.wave(wave_id)
    count = deps.store.wave_count(wave_id)  # a COUNT and the last 3, not every case of the wave
    brand = deps.brand(wave.brand_id)
    samples = [case_view(deps, c.id) for c in deps.store.wave_samples(wave_id, 3)]
    message = blocks.build_wave_alert(brand.name, count, samples, now)
    channel = wave.slack_channel or brand.slack.channel
    if wave.slack_ts is None:
        ts, where = _post(delivery, item, channel, message)
        return Answer(where, ts, wave_of=wave_id)
    delivery.edit(channel, wave.slack_ts, message["text"], message.get("blocks"))
    return Answer(channel, wave.slack_ts)


def _send_spike(deps: SenderDeps, delivery: Delivery, item: OutboxItem, notice: n.SpikeAlert,
                now: datetime) -> Answer:
    """Post a spike's alert once (revision 0), then redraw it from the spike's current state."""
    spikes = SpikeStore(deps.store)
    spike = spikes.spike(notice.spike)
    brand = deps.brand(spike.brand_id)
    message = blocks_spike.build_spike_alert(
        brand.name, spike, spikes.samples(spike.facts.get("samples") or []),
        spikes.wave_link(spike.facts.get("wave")), now)
    channel = spike.slack_channel or brand.slack.channel
    if spike.slack_ts is None:
        if notice.revision > 0:
            raise NotReady  # the first post may still be on its way
        ts, where = _post(delivery, item, channel, message)
        spikes.set_message(spike.id, where, ts)
        return Answer(where, ts)
    if notice.revision == 0:
        return Answer(channel, spike.slack_ts)  # posted and recorded already
    delivery.edit(channel, spike.slack_ts, message["text"], message.get("blocks"))
    return Answer(channel, spike.slack_ts)


def _in_thread(deps: SenderDeps, view: CaseView, notice: n.Notice, now: datetime) -> Message:
    """Word what goes in the alert's thread for one message."""
    brand = deps.brand(view.brand_id)
    if isinstance(notice, n.ReplyNote):
        return {"text": messages.reply_published(notice.actor, notice.platform_title, notice.url,
                                                 notice.text)}
    if isinstance(notice, n.CustomerPosted):
        row = deps.store.mention(notice.mention)
        return {"text": messages.customer_posted_again(row.author_handle, row.text, row.url)}
    if isinstance(notice, n.StatusNote):
        return {"text": messages.status_changed(notice.actor, view.reference, notice.status,
                                                notice.reason)}
    if isinstance(notice, n.AssignedNote):
        return {"text": messages.assigned_note(notice.actor, view.reference, notice.assignee,
                                               notice.previous)}
    if isinstance(notice, n.LegacyNote):
        return {"text": notice.text}
    if isinstance(notice, n.FollowUpAsk):
        return blocks.build_followup(view)
    if isinstance(notice, n.Reminder):
        who: Sequence[str] = [view.assignee] if view.assignee else list(brand.responders)
        minutes_left = max(0, int((view.deadline_at - now).total_seconds() // 60))
        return blocks.build_reminder(view, minutes_left, who)
    assert isinstance(notice, n.Escalation), notice
    group = (brand.escalation.second_level_group
             if notice.level > 1 and brand.escalation.second_level_group
             else brand.slack.escalation_group)
    fallback = next((r for r in brand.responders if r.startswith("S")), brand.responders[0])
    return blocks.build_escalation(view, notice.level, group or fallback)


def _escalation_channel(deps: SenderDeps, view: CaseView, notice: n.Escalation) -> str | None:
    brand = deps.brand(view.brand_id)
    if notice.level > 1 and brand.escalation.second_level_channel:
        return brand.escalation.second_level_channel
    return brand.slack.escalation_channel


def pending_for(store: Store) -> dict[str, int]:
    """How many messages wait, are being sent, went out, or were given up."""
    return Outbox(store).counts()
