"""One transaction's named operations: mentions, verdicts, cases, events, waves and messages.

The case engine and the pipeline do everything that must happen together inside one
`Store.transaction()`: a stored mention, its verdict, its case, the case's event and the
messages that report it commit at once or not at all. SQL lives here and in `store.py`.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, LargeBinary, Text, bindparam, column, delete, func, insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.domain import CaseStatus, Classification, Mention
from monitor.models import (
    CaseEventRow,
    CaseRow,
    CounterRow,
    LabelRow,
    MentionRow,
    OutboxRow,
    ReplyClaimRow,
    SuggestionRow,
    WaveKeyRow,
    WaveRow,
)
from monitor.notices import Notice
from monitor.waves import PER_BUCKET


class Timer(enum.StrEnum):
    """The once-per-case moments of a case's life, each a timestamp column set once."""

    REMINDED = "reminded_at"
    ESCALATED = "escalated_at"
    ESCALATED_AGAIN = "escalated2_at"
    FOLLOWUP_ASKED = "followup_sent_at"


def is_new_edit(row: MentionRow, mention: Mention) -> bool:
    """Whether `mention` is a later edit of the stored `row` that changed what it says."""
    return (mention.edited_at is not None
            and (row.edited_at is None or mention.edited_at > row.edited_at)
            and (mention.text != row.text or mention.rating != row.rating))


def verdict_columns(c: Classification) -> dict[str, Any]:
    # The `cues` JSON column also keeps what the verdict says beyond its own columns: the
    # kind, why a post was not alerted, and every category of the complaint.
    return {"lang": c.lang, "is_complaint": c.is_complaint, "score": c.score,
            "severity": int(c.severity), "category": c.category.value, "anger": c.anger,
            "why": c.why, "model": c.model,
            "cues": {"cues": list(c.cues), "kind": c.kind.value, "reason": c.reason,
                     "reason_detail": c.reason_detail,
                     "categories": [x.value for x in c.categories]}}


@dataclass(frozen=True)
class WaveCandidate:
    """A recent unwaved case that may be like a new one: what the exact check needs."""

    id: int
    opened_at: datetime
    text: str
    meaning: bytes | None = None
    category: str | None = None


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Tx:
    """Named operations inside one open transaction (see `Store.transaction`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def serialise(self, brand_id: str) -> None:
        """Wait until no other transaction handles this brand's mentions, then hold that turn
        to the end of this one. Workers classify side by side, but two of them storing posts
        of one customer at once could each open a case (or a wave) the other would have
        joined. PostgreSQL: a transaction-level advisory lock per brand; SQLite lets one
        writer in at a time already."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _lock_key(f"cases:{brand_id}")})

    # -- mentions ---------------------------------------------------------------------------

    def find_mention(self, brand_id: str, platform: str, external_id: str) -> MentionRow | None:
        return self.session.scalar(select(MentionRow).where(
            MentionRow.brand_id == brand_id, MentionRow.platform == platform,
            MentionRow.external_id == external_id).with_for_update())

    def mention(self, mention_id: int) -> MentionRow:
        return self.session.get_one(MentionRow, mention_id)

    def add_mention(self, brand_id: str, source: str, mention: Mention, now: datetime) -> MentionRow:
        row = MentionRow(
            brand_id=brand_id, source=source, platform=mention.platform,
            external_id=mention.id, text=mention.text, url=mention.url,
            author_id=mention.author_id, author_handle=mention.author_handle,
            author_name=mention.author_name, author_followers=mention.author_followers,
            published_at=mention.published_at, fetched_at=now, edited_at=mention.edited_at,
            kind=mention.kind, title=mention.title, conversation_id=mention.conversation_id,
            in_reply_to_id=mention.in_reply_to_id, rating=mention.rating,
            lang_hint=mention.lang_hint, extra=dict(mention.extra),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def apply_edit(self, row: MentionRow, mention: Mention) -> None:
        row.text, row.rating, row.edited_at = mention.text, mention.rating, mention.edited_at

    def mark_joined(self, row: MentionRow, case_id: int) -> None:
        row.joined_case_id = case_id

    def set_verdict(self, mention_id: int, verdict: Classification) -> None:
        self.session.execute(update(MentionRow).where(MentionRow.id == mention_id)
                             .values(**verdict_columns(verdict)))

    def add_label(self, mention: MentionRow, label: int, actor: str, now: datetime) -> None:
        self.session.add(LabelRow(text=mention.text, lang=mention.lang, label=label, actor=actor,
                                  created_at=now, mention_id=mention.id))

    # -- cases ------------------------------------------------------------------------------

    def case(self, case_id: int) -> CaseRow:
        """The case, locked for this transaction (PostgreSQL); KeyError when there is none."""
        row = self.session.scalar(select(CaseRow).where(CaseRow.id == case_id).with_for_update(
            of=CaseRow))
        if row is None:
            raise KeyError(case_id)
        return row

    def case_for_mention(self, mention_id: int) -> CaseRow | None:
        return self.session.scalar(select(CaseRow).where(CaseRow.mention_id == mention_id))

    def open_case_in_conversation(self, brand_id: str, customer_key: str,
                                  conversation_id: str, open_statuses: Sequence[str]) -> CaseRow | None:
        return self.session.scalar(
            select(CaseRow).join(MentionRow, CaseRow.mention_id == MentionRow.id)
            .where(CaseRow.brand_id == brand_id, CaseRow.customer_key == customer_key,
                   MentionRow.conversation_id == conversation_id,
                   CaseRow.status.in_(list(open_statuses)))
            .order_by(CaseRow.id.desc()).limit(1))

    def had_case_about(self, brand_id: str, customer_key: str, category: str,
                       since: datetime, other_than: int | None = None) -> bool:
        """Whether this customer had a case of the brand about `category` opened since `since`
        (their complaint is then a repeat); `other_than`: a case that does not count."""
        query = (select(CaseRow.id).join(MentionRow, MentionRow.id == CaseRow.mention_id)
                 .where(CaseRow.brand_id == brand_id, CaseRow.customer_key == customer_key,
                        CaseRow.opened_at >= since, MentionRow.category == category))
        if other_than is not None:
            query = query.where(CaseRow.id != other_than)
        return self.session.scalar(query.limit(1)) is not None

    def next_reference(self, brand_id: str) -> str:
        """The brand's next reference, e.g. ACME-0042, allocated inside this transaction."""
        name = f"case:{brand_id}"
        value = self.session.scalar(update(CounterRow).where(CounterRow.name == name)
                                    .values(value=CounterRow.value + 1).returning(CounterRow.value))
        if value is None:
            try:
                with self.session.begin_nested():
                    self.session.add(CounterRow(name=name, value=1))
                value = 1
            except IntegrityError:  # another process made the counter just now
                value = self.session.scalar(update(CounterRow).where(CounterRow.name == name)
                                            .values(value=CounterRow.value + 1)
                                            .returning(CounterRow.value))
        prefix = "".join(ch for ch in brand_id.upper() if ch.isalnum())[:6] or "CASE"
        return f"{prefix}-{int(value or 0):04d}"

    def add_case(self, *, brand_id: str, mention_id: int, reference: str, customer_key: str,
                 opened_at: datetime, deadline_at: datetime, priority: int,
                 suggestions: Sequence[tuple[str, str]], channel: str) -> CaseRow:
        case = CaseRow(reference=reference, brand_id=brand_id, mention_id=mention_id,
                       customer_key=customer_key, status=CaseStatus.NEW.value,
                       priority=priority, opened_at=opened_at, deadline_at=deadline_at,
                       slack_channel=channel, drafts_origin="template")
        self.session.add(case)
        self.session.flush()
        for position, (lang, text) in enumerate(suggestions):
            self.session.add(SuggestionRow(case_id=case.id, position=position, lang=lang, text=text))
        return case

    def replace_suggestions(self, case_id: int, drafts: Sequence[tuple[str, str, str | None]],
                            origin: str) -> None:
        """Put `drafts` ((lang, text, gloss), in order) in place of the case's suggestions,
        under new ids; the old rows are retired, so a button still showing an old text
        publishes nothing (the clicker is told the alert changed) rather than a text they
        never saw."""
        self.session.execute(update(SuggestionRow).where(SuggestionRow.case_id == case_id)
                             .values(retired=True))
        for position, (lang, text, gloss) in enumerate(drafts):
            self.session.add(SuggestionRow(case_id=case_id, position=position, lang=lang,
                                           text=text, origin=origin, gloss=gloss))
        self.session.flush()

    def gloss_suggestions(self, case_id: int, glosses: Sequence[str | None]) -> None:
        """Give the case's suggestions, in order, their glosses in the team's language."""
        rows = self.session.scalars(select(SuggestionRow).where(
            SuggestionRow.case_id == case_id, SuggestionRow.retired.is_(False))
            .order_by(SuggestionRow.position))
        for row, gloss in zip(rows, glosses, strict=False):
            row.gloss = gloss

    def set_drafting(self, case: CaseRow, *, origin: str, note: str | None,
                     gloss: str | None) -> None:
        """Record who drafted the case's replies, why the model's were not taken, the post's gloss."""
        case.drafts_origin, case.drafts_note, case.gloss = origin[:80], note, gloss

    def set_status(self, case: CaseRow, status: CaseStatus, *, closed_at: datetime | None) -> None:
        case.status = status.value
        case.closed_at = closed_at

    def record_reply(self, case: CaseRow, *, by: str, at: datetime, url: str | None,
                     external_id: str | None, text: str) -> None:
        case.replied_by, case.replied_at, case.reply_url = by, at, url
        case.reply_external_id, case.reply_text, case.last_error = external_id, text, None

    def record_reply_error(self, case: CaseRow, message: str) -> None:
        case.last_error = message

    def set_assignee(self, case: CaseRow, assignee: str) -> None:
        case.assignee = assignee

    def set_followup_outcome(self, case: CaseRow, outcome: str) -> None:
        case.followup_outcome = outcome

    def start_timer(self, case_id: int, timer: Timer, now: datetime, statuses: Sequence[str],
                    unanswered: bool) -> bool:
        """Set a once-per-case timestamp if still empty; True if this transaction did."""
        column = getattr(CaseRow, timer.value)
        conditions = [CaseRow.id == case_id, column.is_(None), CaseRow.status.in_(list(statuses))]
        if unanswered:
            conditions.append(CaseRow.replied_at.is_(None))
        result = self.session.execute(update(CaseRow).where(*conditions).values({timer.value: now}))
        return bool(getattr(result, "rowcount", 0))

    def add_event(self, case_id: int, actor: str, kind: str, now: datetime, detail: str = "") -> int:
        row = CaseEventRow(case_id=case_id, at=now, actor=actor, kind=kind, detail=detail)
        self.session.add(row)
        self.session.flush()
        return row.id

    def release_reply_claim(self, case_id: int) -> None:
        claim = self.session.scalar(select(ReplyClaimRow).where(ReplyClaimRow.case_id == case_id))
        if claim is not None:
            self.session.delete(claim)

    # -- waves ------------------------------------------------------------------------------

    def recent_waves(self, brand_id: str, since: datetime) -> list[WaveRow]:
        return list(self.session.scalars(select(WaveRow).where(
            WaveRow.brand_id == brand_id, WaveRow.last_at >= since).order_by(WaveRow.id.desc())))

    def recent_unwaved_cases(self, brand_id: str, since: datetime, other_than: int) -> list[CaseRow]:
        return list(self.session.scalars(select(CaseRow).where(
            CaseRow.brand_id == brand_id, CaseRow.id != other_than, CaseRow.opened_at >= since,
            CaseRow.wave_id.is_(None))))

    def add_wave(self, brand_id: str, started_at: datetime, now: datetime, topic: str,
                 channel: str, *, meaning: bytes | None = None,
                 category: str | None = None) -> WaveRow:
        wave = WaveRow(brand_id=brand_id, started_at=started_at, last_at=now, topic=topic,
                       slack_channel=channel, meaning=meaning, category=category)
        self.session.add(wave)
        self.session.flush()
        return wave

    def put_in_wave(self, wave: WaveRow, case_ids: Sequence[int], now: datetime,
                    redate_before: datetime) -> None:
        """Cases join `wave`. Its keys are re-dated only where older than `redate_before`
        (`waves.key_lag`): the wave's own `last_at` says exactly when it was last joined."""
        wave.last_at = now
        for case_id in case_ids:
            case = self.session.get_one(CaseRow, case_id)
            case.wave_id = wave.id
            case.meaning = None  # found through its wave now: its vector is no longer needed
        # A case in a wave is found through its wave now, whose keys stay within the lag of it.
        if case_ids:
            self.session.execute(delete(WaveKeyRow).where(WaveKeyRow.case_id.in_(case_ids)))
        self.session.execute(update(WaveKeyRow).where(WaveKeyRow.wave_id == wave.id,
                                                      WaveKeyRow.at < redate_before)
                             .values(at=now).execution_options(synchronize_session=False))

    def add_wave_keys(self, brand_id: str, keys: Sequence[tuple[int, int]], at: datetime, *,
                      case_id: int | None = None, wave_id: int | None = None) -> None:
        """Store the band hashes of a case's words or of a wave's topic (one statement)."""
        if keys:
            self.session.execute(insert(WaveKeyRow), [
                {"brand_id": brand_id, "band": band, "bucket": bucket, "case_id": case_id,
                 "wave_id": wave_id, "at": at} for band, bucket in keys])

    def prune_wave_keys(self, brand_id: str, before: datetime) -> None:
        """Forget the keys dated before `before`: past the wave window (`monitor.upkeep`)."""
        self.session.execute(delete(WaveKeyRow).where(WaveKeyRow.brand_id == brand_id,
                                                      WaveKeyRow.at < before)
                             .execution_options(synchronize_session=False))

    def forget_case_meanings(self, brand_id: str, before: datetime) -> None:
        """Clear the meaning vectors of cases opened before `before`: past the wave window,
        no new case can find them any more (`monitor.upkeep`)."""
        self.session.execute(update(CaseRow).where(CaseRow.brand_id == brand_id,
                                                   CaseRow.meaning.is_not(None),
                                                   CaseRow.opened_at < before)
                             .values(meaning=None).execution_options(synchronize_session=False))

    def _sharing(self, owner: str, brand_id: str, since: datetime, buckets: Sequence[int],
                 per_bucket: int) -> tuple[str, dict[str, Any]]:
        """SQL for (owner, buckets shared) over the newest `per_bucket` rows of each bucket.

        Each bucket is read newest first through its index and cut at `per_bucket` rows, so a
        bucket that many posts share (common words) costs the same as a rare one. Plain SQL: the
        statement is built for every new case, and SQLAlchemy's constructs cost more than the query.
        """
        # Newest first by the column of the index (brand_id, bucket, owner or id); `at` is
        # checked outside, where it cannot tempt a planner into the (brand_id, at) index.
        # Only fixed names are put into the SQL; every value is a bound parameter.
        assert owner in ("case_id", "wave_id")
        newest = "wave_id" if owner == "wave_id" else "id"
        parts = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {owner} AS owner, at FROM wave_keys WHERE brand_id = :brand "  # noqa: S608
            f"AND bucket = :b{i} AND {owner} IS NOT NULL "
            f"ORDER BY {newest} DESC LIMIT :per_bucket) AS p{i}" for i in range(len(buckets)))
        params: dict[str, Any] = {f"b{i}": b for i, b in enumerate(buckets)}
        params.update(brand=brand_id, since=since, per_bucket=per_bucket)
        return f"SELECT owner, COUNT(*) AS shared FROM ({parts}) AS u WHERE at >= :since", params  # noqa: S608

    def _typed(self, sql: str) -> Any:
        return sql_text(sql).bindparams(bindparam("since", type_=WaveKeyRow.__table__.c.at.type))

    def waves_sharing_keys(self, brand_id: str, since: datetime, buckets: Sequence[int],
                           limit: int, lag: timedelta) -> list[WaveRow]:
        """Waves joined since `since` whose topic shares a bucket: newest first, at most `limit`.

        Their keys may lag up to `lag` behind the wave's last join (`put_in_wave`), so the
        keys are read from `since - lag` and the wave's own `last_at` decides."""
        if not buckets:
            return []
        sql, params = self._sharing("wave_id", brand_id, since - lag, buckets,
                                    min(limit, PER_BUCKET))
        ids = list(self.session.scalars(self._typed(f"{sql} GROUP BY owner ORDER BY owner DESC LIMIT :limit"),
                                        {**params, "limit": limit}))
        if not ids:
            return []
        return list(self.session.scalars(select(WaveRow).where(
            WaveRow.id.in_(ids), WaveRow.last_at >= since).order_by(WaveRow.id.desc())))

    def cases_sharing_keys(self, brand_id: str, since: datetime, buckets: Sequence[int],
                           other_than: int, limit: int) -> list[WaveCandidate]:
        """Unwaved cases opened since `since` sharing a bucket, most buckets shared first.

        At most `limit`, with the text of their posts: the candidates a new case is checked
        against. Plain columns, not ORM objects: this runs for every new case.
        """
        if not buckets:
            return []
        sql, params = self._sharing("case_id", brand_id, since, buckets, min(limit, PER_BUCKET))
        query = self._typed(
            f"SELECT c.id, c.opened_at, m.text, c.meaning, m.category FROM ({sql} "  # noqa: S608
            "AND owner <> :other GROUP BY owner ORDER BY shared DESC, owner DESC LIMIT :limit) "
            "AS best JOIN cases AS c ON c.id = best.owner JOIN mentions AS m ON m.id = c.mention_id "
            "WHERE c.wave_id IS NULL ORDER BY best.shared DESC, c.id DESC"
        ).columns(column("id", Integer), column("opened_at", CaseRow.__table__.c.opened_at.type),
                  column("text", Text), column("meaning", LargeBinary), column("category", Text))
        rows = self.session.execute(query, {**params, "other": other_than, "limit": limit})
        return [WaveCandidate(*row) for row in rows]

    # -- messages ---------------------------------------------------------------------------

    def queue(self, notice: Notice, now: datetime, *, brand_id: str | None = None,
              channel: str | None = None) -> bool:
        """Write `notice` to the outbox in this transaction; False if its key was queued before."""
        if self.session.scalar(select(func.count()).select_from(OutboxRow)
                               .where(OutboxRow.dedupe_key == notice.key)):
            return False
        try:
            with self.session.begin_nested():
                self.session.add(OutboxRow(
                    dedupe_key=notice.key, kind=notice.kind, case_id=notice.case_id,
                    payload=notice.payload(), state="pending", attempts=0, claims=0,
                    next_attempt_at=now, created_at=now, brand_id=brand_id, slack_channel=channel))
        except IntegrityError:  # queued by another process a moment ago
            return False
        return True
