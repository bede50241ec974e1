"""Send what waits in the outbox, each item once, retrying when Slack is down or busy."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from alerts import blocks, messages
from alerts.blocks_kit import Message
from alerts.delivery import Delivery
from monitor import waves
from monitor.case_view import case_view
from monitor.domain import CaseView
from monitor.errors import AuthError, PlatformError, RateLimited, TemporaryPlatformError
from monitor.outbox import OutboxItem, backoff
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


class NotReady(Exception):
    """The item depends on one not sent yet (an update before its alert)."""


def flush(runtime: Runtime, delivery: Delivery, batch: int = 50, max_batches: int = 40) -> int:
    """Send every due outbox item, a batch at a time; return how many went out."""
    with _LOCK:  # the timer and a click may flush at once; each item must go out once
        sent = 0
        for _ in range(max_batches):
            items = runtime.outbox.due(runtime.clock(), batch)
            progress = sum(_send_one(runtime, delivery, item) for item in items)
            sent += progress
            if len(items) < batch or not progress:
                break
        return sent


def _send_one(runtime: Runtime, delivery: Delivery, item: OutboxItem) -> bool:
    now = runtime.clock()
    try:
        _dispatch(runtime, delivery, item, now)
    except NotReady:
        runtime.outbox.retry_later(item.id, "waiting for the alert to be posted", now + backoff(0))
        return False
    except RateLimited as exc:
        runtime.outbox.retry_later(item.id, str(exc), now + backoff(item.attempts, exc.retry_after))
        log.warning("Slack rate limit; outbox item %d waits %s s", item.id, exc.retry_after)
        return False
    except (TemporaryPlatformError, AuthError, PlatformError) as exc:
        # Even a config mistake (wrong channel, revoked token) must not lose the alert:
        # keep it and retry slowly until someone fixes the setting.
        runtime.outbox.retry_later(item.id, str(exc), now + backoff(item.attempts + 4))
        log.error("could not send outbox item %d (%s): %s", item.id, item.kind, exc)
        return False
    runtime.outbox.sent(item.id, runtime.clock())
    return True


def _where(runtime: Runtime, case_id: int) -> tuple[str, str | None]:
    case = runtime.store.case(case_id)
    channel = case.slack_channel or runtime.brand(case.brand_id).slack.channel
    return channel, case.slack_ts


def _send_wave(runtime: Runtime, delivery: Delivery, wave_id: int, now: datetime) -> None:
    """Post the grouped alert once, then keep its count and samples current."""
    wave = waves.wave(runtime, wave_id)
    cases = waves.wave_cases(runtime, wave_id)
    brand = runtime.brand(wave.brand_id)
    samples = [case_view(runtime, c.id) for c in cases[-3:]]
    message = blocks.build_wave_alert(brand.name, len(cases), samples, now)
    channel = wave.slack_channel or brand.slack.channel
    if wave.slack_ts is None:
        ts = delivery.post(channel, message["text"], message.get("blocks"))
        waves.set_wave_message(runtime, wave_id, channel, ts)
    else:
        delivery.edit(channel, wave.slack_ts, message["text"], message.get("blocks"))


def _source_notice(runtime: Runtime, delivery: Delivery, payload: dict[str, Any]) -> None:
    brand = runtime.brand(payload["brand_id"])
    notice = blocks.build_source_notice(payload["source"], datetime.fromisoformat(payload["down_since"]),
                                        payload.get("error") or "", bool(payload["recovered"]))
    delivery.post(brand.slack.channel, notice["text"], notice.get("blocks"))


def _alert(runtime: Runtime, delivery: Delivery, view: CaseView, payload: dict[str, Any],
           now: datetime) -> None:
    channel, ts = _where(runtime, view.case_id)
    if ts:
        return  # posted before a crash kept us from marking it sent
    thread_ts = None
    if payload.get("wave_id"):
        wave = waves.wave(runtime, int(payload["wave_id"]))
        if wave.slack_ts is None:
            raise NotReady
        channel, thread_ts = wave.slack_channel or channel, wave.slack_ts
    posted = delivery.alert(channel, view, now, runtime.brand(view.brand_id).responders,
                            thread_ts=thread_ts)
    message_ts, _, posted_channel = posted.partition("|")
    runtime.store.update_case(view.case_id, slack_ts=message_ts, slack_channel=posted_channel or channel)


def _in_thread(runtime: Runtime, view: CaseView, kind: str, payload: dict[str, Any],
               now: datetime) -> Message:
    """Build what goes in the alert's thread for `kind`."""
    brand = runtime.brand(view.brand_id)
    if kind == "thread" and "reply" in payload:
        reply = payload["reply"]
        return {"text": messages.reply_published(reply["by"], reply["platform"], reply.get("url"),
                                                 reply["text"])}
    if kind == "thread" and "mention_id" in payload:
        row = runtime.store.mention(int(payload["mention_id"]))
        return {"text": messages.customer_posted_again(row.author_handle, row.text, row.url)}
    if kind == "thread":
        return {"text": str(payload["text"])}
    if kind == "followup":
        return blocks.build_followup(view)
    if kind == "reminder":
        who = [view.assignee] if view.assignee else list(brand.responders)
        minutes_left = max(0, int((view.deadline_at - now).total_seconds() // 60))
        return blocks.build_reminder(view, minutes_left, who)
    level = int(payload.get("level", 1))
    group = (brand.escalation.second_level_group if level > 1 and brand.escalation.second_level_group
             else brand.slack.escalation_group)
    fallback = next((r for r in brand.responders if r.startswith("S")), brand.responders[0])
    return blocks.build_escalation(view, level, group or fallback)


def _escalation_channel(runtime: Runtime, view: CaseView, payload: dict[str, Any]) -> str | None:
    brand = runtime.brand(view.brand_id)
    if int(payload.get("level", 1)) > 1 and brand.escalation.second_level_channel:
        return brand.escalation.second_level_channel
    return brand.slack.escalation_channel


THREAD_KINDS = ("thread", "followup", "reminder", "escalation")


def _dispatch(runtime: Runtime, delivery: Delivery, item: OutboxItem, now: datetime) -> None:
    payload: dict[str, Any] = item.payload
    if item.kind == "source_notice":
        _source_notice(runtime, delivery, payload)
        return
    if item.kind == "wave":
        _send_wave(runtime, delivery, int(payload["wave_id"]), now)
        return
    view = case_view(runtime, int(payload["case_id"]))
    if item.kind == "alert":
        _alert(runtime, delivery, view, payload, now)
        return
    channel, ts = _where(runtime, view.case_id)
    if ts is None:
        raise NotReady
    if item.kind == "update":
        delivery.update(channel, ts, view, now, runtime.brand(view.brand_id).responders)
    elif item.kind in THREAD_KINDS:
        message = _in_thread(runtime, view, item.kind, payload, now)
        delivery.thread(channel, ts, message["text"], message.get("blocks"))
        elsewhere = _escalation_channel(runtime, view, payload) if item.kind == "escalation" else None
        if elsewhere:
            delivery.post(elsewhere, message["text"], message.get("blocks"))
    else:
        log.error("unknown outbox item kind %r (id %d); dropping it", item.kind, item.id)
