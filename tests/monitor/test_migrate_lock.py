"""Several processes starting together on a fresh database migrate it once, under a lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from monitor import migrate

PROCESSES = 4
ROOT = Path(__file__).resolve().parents[2]

# Each process builds its engine as the app does, says it is ready, waits for the start file,
# then migrates: all four reach `upgrade` within a millisecond or so of each other.
WORKER = """
import sys, time
from pathlib import Path
from monitor import migrate
from monitor.store import make_engine

url, ready, start = sys.argv[1:4]
engine = make_engine(url)
Path(ready).touch()
deadline = time.monotonic() + 60
while not Path(start).exists():
    if time.monotonic() > deadline:
        sys.exit("no start signal")
    time.sleep(0.001)
migrate.upgrade(engine)
"""


def _head(url: str) -> str:
    heads = ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads()
    assert len(heads) == 1
    return heads[0]


def _start_together(url: str, folder: Path) -> list[subprocess.CompletedProcess[str]]:
    start = folder / "start"
    readies = [folder / f"ready-{i}" for i in range(PROCESSES)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(ready), str(start)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for ready in readies]
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in readies) and time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                break  # one died while starting: its output says why
            time.sleep(0.01)
        start.touch()
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=120)
            results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_processes_starting_together__migrate_once(database_url: str, tmp_path: Path) -> None:
    results = _start_together(database_url, tmp_path)
    failed = [f"exit {r.returncode}:\n{r.stdout[-3000:]}" for r in results if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert versions == [_head(database_url)]
    assert {"mentions", "cases", "outbox"} <= tables


def test_upgrade_again__does_nothing_and_leaves_no_lock(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)  # a second start: already at head
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [_head(database_url)]
        if engine.dialect.name == "postgresql":
            other = create_engine(database_url)
            try:
                with other.connect() as conn:  # a session of its own gets the lock at once
                    got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                       {"k": migrate.PG_LOCK_KEY}).scalar()
                    conn.execute(text("SELECT pg_advisory_unlock_all()"))
                assert got is True
            finally:
                other.dispose()
    finally:
        engine.dispose()


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("sqlite:///file:mem1?mode=memory&cache=shared&uri=true", None),
    ("sqlite:////srv/bm/brand-monitor.db", "/srv/bm/brand-monitor.db.migrate-lock"),
    ("sqlite:///brand-monitor.db", "brand-monitor.db.migrate-lock"),
    ("sqlite:///file:/srv/bm/x.db?uri=true", "/srv/bm/x.db.migrate-lock"),
    ("postgresql+psycopg://u@h/db", None),
])
def test_sqlite_lock_path(url: str, expected: str | None) -> None:
    path = migrate.sqlite_lock_path(url)
    assert (None if path is None else str(path)) == expected
