"""Rate limits shared per credential: across sources, brands and processes on one database."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config_loader import load_config
from monitor.domain import FetchResult
from monitor.errors import ConfigError, RateLimited
from monitor.pauses import Pauses
from monitor.platform_limits import credential_key, credential_names, rate_of
from monitor.poller import PollResult, poll_source
from monitor.rate_limits import limits_for, table_name
from monitor.settings import Environment, RateLimit
from monitor.store import Store
from monitor.wiring import Runtime, build_runtime
from tests.conftest import PG_URL
from tests.factories import T0, Clock, KeywordClassifier

SHARED = "s3cret-shared-bearer"
ENVIRON = {"SHARED_X_TOKEN": SHARED, "ACME_OWN_TOKEN": "s3cret-acme-own"}
BRANDS = """\
version: 1
brands:
  - id: acme
    name: Acme
    keywords: [acme]
    slack: {{channel: C0ACME}}
    responders: [U0ALLOWED]
    sources:
      - type: x
        name: search
        query: acme
        rate_limit: {rate}
        credentials: {{bearer_token: SHARED_X_TOKEN}}
      - type: x
        name: own
        query: acme
        rate_limit: {rate}
        credentials: {{bearer_token: ACME_OWN_TOKEN}}
  - id: bolt
    name: Bolt
    keywords: [bolt]
    slack: {{channel: C0BOLT}}
    responders: [U0ALLOWED]
    sources:
      - type: x
        name: search
        query: bolt
        rate_limit: {rate}
        credentials: {{bearer_token: SHARED_X_TOKEN}}
"""


class FakeX:
    """Stands in for the X connector: counts its fetches, or refuses with `error`."""

    platform = "x"
    credentials = ("bearer_token",)
    optional_credentials = ("access_token",)
    blind_spot = None

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.fetches = 0

    def fetch(self, cursor: str | None) -> FetchResult:
        self.fetches += 1
        if self.error is not None:
            raise self.error
        return FetchResult(mentions=[], cursor=cursor)


def _runtime(folder: Path, url: str, clock: Clock, rate: str = "null") -> Runtime:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "brands.yaml"
    path.write_text(BRANDS.format(rate=rate), encoding="utf-8")
    config = load_config(path, env=ENVIRON)
    runtime = build_runtime(config, path, env=Environment(database_url=url), environ=ENVIRON,
                            clock=clock, store=Store.from_url(url))
    runtime._classifier = KeywordClassifier()
    return runtime


def _fake(runtime: Runtime, brand_id: str, source: str, error: Exception | None = None) -> FakeX:
    fake = FakeX(error)
    runtime.connector_overrides[(brand_id, source)] = fake  # type: ignore[assignment]
    return fake


# -- the brands file ------------------------------------------------------------------------


def test_rate_limit_in_yaml__read_and_malformed_one_says_field_and_what_to_write(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path / "ok", f"sqlite:///{tmp_path / 'ok.db'}", Clock(), rate="300/5m")
    cfg = runtime.source_config("acme", "search")
    assert cfg.rate_limit == RateLimit(300, timedelta(minutes=5))
    assert rate_of(cfg) == RateLimit(300, timedelta(minutes=5))

    path = tmp_path / "brands.yaml"
    path.write_text(BRANDS.format(rate='"300 per 5 minutes"'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env=ENVIRON)
    problems = [p for p in info.value.problems if "rate_limit" in p]
    assert len(problems) == 3, info.value.problems  # each source that has it, with its line
    first = problems[0]
    assert first.startswith(f"{path}:12: brands[0].sources[0].rate_limit:"), first
    assert "'300 per 5 minutes' is not a rate" in first
    assert "write calls/period, such as 300/5m" in first


def test_rate_limit__default_per_platform_when_unset() -> None:
    from monitor.settings import SourceConfig

    assert rate_of(SourceConfig(type="mastodon")) == RateLimit(150, timedelta(minutes=5))
    assert rate_of(SourceConfig(type="replay")) is None  # a local file: nothing to protect
    assert rate_of(SourceConfig(type="a-platform-added-later")) == RateLimit(60, timedelta(minutes=1))


def test_credential_key__same_values_share_it_and_it_never_holds_the_secret() -> None:
    names = credential_names(FakeX(), {"bearer_token": SHARED, "access_token": "reply"})
    assert names == ("bearer_token",)  # replying credentials do not split a read limit
    one = credential_key("x", {"bearer_token": SHARED}, names)
    with_reply = credential_key("x", {"bearer_token": SHARED, "access_token": "reply"}, names)
    other = credential_key("x", {"bearer_token": "another"}, names)
    assert one == with_reply != other
    assert one.startswith("credential:x:") and len(one.rsplit(":", 1)[1]) == 16
    assert SHARED not in one and SHARED not in table_name(one)
    assert credential_key("reddit", {"bearer_token": SHARED}, names) != one


# -- one database, two runtimes (SQLite file and PostgreSQL) ---------------------------------


def test_rate_limited_with_reset__pauses_every_source_of_that_token(
        tmp_path: Path, database_url: str) -> None:
    clock = Clock()
    runtime = _runtime(tmp_path / "a", database_url, clock)
    _fake(runtime, "acme", "search", RateLimited("x", retry_after=120))
    own = _fake(runtime, "acme", "own")
    other_process = _runtime(tmp_path / "b", database_url, clock)  # its own store and limits
    bolt = _fake(other_process, "bolt", "search")

    assert not poll_source(runtime, "acme", "search").ok
    result = poll_source(other_process, "bolt", "search")
    assert bolt.fetches == 0, "the paused token was not used"
    assert result.ok and result.held_back and "paused" in result.held_back
    assert result.next_poll_in == timedelta(seconds=120)
    state = other_process.sources.get("bolt", "search")
    assert state is not None and state.next_poll_at == T0 + timedelta(seconds=120)
    assert state.healthy and state.polls_total == 0  # held back is neither a poll nor a failure
    assert poll_source(runtime, "acme", "own").ok and own.fetches == 1  # another token goes on

    clock.advance(seconds=120)
    assert poll_source(other_process, "bolt", "search").held_back is None
    assert bolt.fetches == 1


def test_shorter_reset__keeps_the_longer_pause(tmp_path: Path, database_url: str) -> None:
    pauses = Pauses(Store.from_url(database_url))
    pauses.hold("credential:x:abc", T0 + timedelta(minutes=10), "first")
    pauses.hold("credential:x:abc", T0 + timedelta(minutes=2), "second")
    assert pauses.until("credential:x:abc", T0) == T0 + timedelta(minutes=10)
    pauses.hold("credential:x:abc", T0 + timedelta(minutes=15), "third")
    assert pauses.until("credential:x:abc", T0) == T0 + timedelta(minutes=15)
    assert pauses.until("credential:x:abc", T0 + timedelta(minutes=15)) is None  # ended
    assert pauses.active("credential:", T0) == {"x:abc": T0 + timedelta(minutes=15)}


def test_spent_tokens__other_brand_on_the_token_waits_without_calling(
        tmp_path: Path, database_url: str) -> None:
    clock = Clock()
    runtime = _runtime(tmp_path / "a", database_url, clock, rate="2/1m")
    acme, own = _fake(runtime, "acme", "search"), _fake(runtime, "acme", "own")
    other_process = _runtime(tmp_path / "b", database_url, clock, rate="2/1m")
    bolt = _fake(other_process, "bolt", "search")

    assert poll_source(runtime, "acme", "search").held_back is None
    assert poll_source(other_process, "bolt", "search").held_back is None
    held = poll_source(other_process, "bolt", "search")
    assert (acme.fetches, bolt.fetches) == (1, 1)
    assert held.held_back and "2/1m" in held.held_back
    assert timedelta(seconds=1) <= held.next_poll_in <= timedelta(minutes=1)
    state = other_process.sources.get("bolt", "search")
    assert state is not None and state.next_poll_at == T0 + held.next_poll_in
    assert poll_source(runtime, "acme", "own").held_back is None and own.fetches == 1

    clock.advance(minutes=1, seconds=1)
    assert poll_source(runtime, "acme", "search").held_back is None and acme.fetches == 2


# -- two real processes on the real PostgreSQL ----------------------------------------------


def _pg_url() -> str:
    from tests.conftest import _PG_REASON

    if _PG_REASON:
        pytest.skip(_PG_REASON)
    return PG_URL


@pytest.fixture
def pg_schema() -> Any:
    """A PostgreSQL URL searching a schema of its own, dropped afterwards."""
    import psycopg

    raw = _pg_url().replace("+psycopg", "")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


RATE = RateLimit(5, timedelta(seconds=1))
HAMMER = 3.0  # seconds


def _hammer(url: str, name: str, start_at: float, results: Any) -> None:
    """Take tokens of `name` as fast as the bucket allows for HAMMER seconds; report when."""
    store = Store.from_url(url, migrate_schema=False)
    limits = limits_for(store)
    taken: list[int] = []
    while time.time() < start_at:
        time.sleep(0.01)
    while time.time() < start_at + HAMMER:
        now = datetime.now(UTC)
        if limits.take(name, RATE, now, max_wait=0.05) is None:
            taken.append(int(now.timestamp() * 1000))
        else:
            time.sleep(0.01)
    limits.close()
    results.put((name, taken))


def _most_in_any_second(stamps: list[int]) -> int:
    ordered = sorted(stamps)
    # 950 ms, not 1000: two processes stamp a take a few ms before they store it.
    return max(sum(1 for t in ordered[i:] if t - start <= 950) for i, start in enumerate(ordered))


@pytest.mark.postgres
def test_two_processes__one_credential_bucket_between_them_another_not_slowed(
        pg_schema: str) -> None:
    Store.from_url(pg_schema)  # the schema's tables, once, before the workers start
    shared, alone = f"credential:x:{uuid.uuid4().hex[:16]}", f"credential:x:{uuid.uuid4().hex[:16]}"
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    start_at = time.time() + 6  # after the children have imported everything
    workers = [spawn.Process(target=_hammer, args=(pg_schema, name, start_at, results))
               for name in (shared, shared, alone)]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    by_shared = [taken for name, taken in reports if name == shared]
    [by_alone] = [taken for name, taken in reports if name == alone]
    together = [t for taken in by_shared for t in taken]

    assert all(by_shared), "both processes got tokens"
    assert _most_in_any_second(together) <= RATE.calls, "the burst, never more, in any second"
    assert len(together) <= RATE.calls * (HAMMER + 1)
    assert len(together) >= RATE.calls * (HAMMER - 1), "the rate was used, not starved"
    assert len(by_alone) >= RATE.calls * (HAMMER - 1), "the other credential kept its own rate"
    assert len(together) + len(by_alone) > RATE.calls * (HAMMER + 1), "two buckets, not one"


def _rate_limited_elsewhere(folder: str, url: str) -> PollResult:
    """In another process: acme's search gets a 429 with a 120 s reset."""
    runtime = _runtime(Path(folder), url, Clock())
    _fake(runtime, "acme", "search", RateLimited("x", retry_after=120))
    return poll_source(runtime, "acme", "search")


@pytest.mark.postgres
def test_429_in_another_process__this_one_skips_until_the_reset(
        tmp_path: Path, pg_schema: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        there = pool.apply(_rate_limited_elsewhere, (str(tmp_path / "there"), pg_schema))
    assert not there.ok and there.error and "rate limited" in there.error

    clock = Clock(T0 + timedelta(seconds=30))
    here = _runtime(tmp_path / "here", pg_schema, clock)
    bolt = _fake(here, "bolt", "search")
    held = poll_source(here, "bolt", "search")
    assert bolt.fetches == 0 and held.held_back
    assert held.next_poll_in == timedelta(seconds=90)  # the pause ends at T0 + 120 s
    clock.advance(seconds=89)
    assert poll_source(here, "bolt", "search").held_back and bolt.fetches == 0
    clock.advance(seconds=1)
    assert poll_source(here, "bolt", "search").ok and bolt.fetches == 1
