"""The database's upkeep, every minute: what the hot path leaves for later.

- Wave keys (`wave_keys`) past their window are deleted here, not by every new case: each
  delete leaves dead index entries, and a delete per case walked all of them again (on a
  PostgreSQL without a vacuum, 690 pages a case after 30,000 posts). The meaning vectors
  of cases past the window (768 bytes each) are cleared with them.
- A PostgreSQL whose `autovacuum` is off never vacuums nor analyses the tables: dead rows
  pile up, and the planner keeps treating a table of 50,000 mentions as empty (a lookup of
  100 posts then read every mention of the brand: 8,200 pages at 30,000). There the busy
  tables are vacuumed and analysed here, and the log says once how to turn autovacuum back
  on. (The SQL is in `monitor.store_upkeep`.)
- SQLite gets `PRAGMA optimize`, which SQLite advises running from time to time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from monitor.store_upkeep import autovacuum_on, optimise, vacuum
from monitor.waves import key_lag

if TYPE_CHECKING:
    from monitor.wiring import Runtime

log = logging.getLogger(__name__)

BUSY_TABLES = ("mentions", "cases", "case_events", "suggestions", "waves", "wave_keys", "outbox",
               "counters")
"""The tables every post writes to, vacuumed and analysed where autovacuum is off."""


class _Warned:
    autovacuum = False


def run_upkeep(runtime: Runtime) -> bool:
    """Forget wave keys and case meaning vectors past their window; vacuum and analyse
    where no one else does. Returns whether it vacuumed."""
    now = runtime.clock()
    with runtime.store.transaction() as tx:
        for brand in runtime.config.brands:
            window = brand.waves.window
            # A live wave's keys lag at most `key_lag` behind its last join.
            tx.prune_wave_keys(brand.id, now - window - key_lag(window))
            tx.forget_case_meanings(brand.id, now - window)
    engine = runtime.store.engine
    if engine.dialect.name == "sqlite":
        optimise(engine)
        return False
    if engine.dialect.name != "postgresql" or autovacuum_on(engine):
        return False
    if not _Warned.autovacuum:
        _Warned.autovacuum = True
        log.warning("PostgreSQL's autovacuum is off: brand-monitor vacuums and analyses its own "
                    "tables every minute. Set autovacuum = on in postgresql.conf (the "
                    "default) to leave it to PostgreSQL.")
    vacuum(engine, BUSY_TABLES)
    return True
