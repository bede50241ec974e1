"""Database tables (SQLAlchemy 2). Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and give them back aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class MentionRow(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("brand_id", "platform", "external_id", name="uq_mention"),
        # Hourly counts per brand and per source over the weeks a baseline reads
        # (monitor.store_spikes), without reading the rows themselves.
        Index("ix_mentions_brand_published", "brand_id", "published_at", "is_complaint"),
        Index("ix_mentions_source_published", "brand_id", "source", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(200), index=True)
    author_handle: Mapped[str] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_followers: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(40), default="post")
    title: Mapped[str] = mapped_column(Text, default="")
    conversation_id: Mapped[str | None] = mapped_column(String(200), index=True)
    in_reply_to_id: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[int | None] = mapped_column(Integer)
    lang_hint: Mapped[str | None] = mapped_column(String(10))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lang: Mapped[str | None] = mapped_column(String(10))
    is_complaint: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(20))
    anger: Mapped[float | None] = mapped_column(Float)
    why: Mapped[str] = mapped_column(Text, default="")
    cues: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model: Mapped[str] = mapped_column(String(80), default="")
    # A customer's later post in the conversation of their open case: it opens no case of its own.
    joined_case_id: Mapped[int | None] = mapped_column(Integer)


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    brand_id: Mapped[str] = mapped_column(String(40), index=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), unique=True)
    customer_key: Mapped[str] = mapped_column(String(250), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="new")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime]
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    assignee: Mapped[str | None] = mapped_column(String(40))
    replied_by: Mapped[str | None] = mapped_column(String(40))
    replied_at: Mapped[datetime | None]
    reply_external_id: Mapped[str | None] = mapped_column(String(200))
    reply_url: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(40))
    acknowledgement: Mapped[str | None] = mapped_column(Text)
    escalated2_at: Mapped[datetime | None]
    followup_sent_at: Mapped[datetime | None]
    followup_outcome: Mapped[str | None] = mapped_column(String(40))
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"), index=True)
    # The post in the team's language, machine-made (only with a model backend).
    gloss: Mapped[str | None] = mapped_column(Text)
    # Who wrote the suggestions ("template", "model:<name>") and, for template drafts
    # offered instead of a model's, why ("timed out", "wrong language").
    drafts_origin: Mapped[str | None] = mapped_column(String(80))
    drafts_note: Mapped[str | None] = mapped_column(Text)
    # The post's meaning vector (`monitor.waves.pack`) while it may still join a wave across
    # languages; derived from the post, so it goes with the post's text.
    meaning: Mapped[bytes | None] = mapped_column(LargeBinary)

    mention: Mapped[MentionRow] = relationship(lazy="joined")


class WaveRow(Base):
    """Many similar complaints within minutes: one grouped alert in the channel."""

    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime]
    last_at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(Text, default="")
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(40))
    # The main category of the case that started the wave, and the sum of its cases' meaning
    # vectors: a case joins across languages only a wave of its own category.
    category: Mapped[str | None] = mapped_column(String(20))
    meaning: Mapped[bytes | None] = mapped_column(LargeBinary)


class WaveKeyRow(Base):
    """One LSH band hash of a recent unwaved case's words, or of a recent wave's topic.

    A new case looks up the rows sharing one of its buckets (`monitor.waves.band_keys`)
    instead of comparing itself with every recent case. `at` is when the case opened, or when
    the wave was last joined; rows older than the brand's wave window are pruned, and a case's
    rows go when it joins a wave.
    """

    __tablename__ = "wave_keys"
    __table_args__ = (
        Index("ix_wave_keys_bucket", "brand_id", "bucket", "id"),
        Index("ix_wave_keys_bucket_wave", "brand_id", "bucket", "wave_id"),
        Index("ix_wave_keys_at", "brand_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(40))
    band: Mapped[int] = mapped_column(SmallInteger)
    bucket: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]


class CustomerLinkRow(Base):
    """Two handles the team knows are one customer (e.g. x:maya and reddit:maya_r)."""

    __tablename__ = "customer_links"
    __table_args__ = (UniqueConstraint("brand_id", "key_a", "key_b", name="uq_customer_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(40))
    key_a: Mapped[str] = mapped_column(String(250), index=True)
    key_b: Mapped[str] = mapped_column(String(250), index=True)
    actor: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class SuggestionRow(Base):
    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    # "template" (the offline drafts) or "model" (the configured chat endpoint, checked).
    origin: Mapped[str] = mapped_column(String(20), default="template", server_default="template")
    # The reply in the team's language, machine-made (only with a model backend).
    gloss: Mapped[str | None] = mapped_column(Text)
    # Replaced by later drafts: kept (not deleted, whose id SQLite would hand out again) so a
    # button still showing it publishes nothing.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))


class CaseEventRow(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class ReplyClaimRow(Base):
    """At most one published reply per case: the unique case_id is the lock."""

    __tablename__ = "reply_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    actor: Mapped[str] = mapped_column(String(40))
    claimed_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)


class OutboxRow(Base):
    """A Slack call waiting to go out; `dedupe_key` makes each one happen once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The sender claims a row before calling Slack; a claim that outlives `claimed_until`
    # was a crashed sender's, and the next one looks for its post before posting again.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    claims: Mapped[int] = mapped_column(Integer, default=0)
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(40))
    brand_id: Mapped[str | None] = mapped_column(String(40))


class QuarantineRow(Base):
    """A mention that could not be stored or processed: kept, shown in `status`, retried."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("brand_id", "platform", "external_id", name="uq_quarantine"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    mention: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class SourceStateRow(Base):
    __tablename__ = "source_state"

    brand_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    cursor: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    items_fetched: Mapped[int] = mapped_column(Integer, default=0)
    items_skipped: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None]
    blind_spot: Mapped[str | None] = mapped_column(Text)
    down_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    session: Mapped[str | None] = mapped_column(Text)
    # A failure on our side (classifier, database) while handling the source's mentions: the
    # source itself is healthy, and the mentions are fetched again on the next poll.
    pipeline_error: Mapped[str | None] = mapped_column(Text)
    pipeline_error_at: Mapped[datetime | None]
    # Counted across every process that polls the source (the operator's /metrics reads them).
    polls_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    errors_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_poll_at: Mapped[datetime | None]


class LabelRow(Base):
    """A post the team labelled: "not a complaint" or "flag as complaint"."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(10))
    label: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(40))
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id"))
    created_at: Mapped[datetime]


class CounterRow(Base):
    """Per-brand sequence for human-readable reference numbers."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SeenRequestRow(Base):
    """A signed Slack request already accepted once: shared by every replica of the HTTP
    endpoint, so a replay is refused whichever replica it reaches."""

    __tablename__ = "seen_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PauseRow(Base):
    """A pause every process honours: a platform credential or a Slack channel told to wait
    (its reset header or Retry-After) until `until`."""

    __tablename__ = "pauses"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")


class SpikeRow(Base):
    """Complaints (or their share of mentions) well above what the hour of the week usually
    brings: one alert per brand and kind, kept current while it lasts (`monitor.spikes`)."""

    __tablename__ = "spikes"
    __table_args__ = (
        # At most one open spike per brand and kind, whichever process finds it.
        Index("uq_spikes_open", "brand_id", "kind", unique=True,
              sqlite_where=sql_text("ended_at IS NULL"), postgresql_where=sql_text("ended_at IS NULL")),
        Index("ix_spikes_ended", "brand_id", "kind", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # Bumped at each change shown in Slack: the key of the message that shows it.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    peak: Mapped[float] = mapped_column(Float, default=0.0)
    # What the alert shows: counts, baseline, main category, platform, words, sample mention ids.
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(40))


class QuietSourceRow(Base):
    """A source fetching far fewer mentions than its baseline, for longer than it ever did."""

    __tablename__ = "quiet_sources"

    brand_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    quiet_since: Mapped[datetime]
    notified_at: Mapped[datetime]


class ProposalRow(Base):
    """A reply a proposer drafted for a responder to approve (`approval:` in YAML)."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    proposer: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # "pending", "approved" (published), "rejected" or "replaced" (a newer proposal came).
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")  # a rejection's reason
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    slack_ts: Mapped[str | None] = mapped_column(String(40))


class TicketRow(Base):
    """The helpdesk ticket a case was handed to: one per case."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("system", "external_id", name="uq_tickets_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    system: Mapped[str] = mapped_column(String(20))  # zendesk, freshdesk, webhook
    external_id: Mapped[str | None] = mapped_column(String(200))  # None while being created
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(40), default="creating")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)


# A report reads one brand's cases of one period (monitor/store_reports.py); its mentions
# through ix_mentions_brand_published.
Index("ix_cases_brand_opened", CaseRow.brand_id, CaseRow.opened_at)
Index("ix_waves_brand_last", WaveRow.brand_id, WaveRow.last_at)
Index("ix_cases_brand_deadline", CaseRow.brand_id, CaseRow.deadline_at)
Index("ix_cases_brand_replied", CaseRow.brand_id, CaseRow.replied_at)
# The cases that still keep a meaning vector, those of the last wave window: the upkeep finds
# them here to clear it (`monitor.upkeep`), however many older cases the brand has.
Index("ix_cases_meaning", CaseRow.brand_id, CaseRow.opened_at,
      postgresql_where=CaseRow.meaning.is_not(None), sqlite_where=CaseRow.meaning.is_not(None))
