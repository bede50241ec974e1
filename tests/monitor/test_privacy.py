"""Personal data: retention, forgetting one customer, and the audit export (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from monitor.cli import main
from monitor.domain import CaseStatus, Category, Classification, Kind, Mention, Severity
from monitor.models import (
    CaseEventRow,
    CaseRow,
    CustomerLinkRow,
    LabelRow,
    MentionRow,
    OutboxRow,
    SuggestionRow,
    WaveRow,
)
from monitor.notices import Alert, Refresh, ReplyNote, WaveAlert
from monitor.outbox import Outbox
from monitor.privacy import (
    Customer,
    apply_retention,
    audit_trail,
    forget,
    parse_customer,
    parse_since,
    run_retention,
)
from monitor.store import Store
from monitor.store_privacy import RedactionCounts
from tests.factories import T0, make_world, write_brands

NOW = T0
OLD = NOW - timedelta(days=200)
RECENT = NOW - timedelta(days=10)
KEEP = timedelta(days=180)


# -- building data through the store's own operations -------------------------------------------

def _verdict(complaint: bool = True) -> Classification:
    return Classification(
        is_complaint=complaint, score=0.93 if complaint else 0.04, lang="en",
        severity=Severity.BLAME if complaint else Severity.NONE,
        category=Category.DELIVERY if complaint else Category.OTHER, anger=0.6,
        why="never, late" if complaint else "", cues=("never", "late") if complaint else (),
        model="test-model", kind=Kind.COMPLAINT if complaint else Kind.OTHER,
        reason="" if complaint else "no_blame", categories=(Category.DELIVERY,))


def _mention(store: Store, pid: str, text: str, handle: str, author_id: str, fetched: datetime,
             *, brand: str = "acme", platform: str = "x", name: str = "",
             conversation: str | None = None, complaint: bool = True) -> int:
    mention = Mention(platform=platform, id=pid, text=text, url=f"https://x.com/{handle}/status/{pid}",
                      author_id=author_id, author_handle=handle, author_name=name or handle.title(),
                      author_followers=321, published_at=fetched - timedelta(minutes=5),
                      conversation_id=conversation, extra={"author_location": "Gdańsk"})
    mid, state = store.save_mention(brand, "posts", mention, fetched)
    assert state == "new"
    store.set_classification(mid, _verdict(complaint))
    return mid


def _case(store: Store, mid: int, key: str, opened: datetime, greeting: str, *,
          brand: str = "acme") -> int:
    reference = store.next_reference(brand)
    case_id = store.open_case(brand_id=brand, mention_id=mid, reference=reference, customer_key=key,
                              opened_at=opened, deadline_at=opened + timedelta(hours=1), priority=30,
                              suggestions=[("en", f"{greeting}, sorry your order is late.")],
                              channel="C0ACME").id
    with store.transaction() as tx:  # a model backend's machine translations quote them too
        tx.set_drafting(tx.case(case_id), origin="template", note=None,
                        gloss=f"(gloss) {greeting}: my order is late")
        tx.gloss_suggestions(case_id, [f"(gloss) {greeting}, sorry"])
    return case_id


def _reply_and_close(store: Store, case_id: int, at: datetime, text: str,
                     status: CaseStatus = CaseStatus.RESOLVED, note: str = "refund sent") -> None:
    with store.transaction() as tx:
        case = tx.case(case_id)
        tx.record_reply(case, by="U0ALLOWED", at=at, url=f"https://x.com/acme/status/r{case_id}",
                        external_id=f"r{case_id}", text=text)
        tx.set_status(case, CaseStatus.REPLIED, closed_at=None)
        tx.add_event(case_id, "U0ALLOWED", CaseStatus.REPLIED.value, at, text)
        if status is not CaseStatus.REPLIED:
            tx.set_status(case, status, closed_at=at + timedelta(minutes=5))
            tx.add_event(case_id, "U0ALLOWED", status.value, at + timedelta(minutes=5), note)


VECTOR = bytes(range(256)) * 3  # a stored meaning vector


def _acknowledge(store: Store, case_id: int, text: str) -> None:
    with store.session() as s:  # no named operation sets it outside the acknowledgement flow
        s.get_one(CaseRow, case_id).acknowledgement = text


def _wave(store: Store, topic: str, at: datetime, case_ids: list[int]) -> int:
    with store.transaction() as tx:
        wave = tx.add_wave("acme", at, at, topic, "C0ACME")
        tx.put_in_wave(wave, case_ids, at, at)
        return wave.id


def _mark_sent(store: Store, key: str) -> int:
    outbox = Outbox(store)
    item = next(i for i in outbox.due(NOW + timedelta(days=1), limit=1000) if i.key == key)
    outbox.sent(item, RECENT, "C0ACME", "1700000000.000100")
    return item.id


_TABLES: dict[Any, MetaData] = {}  # by engine: reflecting takes longer than reading


def snapshot(store: Store) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table in the database (reflected: tables added later count too)."""
    meta = _TABLES.get(store.engine)
    if meta is None:
        meta = _TABLES[store.engine] = MetaData()
        meta.reflect(bind=store.engine)
    out: dict[str, list[tuple[str, ...]]] = {}
    with store.engine.connect() as conn:
        for table in meta.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(tuple(json.dumps(v, sort_keys=True, default=str) for v in row)
                                     for row in rows)
    return out


def traces(store: Store, *needles: str) -> list[str]:
    """Where any of `needles` (case-insensitive) still appears, as table: row."""
    found = []
    for table, rows in snapshot(store).items():
        for row in rows:
            cell = " ".join(row).lower()
            found += [f"{table}: {row}" for n in needles if n.lower() in cell]
    return found


# -- retention ------------------------------------------------------------------------------------

@dataclass
class Retained:
    old_case: int
    old_mention: int
    followup: int
    noise: int
    open_mention: int
    open_case: int
    recent_mention: int
    recent_case: int
    sent_id: int
    pending_id: int
    wave: int


POST = "acme my parcel is late again and nobody answers"
FOLLOWUP = "still waiting for my parcel from acme"


def _retention_world(store: Store) -> Retained:
    outbox = Outbox(store)
    old = _mention(store, "1", POST, "maya", "77", OLD, name="Maya Quist", conversation="c1")
    old_case = _case(store, old, "x:maya", OLD, "Hi Maya Quist")
    followup = _mention(store, "2", FOLLOWUP, "maya", "77", OLD + timedelta(minutes=10),
                        conversation="c1")
    store.add_event(old_case, "@maya", "customer_posted", OLD + timedelta(minutes=10), FOLLOWUP)
    store.add_event(old_case, "U0ALLOWED", "assigned", OLD + timedelta(minutes=12), "to <@U0ALLOWED>")
    _acknowledge(store, old_case, "Hi Maya Quist, we are back at 9.")
    _reply_and_close(store, old_case, OLD + timedelta(minutes=30),
                     "Hi Maya Quist, a new parcel is on its way.")
    store.add_label(POST, "en", 1, "U0ALLOWED", OLD, mention_id=old)
    reply = ReplyNote(old_case, 7, "U0ALLOWED", "Hi Maya Quist, a new parcel is on its way.",
                      "https://x.com/acme/status/r1", "X")
    outbox.put(reply, OLD, brand_id="acme")
    outbox.put(Refresh(old_case, 8), NOW, brand_id="acme")
    sent_id = _mark_sent(store, reply.key)
    with store.session() as s:
        pending_id = s.scalars(select(OutboxRow.id).where(
            OutboxRow.dedupe_key == Refresh(old_case, 8).key)).one()
    noise = _mention(store, "3", "acme coffee is fine I guess", "ola", "88", OLD, complaint=False)
    opened = _mention(store, "4", "acme broke my machine, never again", "jan", "99", OLD)
    open_case = _case(store, opened, "x:jan", OLD, "Hi Jan")
    store.add_label("acme broke my machine, never again", "en", 1, "U0ALLOWED", OLD, mention_id=opened)
    recent = _mention(store, "5", "acme refund never arrived", "kim", "66", RECENT)
    recent_case = _case(store, recent, "x:kim", RECENT, "Hi Kim")
    _reply_and_close(store, recent_case, RECENT + timedelta(minutes=20), "Hi Kim, refunded.")
    wave = _wave(store, POST, OLD, [old_case])
    store.link_customers("acme", "x:maya", "reddit:maya_q", "U0ALLOWED", OLD)
    store.link_customers("acme", "x:jan", "reddit:jan_b", "U0ALLOWED", OLD)
    return Retained(old_case, old, followup, noise, opened, open_case, recent, recent_case,
                    sent_id, pending_id, wave)


def test_retention__clears_people_of_old_closed_cases_and_keeps_the_figures(database_url: str) -> None:
    store = Store.from_url(database_url)
    w = _retention_world(store)
    with store.session() as s:  # meaning vectors, read from the old post
        s.get_one(CaseRow, w.old_case).meaning = s.get_one(WaveRow, w.wave).meaning = VECTOR
    untouched = snapshot(store)
    assert apply_retention(store, "acme", None, NOW) is None  # no retention: keep everything
    assert apply_retention(store, "other-brand", KEEP, NOW) is not None
    assert snapshot(store) == untouched
    before_case = store.case(w.old_case)
    before_mention = store.mention(w.old_mention)
    before_events = store.events(w.old_case)
    kept = {mid: store.mention(mid) for mid in (w.open_mention, w.recent_mention)}
    seen: list[int] = []

    report = apply_retention(store, "acme", KEEP, NOW, batch_size=2,
                             progress=lambda brand, counts: seen.append(counts.mentions))

    assert report is not None
    assert seen == [2, 3]  # two batches: 2 mentions, then the last one
    assert report.counts == RedactionCounts(mentions=3, cases=1, suggestions=1, events=2, labels=1,
                                            outbox=1)
    assert (report.waves, report.customer_links) == (1, 1)
    row = store.mention(w.old_mention)
    assert (row.text, row.title, row.url, row.author_id, row.author_handle, row.author_name) == (
        "", "", "", "", "", "")
    assert row.author_followers is None and row.conversation_id is None and row.why == ""
    assert list(row.extra) == ["redacted_at"] and "cues" not in row.cues
    figures = ("is_complaint", "score", "severity", "category", "lang", "model", "anger",
               "published_at", "fetched_at", "external_id", "platform", "brand_id")
    assert {f: getattr(row, f) for f in figures} == {f: getattr(before_mention, f) for f in figures}
    assert row.cues["kind"] == "complaint" and row.cues["categories"] == ["delivery"]

    case = store.case(w.old_case)
    timing = ("reference", "status", "priority", "opened_at", "deadline_at", "replied_at", "closed_at",
              "replied_by", "assignee", "slack_channel")
    assert {f: getattr(case, f) for f in timing} == {f: getattr(before_case, f) for f in timing}
    assert case.status == "resolved" and case.replied_at is not None
    assert case.replied_at - row.published_at == timedelta(minutes=35)  # the response time stays
    assert case.customer_key == f"redacted:{w.old_case}"
    assert (case.reply_text, case.reply_url, case.acknowledgement, case.gloss) == (None,) * 4
    assert [(s.text, s.gloss) for s in store.suggestions(w.old_case)] == [("", None)]
    after_events = store.events(w.old_case)
    assert [(e.at, e.kind) for e in after_events] == [(e.at, e.kind) for e in before_events]
    details = {e.kind: (e.actor, e.detail) for e in after_events}
    assert details["customer_posted"] == ("customer", "")
    assert details["replied"] == ("U0ALLOWED", "")
    assert details["assigned"] == ("U0ALLOWED", "to <@U0ALLOWED>")  # the team's words stay
    assert details["resolved"] == ("U0ALLOWED", "refund sent")
    with store.session() as s:
        payloads = {r.id: r.payload for r in s.scalars(select(OutboxRow))}
        labels = [r.mention_id for r in s.scalars(select(LabelRow))]
        assert s.get_one(WaveRow, w.wave).topic == ""
        assert s.get_one(WaveRow, w.wave).meaning is None
        assert s.get_one(CaseRow, w.old_case).meaning is None
        links = [(r.key_a, r.key_b) for r in s.scalars(select(CustomerLinkRow))]
    assert payloads[w.sent_id] == {} and payloads[w.pending_id] == Refresh(w.old_case, 8).payload()
    assert labels == [w.open_mention]
    assert links == [("reddit:jan_b", "x:jan")]  # jan's case is open: his link stays
    for mid in (w.followup, w.noise):
        assert store.mention(mid).text == "" and store.mention(mid).author_handle == ""
    for mid, was in kept.items():  # open case, recent mention: untouched
        now = store.mention(mid)
        assert (now.text, now.author_handle, now.url, now.extra) == (was.text, was.author_handle,
                                                                       was.url, was.extra)
    assert store.case(w.open_case).customer_key == "x:jan"
    assert store.case(w.recent_case).reply_text == "Hi Kim, refunded."
    assert traces(store, "maya", POST, FOLLOWUP) == []

    redacted = snapshot(store)
    again = apply_retention(store, "acme", KEEP, NOW + timedelta(hours=1))
    assert again is not None and not again.changed  # a rerun finds nothing to do
    assert snapshot(store) == redacted
    _mark_sent(store, Refresh(w.old_case, 8).key)  # queued before the pass, sent after it
    tidy = apply_retention(store, "acme", KEEP, NOW + timedelta(hours=1))
    assert tidy is not None and tidy.counts == RedactionCounts(outbox=1)
    with store.session() as s:
        assert s.get_one(OutboxRow, w.pending_id).payload == {}


def test_retention__runs_from_the_brands_file_in_run_once_and_hourly(tmp_path: Path) -> None:
    from monitor.runner import make_delivery, run_once
    from monitor.scheduler import build_scheduler, retention_job

    world = make_world(tmp_path, extra="    retention: 180d\n")
    store, runtime = world.runtime.store, world.runtime
    first = _mention(store, "1", POST, "maya", "77", OLD)
    second = _mention(store, "2", FOLLOWUP, "maya", "77", OLD)
    assert [r.brand_id for r in run_retention(runtime, batch_size=1)] == ["acme"]
    assert store.mention(first).text == ""
    with store.session() as s:  # the customer's review was edited and fetched again
        s.get_one(MentionRow, second).text = "edited: " + FOLLOWUP
    run_once(runtime, make_delivery(runtime, stream=io.StringIO(), console=True))
    assert store.mention(second).text == ""
    with store.session() as s:
        s.get_one(MentionRow, second).text = "edited again"
    scheduler = build_scheduler(runtime)
    job = scheduler.get_job("retention")
    assert job is not None and job.trigger.interval == timedelta(hours=1)
    retention_job()
    assert store.mention(second).text == ""


# -- forgetting one customer ---------------------------------------------------------------------

MAYA_POSTS = ("acme my order never came, third week now", "acme support is rude and late",
              "still nothing from acme, never again")


@dataclass
class Forgettable:
    maya_case: int
    maya_north_case: int
    jan_mention: int
    jan_case: int
    shared_wave: int
    lone_wave: int


def _forget_world(store: Store) -> Forgettable:
    outbox = Outbox(store)
    a = _mention(store, "10", MAYA_POSTS[0], "MayaQ", "7731", RECENT, name="Maya Quist",
                 conversation="c10")
    maya_case = _case(store, a, "x:mayaq", RECENT, "Hi Maya Quist")
    _mention(store, "11", MAYA_POSTS[2], "@mayaq", "7731", RECENT + timedelta(minutes=3),
             conversation="c10")
    store.add_event(maya_case, "@MayaQ", "customer_posted", RECENT + timedelta(minutes=3), MAYA_POSTS[2])
    store.add_event(maya_case, "U0ALLOWED", "assigned", RECENT + timedelta(minutes=4), "to <@U0ALLOWED>")
    store.add_label(MAYA_POSTS[0], "en", 1, "U0ALLOWED", RECENT, mention_id=a)
    assert store.claim_reply(maya_case, "U0ALLOWED", RECENT + timedelta(minutes=5))
    outbox.put(Alert(maya_case), RECENT, brand_id="acme", channel="C0ACME")
    outbox.put(ReplyNote(maya_case, 9, "U0ALLOWED", "Hi Maya Quist, we are on it",
                         "https://x.com/r/1", "X"), RECENT, brand_id="acme")
    _mark_sent(store, Alert(maya_case).key)
    # the same person, renamed, in another brand: found by author id
    c = _mention(store, "12", MAYA_POSTS[1], "maya_quist_new", "7731", RECENT, brand="north",
                 name="Maya Quist")
    north_case = _case(store, c, "x:maya_quist_new", RECENT, "Hi Maya Quist", brand="north")
    _reply_and_close(store, north_case, RECENT + timedelta(minutes=9), "Hi Maya Quist, refunded.",
                     note="")
    jan = _mention(store, "20", "acme parcel late again, never on time", "jan", "99", RECENT)
    jan_case = _case(store, jan, "x:jan", RECENT, "Hi Jan")
    store.add_event(jan_case, "@jan", "customer_posted", RECENT, "hello?")
    outbox.put(Alert(jan_case), RECENT, brand_id="acme", channel="C0ACME")
    shared = _wave(store, MAYA_POSTS[0], RECENT, [maya_case, jan_case])
    with store.transaction() as tx:
        lone = tx.add_wave("north", RECENT, RECENT, MAYA_POSTS[1], "C0ACME")
        tx.put_in_wave(lone, [north_case], RECENT, RECENT)
        lone_id = lone.id
    outbox.put(WaveAlert(lone_id, north_case), RECENT, brand_id="north")
    store.link_customers("acme", "x:mayaq", "reddit:quinn_r", "U0ALLOWED", RECENT)
    store.link_customers("acme", "x:jan", "reddit:jan_b", "U0ALLOWED", RECENT)
    _mention(store, "30", "acme latte was lovely", "quinn_r", "q1", RECENT, platform="reddit",
             complaint=False)
    return Forgettable(maya_case, north_case, jan, jan_case, shared, lone_id)


def _customer(text: str) -> Customer:
    customer = parse_customer(text)
    assert customer is not None
    return customer


def _jan(store: Store, w: Forgettable) -> tuple[Any, ...]:
    with store.session() as s:
        mention = s.get_one(MentionRow, w.jan_mention)
        case = s.get_one(CaseRow, w.jan_case)
        return ((mention.text, mention.author_handle, mention.url, mention.extra),
                (case.customer_key, case.status, case.wave_id),
                [(e.actor, e.kind, e.detail) for e in s.scalars(
                    select(CaseEventRow).where(CaseEventRow.case_id == w.jan_case))],
                [x.text for x in s.scalars(select(SuggestionRow).where(SuggestionRow.case_id == w.jan_case))],
                [x.dedupe_key for x in s.scalars(select(OutboxRow).where(OutboxRow.case_id == w.jan_case))],
                [(x.key_a, x.key_b) for x in s.scalars(select(CustomerLinkRow))
                 if "jan" in x.key_a])


def test_forget__erases_every_trace_and_keeps_an_anonymised_audit_trail(database_url: str) -> None:
    store = Store.from_url(database_url)
    w = _forget_world(store)
    with store.session() as s:  # meaning vectors, read from Maya's posts
        s.get_one(CaseRow, w.maya_case).meaning = VECTOR
        s.get_one(WaveRow, w.shared_wave).meaning = VECTOR
    jan_before = _jan(store, w)
    events_before = store.events(w.maya_case)
    needles = ("mayaq", "maya_quist", "quist", "7731", *MAYA_POSTS)
    assert traces(store, *needles)
    before = snapshot(store)
    customer = parse_customer("X:@MayaQ")
    assert customer is not None and customer.key == "x:mayaq"
    assert forget(store, _customer("reddit:mayaq"), "U0DPO", NOW).nothing
    dry = forget(store, customer, "U0DPO", NOW, dry_run=True)
    assert snapshot(store) == before  # neither an unknown handle nor a dry run changed anything

    counts = forget(store, customer, "U0DPO", NOW)
    assert counts == dry

    assert (counts.mentions_deleted, counts.mentions_emptied, counts.cases, counts.cases_closed) == (
        1, 2, 2, 1)
    assert (counts.events, counts.suggestions, counts.reply_claims) == (5, 2, 1)
    assert (counts.pending_messages, counts.sent_messages, counts.labels) == (2, 1, 1)
    assert (counts.customer_links, counts.waves_deleted, counts.waves_retitled) == (1, 1, 1)
    assert counts.linked_keys == ("reddit:quinn_r",)
    assert traces(store, *needles) == []
    assert _jan(store, w) == jan_before  # other customers untouched
    assert store.mention(w.jan_mention).author_handle == "jan"

    case = store.case(w.maya_case)
    assert case.customer_key == f"forgotten:{w.maya_case}" and case.status == "resolved"
    assert case.closed_at == NOW and case.wave_id is None and case.reference == "ACME-0001"
    after = store.events(w.maya_case)
    assert [(e.at, e.kind) for e in after[:-1]] == [(e.at, e.kind) for e in events_before]
    assert [e.actor for e in after[:-1]] == ["brand-monitor", "customer", "U0ALLOWED"]
    assert [e.detail for e in after[:-1]] == ["", "", ""]
    assert (after[-1].kind, after[-1].actor, after[-1].at) == ("forgotten", "U0DPO", NOW)
    north = store.case(w.maya_north_case)
    assert (north.status, north.replied_by, north.reply_text) == ("resolved", "U0ALLOWED", None)
    assert store.suggestions(w.maya_case) == [] and store.claim_holder(w.maya_case) is None
    with store.session() as s:
        assert s.get(WaveRow, w.lone_wave) is None
        assert s.get_one(WaveRow, w.shared_wave).topic == "acme parcel late again, never on time"
        assert s.get_one(WaveRow, w.shared_wave).meaning is None
        assert s.get_one(CaseRow, w.maya_case).meaning is None
        emptied = s.get_one(MentionRow, case.mention_id)
        assert (emptied.severity, emptied.is_complaint, emptied.category) == (4, True, "delivery")
    trail = audit_trail(store, RECENT - timedelta(days=1))  # the audit trail is still whole
    assert [e.reference for e in trail].count("ACME-0001") == len(after)
    assert forget(store, customer, "U0DPO", NOW).nothing  # forgotten once is enough


@pytest.mark.parametrize(("text", "key"), [
    ("x:maya", "x:maya"), ("reddit:Maya_R", "reddit:maya_r"), (" X:@Maya ", "x:maya"),
    ("mastodon:maya@social.example", "mastodon:maya@social.example"),
    ("maya", None), ("x:", None), (":maya", None), ("x:@", None), ("no such:maya", None)])
def test_parse_customer(text: str, key: str | None) -> None:
    customer = parse_customer(text)
    assert (customer.key if customer else None) == key


# -- audit ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("30d", NOW - timedelta(days=30)), ("12h", NOW - timedelta(hours=12)),
    ("2026-10-01", datetime(2026, 10, 1, tzinfo=UTC)),
    ("2026-10-01T12:00:00+02:00", datetime(2026, 10, 1, 10, tzinfo=UTC)),
    ("soon", None), ("", None)])
def test_parse_since(text: str, expected: datetime | None) -> None:
    assert parse_since(text, NOW) == expected


def test_audit_trail__within_since_without_customer_texts(database_url: str) -> None:
    store = Store.from_url(database_url)
    mid = _mention(store, "1", POST, "maya", "77", NOW - timedelta(days=40))
    case = _case(store, mid, "x:maya", NOW - timedelta(days=40), "Hi Maya")
    store.add_event(case, "@maya", "customer_posted", NOW - timedelta(days=2), FOLLOWUP)
    store.add_event(case, "U0ALLOWED", "assigned", NOW - timedelta(days=1), "to <@U0ALLOWED>")
    _reply_and_close(store, case, NOW - timedelta(hours=1), "Hi Maya, sorted.")
    other = _case(store, _mention(store, "2", "late again", "jan", "9", NOW, brand="north"),
                  "x:jan", NOW, "Hi Jan", brand="north")

    rows = audit_trail(store, NOW - timedelta(days=30))
    assert [(e.reference, e.actor, e.action, e.detail) for e in rows] == [
        ("ACME-0001", "customer", "customer_posted", ""),
        ("ACME-0001", "U0ALLOWED", "assigned", "to <@U0ALLOWED>"),
        ("ACME-0001", "U0ALLOWED", "replied", ""),
        ("ACME-0001", "U0ALLOWED", "resolved", "refund sent"),
        ("NORTH-0001", "brand-monitor", "opened", "NORTH-0001")]
    assert [e.brand_id for e in audit_trail(store, NOW - timedelta(days=30), "north")] == ["north"]
    assert store.case(other).reference == "NORTH-0001"


# -- the commands ------------------------------------------------------------------------------------

@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, Path]:
    url = f"sqlite:///{tmp_path / 'bm.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("BRAND_MONITOR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    path = write_brands(tmp_path, extra="    linked_customers: [[x:mayaq, reddit:quinn_r]]\n")
    return Store.from_url(url), path


def test_cli_audit__csv_and_table(cli_db: tuple[Store, Path], capsys: pytest.CaptureFixture[str]) -> None:
    store, path = cli_db
    now = datetime.now(UTC)
    mid = _mention(store, "1", POST, "maya", "77", now - timedelta(days=45))
    case = _case(store, mid, "x:maya", now - timedelta(days=45), "Hi Maya")
    store.add_event(case, "@maya", "customer_posted", now - timedelta(days=3), FOLLOWUP)
    store.add_event(case, "U0ALLOWED", "assigned", now - timedelta(days=2), 'to <@U0ALLOWED>, "urgent"')

    assert main(["audit", "--since", "30d", "--csv", "--config", str(path)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["time", "brand", "case", "actor", "action", "detail"]
    assert [r[1:] for r in rows[1:]] == [["acme", "ACME-0001", "customer", "customer_posted", ""],
                                         ["acme", "ACME-0001", "U0ALLOWED", "assigned",
                                          'to <@U0ALLOWED>, "urgent"']]
    assert datetime.fromisoformat(rows[1][0]) == (now - timedelta(days=3)).replace(microsecond=0)
    assert main(["audit", "--since", "60d", "--csv"]) == 0
    assert len(list(csv.reader(io.StringIO(capsys.readouterr().out)))) == 4  # header, opened, 2 more

    assert main(["audit", "--since", "30d", "--brand", "acme"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["time", "brand", "case", "actor", "action", "detail"]
    assert lines[2].index("U0ALLOWED") == lines[0].index("actor") == lines[1].index("customer")
    assert main(["audit", "--since", "1h"]) == 0
    assert "No case events since" in capsys.readouterr().out


def test_cli_audit__bad_arguments_say_what_to_write(cli_db: tuple[Store, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, path = cli_db
    assert main(["audit", "--since", "last week"]) == 2
    assert "30d" in capsys.readouterr().err
    assert main(["audit", "--brand", "nope", "--config", str(path)]) == 2
    assert "acme" in capsys.readouterr().err


def test_cli_forget__dry_run_then_forget_then_nothing(cli_db: tuple[Store, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store, path = cli_db
    now = datetime.now(UTC)
    mid = _mention(store, "10", MAYA_POSTS[0], "MayaQ", "7731", now, name="Maya Quist")
    case = _case(store, mid, "x:mayaq", now, "Hi Maya Quist")
    _mention(store, "11", MAYA_POSTS[1], "MayaQ", "7731", now)
    store.add_event(case, "@MayaQ", "customer_posted", now, MAYA_POSTS[1])
    Outbox(store).put(Alert(case), now, brand_id="acme")
    store.add_label(MAYA_POSTS[0], "en", 1, "U0ALLOWED", now, mention_id=mid)
    store.link_customers("acme", "x:mayaq", "reddit:quinn_r", "U0ALLOWED", now)
    before = snapshot(store)

    assert main(["forget", "x:@MayaQ", "--dry-run", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert snapshot(store) == before
    assert ("Would forget x:mayaq: 2 mentions, 1 case anonymised (1 still open, now closed), "
            "2 events cleared, 1 suggested reply, 1 pending Slack message dropped, "
            "1 training label, 1 customer link.") in out
    assert "--dry-run" in out and "linked_customers of brand acme" in out
    assert "brand-monitor forget reddit:quinn_r" in out

    assert main(["forget", "X:mayaq", "--by", "U0DPO"]) == 0
    out = capsys.readouterr().out
    assert "Forgot x:mayaq: 2 mentions, 1 case anonymised" in out and "delete them in Slack" in out
    assert traces(store, "mayaq", "quist", "7731", *MAYA_POSTS[:2]) == []
    assert [e.kind for e in store.events(case)][-1] == "forgotten"

    assert main(["forget", "x:mayaq"]) == 1
    out = capsys.readouterr().out
    assert "Nothing stored about x:mayaq" in out and "reddit:Maya_R" in out
    assert main(["forget", "mayaq"]) == 2
    assert "platform:handle" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["forget", "audit"])
def test_cli_privacy__help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "usage: brand-monitor" in out
    assert ("audit trail" in out) if command == "forget" else ("--since" in out)


def test_forget__also_erases_their_quarantined_posts(database_url: str) -> None:
    store = Store.from_url(database_url)
    held = Mention(platform="x", id="q1", text="acme ruined my weekend", url="https://x.com/q1",
                   author_id="77", author_handle="Maya", published_at=T0)
    other = Mention(platform="x", id="q2", text="acme is late", url="u", author_id="78",
                    author_handle="ola", published_at=T0)
    store.quarantine("acme", "posts", held, "DataError: NUL", T0)
    store.quarantine("acme", "posts", other, "DataError: NUL", T0)
    counts = forget(store, parse_customer("x:@maya"), "U0ADMIN", T0)  # type: ignore[arg-type]
    assert counts.quarantined == 1
    assert traces(store, "ruined my weekend", "maya") == []
    assert store.quarantine_report()[0] == 1, "someone else's quarantined post stays"
