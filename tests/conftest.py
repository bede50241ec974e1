"""Shared fixtures. Nothing here may reach the network: downloads must fail loudly."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.pop("SLACK_BOT_TOKEN", None)
os.environ.pop("SLACK_API_URL", None)
# The fake Slack has no posting limit: tests do not pace messages to Slack's (the pacing's own
# tests, tests/alerts/test_sender_pauses.py, set a rate of their own).
os.environ["BRAND_MONITOR_SLACK_RATE"] = "100000/1s"

import uuid
from collections.abc import Iterator

import pytest
import stamina

# Retries inside one poll keep their attempt counts in tests, without the real waits.
stamina.set_testing(True, attempts=10, cap=True)

PG_URL = os.environ.get("DATABASE_URL_TEST", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_reason() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'brand-monitor[postgres]')"
    try:
        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL reachable at {PG_URL.split('@')[-1]} ({str(exc).splitlines()[0]})"


_PG_REASON = _postgres_reason()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Yield a fresh database: a SQLite file, and a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if _PG_REASON:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {_PG_REASON}")
        pytest.skip(_PG_REASON)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    raw = PG_URL.replace("+psycopg", "")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_url(database_url: str) -> str:
    """`database_url` migrated, for tests that run on PostgreSQL only (the job engine's);
    parametrize `database_url` with ["postgres"] (indirect) beside it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    from monitor.store import Store

    Store.from_url(database_url)
    return database_url
