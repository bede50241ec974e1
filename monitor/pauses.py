"""Pauses every process honours (table `pauses`): a platform credential or a Slack channel
told to wait until a moment (the platform's reset header, Slack's Retry-After).

Names say what is paused: `credential:<platform>:<hash>` (see `monitor.platform_limits`) or
`slack:<channel>`. A pause is only ever lengthened: recording one that ends sooner than the
pause already held keeps the later end, so two processes that saw two 429s agree on the
longer wait. There is at most one row per credential and per channel, so rows are never
pruned: an ended pause is simply in the past.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite

from monitor.models import PauseRow
from monitor.store import Store

REASON_MAX = 200  # the column's size


class Pauses:
    """Read and record shared pauses."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def hold(self, name: str, until: datetime, reason: str = "") -> None:
        """Pause `name` until `until`, or keep the pause already held if it ends later."""
        values = {"name": name, "until": until, "reason": reason[:REASON_MAX]}
        dialect = self.store.engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(PauseRow).values(**values)
        later = statement.excluded.until > PauseRow.until
        statement = statement.on_conflict_do_update(
            index_elements=[PauseRow.name],
            set_={"until": case((later, statement.excluded.until), else_=PauseRow.until),
                  "reason": case((later, statement.excluded.reason), else_=PauseRow.reason)})
        with self.store.session() as s:
            s.execute(statement)

    def until(self, name: str, now: datetime) -> datetime | None:
        """When the pause of `name` ends, if it has not ended by `now`."""
        with self.store.session() as s:
            end = s.scalar(select(PauseRow.until).where(PauseRow.name == name))
        return end if end is not None and end > now else None

    def active(self, prefix: str, now: datetime) -> dict[str, datetime]:
        """Every pause whose name starts with `prefix` and has not ended by `now`, by the rest
        of its name (`active("slack:", now)` gives the paused channels)."""
        with self.store.session() as s:
            rows = s.execute(select(PauseRow.name, PauseRow.until).where(
                PauseRow.name.startswith(prefix, autoescape=True), PauseRow.until > now))
            return {name.removeprefix(prefix): until for name, until in rows}
