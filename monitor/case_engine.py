"""The case engine: the one owner of a case's life.

A transition table says which move may happen in which status. Every move is checked,
recorded as an event and yields typed messages (`monitor.notices`), all inside the caller's
transaction (`Store.transaction()`), so a change and the messages that report it commit
together or not at all. The engine returns outcomes; the alert layer words them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.domain import CaseStatus, Classification, Mention
from monitor.models import CaseRow, MentionRow
from monitor.notices import (
    Alert,
    AssignedNote,
    CustomerPosted,
    Escalation,
    FollowUpAsk,
    Notice,
    ProposalNote,
    Refresh,
    Reminder,
    ReplyNote,
    StatusNote,
    WaveAlert,
)
from monitor.records import Case
from monitor.settings import BrandConfig
from monitor.store_proposals import ANSWERED, ProposalTx
from monitor.store_tx import Timer, Tx
from monitor.waves import (
    MAX_CANDIDATES,
    band_keys,
    cosine,
    key_lag,
    meaning_keys,
    pack,
    similarity,
    tokens,
    unpack,
)

if TYPE_CHECKING:
    import numpy as np

BOT = "brand-monitor"
OPEN = frozenset(s for s in CaseStatus if s.is_open)  # the domain names them; the engine uses them
CLOSED = frozenset({CaseStatus.RESOLVED, CaseStatus.NOT_A_COMPLAINT})
ANY = frozenset(CaseStatus)
ACTIVE = ANY - CLOSED


def is_open(status: CaseStatus | str) -> bool:
    """Open: waiting for the team (new, acknowledged, reopened)."""
    return CaseStatus(status) in OPEN


def is_active(status: CaseStatus | str) -> bool:
    """Not closed: open, or replied and waiting to be resolved (the customer may write again)."""
    return CaseStatus(status) not in CLOSED


def is_overdue(status: CaseStatus | str, replied_at: datetime | None, deadline_at: datetime,
               now: datetime) -> bool:
    """Overdue: open, never answered, and past its deadline."""
    return is_open(status) and replied_at is None and deadline_at <= now


class Move(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    REPLY = "reply"
    RESOLVE = "resolve"
    NOT_COMPLAINT = "not_complaint"
    REOPEN = "reopen"
    FLAG = "flag"


# move: (the statuses it may start from, where it leads)
TRANSITIONS: dict[Move, tuple[frozenset[CaseStatus], CaseStatus]] = {
    Move.ACKNOWLEDGE: (frozenset({CaseStatus.NEW, CaseStatus.REOPENED}), CaseStatus.ACKNOWLEDGED),
    Move.REPLY: (OPEN, CaseStatus.REPLIED),
    Move.RESOLVE: (ANY - {CaseStatus.RESOLVED, CaseStatus.NOT_A_COMPLAINT}, CaseStatus.RESOLVED),
    Move.NOT_COMPLAINT: (ANY - {CaseStatus.NOT_A_COMPLAINT}, CaseStatus.NOT_A_COMPLAINT),
    Move.REOPEN: (frozenset({CaseStatus.REPLIED, CaseStatus.RESOLVED}), CaseStatus.REOPENED),
    Move.FLAG: (frozenset({CaseStatus.NOT_A_COMPLAINT}), CaseStatus.REOPENED),
}


class Result(enum.StrEnum):
    """What an action came to; `alerts.messages.outcome_text` words each one."""

    MOVED = "moved"
    ALREADY = "already"                    # the case is already where the move leads
    NOT_FROM_HERE = "not_from_here"        # the move does not start from this status
    CLOSED = "closed"                      # answering a closed case: reopen it first
    PUBLISHED = "published"
    ALREADY_ANSWERED = "already_answered"
    REPLY_IN_PROGRESS = "reply_in_progress"
    PLATFORM_REFUSED = "platform_refused"
    NOT_COMPLAINT = "not_complaint"        # closed as a false alarm; label kept for training
    ASSIGNED = "assigned"
    ALREADY_ASSIGNED = "already_assigned"
    FOLLOWUP_RECORDED = "followup_recorded"
    FOLLOWUP_ALREADY = "followup_already"
    FLAGGED_OPENED = "flagged_opened"
    ALREADY_A_CASE = "already_a_case"
    ALREADY_COMPLAINT = "already_complaint"
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"
    BAD_CUSTOMER_KEY = "bad_customer_key"
    PROPOSED = "proposed"                  # a proposer's reply waits for a responder
    APPROVED = "approved"                  # a proposal published by a responder
    REJECTED = "rejected"
    PROPOSAL_DECIDED = "proposal_decided"  # approved, rejected or replaced already


@dataclass(frozen=True)
class Outcome:
    """The result of one action, with the facts its wording needs."""

    result: Result
    reference: str = ""
    status: CaseStatus | None = None
    who: str | None = None
    previous: str | None = None
    detail: str = ""
    items: tuple[str, ...] = field(default_factory=tuple)
    ago: timedelta | None = None  # for an answered case: how long ago the reply went out

    @property
    def changed(self) -> bool:
        return self.result in (Result.MOVED, Result.PUBLISHED, Result.NOT_COMPLAINT, Result.ASSIGNED,
                               Result.FOLLOWUP_RECORDED, Result.FLAGGED_OPENED, Result.LINKED,
                               Result.PROPOSED, Result.APPROVED, Result.REJECTED)

    @property
    def failed(self) -> bool:
        return self.result in (Result.PLATFORM_REFUSED, Result.BAD_CUSTOMER_KEY)


Drafter = Callable[[str, Sequence[str], str], list[tuple[str, str]]]
"""(lang, topics, reference) -> [(lang, reply text)] for a new case."""


def _queue_case(tx: Tx, case: CaseRow, *notices: Notice, now: datetime) -> None:
    for notice in notices:
        tx.queue(notice, now, brand_id=case.brand_id, channel=case.slack_channel)


# -- opening ---------------------------------------------------------------------------------

def open_case(tx: Tx, *, brand: BrandConfig, mention_row: MentionRow, customer_key: str,
              deadline_at: datetime, priority: int, lang: str, topics: Sequence[str],
              draft: Drafter, now: datetime, meaning: np.ndarray | None = None,
              category: str | None = None) -> CaseRow:
    """Open a case for a stored mention: reference, suggestions, event, alert (one transaction).

    `meaning` is the post's meaning vector, where the classifier gives one, and `category`
    its main category: they let the case join a wave of its category in other languages."""
    reference = tx.next_reference(brand.id)
    case = tx.add_case(brand_id=brand.id, mention_id=mention_row.id, reference=reference,
                       customer_key=customer_key, opened_at=now, deadline_at=deadline_at,
                       priority=priority, suggestions=draft(lang, topics, reference),
                       channel=brand.slack.channel)
    tx.add_event(case.id, BOT, "opened", now, reference)
    wave_id = _join_wave(tx, brand, case, mention_row.text, meaning, category, now)
    if wave_id is not None:
        tx.queue(WaveAlert(wave_id, case.id), now, brand_id=brand.id, channel=brand.slack.channel)
    _queue_case(tx, case, Alert(case.id, wave_id), now=now)
    return case


def _join_wave(tx: Tx, brand: BrandConfig, case: CaseRow, text: str, meaning: np.ndarray | None,
               category: str | None, now: datetime) -> int | None:
    """Put the case in a wave if it is one of many similar recent complaints.

    Only recent cases and waves sharing a band hash with the post are candidates (at most
    `MAX_CANDIDATES` of each), so the work per post stays the same however many came before.
    Each candidate is then checked exactly: alike in words (Jaccard), or, where both have a
    meaning vector and the same main category, alike in meaning (cosine), in any language.
    """
    cfg = brand.waves
    if not cfg.enabled:
        return None
    words = tokens(text)
    vector = meaning if cfg.across_languages and category else None
    since, lag = now - cfg.window, key_lag(cfg.window)
    keys = band_keys(words, cfg.similarity)
    if vector is not None:
        keys += meaning_keys(vector)
        case.meaning = pack(vector)
    if not keys:  # no content words and no vector: like nothing, as before
        return None

    def alike(text: str, stored: bytes | None, their_category: str | None) -> bool:
        if similarity(words, tokens(text)) >= cfg.similarity:
            return True
        if vector is None or their_category != category:
            return False
        other = unpack(stored)
        return other is not None and cosine(vector, other) >= cfg.meaning_similarity

    buckets = sorted({bucket for _, bucket in keys})
    for wave in tx.waves_sharing_keys(brand.id, since, buckets, MAX_CANDIDATES, lag):
        if alike(wave.topic, wave.meaning, wave.category):
            if vector is not None and wave.category == category:
                wave.meaning = _summed(wave.meaning, [case.meaning])
            tx.put_in_wave(wave, [case.id], now, now - lag)
            return wave.id
    similar = [c for c in tx.cases_sharing_keys(brand.id, since, buckets, case.id, MAX_CANDIDATES)
               if alike(c.text, c.meaning, c.category)]
    if len(similar) + 1 < cfg.min_cases:
        tx.add_wave_keys(brand.id, keys, now, case_id=case.id)
        return None
    meaning_sum = _summed(None, [case.meaning, *(c.meaning for c in similar
                                                 if c.category == category)])
    wave = tx.add_wave(brand.id, min(c.opened_at for c in similar), now, text,
                       brand.slack.channel, meaning=meaning_sum, category=category)
    tx.add_wave_keys(brand.id, keys, now, wave_id=wave.id)
    tx.put_in_wave(wave, [*(c.id for c in similar), case.id], now, now - lag)
    return wave.id


def _summed(total: bytes | None, vectors: Sequence[bytes | None]) -> bytes | None:
    """A wave's meaning: the sum of its cases' vectors, whose direction is their average, so
    a new post is compared with what the wave's posts share rather than with its first one."""
    parts = [v for v in (unpack(total), *(unpack(x) for x in vectors)) if v is not None]
    return pack(sum(parts[1:], parts[0])) if parts else None


def customer_posted(tx: Tx, case: CaseRow, mention_row: MentionRow, now: datetime) -> None:
    """The customer wrote again in the conversation of an active case: thread it, keep the deadline."""
    tx.mark_joined(mention_row, case.id)
    tx.add_event(case.id, f"@{mention_row.author_handle}", "customer_posted", now, mention_row.text)
    event = tx.add_event(case.id, BOT, "thread_updated", now)
    _queue_case(tx, case, CustomerPosted(case.id, mention_row.id), Refresh(case.id, event), now=now)


# -- moves -----------------------------------------------------------------------------------

def move(tx: Tx, case: CaseRow, to: Move, actor: str, now: datetime, detail: str = "",
         reason: str = "", note: bool = True) -> Outcome:
    """Apply one move of the transition table; record it and queue its messages."""
    starts, target = TRANSITIONS[to]
    status = CaseStatus(case.status)
    if status is target:
        return Outcome(Result.ALREADY, case.reference, target)
    if status not in starts:
        return Outcome(Result.NOT_FROM_HERE, case.reference, status, detail=to.value)
    closed_at = now if target in CLOSED else None
    tx.set_status(case, target, closed_at=closed_at)
    event = tx.add_event(case.id, actor, target.value, now, detail)
    if target in CLOSED:
        _close_proposals(tx, case, actor, now)
    messages: list[Notice] = [Refresh(case.id, event)]
    if note:
        messages.append(StatusNote(case.id, event, actor, target, reason))
    _queue_case(tx, case, *messages, now=now)
    return Outcome(Result.MOVED, case.reference, target, who=actor)


def reply_allowed(case: CaseRow | Case, now: datetime) -> Outcome | None:
    """None when the case may be answered now; else why not."""
    if case.replied_at is not None:
        return Outcome(Result.ALREADY_ANSWERED, case.reference, who=case.replied_by,
                       ago=max(timedelta(0), now - case.replied_at))
    if CaseStatus(case.status) in CLOSED:
        return Outcome(Result.CLOSED, case.reference, CaseStatus(case.status))
    return None


def replied(tx: Tx, case: CaseRow, *, actor: str, text: str, url: str | None,
            external_id: str | None, platform_title: str, now: datetime,
            approving: int | None = None) -> Outcome:
    """Record a reply the platform published: who, what, where; the case moves to replied.
    Proposals still waiting are no longer needed, but `approving`, the one this reply is."""
    tx.record_reply(case, by=actor, at=now, url=url, external_id=external_id, text=text)
    tx.set_status(case, CaseStatus.REPLIED, closed_at=None)
    event = tx.add_event(case.id, actor, CaseStatus.REPLIED.value, now, text)
    _close_proposals(tx, case, actor, now, keep=approving)
    _queue_case(tx, case, Refresh(case.id, event),
                ReplyNote(case.id, event, actor, text, url, platform_title), now=now)
    return Outcome(Result.PUBLISHED, case.reference, CaseStatus.REPLIED, who=actor)


PROPOSAL_NOT_NEEDED = "proposal_not_needed"


def _close_proposals(tx: Tx, case: CaseRow, actor: str, now: datetime,
                     keep: int | None = None) -> None:
    """The case was answered or closed: every proposal still waiting on it (but `keep`) is no
    longer needed, an event says so and its message in the thread is edited to say it."""
    proposals = ProposalTx(tx)
    for row in proposals.pending(case.id):
        if row.id != keep:
            proposals.decide(row, ANSWERED, actor, now)
            tx.add_event(case.id, actor, PROPOSAL_NOT_NEEDED, now)
            _queue_case(tx, case, ProposalNote(case.id, row.id, ANSWERED), now=now)


def reply_failed(tx: Tx, case: CaseRow, *, actor: str, platform_title: str, reason: str,
                 now: datetime) -> Outcome:
    tx.record_reply_error(case, f"{platform_title}: {reason}")
    tx.release_reply_claim(case.id)
    event = tx.add_event(case.id, actor, "reply_failed", now, reason)
    _queue_case(tx, case, Refresh(case.id, event), now=now)
    return Outcome(Result.PLATFORM_REFUSED, case.reference, who=platform_title, detail=reason)


def not_a_complaint(tx: Tx, case: CaseRow, actor: str, now: datetime) -> Outcome:
    """Close a false alarm and keep it as a labelled example for training."""
    outcome = move(tx, case, Move.NOT_COMPLAINT, actor, now, note=False)
    if outcome.result is not Result.MOVED:
        return outcome
    tx.add_label(case.mention, 0, actor, now)
    return Outcome(Result.NOT_COMPLAINT, case.reference, CaseStatus.NOT_A_COMPLAINT, who=actor)


def flag(tx: Tx, case: CaseRow, actor: str, now: datetime) -> Outcome:
    """Undo "not a complaint": reopen the case and keep the corrected label."""
    if CaseStatus(case.status) is not CaseStatus.NOT_A_COMPLAINT:
        return Outcome(Result.ALREADY_COMPLAINT, case.reference)
    tx.add_label(case.mention, 1, actor, now)
    return move(tx, case, Move.FLAG, actor, now, "flagged as a complaint", reason="flagged")


def assign(tx: Tx, case: CaseRow, assignee: str, actor: str, now: datetime) -> Outcome:
    """Give a case to `assignee`; a new case counts as acknowledged by it."""
    if case.assignee == assignee:
        return Outcome(Result.ALREADY_ASSIGNED, case.reference, who=assignee)
    previous = case.assignee
    tx.set_assignee(case, assignee)
    detail = f"from <@{previous}> to <@{assignee}>" if previous else f"to <@{assignee}>"
    event = tx.add_event(case.id, actor, "reassigned" if previous else "assigned", now, detail)
    if CaseStatus(case.status) is CaseStatus.NEW:
        tx.set_status(case, CaseStatus.ACKNOWLEDGED, closed_at=None)
        tx.add_event(case.id, actor, CaseStatus.ACKNOWLEDGED.value, now, "by assignment")
    _queue_case(tx, case, Refresh(case.id, event), AssignedNote(case.id, event, actor, assignee, previous),
                now=now)
    return Outcome(Result.ASSIGNED, case.reference, who=assignee, previous=previous)


def record_followup(tx: Tx, case: CaseRow, satisfied: bool, actor: str, now: datetime) -> Outcome:
    """Record whether the customer of a resolved case is satisfied; reopen it if not."""
    outcome = "satisfied" if satisfied else "not satisfied"
    if case.followup_outcome == outcome:
        return Outcome(Result.FOLLOWUP_ALREADY, case.reference, detail=outcome)
    tx.set_followup_outcome(case, outcome)
    event = tx.add_event(case.id, actor, "followup", now, outcome)
    if satisfied:
        _queue_case(tx, case, Refresh(case.id, event), now=now)
    else:
        move(tx, case, Move.REOPEN, actor, now, "customer not satisfied", reason="not_satisfied")
    return Outcome(Result.FOLLOWUP_RECORDED, case.reference, who=actor, detail=outcome)


def redrafted(tx: Tx, case: CaseRow, *, origin: str, now: datetime, note: str | None = None,
              drafts: Sequence[tuple[str, str, str | None]] = (), post_gloss: str | None = None,
              glosses: Sequence[str | None] = (), model_failed: bool = False) -> bool:
    """The model's work on an open, unanswered case: its checked `drafts` ((lang, text, gloss))
    replace the suggestions in place, or the templates stay (`note` says why: the drafts
    failed the checks, or the model itself failed) with the `glosses` of each; the post's
    gloss; an event; the alert redrawn. False: the case was answered or closed meanwhile,
    and nothing changed."""
    if case.replied_at is not None or not is_open(case.status):
        return False
    if drafts:
        tx.replace_suggestions(case.id, drafts, origin="model")
    elif glosses:
        tx.gloss_suggestions(case.id, glosses)
    tx.set_drafting(case, origin=origin, note=note, gloss=post_gloss)
    if drafts:
        kind, detail = "model_drafted", origin.removeprefix("model:") + (f" ({note})" if note else "")
    elif note:
        kind, detail = ("model_failed" if model_failed else "model_drafts_refused"), note
    else:
        kind, detail = "glossed", ""
    event = tx.add_event(case.id, BOT, kind, now, detail)
    _queue_case(tx, case, Refresh(case.id, event), now=now)
    return True


def ticket_created(tx: Tx, case: CaseRow, *, actor: str, system_title: str, external_id: str,
                   url: str, status: str, now: datetime) -> int:
    """Record the helpdesk ticket a case was handed to; the alert shows its link."""
    from monitor import store_tickets

    store_tickets.record_created(tx, case.id, external_id=external_id, url=url, status=status, now=now)
    event = tx.add_event(case.id, actor, "ticket", now, f"{system_title} #{external_id}")
    _queue_case(tx, case, Refresh(case.id, event), now=now)
    return event


def ticket_failed(tx: Tx, case: CaseRow, *, actor: str, reason: str, answered: bool,
                  now: datetime) -> int:
    """The helpdesk made no ticket (or never answered): free the claim for a retry, keep why."""
    from monitor import store_tickets

    store_tickets.record_failed(tx, case.id, error=reason, answered=answered, now=now)
    event = tx.add_event(case.id, actor, "ticket_failed", now, reason)
    _queue_case(tx, case, Refresh(case.id, event), now=now)
    return event


def ticket_solved(tx: Tx, case: CaseRow, *, system: str, system_title: str, external_id: str,
                  status: str, now: datetime) -> Outcome:
    """The helpdesk says the case's ticket is solved: record it and resolve the case (once)."""
    from monitor import store_tickets

    store_tickets.record_status(tx, case.id, status, now)
    event = tx.add_event(case.id, system, "ticket_solved", now, f"{system_title} #{external_id}: {status}")
    outcome = move(tx, case, Move.RESOLVE, system, now, f"ticket {status} in {system_title}")
    if outcome.result is not Result.MOVED:
        _queue_case(tx, case, Refresh(case.id, event), now=now)
    return outcome


def review_edited(tx: Tx, case: CaseRow, now: datetime) -> bool:
    """A review edited after we replied reopens its case, and the thread says why."""
    if case.replied_at is None:
        return False
    return move(tx, case, Move.REOPEN, BOT, now, "review edited",
                reason="edited_review").result is Result.MOVED


# -- timers: each fires once per case ----------------------------------------------------------

OPEN_VALUES = [s.value for s in OPEN]


def remind(tx: Tx, case: CaseRow, now: datetime) -> bool:
    """The reminder before the deadline, once, while the case is open and unanswered."""
    if case.escalated_at is not None or case.deadline_at <= now:
        return False  # past the deadline already: the escalation says it all
    if not tx.start_timer(case.id, Timer.REMINDED, now, OPEN_VALUES, unanswered=True):
        return False
    tx.add_event(case.id, BOT, "reminded", now)
    _queue_case(tx, case, Reminder(case.id), now=now)
    return True


def escalate(tx: Tx, case: CaseRow, now: datetime, level: int = 1) -> bool:
    """Escalate a case whose deadline passed unanswered (level 2: still unanswered later)."""
    timer = Timer.ESCALATED if level == 1 else Timer.ESCALATED_AGAIN
    if not tx.start_timer(case.id, timer, now, OPEN_VALUES, unanswered=True):
        return False
    event = tx.add_event(case.id, BOT, "escalated", now, "" if level == 1 else "second level")
    _queue_case(tx, case, Escalation(case.id, level), Refresh(case.id, event), now=now)
    return True


def ask_followup(tx: Tx, case: CaseRow, now: datetime) -> bool:
    """Ask the team, once, whether the customer of a resolved case is satisfied."""
    if not tx.start_timer(case.id, Timer.FOLLOWUP_ASKED, now, [CaseStatus.RESOLVED.value],
                          unanswered=False):
        return False
    tx.add_event(case.id, BOT, "followup_asked", now)
    _queue_case(tx, case, FollowUpAsk(case.id), now=now)
    return True


def verdict_opens_case(brand: BrandConfig, verdict: Classification) -> bool:
    """Whether a verdict opens a case: every complaint, and questions where the brand asks."""
    from monitor.sla import is_question_case

    return verdict.is_complaint or (is_question_case(verdict) and "question" in brand.alert_on)


def mention_summary(mention: Mention) -> str:
    return mention.text if not mention.title else f"{mention.title}\n{mention.text}"
