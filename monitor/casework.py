"""What a person can do to a case: publish a reply, assign, resolve, relabel.

Each action is one transaction through the case engine (the change, its event and the
messages that report it commit together) and is safe to repeat: a second click changes
nothing. Actions return the engine's outcome; the alert layer words it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from monitor import case_engine
from monitor.case_engine import Move, Outcome, Result
from monitor.domain import CaseStatus, ReplyTarget
from monitor.errors import PlatformError
from monitor.ports import CaseDesk, Ingest

log = logging.getLogger(__name__)
ActionResult = Outcome  # what every action returns

_MOVES = {CaseStatus.ACKNOWLEDGED: Move.ACKNOWLEDGE, CaseStatus.RESOLVED: Move.RESOLVE,
          CaseStatus.REOPENED: Move.REOPEN}


def _answered(deps: CaseDesk, case_id: int) -> None:
    for hook in deps.on_answered:
        hook(case_id)


def publish_reply(deps: CaseDesk, case_id: int, text: str, user: str,
                  approving: tuple[int, bool] | None = None) -> Outcome:
    """Publish `text` on the platform once; a second click, from anyone, publishes nothing.

    The reply claim commits before the platform is called, and the reply is recorded, with
    its event and messages (and, for `approving` (proposal id, edited), the proposal's
    approval), in one transaction after; a crash in between leaves the claim
    (shown to the next clicker) rather than a second reply.
    """
    store = deps.store
    case = store.case(case_id)
    refusal = case_engine.reply_allowed(case, deps.clock())
    if refusal is not None:
        return refusal
    key = store.claim_reply(case_id, user, deps.clock())
    if key is None:
        holder = store.claim_holder(case_id)
        return Outcome(Result.REPLY_IN_PROGRESS, case.reference, who=holder.actor if holder else None)
    row = case.mention
    connector = deps.connector(case.brand_id, row.source)
    target = ReplyTarget(platform=row.platform, mention_id=row.external_id, url=row.url,
                         author_handle=row.author_handle, conversation_id=row.conversation_id,
                         extra=dict(row.extra or {}))
    try:
        result = connector.reply(target, text, key)
    except PlatformError as exc:
        with store.transaction() as tx:
            outcome = case_engine.reply_failed(tx, tx.case(case_id), actor=user,
                                               platform_title=connector.title, reason=exc.message,
                                               now=deps.clock())
        log.warning("reply to %s failed: %s", case.reference, exc)
        return outcome
    from monitor import approvals  # approvals publishes through this function

    with store.transaction() as tx:
        outcome = case_engine.replied(tx, tx.case(case_id), actor=user, text=text, url=result.url,
                                      external_id=result.id, platform_title=connector.title,
                                      now=deps.clock(), approving=approving and approving[0])
        if approving is not None:  # the approval commits with the reply: none is left pending
            outcome = approvals.approved(tx, tx.case(case_id), approving[0], user, approving[1],
                                         deps.clock())
    _answered(deps, case_id)
    return outcome


def mark_not_complaint(deps: CaseDesk, case_id: int, user: str) -> Outcome:
    """Close a false alarm and keep it as a labelled example for training."""
    with deps.store.transaction() as tx:
        outcome = case_engine.not_a_complaint(tx, tx.case(case_id), user, deps.clock())
    if outcome.changed:
        _answered(deps, case_id)
    return outcome


def set_status(deps: CaseDesk, case_id: int, status: CaseStatus, user: str,
               detail: str = "") -> Outcome:
    """Move a case along its life (acknowledge, resolve, reopen), once."""
    with deps.store.transaction() as tx:
        outcome = case_engine.move(tx, tx.case(case_id), _MOVES[status], user, deps.clock(), detail)
    if outcome.changed and status is CaseStatus.RESOLVED:
        _answered(deps, case_id)
    return outcome


def assign(deps: CaseDesk, case_id: int, assignee: str, user: str) -> Outcome:
    """Give a case to `assignee`; reassigning is recorded too."""
    with deps.store.transaction() as tx:
        return case_engine.assign(tx, tx.case(case_id), assignee, user, deps.clock())


def record_followup(deps: CaseDesk, case_id: int, satisfied: bool, user: str) -> Outcome:
    """Record whether the customer of a resolved case is satisfied; reopen it if not."""
    with deps.store.transaction() as tx:
        return case_engine.record_followup(tx, tx.case(case_id), satisfied, user, deps.clock())


def link_customers(deps: CaseDesk, brand_id: str, key_a: str, key_b: str, user: str) -> Outcome:
    """Tell brand-monitor two handles are one customer (`x:maya`, `reddit:maya_r`)."""
    for key in (key_a, key_b):
        platform, _, handle = key.partition(":")
        if not platform or not handle:
            return Outcome(Result.BAD_CUSTOMER_KEY, detail=key)
    a, b = (k.lower().replace(":@", ":") for k in (key_a, key_b))
    if not deps.store.link_customers(brand_id, a, b, user, deps.clock()):
        return Outcome(Result.ALREADY_LINKED, items=(a, b))
    return Outcome(Result.LINKED, items=(a, b))


def flag_case(deps: CaseDesk, case_id: int, user: str) -> Outcome:
    """Undo "not a complaint": reopen the case and keep the corrected label."""
    with deps.store.transaction() as tx:
        return case_engine.flag(tx, tx.case(case_id), user, deps.clock())


def flag_mention(deps: Ingest, mention_id: int, user: str) -> Outcome:
    """Turn a mention the bot let through into a case, and remember the label for training."""
    from monitor.pipeline import open_case_for
    from monitor.store import classification_from_row, mention_from_row

    now = deps.clock()
    existing = deps.store.case_for_mention(mention_id)
    if existing is not None:
        if CaseStatus(existing.status) is CaseStatus.NOT_A_COMPLAINT:
            return flag_case(deps, existing.id, user)
        return Outcome(Result.ALREADY_A_CASE, existing.reference)
    with deps.store.transaction() as tx:
        row = tx.mention(mention_id)
        brand = deps.brand(row.brand_id)
        tx.add_label(row, 1, user, now)
        verdict = replace(classification_from_row(row), is_complaint=True, why=f"flagged by <@{user}>")
        tx.set_verdict(mention_id, verdict)
        case = open_case_for(deps, tx, brand, row.source, row, mention_from_row(row), verdict, now)
        tx.add_event(case.id, user, "flagged", now)
        case_id, reference = case.id, case.reference
    for hook in deps.on_case_opened:
        hook(case_id)
    return Outcome(Result.FLAGGED_OPENED, reference, who=user)
