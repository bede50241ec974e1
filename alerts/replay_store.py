"""The replay guard's memory in the database, so every replica of the HTTP endpoint shares it.

Behind a load balancer a captured request may be replayed to another replica than the one that
accepted it; with the keys in `seen_requests` (monitor.store_requests) that replica refuses it
too. HTTP mode uses this by default (alerts.service.start_interactions).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.replay_guard import REMEMBER_SECONDS
from monitor.store import Store
from monitor.store_requests import SeenRequestStore, keys_store

__all__ = ["CLOCK_MARGIN_SECONDS", "DatabaseSeenRequests"]
CLOCK_MARGIN_SECONDS = 60
"""Replicas' clocks may disagree: a key is kept this much longer than the signature window
needs, so a replica whose clock runs up to a minute ahead still finds it."""


class DatabaseSeenRequests:
    """A `SeenRequests` on the runtime's database: keys live `remember_seconds`, for every
    process on that database. It opens connections of its own (monitor.store_requests.keys_store):
    `close()` them."""

    def __init__(self, store: Store,
                 remember_seconds: float = REMEMBER_SECONDS + CLOCK_MARGIN_SECONDS) -> None:
        if remember_seconds <= 0:
            raise ValueError("remember_seconds must be positive")
        self.remember = timedelta(seconds=remember_seconds)
        self._store = store
        self.keys = SeenRequestStore(keys_store(store))

    def first_time(self, key: str, now: float) -> bool:
        return self.keys.first_time(key, datetime.fromtimestamp(now, UTC), self.remember)

    def close(self) -> None:
        if self.keys.store is not self._store:
            self.keys.store.engine.dispose()
