"""The database's own upkeep, as SQL: what `monitor.upkeep` runs every minute."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine


def autovacuum_on(engine: Engine) -> bool:
    """Whether this PostgreSQL server vacuums and analyses tables by itself."""
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SHOW autovacuum").scalar()) == "on"


def vacuum(engine: Engine, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) the tables (PostgreSQL), outside any transaction as it requires."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Names of brand-monitor's own tables, never input.
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")


def optimise(engine: Engine) -> None:
    """SQLite's `PRAGMA optimize`, which SQLite advises running from time to time."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA optimize")
