"""What a person can do to a case: publish a reply, assign, resolve, relabel.

Every action records who and when, queues the alert's update through the outbox, and is safe
to repeat: a second click changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from monitor.domain import CaseStatus, ReplyTarget
from monitor.errors import PlatformError
from monitor.wiring import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionResult:
    """What happened, in words for the person who clicked."""

    changed: bool
    message: str = ""
    error: str | None = None


def _queue_update(runtime: Runtime, case_id: int, now: datetime, why: str) -> None:
    runtime.outbox.put(f"update:{case_id}:{why}:{now.isoformat()}", "update",
                       {"case_id": case_id}, now, case_id=case_id)


def _queue_thread(runtime: Runtime, case_id: int, now: datetime, why: str, text: str) -> None:
    runtime.outbox.put(f"thread:{case_id}:{why}:{now.isoformat()}", "thread",
                       {"case_id": case_id, "text": text}, now, case_id=case_id)


def publish_reply(runtime: Runtime, case_id: int, text: str, user: str) -> ActionResult:
    """Publish `text` on the platform once; a second click, from anyone, publishes nothing."""
    store = runtime.store
    now = runtime.clock()
    case = store.case(case_id)
    if case.replied_at is not None:
        return ActionResult(False,
                            f"Already answered by <@{case.replied_by}>; nothing was posted again.")
    if CaseStatus(case.status) in (CaseStatus.NOT_A_COMPLAINT, CaseStatus.RESOLVED):
        state = CaseStatus(case.status).value.replace("_", " ")
        return ActionResult(False, f"Case {case.reference} is {state}; "
                            "reopen it first if it still needs a reply.")
    key = store.claim_reply(case_id, user, now)
    if key is None:
        holder = store.claim_holder(case_id)
        who = f"<@{holder.actor}>" if holder else "someone else"
        return ActionResult(False, f"{who} is already publishing the reply to {case.reference}; "
                            "nothing was posted twice.")
    row = case.mention
    connector = runtime.connector(case.brand_id, row.source)
    target = ReplyTarget(platform=row.platform, mention_id=row.external_id, url=row.url,
                         author_handle=row.author_handle, conversation_id=row.conversation_id,
                         extra=dict(row.extra or {}))
    try:
        result = connector.reply(target, text, key)
    except PlatformError as exc:
        store.release_claim(case_id)
        message = f"{connector.title} did not publish the reply: {exc.message}"
        store.update_case(case_id, last_error=message)
        store.add_event(case_id, user, "reply_failed", now, exc.message)
        _queue_update(runtime, case_id, now, "reply_failed")
        log.warning("reply to %s failed: %s", case.reference, exc)
        return ActionResult(False, error=message)
    done = runtime.clock()
    store.update_case(case_id, replied_by=user, replied_at=done, reply_url=result.url,
                      reply_external_id=result.id, reply_text=text, last_error=None)
    store.set_status(case_id, CaseStatus.REPLIED, user, done, detail=text)
    _queue_update(runtime, case_id, done, "replied")
    runtime.outbox.put(f"thread:{case_id}:replied", "thread",
                       {"case_id": case_id, "reply": {"by": user, "text": text, "url": result.url,
                                                      "platform": connector.title}},
                       done, case_id=case_id)
    for hook in runtime.on_answered:
        hook(case_id)
    return ActionResult(True, f"Reply to {case.reference} published.")


def mark_not_complaint(runtime: Runtime, case_id: int, user: str) -> ActionResult:
    """Close a false alarm and keep it as a labelled example for training."""
    now = runtime.clock()
    case = runtime.store.case(case_id)
    if not runtime.store.set_status(case_id, CaseStatus.NOT_A_COMPLAINT, user, now):
        return ActionResult(False, "Already marked as not a complaint.")
    row = case.mention
    runtime.store.add_label(row.text, row.lang, 0, user, now, mention_id=row.id)
    runtime.store.update_case(case_id, closed_at=now)
    _queue_update(runtime, case_id, now, "not_complaint")
    for hook in runtime.on_answered:
        hook(case_id)
    return ActionResult(True, f"{case.reference} closed as not a complaint; the example will "
                        "teach the next `brand-monitor train`.")


def set_status(runtime: Runtime, case_id: int, status: CaseStatus, user: str,
               detail: str = "") -> ActionResult:
    """Move a case along its life (acknowledge, resolve, reopen), once."""
    now = runtime.clock()
    case = runtime.store.case(case_id)
    if status is CaseStatus.REOPENED and CaseStatus(case.status).is_open:
        return ActionResult(False, f"{case.reference} is already open.")
    extra: dict[str, datetime | None] = {"closed_at": now} if status is CaseStatus.RESOLVED else {}
    if status is CaseStatus.REOPENED:
        extra = {"closed_at": None}
    if not runtime.store.set_status(case_id, status, user, now, detail, **extra):
        return ActionResult(False, f"{case.reference} is already {status.value.replace('_', ' ')}.")
    _queue_update(runtime, case_id, now, status.value)
    _queue_thread(runtime, case_id, now, status.value,
                  f"<@{user}> marked {case.reference} as {status.value.replace('_', ' ')}.")
    if status is CaseStatus.RESOLVED:
        for hook in runtime.on_answered:
            hook(case_id)
    return ActionResult(True, f"{case.reference} is now {status.value.replace('_', ' ')}.")


def assign(runtime: Runtime, case_id: int, assignee: str, user: str) -> ActionResult:
    """Give a case to `assignee`; reassigning is recorded too."""
    now = runtime.clock()
    case = runtime.store.case(case_id)
    if case.assignee == assignee:
        return ActionResult(False, f"{case.reference} is already assigned to <@{assignee}>.")
    detail = f"from <@{case.assignee}> to <@{assignee}>" if case.assignee else f"to <@{assignee}>"
    runtime.store.update_case(case_id, assignee=assignee)
    runtime.store.add_event(case_id, user, "reassigned" if case.assignee else "assigned", now, detail)
    if CaseStatus(case.status) is CaseStatus.NEW:
        runtime.store.set_status(case_id, CaseStatus.ACKNOWLEDGED, user, now, "by assignment")
    _queue_update(runtime, case_id, now, f"assign-{assignee}")
    _queue_thread(runtime, case_id, now, f"assign-{assignee}",
                  f"<@{user}> assigned {case.reference} {detail}.")
    return ActionResult(True, f"{case.reference} assigned {detail}.")


def record_followup(runtime: Runtime, case_id: int, satisfied: bool, user: str) -> ActionResult:
    """Record whether the customer of a resolved case is satisfied; reopen it if not."""
    now = runtime.clock()
    case = runtime.store.case(case_id)
    outcome = "satisfied" if satisfied else "not satisfied"
    if case.followup_outcome == outcome:
        return ActionResult(False, f"{case.reference} is already recorded as {outcome}.")
    runtime.store.update_case(case_id, followup_outcome=outcome)
    runtime.store.add_event(case_id, user, "followup", now, outcome)
    if not satisfied:
        set_status(runtime, case_id, CaseStatus.REOPENED, user, "customer not satisfied")
    else:
        _queue_update(runtime, case_id, now, "followup")
    return ActionResult(True, f"Recorded: the customer of {case.reference} is {outcome}.")


def link_customers(runtime: Runtime, brand_id: str, key_a: str, key_b: str, user: str) -> ActionResult:
    """Tell brand-monitor two handles are one customer (`x:maya`, `reddit:maya_r`)."""
    for key in (key_a, key_b):
        platform, _, handle = key.partition(":")
        if not platform or not handle:
            return ActionResult(False, error=f"{key!r} is not platform:handle, e.g. x:maya or reddit:maya_r")
    a, b = (k.lower().replace(":@", ":") for k in (key_a, key_b))
    if not runtime.store.link_customers(brand_id, a, b, user, runtime.clock()):
        return ActionResult(False, f"{a} and {b} were already linked.")
    return ActionResult(True, f"Linked {a} and {b}: their cases now show as one customer's history.")


def flag_case(runtime: Runtime, case_id: int, user: str) -> ActionResult:
    """Undo "not a complaint": reopen the case and keep the corrected label."""
    case = runtime.store.case(case_id)
    if CaseStatus(case.status) is not CaseStatus.NOT_A_COMPLAINT:
        return ActionResult(False, f"{case.reference} is already treated as a complaint.")
    row = case.mention
    runtime.store.add_label(row.text, row.lang, 1, user, runtime.clock(), mention_id=row.id)
    return set_status(runtime, case_id, CaseStatus.REOPENED, user, "flagged as a complaint")


def flag_mention(runtime: Runtime, mention_id: int, user: str) -> ActionResult:
    """Turn a mention the bot let through into a case, and remember the label for training."""
    from dataclasses import replace

    from monitor.pipeline import open_case
    from monitor.store import classification_from_row, mention_from_row

    now = runtime.clock()
    row = runtime.store.mention(mention_id)
    runtime.store.add_label(row.text, row.lang, 1, user, now, mention_id=row.id)
    existing = runtime.store.case_for_mention(mention_id)
    if existing is not None:
        if CaseStatus(existing.status) is CaseStatus.NOT_A_COMPLAINT:
            return set_status(runtime, existing.id, CaseStatus.REOPENED, user, "flagged as a complaint")
        return ActionResult(False, f"That post already has case {existing.reference}.")
    verdict = replace(classification_from_row(row), is_complaint=True,
                      why=f"flagged by <@{user}>")
    runtime.store.set_classification(mention_id, verdict)
    case_id = open_case(runtime, runtime.brand(row.brand_id), row.source, mention_id,
                        mention_from_row(row), verdict, now)
    runtime.store.add_event(case_id, user, "flagged", now)
    return ActionResult(True, f"Case {runtime.store.case(case_id).reference} opened; thanks, the "
                        "example will teach the next `brand-monitor train`.")
