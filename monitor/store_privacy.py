"""Personal data in the store: redact old posts, erase one customer, read the team's audit trail.

SQL only; which brands, which cutoff and how large a batch is decided in `monitor.privacy`.

What a redacted or erased mention keeps: its brand, source, platform, times (published,
fetched, edited), kind, rating, language and every classification figure (is_complaint, score,
severity, category, anger, model, the verdict's kind and reason). What it loses: the text,
title, url, author id, handle, name and followers, the conversation ids, `extra` (the
platform's own fields) and the quoted cue words (`why`, `cues.cues`). A case keeps its
reference, status, priority, times, deadline, assignee and who replied; it loses the reply
text and link, the acknowledgement, the last platform error and the customer key (a token like
`redacted:12` takes its place).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, case, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from monitor.domain import CaseStatus
from monitor.models import (
    CaseEventRow,
    CaseRow,
    CustomerLinkRow,
    LabelRow,
    MentionRow,
    OutboxRow,
    ProposalRow,
    QuarantineRow,
    ReplyClaimRow,
    SuggestionRow,
    TicketRow,
    WaveKeyRow,
    WaveRow,
)
from monitor.store import Store

# Event kinds whose detail quotes the customer or addresses them by name: their post, the reply
# published to them, the out-of-hours acknowledgement. Every other detail is the team's or the
# bot's own words (status notes, "to <@U…>", platform errors) and is kept by retention.
CUSTOMER_EVENT_KINDS: frozenset[str] = frozenset(
    {"customer_posted", CaseStatus.REPLIED.value, "acknowledged_out_of_hours"})
# The actor of a customer's own event is their handle ("@maya"); it becomes this word.
CUSTOMER_ACTOR = "customer"
REDACTED = "redacted:"
FORGOTTEN = "forgotten:"
FORGOTTEN_KIND = "forgotten"
# A case no one works on any more: no deadline, reminder or escalation waits on it.
CLOSED_STATUSES: tuple[str, ...] = tuple(s.value for s in CaseStatus if not s.is_open)
_EMPTY_JSON = "{}"
# Outbox rows no sender will take again; "pending" and "sending" (claimed) ones are left alone.
DONE_STATES: tuple[str, ...] = ("sent", "dead")
# Case ids as a list (a batch) or as a query (every redacted case of a brand: too many to list).
CaseIds = Sequence[int] | Select[Any]


@dataclass(frozen=True)
class RedactionCounts:
    """What one retention step changed (rows)."""

    mentions: int = 0
    cases: int = 0
    suggestions: int = 0
    events: int = 0
    labels: int = 0
    outbox: int = 0

    def __add__(self, other: RedactionCounts) -> RedactionCounts:
        return RedactionCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                                  for f in fields(self)})

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class ForgetCounts:
    """What erasing one customer changed, or would change (`--dry-run`)."""

    mentions_deleted: int = 0
    mentions_emptied: int = 0  # kept, emptied, under an anonymised case
    cases: int = 0
    cases_closed: int = 0  # were open: closed so no reminder or escalation names them
    events: int = 0
    suggestions: int = 0
    reply_claims: int = 0
    pending_messages: int = 0
    sent_messages: int = 0
    labels: int = 0
    customer_links: int = 0
    waves_deleted: int = 0
    waves_retitled: int = 0
    quarantined: int = 0
    linked_keys: tuple[str, ...] = ()  # the other handles the deleted links named

    @property
    def mentions(self) -> int:
        return self.mentions_deleted + self.mentions_emptied

    @property
    def nothing(self) -> bool:
        return not (self.mentions or self.cases or self.events or self.labels
                    or self.customer_links or self.waves_retitled)


@dataclass(frozen=True)
class AuditEntry:
    """One thing someone (or the bot) did to a case."""

    at: datetime
    brand_id: str
    reference: str
    actor: str
    action: str
    detail: str


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _not_redacted() -> ColumnElement[bool]:
    """A mention still holding anything of its author (text may come back with a review edit)."""
    return or_(MentionRow.text != "", MentionRow.title != "", MentionRow.url != "",
               MentionRow.author_id != "", MentionRow.author_handle != "",
               MentionRow.author_name != "", MentionRow.author_followers.is_not(None),
               MentionRow.conversation_id.is_not(None))


def _empty_mention(row: MentionRow, marker: str, now: datetime) -> None:
    row.text = row.title = row.url = ""
    row.author_id = row.author_handle = row.author_name = ""
    row.author_followers = None
    row.conversation_id = row.in_reply_to_id = None
    row.extra = {marker: now.isoformat()}
    row.why = ""
    row.cues = {k: v for k, v in (row.cues or {}).items() if k != "cues"}


def _clear_customer_events(s: Session, case_ids: CaseIds, every_detail: bool) -> int:
    """Clear what events of `case_ids` say of the customer; every detail when `every_detail`."""
    by_customer = CaseEventRow.actor.like("@%")
    quoting = (CaseEventRow.detail != "") if every_detail else (
        CaseEventRow.kind.in_(CUSTOMER_EVENT_KINDS) & (CaseEventRow.detail != ""))
    detail: Any = "" if every_detail else case(
        (CaseEventRow.kind.in_(CUSTOMER_EVENT_KINDS), ""), else_=CaseEventRow.detail)
    return _rowcount(s.execute(
        update(CaseEventRow).where(CaseEventRow.case_id.in_(case_ids), quoting | by_customer)
        .values(detail=detail,
                actor=case((by_customer, CUSTOMER_ACTOR), else_=CaseEventRow.actor))
        .execution_options(synchronize_session=False)))


def _clear_sent_payloads(s: Session, case_ids: CaseIds) -> int:
    """Empty the payloads of messages already sent (or given up) about `case_ids`."""
    return _rowcount(s.execute(
        update(OutboxRow).where(OutboxRow.case_id.in_(case_ids), OutboxRow.state.in_(DONE_STATES),
                                cast(OutboxRow.payload, Text) != _EMPTY_JSON)
        .values(payload={}).execution_options(synchronize_session=False)))


def _clear_suggestions(s: Session, case_ids: CaseIds) -> int:
    """Empty the suggested replies of `case_ids` (they greet the customer by name)."""
    return _rowcount(s.execute(
        update(SuggestionRow).where(SuggestionRow.case_id.in_(case_ids),
                                    or_(SuggestionRow.text != "", SuggestionRow.gloss.is_not(None)))
        .values(text="", gloss=None).execution_options(synchronize_session=False)))


def _clear_proposals(s: Session, case_ids: CaseIds) -> int:
    """Empty the replies proposed for approval on `case_ids` (they address the customer too),
    and the reasons given for rejecting them (they may quote the post)."""
    return _rowcount(s.execute(
        update(ProposalRow).where(ProposalRow.case_id.in_(case_ids),
                                  or_(ProposalRow.text != "", ProposalRow.note != ""))
        .values(text="", note="").execution_options(synchronize_session=False)))


# -- retention ----------------------------------------------------------------------------------

def redact_batch(store: Store, brand_id: str, cutoff: datetime, now: datetime,
                 limit: int = 500) -> RedactionCounts:
    """Redact up to `limit` mentions of `brand_id` fetched before `cutoff`, with their cases.

    A mention qualifies when it still holds author data and has no case, or a closed one
    (replied, resolved, not a complaint). Returns zero mentions when none is left.
    """
    with store.session() as s:
        ids = list(s.scalars(
            select(MentionRow.id).outerjoin(CaseRow, CaseRow.mention_id == MentionRow.id)
            .where(MentionRow.brand_id == brand_id, MentionRow.fetched_at < cutoff, _not_redacted(),
                   or_(CaseRow.id.is_(None), CaseRow.status.in_(CLOSED_STATUSES)))
            .order_by(MentionRow.id).limit(limit)))
        if not ids:
            return RedactionCounts()
        for mention in s.scalars(select(MentionRow).where(MentionRow.id.in_(ids))):
            _empty_mention(mention, "redacted_at", now)
        cases = list(s.scalars(select(CaseRow).where(CaseRow.mention_id.in_(ids))))
        for row in cases:
            row.customer_key = f"{REDACTED}{row.id}"
            row.reply_text = row.reply_url = row.reply_external_id = None
            row.acknowledgement = row.last_error = row.gloss = row.meaning = None
        case_ids = [c.id for c in cases]
        suggestions = _clear_suggestions(s, case_ids)
        _clear_proposals(s, case_ids)
        _delete(s, WaveKeyRow, WaveKeyRow.case_id.in_(case_ids))  # hashes of their words
        events = _clear_customer_events(s, case_ids, every_detail=False)
        labels = _delete(s, LabelRow, LabelRow.mention_id.in_(ids))
        outbox = _clear_sent_payloads(s, case_ids)
        return RedactionCounts(mentions=len(ids), cases=len(cases), suggestions=suggestions,
                               events=events, labels=labels, outbox=outbox)


def tidy_redacted(store: Store, brand_id: str) -> RedactionCounts:
    """Clear what reached already-redacted closed cases since (messages sent after, a new reply)."""
    redacted = [CaseRow.brand_id == brand_id, CaseRow.customer_key.like(f"{REDACTED}%"),
                CaseRow.status.in_(CLOSED_STATUSES)]
    with store.session() as s:
        cases = _rowcount(s.execute(
            update(CaseRow).where(*redacted, or_(
                CaseRow.reply_text.is_not(None), CaseRow.reply_url.is_not(None),
                CaseRow.reply_external_id.is_not(None), CaseRow.acknowledgement.is_not(None),
                CaseRow.last_error.is_not(None), CaseRow.gloss.is_not(None),
                CaseRow.meaning.is_not(None)))
            .values(reply_text=None, reply_url=None, reply_external_id=None, acknowledgement=None,
                    last_error=None, gloss=None, meaning=None)
            .execution_options(synchronize_session=False)))
        case_ids = select(CaseRow.id).where(*redacted)
        suggestions = _clear_suggestions(s, case_ids)
        _clear_proposals(s, case_ids)
        _delete(s, WaveKeyRow, WaveKeyRow.case_id.in_(case_ids))  # hashes of their words
        events = _clear_customer_events(s, case_ids, every_detail=False)
        outbox = _clear_sent_payloads(s, case_ids)
        return RedactionCounts(cases=cases, suggestions=suggestions, events=events, outbox=outbox)


def clear_wave_topics(store: Store, brand_id: str, before: datetime) -> int:
    """Empty the topic (a customer's post) and its meaning vector of waves last joined
    before `before`."""
    with store.session() as s:
        return _rowcount(s.execute(
            update(WaveRow).where(WaveRow.brand_id == brand_id, WaveRow.last_at < before,
                                  or_(WaveRow.topic != "", WaveRow.meaning.is_not(None)))
            .values(topic="", meaning=None).execution_options(synchronize_session=False)))


def drop_stale_links(store: Store, brand_id: str, before: datetime) -> int:
    """Delete links made before `before` between handles no case of the brand names any more."""
    keys = select(func.lower(CaseRow.customer_key)).where(CaseRow.brand_id == brand_id)
    with store.session() as s:
        return _rowcount(s.execute(
            delete(CustomerLinkRow).where(CustomerLinkRow.brand_id == brand_id,
                                          CustomerLinkRow.created_at < before,
                                          CustomerLinkRow.key_a.not_in(keys),
                                          CustomerLinkRow.key_b.not_in(keys))
            .execution_options(synchronize_session=False)))


# -- erasure of one customer ----------------------------------------------------------------

class _Rollback(Exception):
    """Not an error: carries a dry run's counts out of its rolled-back transaction."""

    def __init__(self, counts: ForgetCounts) -> None:
        super().__init__("dry run")
        self.counts = counts


def _handle(value: str) -> str:
    return value.strip().lstrip("@").lower()


def _customer_mentions(s: Session, platform: str, handle: str) -> list[MentionRow]:
    """The customer's mentions: by handle, then every mention by the author ids those carry."""
    rows = {r.id: r for r in s.scalars(select(MentionRow).where(
        func.lower(MentionRow.platform) == platform,
        func.lower(MentionRow.author_handle).in_([handle, f"@{handle}"])))}
    author_ids = {r.author_id for r in rows.values() if r.author_id}
    if author_ids:
        rows.update((r.id, r) for r in s.scalars(select(MentionRow).where(
            func.lower(MentionRow.platform) == platform, MentionRow.author_id.in_(author_ids))))
    return list(rows.values())


def forget_customer(store: Store, platform: str, handle: str, *, actor: str, now: datetime,
                    dry_run: bool = False) -> ForgetCounts:
    """Erase the customer `platform:handle` from every brand, in one transaction.

    Their mentions are deleted, or emptied where a case points at one; their cases stay as
    anonymised audit records (reference, status, times, who did what) with every event
    detail cleared and an event `forgotten` by `actor`; open ones are closed as resolved.
    Suggestions, reply claims and every Slack message of those cases (pending too), labels of
    their posts and links naming them are deleted; a wave left without cases goes too.
    With `dry_run` the same work is done and rolled back: the counts say what would change.
    """
    try:
        with store.session() as s:
            counts = _forget(s, platform.strip().lower(), _handle(handle), actor, now)
            if dry_run:
                raise _Rollback(counts)
            return counts
    except _Rollback as done:
        return done.counts


def _forget(s: Session, platform: str, handle: str, actor: str, now: datetime) -> ForgetCounts:
    mentions = _customer_mentions(s, platform, handle)
    handles = {handle} | {_handle(m.author_handle) for m in mentions if m.author_handle}
    keys = {f"{platform}:{h}" for h in handles}
    keys |= {f"{platform}:review:{m.external_id}" for m in mentions if not m.author_id}
    mention_ids = {m.id for m in mentions}
    cases = list(s.scalars(select(CaseRow).where(
        or_(CaseRow.mention_id.in_(mention_ids), func.lower(CaseRow.customer_key).in_(keys)))))
    case_ids = [c.id for c in cases]
    for extra in s.scalars(select(MentionRow).where(
            MentionRow.id.in_([c.mention_id for c in cases if c.mention_id not in mention_ids]))):
        mentions.append(extra)
        mention_ids.add(extra.id)
    texts = {t for m in mentions for t in (m.text, m.title) if t}

    events = _clear_customer_events(s, case_ids, every_detail=True)
    on_platform = (select(CaseRow.id).join(MentionRow, CaseRow.mention_id == MentionRow.id)
                   .where(func.lower(MentionRow.platform) == platform))
    events += _rowcount(s.execute(  # their posts threaded into someone else's case
        update(CaseEventRow).where(func.lower(CaseEventRow.actor).in_([f"@{h}" for h in handles]),
                                   CaseEventRow.case_id.not_in(case_ids),
                                   CaseEventRow.case_id.in_(on_platform))
        .values(actor=CUSTOMER_ACTOR, detail="").execution_options(synchronize_session=False)))
    suggestions = _delete(s, SuggestionRow, SuggestionRow.case_id.in_(case_ids))
    _clear_proposals(s, case_ids)  # the rows stay for the reports, without their words
    _delete(s, WaveKeyRow, WaveKeyRow.case_id.in_(case_ids))  # hashes of their words
    claims = _delete(s, ReplyClaimRow, ReplyClaimRow.case_id.in_(case_ids))
    _delete(s, TicketRow, TicketRow.case_id.in_(case_ids))  # their helpdesk tickets' ids and links
    wave_keys = [f"wave:{c.wave_id}:{c.id}" for c in cases if c.wave_id is not None]
    messages = list(s.execute(select(OutboxRow.id, OutboxRow.state).where(
        or_(OutboxRow.case_id.in_(case_ids), OutboxRow.dedupe_key.in_(wave_keys)))))
    labels = _delete(s, LabelRow, or_(LabelRow.mention_id.in_(mention_ids), LabelRow.text.in_(texts)))
    links = list(s.scalars(select(CustomerLinkRow).where(
        or_(CustomerLinkRow.key_a.in_(keys), CustomerLinkRow.key_b.in_(keys)))))
    linked = tuple(sorted({k for link in links for k in (link.key_a, link.key_b)} - keys))
    for link in links:
        s.delete(link)

    waves = {c.wave_id for c in cases if c.wave_id is not None}
    closed = 0
    for row in cases:
        was_open = row.status not in CLOSED_STATUSES
        if was_open:
            row.status, row.closed_at, closed = CaseStatus.RESOLVED.value, now, closed + 1
        if row.status == CaseStatus.RESOLVED.value and row.followup_sent_at is None:
            row.followup_sent_at = now  # asks no one about a customer who is gone
        row.customer_key = f"{FORGOTTEN}{row.id}"
        row.reply_text = row.reply_url = row.reply_external_id = None
        row.acknowledgement = row.last_error = row.gloss = row.meaning = None
        row.wave_id = None
        s.add(_forgotten_event(row.id, actor, now, was_open))
    s.flush()
    _delete(s, OutboxRow, OutboxRow.id.in_([m.id for m in messages]))
    waves_deleted, waves_retitled = _tidy_waves(s, waves, texts)

    in_case = {c.mention_id for c in cases}
    for mention in mentions:
        if mention.id in in_case:
            mention.external_id = f"{FORGOTTEN}{mention.id}"
            _empty_mention(mention, "forgotten_at", now)
    deleted = _delete(s, MentionRow, MentionRow.id.in_(mention_ids - in_case))
    quarantined = _forget_quarantined(s, platform, handles)
    return ForgetCounts(
        mentions_deleted=deleted, mentions_emptied=len(mention_ids & in_case), cases=len(cases),
        cases_closed=closed, events=events, suggestions=suggestions, reply_claims=claims,
        pending_messages=sum(1 for m in messages if m.state not in DONE_STATES),
        sent_messages=sum(1 for m in messages if m.state in DONE_STATES), labels=labels,
        customer_links=len(links), waves_deleted=waves_deleted, waves_retitled=waves_retitled,
        linked_keys=linked, quarantined=quarantined)


def _forget_quarantined(s: Session, platform: str, handles: Collection[str]) -> int:
    """Quarantined posts by the customer (kept whole, as JSON, for another try): deleted."""
    rows = [r for r in s.scalars(select(QuarantineRow).where(func.lower(QuarantineRow.platform) == platform))
            if _handle(str((r.mention or {}).get("author_handle", ""))) in handles]
    for row in rows:
        s.delete(row)
    return len(rows)


def drop_old_quarantine(store: Store, brand_id: str, before: datetime) -> int:
    """Quarantined posts last tried before `before`: their text goes with the retention."""
    with store.session() as s:
        return _delete(s, QuarantineRow, (QuarantineRow.brand_id == brand_id)
                       & (QuarantineRow.last_at < before))


def _forgotten_event(case_id: int, actor: str, now: datetime, was_open: bool) -> CaseEventRow:
    detail = "customer data erased on request" + ("; case closed" if was_open else "")
    return CaseEventRow(case_id=case_id, at=now, actor=actor, kind=FORGOTTEN_KIND, detail=detail)


def _delete(s: Session, model: type[Any], condition: ColumnElement[bool]) -> int:
    return _rowcount(s.execute(delete(model).where(condition)
                               .execution_options(synchronize_session=False)))


def _tidy_waves(s: Session, wave_ids: Collection[int], texts: Collection[str]) -> tuple[int, int]:
    """Delete waves left empty; give a wave whose topic was the customer's post another topic."""
    deleted = retitled = 0
    for wave in s.scalars(select(WaveRow).where(
            or_(WaveRow.id.in_(list(wave_ids)), WaveRow.topic.in_(list(texts))))):
        rest = s.scalar(select(MentionRow.text).join(CaseRow, CaseRow.mention_id == MentionRow.id)
                        .where(CaseRow.wave_id == wave.id).order_by(CaseRow.id).limit(1))
        if rest is None and wave.id in wave_ids:
            _delete(s, OutboxRow, OutboxRow.dedupe_key.like(f"wave:{wave.id}:%"))
            s.delete(wave)
            deleted += 1
        elif wave.topic in texts:
            wave.topic = rest or ""
            wave.meaning = None  # the vector was read from the customer's post
            retitled += 1
    return deleted, retitled


# -- audit ------------------------------------------------------------------------------------

def audit_entries(store: Store, since: datetime, brand_id: str | None = None) -> list[AuditEntry]:
    """Every case event at or after `since`, oldest first; customer texts and handles left out."""
    q = (select(CaseEventRow.at, CaseRow.brand_id, CaseRow.reference, CaseEventRow.actor,
                CaseEventRow.kind, CaseEventRow.detail)
         .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
         .where(CaseEventRow.at >= since).order_by(CaseEventRow.at, CaseEventRow.id))
    if brand_id is not None:
        q = q.where(CaseRow.brand_id == brand_id)
    with store.session() as s:
        return [AuditEntry(at=at, brand_id=brand, reference=ref,
                           actor=CUSTOMER_ACTOR if actor.startswith("@") else actor, action=kind,
                           detail="" if kind in CUSTOMER_EVENT_KINDS else detail)
                for at, brand, ref, actor, kind, detail in s.execute(q)]

