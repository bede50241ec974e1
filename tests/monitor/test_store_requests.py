"""Seen Slack request keys in the database (monitor.store_requests), on SQLite and PostgreSQL.

Each test opens two stores on one database, each with its own engine and connection pool, as
two replicas of the HTTP endpoint would.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from monitor.models import SeenRequestRow
from monitor.store import Store
from monitor.store_requests import SeenRequestStore, keys_store, stored_key

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
SIGNATURE = "v0=" + "ab" * 32


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[Store, Store]]:
    first = Store.from_url(database_url)
    second = Store.from_url(database_url, migrate_schema=False)
    try:
        yield first, second
    finally:
        first.engine.dispose()
        second.engine.dispose()


def _rows(store: Store) -> dict[str, datetime]:
    with store.session() as s:
        return dict(s.execute(select(SeenRequestRow.key, SeenRequestRow.expires_at)).all())


def test_a_key_seen_by_one_replica__refused_by_the_other(stores: tuple[Store, Store]) -> None:
    a, b = SeenRequestStore(stores[0]), SeenRequestStore(stores[1])
    assert a.first_time("1700000000:" + SIGNATURE, T, WINDOW)
    assert not b.first_time("1700000000:" + SIGNATURE, T + timedelta(seconds=1), WINDOW)
    assert not a.first_time("1700000000:" + SIGNATURE, T + timedelta(seconds=2), WINDOW)
    assert b.first_time("1700000001:" + SIGNATURE, T, WINDOW), "another key is new"
    assert _rows(stores[0]) == {stored_key("1700000000:" + SIGNATURE): T + WINDOW,
                                stored_key("1700000001:" + SIGNATURE): T + WINDOW}


def test_keys_are_stored_hashed__no_signature_in_the_table(stores: tuple[Store, Store]) -> None:
    key = "1700000000:" + SIGNATURE + "x" * 300  # longer than the column, still fits hashed
    assert SeenRequestStore(stores[0]).first_time(key, T, WINDOW)
    [stored] = _rows(stores[0])
    assert len(stored) == 64 and SIGNATURE not in stored and "1700000000" not in stored
    assert not SeenRequestStore(stores[1]).first_time(key, T, WINDOW)


def test_expiry__a_key_is_refused_through_its_window_and_new_after_it(
        stores: tuple[Store, Store]) -> None:
    a, b = SeenRequestStore(stores[0]), SeenRequestStore(stores[1])
    assert a.first_time("k", T, WINDOW)
    assert not b.first_time("k", T + WINDOW - timedelta(seconds=1), WINDOW)
    assert not b.first_time("k", T + WINDOW, WINDOW), "the window's last moment is still inside"
    later = T + WINDOW + timedelta(seconds=1)
    assert b.first_time("k", later, WINDOW), "after the window the same key is new again"
    assert _rows(stores[0]) == {stored_key("k"): later + WINDOW}, "the expired row was taken over"
    assert not a.first_time("k", later + timedelta(seconds=5), WINDOW)


def test_same_key_from_two_replicas_at_once__exactly_one_is_first(stores: tuple[Store, Store]) -> None:
    a, b = SeenRequestStore(stores[0]), SeenRequestStore(stores[1])
    start = threading.Barrier(12)

    def one(i: int) -> bool:
        start.wait()
        return (a if i % 2 else b).first_time("race", T, WINDOW)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(one, range(12)))
    assert answers.count(True) == 1 and len(_rows(stores[0])) == 1


def test_same_expired_key_taken_over_at_once__exactly_one_is_first(stores: tuple[Store, Store]) -> None:
    a, b = SeenRequestStore(stores[0]), SeenRequestStore(stores[1])
    assert a.first_time("again", T, WINDOW)
    later = T + 2 * WINDOW
    start = threading.Barrier(8)

    def one(i: int) -> bool:
        start.wait()
        return (a if i % 2 else b).first_time("again", later, WINDOW)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(8)))
    assert answers.count(True) == 1
    assert _rows(stores[0]) == {stored_key("again"): later + WINDOW}


def test_purge__deletes_only_expired_keys_oldest_first_and_bounded(stores: tuple[Store, Store]) -> None:
    keys = SeenRequestStore(stores[0], purge_batch=3)
    for i in range(5):
        assert keys.first_time(f"old{i}", T + timedelta(seconds=i), WINDOW)
    assert keys.first_time("live", T + WINDOW, WINDOW)
    now = T + WINDOW + timedelta(seconds=10)  # old0..old4 expired, live has not
    assert keys.purge(now) == 3
    assert set(_rows(stores[0])) == {stored_key("old3"), stored_key("old4"), stored_key("live")}
    assert keys.purge(now) == 2
    assert keys.purge(now) == 0
    assert set(_rows(stores[0])) == {stored_key("live")}


def test_purge__runs_by_itself_about_once_a_minute(stores: tuple[Store, Store]) -> None:
    writer = SeenRequestStore(stores[1])
    keys = SeenRequestStore(stores[0], purge_every=timedelta(minutes=1))
    assert writer.first_time("expired", T, WINDOW)
    later = T + WINDOW + timedelta(seconds=1)
    assert keys.first_time("first", later, WINDOW)  # its first call purges
    assert set(_rows(stores[0])) == {stored_key("first")}

    assert writer.first_time("expires-soon", later - WINDOW, WINDOW)  # expires at `later`
    assert keys.first_time("second", later + timedelta(seconds=30), WINDOW)
    assert stored_key("expires-soon") in _rows(stores[0]), "not a minute since the last purge"
    assert keys.first_time("third", later + timedelta(seconds=61), WINDOW)
    assert stored_key("expires-soon") not in _rows(stores[0])
    assert len(_rows(stores[0])) == 3


def test_purge__a_full_batch_purges_again_on_the_next_call(stores: tuple[Store, Store]) -> None:
    keys = SeenRequestStore(stores[0], purge_every=timedelta(hours=1), purge_batch=2)
    for i in range(5):
        assert SeenRequestStore(stores[1]).first_time(f"old{i}", T, WINDOW)
    later = T + 2 * WINDOW
    assert keys.first_time("a", later, WINDOW)
    assert len(_rows(stores[0])) == 4  # 2 of 5 purged, and "a"
    assert keys.first_time("b", later + timedelta(seconds=1), WINDOW)
    assert len(_rows(stores[0])) == 3  # the batch was full, so again: 2 more
    assert keys.first_time("c", later + timedelta(seconds=2), WINDOW)
    assert set(_rows(stores[0])) == {stored_key(k) for k in ("a", "b", "c")}
    assert keys.first_time("d", later + timedelta(seconds=3), WINDOW)
    assert len(_rows(stores[0])) == 4, "the last purge was not full: an hour until the next"


def test_purge_failure__the_answer_stands_and_it_is_logged(stores: tuple[Store, Store],
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    keys = SeenRequestStore(stores[0])

    def failing(now: datetime, limit: int | None = None) -> int:
        raise OperationalError("DELETE", {}, Exception("database is locked"))

    monkeypatch.setattr(keys, "purge", failing)
    assert keys.first_time("k", T, WINDOW)
    assert not keys.first_time("k", T + timedelta(minutes=2), WINDOW)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["could not delete expired Slack request keys: OperationalError"] * 2


def test_bad_arguments__refused() -> None:
    store = Store.from_url("sqlite://")
    with pytest.raises(ValueError, match="positive"):
        SeenRequestStore(store, purge_batch=0)
    with pytest.raises(ValueError, match="positive"):
        SeenRequestStore(store).first_time("k", T, timedelta(0))


def test_keys_store__sqlite_file_keeps_keys_in_a_file_beside_it(tmp_path: Path) -> None:
    first = Store.from_url(f"sqlite:///{tmp_path / 'bm.db'}")
    second = Store.from_url(f"sqlite:///{tmp_path / 'bm.db'}", migrate_schema=False)
    a, b = keys_store(first), keys_store(second)
    try:
        assert a.engine.url.database == str(tmp_path / "bm.db-seen-requests")
        assert SeenRequestStore(a).first_time("k", T, WINDOW)
        assert not SeenRequestStore(b).first_time("k", T, WINDOW), "both processes share the file"
        assert first.count(SeenRequestRow) == 0, "the database's own file takes no write"
        assert keys_store(first).count(SeenRequestRow) == 1, "opening it again keeps the table"
    finally:
        for store in (a, b, first, second):
            store.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_keys_store__postgresql_same_table_own_pool(database_url: str) -> None:
    store = Store.from_url(database_url)
    keys = keys_store(store)
    try:
        assert keys.engine is not store.engine and keys.engine.url == store.engine.url
        assert SeenRequestStore(keys).first_time("k", T, WINDOW)
        assert store.count(SeenRequestRow) == 1
    finally:
        keys.engine.dispose()
        store.engine.dispose()


def test_keys_store__sqlite_in_memory_is_used_as_it_is() -> None:
    store = Store.from_url("sqlite://")
    assert keys_store(store) is store
    assert SeenRequestStore(store).first_time("k", T, WINDOW)
    assert store.count(SeenRequestRow) == 1
