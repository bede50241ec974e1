"""Bring the database schema up to date with Alembic, from code (no alembic.ini needed).

Several processes may start together on a fresh database (a deploy that starts the bot and a
worker, two replicas). Migrations therefore run under a lock: the first process applies them,
the others wait, then find the schema at the revision asked for and do nothing.

- PostgreSQL: a session-level advisory lock (`pg_advisory_lock`) on the migrating connection,
  taken in a transaction of its own before the migration's transaction starts, so the migration
  sees what the process before it committed even under REPEATABLE READ.
- SQLite file: an exclusive `flock` on a lock file next to the database file
  (`<database>.migrate-lock`). SQLite's own locks are not used: its DDL outside a transaction and
  its busy timeout let two processes both decide to create the tables.
- In-memory SQLite and other databases: no lock (one process can see an in-memory database).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL

# Key of the PostgreSQL advisory lock that serialises migrations ("bmmigrat" in ASCII; fits a
# signed 64-bit bigint). Advisory locks are per database, so schemas of one database share it.
PG_LOCK_KEY = 0x626D6D6967726174
LOCK_SUFFIX = ".migrate-lock"


def migrations_dir() -> Path:
    """Locate the migration scripts: inside the wheel, else next to the source tree."""
    bundled = Path(str(resources.files("monitor"))) / "bundled_migrations"
    if (bundled / "env.py").exists():
        return bundled
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def sqlite_lock_path(url: str | URL) -> Path | None:
    """The lock file for a SQLite database file, or None for in-memory (or non-SQLite) URLs."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):  # sqlite:///file:path?uri=true
        database = database.removeprefix("file:").partition("?")[0]
    memory = url.query.get("mode") == "memory" or "mode=memory" in (url.database or "")
    if not database or database == ":memory:" or memory:
        return None
    return Path(database + LOCK_SUFFIX)


def _open_lock_file(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # e.g. a read-only or missing folder: SQLite reports (or copes) on its own
        return None


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no flock, run unlocked as before
        fcntl = None  # type: ignore[assignment]
    fd = _open_lock_file(path) if fcntl is not None else None
    if fcntl is None or fd is None:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits while another process migrates
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


@contextlib.contextmanager
def _pg_lock(connection: Connection) -> Iterator[None]:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
    connection.commit()  # the lock is the session's: it outlives this transaction
    try:
        yield
    finally:
        try:
            if connection.in_transaction():  # a failed migration left its transaction open
                connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            connection.commit()
        except Exception:
            connection.invalidate()  # closing the session releases its locks: none stays held
            raise


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` on `engine`'s database, once, under a lock."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    lock_file = sqlite_lock_path(engine.url)
    with contextlib.ExitStack() as stack:
        if lock_file is not None:
            stack.enter_context(_file_lock(lock_file))
        connection = stack.enter_context(engine.connect())
        if engine.dialect.name == "postgresql":
            stack.enter_context(_pg_lock(connection))
        with connection.begin():
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
