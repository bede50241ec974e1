from __future__ import annotations

from datetime import timedelta

import pytest

from monitor import case_engine
from monitor.domain import CaseStatus, Mention
from monitor.notices import Alert, DeadLetter, SourceNotice
from monitor.outbox import LEASE, MAX_ATTEMPTS, Outbox, backoff
from monitor.source_health import SourceStates
from monitor.store import Store
from tests.factories import T0


def _mention(mid: str = "1", text: str = "the parcel is late", **kw: object) -> Mention:
    return Mention(platform="x", id=mid, text=text, url=f"https://x.com/a/status/{mid}",
                   author_id="42", author_handle="jan", published_at=T0, **kw)  # type: ignore[arg-type]


def _case(store: Store, mention_id: int, ref: str) -> int:
    return store.open_case(brand_id="acme", mention_id=mention_id, reference=ref,
                           customer_key="x:42", opened_at=T0, deadline_at=T0 + timedelta(hours=1),
                           priority=10, suggestions=[("en", "Sorry!"), ("en", "So sorry!")],
                           channel="C1").id


def test_save_mention__dedups_on_platform_and_id(database_url: str) -> None:
    store = Store.from_url(database_url)
    first = store.save_mention("acme", "src", _mention(), T0)
    again = store.save_mention("acme", "src", _mention(), T0)
    assert first[1] == "new"
    assert again == (first[0], "seen")
    assert store.save_mention("acme", "src", _mention("2"), T0)[1] == "new"


def test_save_mention__edited_review_is_reported(database_url: str) -> None:
    store = Store.from_url(database_url)
    mid, _ = store.save_mention("acme", "src", _mention(rating=4, edited_at=T0), T0)
    edited = _mention(text="now it broke", rating=1, edited_at=T0 + timedelta(days=1))
    assert store.save_mention("acme", "src", edited, T0) == (mid, "edited")
    assert store.mention(mid).rating == 1


def test_reference_numbers__increase_per_brand(database_url: str) -> None:
    store = Store.from_url(database_url)
    assert [store.next_reference("acme") for _ in range(3)] == ["ACME-0001", "ACME-0002", "ACME-0003"]
    assert store.next_reference("north-wind") == "NORTHW-0001"


def test_claim_reply__only_first_claim_wins(database_url: str) -> None:
    store = Store.from_url(database_url)
    mid, _ = store.save_mention("acme", "src", _mention(), T0)
    case_id = _case(store, mid, "ACME-0001")
    assert store.claim_reply(case_id, "U1", T0) == f"case-{case_id}-reply"
    assert store.claim_reply(case_id, "U2", T0) is None
    holder = store.claim_holder(case_id)
    assert holder is not None and holder.actor == "U1"
    store.release_claim(case_id)
    assert store.claim_reply(case_id, "U2", T0) is not None


def _resolve(store: Store, case_id: int, actor: str) -> case_engine.Outcome:
    with store.transaction() as tx:
        return case_engine.move(tx, tx.case(case_id), case_engine.Move.RESOLVE, actor, T0)


def test_move__records_once_with_its_messages_in_the_same_commit(database_url: str) -> None:
    store = Store.from_url(database_url)
    mid, _ = store.save_mention("acme", "src", _mention(), T0)
    case_id = _case(store, mid, "ACME-0001")
    assert _resolve(store, case_id, "U1").result is case_engine.Result.MOVED
    assert _resolve(store, case_id, "U2").result is case_engine.Result.ALREADY
    assert [e.kind for e in store.events(case_id)] == ["opened", "resolved"]
    assert sorted(i.kind for i in Outbox(store).due(T0)) == ["status_note", "update"]


def test_move__a_failed_transaction_leaves_no_event_and_no_message(database_url: str) -> None:
    store = Store.from_url(database_url)
    case_id = _case(store, store.save_mention("acme", "src", _mention(), T0)[0], "ACME-0001")
    def dies_before_commit() -> None:
        with store.transaction() as tx:
            case_engine.move(tx, tx.case(case_id), case_engine.Move.RESOLVE, "U1", T0)
            raise RuntimeError("the process dies before the commit")

    with pytest.raises(RuntimeError):
        dies_before_commit()
    assert store.case(case_id).status == CaseStatus.NEW.value
    assert [e.kind for e in store.events(case_id)] == ["opened"]
    assert Outbox(store).due(T0) == []


def test_transition_table__refuses_moves_that_do_not_start_here(database_url: str) -> None:
    store = Store.from_url(database_url)
    case_id = _case(store, store.save_mention("acme", "src", _mention(), T0)[0], "ACME-0001")
    with store.transaction() as tx:
        outcome = case_engine.move(tx, tx.case(case_id), case_engine.Move.REOPEN, "U1", T0)
    assert outcome.result is case_engine.Result.NOT_FROM_HERE and not outcome.changed
    _resolve(store, case_id, "U1")
    with store.transaction() as tx:
        assert case_engine.move(tx, tx.case(case_id), case_engine.Move.ACKNOWLEDGE, "U1",
                                T0).result is case_engine.Result.NOT_FROM_HERE
        assert case_engine.move(tx, tx.case(case_id), case_engine.Move.REOPEN, "U1",
                                T0).result is case_engine.Result.MOVED


def test_history__counts_earlier_cases_of_customer(database_url: str) -> None:
    store = Store.from_url(database_url)
    first = _case(store, store.save_mention("acme", "s", _mention("1"), T0)[0], "ACME-0001")
    second = _case(store, store.save_mention("acme", "s", _mention("2"), T0)[0], "ACME-0002")
    _resolve(store, first, "U1")
    history = store.history(["x:42"], second)
    assert history.earlier_cases == 1
    assert history.last_reference == "ACME-0001"
    assert history.last_outcome == "resolved"


def test_outbox__dedupes_and_retries(database_url: str) -> None:
    store = Store.from_url(database_url)
    outbox = Outbox(store)
    case_id = _case(store, store.save_mention("acme", "src", _mention(), T0)[0], "ACME-0001")
    assert outbox.put(Alert(case_id), T0, brand_id="acme")
    assert not outbox.put(Alert(case_id), T0, brand_id="acme")
    [item] = outbox.claim_due(T0, 10, "worker-a")
    assert outbox.claim_due(T0, 10, "worker-b") == [], "a claimed message is no one else's"
    outbox.retry_later(item, "slack 500", T0 + timedelta(seconds=30), T0)
    assert outbox.due(T0 + timedelta(seconds=29)) == []
    [again] = outbox.claim_due(T0 + timedelta(seconds=30), 10, "worker-b")
    assert again.attempts == 1 and again.tried_before
    outbox.sent(again, T0, "C0ACME", "1.2", alert_of=case_id)
    assert outbox.due(T0 + timedelta(days=1)) == []
    assert outbox.counts() == {"sent": 1}
    assert store.case(case_id).slack_ts == "1.2", "the alert's message is recorded with it"


def test_outbox__a_dead_senders_claim_lapses_and_is_taken_over(database_url: str) -> None:
    store = Store.from_url(database_url)
    outbox = Outbox(store)
    outbox.put(SourceNotice("acme", "x", T0.isoformat(), "down", False, T0.isoformat()), T0,
               brand_id="acme")
    [item] = outbox.claim_due(T0, 10, "crashed")
    assert outbox.claim_due(T0 + timedelta(seconds=30), 10, "next") == []
    [taken] = outbox.claim_due(T0 + LEASE + timedelta(seconds=1), 10, "next")
    assert taken.id == item.id and taken.claims == 2 and taken.tried_before


def test_outbox__given_up_after_many_tries_and_the_channel_is_told_once(database_url: str) -> None:
    store = Store.from_url(database_url)
    outbox = Outbox(store)
    case_id = _case(store, store.save_mention("acme", "src", _mention(), T0)[0], "ACME-0001")
    outbox.put(Alert(case_id), T0, brand_id="acme")
    now = T0
    for _ in range(MAX_ATTEMPTS):
        [item] = outbox.claim_due(now, 10, "w")
        dead = outbox.retry_later(item, "channel_not_found", now, now)
    assert dead and outbox.counts() == {"dead": 1, "pending": 1}
    [report] = outbox.due(now)
    notice = report.notice
    assert isinstance(notice, DeadLetter) and notice.reference == "ACME-0001"
    assert outbox.dead() == [(item.id, "alert", "channel_not_found")]


def test_backoff__uses_retry_after_then_doubles() -> None:
    assert backoff(0, 7) == timedelta(seconds=7)
    assert backoff(1) == timedelta(seconds=2)
    assert backoff(3) == timedelta(seconds=8)
    assert backoff(30) == timedelta(seconds=300)


def test_source_state__cursor_and_failures(database_url: str) -> None:
    states = SourceStates(Store.from_url(database_url))
    states.failed("acme", "x", "x", "429", T0, T0)
    states.failed("acme", "x", "x", "429", T0 + timedelta(minutes=1), T0)
    state = states.get("acme", "x")
    assert state is not None and state.consecutive_failures == 2 and state.failing_since == T0
    states.succeeded("acme", "x", "x", "99", 3, 1, None, T0, T0)
    state = states.get("acme", "x")
    assert state is not None and state.healthy and state.cursor == "99" and state.items_fetched == 3


def test_session_store__kept_across_restarts(database_url: str) -> None:
    from monitor.wiring import SessionStore

    states = SourceStates(Store.from_url(database_url))
    SessionStore(states, "acme", "bsky", "bluesky").save("handle:::did:::token")
    again = SourceStates(Store.from_url(database_url))
    assert SessionStore(again, "acme", "bsky", "bluesky").load() == "handle:::did:::token"
    assert SessionStore(again, "acme", "other", "bluesky").load() is None


def test_postgres_connections_prepare_no_statement(database_url: str) -> None:
    """A generic plan prepared while the tables were small must not outlive their growth."""
    from monitor.store import make_engine

    engine = make_engine(database_url)
    try:
        raw = engine.raw_connection()
        try:
            if engine.dialect.name == "postgresql":
                assert raw.driver_connection.prepare_threshold is None  # type: ignore[union-attr]
            else:
                assert engine.dialect.name == "sqlite"
        finally:
            raw.close()
    finally:
        engine.dispose()
