"""Token buckets shared by every process on one database (pyrate-limiter).

`limits_for(store)` gives the store's `SharedLimits`, whose buckets live where every process
that uses the database can count them:

- PostgreSQL: in the database itself (pyrate-limiter's `PostgresBucket`: one table
  `ratelimit___bm_<kind>_<hash>` per bucket, in the schema the store's URL searches);
- a SQLite file: in a SQLite file beside it, `<database>-ratelimits.sqlite` (`SQLiteBucket`,
  each check-and-take under a file lock, so processes on the machine take turns);
- in-memory SQLite: in memory (one process is all that can see such a database).

A bucket is named after what the platform limits (`credential:<platform>:<hash>`, see
`monitor.platform_limits`; `slack:<channel>`), and its rates are a sliding window log: at most
`calls` takes in any `per`. A take never waits for an empty bucket; see `SharedLimits.take`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyrate_limiter import (
    AbstractBucket,
    Decision,
    InMemoryBucket,
    PostgresBucket,
    Rate,
    RateItem,
    SQLiteBucket,
)
from sqlalchemy.engine import Engine

from monitor.migrate import sqlite_lock_path
from monitor.settings import RateLimit
from monitor.store import Store

log = logging.getLogger(__name__)
SIDECAR_SUFFIX = "-ratelimits.sqlite"
RETRY_EVERY = 0.05  # seconds between tries while another process holds a bucket
LEAK_EVERY = 60.0  # seconds between clean-ups of a bucket's entries older than its window
POOL_SIZE = 4  # PostgreSQL connections a process keeps for its buckets at most
MakeBucket = Callable[[str, list[Rate]], AbstractBucket]


def rates(limit: RateLimit) -> list[Rate]:
    """pyrate-limiter's rates for one of ours."""
    return [Rate(limit.calls, int(limit.per.total_seconds() * 1000))]


def table_name(name: str) -> str:
    """A table for bucket `name`: its kind and a hash, never the name itself (a channel's
    `#name` may be long; a credential's is a hash already)."""
    kind = re.sub(r"[^a-z0-9]+", "_", name.partition(":")[0].lower())[:16] or "bucket"
    return f"bm_{kind}_{hashlib.sha256(name.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class _Held:
    bucket: AbstractBucket
    shape: tuple[tuple[int, int], ...]  # the rates it was made with
    lock: threading.Lock


class SharedLimits:
    """Take tokens from buckets every process of the database shares.

    Time is the caller's clock (the runtime's: the system clock in production, a test's clock
    in tests), as for every other moment processes compare (claims' leases, retry times,
    pauses), not the bucket's own clock; so pyrate-limiter's `Limiter`, whose blocking wait
    reads the bucket's clock, is not used: a take is one `put_decision` on the bucket, tried
    again for a short, bounded time only when another process held the bucket.
    """

    def __init__(self, make: MakeBucket, close: Callable[[], None] | None = None) -> None:
        self._make = make
        self._close = close
        self._lock = threading.Lock()
        self._buckets: dict[str, _Held] = {}
        self._leaked: dict[str, float] = {}

    def _bucket(self, name: str, wanted: list[Rate]) -> _Held:
        """The bucket of `name`, (re)made when its rates change (a config reloaded)."""
        shape = tuple((r.limit, r.interval) for r in wanted)
        with self._lock:
            held = self._buckets.get(name)
            if held is not None and held.shape == shape:
                return held
            # A bucket replaced is left to the garbage collector, not closed: on PostgreSQL
            # closing it would close the pool its successor shares.
            held = _Held(self._make(name, wanted), shape, threading.Lock())
            self._buckets[name] = held
            return held

    def take(self, name: str, limit: RateLimit, now: datetime, max_wait: float = 0.5) -> float | None:
        """Take one token from bucket `name` (at most `limit`) at `now`; None when taken, else
        about how many seconds until one is free.

        A bucket that is really empty is not waited for: the caller comes back later instead
        of holding a worker. Only a bucket another process holds for its own take (on
        PostgreSQL a take locks the bucket's table, and a second take finding it locked fails
        at once) is tried again, every `RETRY_EVERY` seconds for `max_wait` seconds at most.
        """
        held = self._bucket(name, rates(limit))
        stamp = int(now.timestamp() * 1000)
        self._leak(name, held.bucket, stamp)
        deadline = time.monotonic() + max_wait
        while True:
            with held.lock:  # a bucket keeps its last verdict: one take at a time reads it
                decision = held.bucket.put_decision(RateItem(name, stamp))
            if not isinstance(decision, Decision):  # an async bucket: none is built here
                raise TypeError(f"bucket {name} answered {decision!r}")
            if decision.allowed:
                return None
            if decision.retry_after_ms is not None:  # full: the window says when a slot frees
                return max(decision.retry_after_ms / 1000, 0.0)
            if time.monotonic() >= deadline:
                return max_wait
            time.sleep(RETRY_EVERY)

    def _leak(self, name: str, bucket: AbstractBucket, now_ms: int) -> None:
        """Delete entries older than every window now and then (instead of pyrate-limiter's
        leaker thread per process, which would outlive its store)."""
        moment = time.monotonic()
        with self._lock:
            if moment - self._leaked.get(name, -LEAK_EVERY) < LEAK_EVERY:
                return
            self._leaked[name] = moment
        try:
            bucket.leak(now_ms)
        except Exception:  # a clean-up that failed is tried again later; counts stay right
            log.warning("could not clean up the rate-limit bucket %s", name, exc_info=True)

    def close(self) -> None:
        with self._lock:
            buckets = [held.bucket for held in self._buckets.values()]
            self._buckets.clear()
        for bucket in buckets:
            bucket.close()
        if self._close is not None:
            self._close()


def _postgres(engine: Engine) -> tuple[MakeBucket, Callable[[], None]]:
    from psycopg_pool import ConnectionPool

    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    pool = ConnectionPool(conninfo, min_size=1, max_size=POOL_SIZE, open=True,
                          kwargs={"prepare_threshold": None}, timeout=10.0,
                          name="brand-monitor-rate-limits")

    def make(name: str, wanted: list[Rate]) -> AbstractBucket:
        return PostgresBucket(pool, table_name(name), wanted)

    return make, pool.close


def _sqlite_file(path: Path) -> MakeBucket:
    def make(name: str, wanted: list[Rate]) -> AbstractBucket:
        return SQLiteBucket.init_from_file(wanted, table=table_name(name), db_path=str(path),
                                           use_file_lock=True)

    return make


def _in_memory(name: str, wanted: list[Rate]) -> AbstractBucket:
    return InMemoryBucket(wanted)


def sidecar_path(engine: Engine) -> Path | None:
    """The SQLite file that holds the buckets of a SQLite database file (None: in memory)."""
    lock = sqlite_lock_path(engine.url)
    if lock is None:
        return None
    return Path(str(lock).removesuffix(".migrate-lock") + SIDECAR_SUFFIX)


def build_limits(engine: Engine) -> SharedLimits:
    """Shared limits for the database behind `engine` (see the module's docstring)."""
    backend = engine.dialect.name
    if backend == "postgresql":
        make, close = _postgres(engine)
        return SharedLimits(make, close)
    if backend == "sqlite":
        path = sidecar_path(engine)
        return SharedLimits(_sqlite_file(path) if path is not None else _in_memory)
    log.warning("rate limits on %s are kept in memory: processes do not share them", backend)
    return SharedLimits(_in_memory)


_LIMITS: weakref.WeakKeyDictionary[Store, SharedLimits] = weakref.WeakKeyDictionary()
_LIMITS_LOCK = threading.Lock()


def limits_for(store: Store) -> SharedLimits:
    """The shared limits of `store`'s database, built once per store and closed with it."""
    with _LIMITS_LOCK:
        limits = _LIMITS.get(store)
        if limits is None:
            limits = build_limits(store.engine)
            _LIMITS[store] = limits
            weakref.finalize(store, limits.close)
        return limits

