"""Signed Slack requests already accepted once (table `seen_requests`), shared by every replica.

SQL only; what a key is and how long it is remembered is for the alert layer's replay guard to
say. A key is kept as its SHA-256: the table holds nothing a replay could use (a request's
signature), any key fits the column, and a database error quoting the statement's parameters
quotes no signature.

Where the keys live (`keys_store`): the store's database, through a connection pool of its own
so that a click's check never waits for a connection behind the handlers' work; on a SQLite
file, a file of its own beside it (`<file>-seen-requests`, its table created when it is opened), since
SQLite has one write lock per file and a click's check, made before Slack's 3 seconds run out,
must not queue behind case work for it (measured with `benchmarks/http_clicks.py`: 50
simultaneous clicks waited up to 3.4 s for it in the main file). Processes on one host share
that file as they share the database; losing it forgets at most 10 minutes of keys.

`first_time` is one statement, `INSERT … ON CONFLICT (key) DO UPDATE … WHERE expires_at < now
RETURNING key`: a new key is inserted, an expired one (its `expires_at` before now) is taken
over, and a live one is left alone, so of two replicas offered the same key at the same moment
exactly one is told it is new. Expired rows are deleted now and then (at most `purge_batch` at
a time, about once every `purge_every`, sooner while a purge finds a full batch), by whichever
caller's turn it is.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from monitor.models import SeenRequestRow
from monitor.store import Store, make_engine

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(minutes=1)
PURGE_BATCH = 1000
SQLITE_SUFFIX = "-seen-requests"


def keys_store(store: Store) -> Store:
    """A store for the keys of `store`'s replicas: the same database on a pool of its own, or
    on a SQLite file the file beside it; an in-memory SQLite database is used as it is."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite":
        return Store(make_engine(url.render_as_string(hide_password=False)))
    if not url.database or url.database == ":memory:":
        return store
    engine = make_engine(url.set(database=url.database + SQLITE_SUFFIX).render_as_string(hide_password=False))

    @event.listens_for(engine, "connect")
    def _no_sync_per_key(dbapi_conn: Any, _record: Any) -> None:
        # WAL without an fsync per commit: a power cut may forget the last keys, nothing more.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    side = Store(engine)
    table: Table = SeenRequestRow.__table__  # type: ignore[assignment]
    with side.engine.begin() as conn:  # processes starting together: IF NOT EXISTS, no race
        conn.execute(CreateTable(table, if_not_exists=True))
        for index in table.indexes:
            conn.execute(CreateIndex(index, if_not_exists=True))
    return side


def stored_key(key: str) -> str:
    """What `key` is stored as: its SHA-256, in hex (64 characters)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class SeenRequestStore:
    """Remember keys until they expire; thread-safe, and shared through the database."""

    def __init__(self, store: Store, *, purge_every: timedelta = PURGE_EVERY,
                 purge_batch: int = PURGE_BATCH) -> None:
        if purge_batch <= 0 or purge_every <= timedelta(0):
            raise ValueError("purge_every and purge_batch must be positive")
        self.store = store
        self.purge_every = purge_every
        self.purge_batch = purge_batch
        self._next_purge: datetime | None = None
        self._lock = threading.Lock()
        # SQLite takes one writer at a time and makes the others sleep and retry (up to 100 ms a
        # try): this process's writers queue here instead. PostgreSQL locks only the key.
        self._writes: AbstractContextManager[object] = (
            threading.Lock() if store.engine.dialect.name == "sqlite" else nullcontext())

    def first_time(self, key: str, now: datetime, remember: timedelta) -> bool:
        """Remember `key` until `now + remember` (that moment included); False when it is
        remembered already, by any process on this database, and has not expired by `now`."""
        if remember <= timedelta(0):
            raise ValueError("remember must be positive")
        insert = postgresql.insert if self.store.engine.dialect.name == "postgresql" else sqlite.insert
        values = insert(SeenRequestRow).values(key=stored_key(key), expires_at=now + remember)
        statement = values.on_conflict_do_update(
            index_elements=[SeenRequestRow.key],
            set_={"expires_at": values.excluded.expires_at},
            where=SeenRequestRow.expires_at < now).returning(SeenRequestRow.key)
        with self._writes, self.store.session() as s:
            # A row comes back when it was inserted or taken over; none when a live key stayed.
            new = s.execute(statement).first() is not None
        if self._purge_due(now):
            self._purge(now)
        return new

    def purge(self, now: datetime, limit: int | None = None) -> int:
        """Delete up to `limit` (default `purge_batch`) keys expired before `now`, the oldest
        first; return how many went."""
        oldest = (select(SeenRequestRow.key).where(SeenRequestRow.expires_at < now)
                  .order_by(SeenRequestRow.expires_at).limit(limit or self.purge_batch))
        with self.store.session() as s:
            gone: int = s.execute(delete(SeenRequestRow).where(  # type: ignore[attr-defined]
                SeenRequestRow.key.in_(oldest.scalar_subquery()))).rowcount
        return gone

    def _purge_due(self, now: datetime) -> bool:
        with self._lock:
            if self._next_purge is not None and now < self._next_purge:
                return False
            self._next_purge = now + self.purge_every  # one caller purges; the others go on
            return True

    def _purge(self, now: datetime) -> None:
        try:
            gone = self.purge(now)
        except SQLAlchemyError as exc:  # housekeeping: the next turn tries again
            log.warning("could not delete expired Slack request keys: %s", type(exc).__name__)
            return
        if gone >= self.purge_batch:
            with self._lock:
                self._next_purge = now  # more are waiting: the next call purges again
        if gone:
            log.debug("deleted %d expired Slack request keys", gone)
