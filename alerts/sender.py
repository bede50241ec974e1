"""Send what waits in the outbox, each item once, retrying when Slack is down or busy."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alerts import blocks
from alerts.delivery import Delivery
from monitor.case_view import case_view
from monitor.errors import AuthError, PlatformError, RateLimited, TemporaryPlatformError
from monitor.outbox import OutboxItem, backoff
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


class NotReady(Exception):
    """The item depends on one not sent yet (an update before its alert)."""


def mention_ids(ids: Sequence[str]) -> list[str]:
    """Turn user and user-group ids into Slack mentions."""
    return [f"<!subteam^{i}>" if i.startswith("S") else f"<@{i}>" for i in ids]


def flush(runtime: Runtime, delivery: Delivery, limit: int = 50) -> int:
    """Send every due outbox item; return how many went out."""
    with _LOCK:  # the timer and a click may flush at once; each item must go out once
        sent = 0
        for item in runtime.outbox.due(runtime.clock(), limit):
            if _send_one(runtime, delivery, item):
                sent += 1
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


def _dispatch(runtime: Runtime, delivery: Delivery, item: OutboxItem, now: datetime) -> None:
    payload: dict[str, Any] = item.payload
    if item.kind == "source_notice":
        brand = runtime.brand(payload["brand_id"])
        notice = blocks.build_source_notice(payload["source"], datetime.fromisoformat(payload["down_since"]),
                                            payload.get("error") or "", bool(payload["recovered"]))
        delivery.post(brand.slack.channel, notice["text"], notice.get("blocks"))
        return
    case_id = int(payload["case_id"])
    view = case_view(runtime, case_id)
    brand = runtime.brand(view.brand_id)
    channel, ts = _where(runtime, case_id)
    if item.kind == "alert":
        if ts:
            return  # posted before a crash kept us from marking it sent
        posted = delivery.alert(channel, view, now, brand.responders)
        message_ts, _, posted_channel = posted.partition("|")
        runtime.store.update_case(case_id, slack_ts=message_ts, slack_channel=posted_channel or channel)
        return
    if ts is None:
        raise NotReady
    if item.kind == "update":
        delivery.update(channel, ts, view, now, brand.responders)
    elif item.kind == "thread":
        delivery.thread(channel, ts, str(payload["text"]))
    elif item.kind == "reminder":
        who = [view.assignee] if view.assignee else list(brand.responders)
        message = blocks.build_reminder(view, now, mention_ids(who))
        delivery.thread(channel, ts, message["text"], message.get("blocks"))
    elif item.kind == "escalation":
        target = brand.slack.escalation_group or None
        message = blocks.build_escalation(view, now, int(payload.get("level", 1)),
                                          mention_ids([target]) if target else mention_ids(brand.responders))
        delivery.thread(channel, ts, message["text"], message.get("blocks"))
        if brand.slack.escalation_channel:
            delivery.post(brand.slack.escalation_channel, message["text"], message.get("blocks"))
    else:
        log.error("unknown outbox item kind %r (id %d); dropping it", item.kind, item.id)
