"""A wave's keys re-dated once a tenth of the window, not on every join; the upkeep that
forgets old keys and case meaning vectors and vacuums a PostgreSQL whose autovacuum is off."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, text

from monitor import upkeep
from monitor.domain import BrandContext, Mention
from monitor.models import CaseRow, MentionRow, WaveKeyRow
from monitor.pipeline import process
from monitor.scheduler import build_scheduler, upkeep_job
from monitor.settings import BrandConfig
from monitor.waves import MEANING_DIM, key_lag
from tests.factories import T0, KeywordClassifier, World, make_world

OUTAGE = "acme app is broken again, cannot log in since the update"
WINDOW = timedelta(minutes=10)  # the default wave window
LAG = key_lag(WINDOW)


def _post(world: World, i: int, at: datetime) -> None:
    mention = Mention(platform="x", id=f"p{i}", text=f"{OUTAGE} #{i}",
                      url=f"https://x.com/u{i}/status/{i}", author_id=f"u{i}",
                      author_handle=f"user{i}", published_at=at, lang_hint="en")
    world.clock.now = at
    process(world.runtime, _brand(world), "posts", [mention], at)


def _brand(world: World) -> BrandConfig:
    brand = world.runtime.config.brands[0]
    assert brand.waves.window == WINDOW
    return brand.model_copy(update={"waves": brand.waves.model_copy(update={"enabled": True})})


def _wave_key_dates(world: World) -> set[datetime]:
    with world.runtime.store.session() as s:
        return {_utc(at) for at in s.scalars(select(WaveKeyRow.at).where(WaveKeyRow.wave_id.is_not(None)))}


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=T0.tzinfo)


def _wave_of(world: World, i: int) -> int | None:
    with world.runtime.store.session() as s:
        return s.scalar(select(CaseRow.wave_id).join(CaseRow.mention)
                        .where(MentionRow.external_id == f"p{i}"))


def test_a_waves_keys_are_redated_once_a_tenth_of_the_window(tmp_path: Path,
                                                             database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    for i in range(5):  # the fifth makes the wave
        _post(world, i, T0 + timedelta(seconds=i))
    formed = T0 + timedelta(seconds=4)
    wave = _wave_of(world, 4)
    assert wave is not None and _wave_key_dates(world) == {formed}
    _post(world, 5, formed + LAG / 2)  # joins; its keys keep their date
    assert _wave_of(world, 5) == wave and _wave_key_dates(world) == {formed}
    later = formed + LAG + timedelta(seconds=1)
    _post(world, 6, later)  # a tenth of the window on: re-dated
    assert _wave_of(world, 6) == wave and _wave_key_dates(world) == {later}


def test_a_wave_is_joined_until_its_window_passes_whatever_its_keys_say(tmp_path: Path,
                                                                        database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    for i in range(5):
        _post(world, i, T0 + timedelta(seconds=i))
    wave = _wave_of(world, 4)
    last = T0 + timedelta(seconds=4) + LAG / 2
    _post(world, 5, last)  # last joined here; its keys still say T0 + 4 s
    _post(world, 6, last + WINDOW - timedelta(seconds=1))  # keys older than the window: joined
    assert _wave_of(world, 6) == wave
    _post(world, 7, last + WINDOW - timedelta(seconds=1) + WINDOW + timedelta(seconds=1))
    assert _wave_of(world, 7) != wave  # the window since its last join passed


def test_upkeep_forgets_keys_past_the_window_and_keeps_the_rest(tmp_path: Path,
                                                                database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    _post(world, 0, T0)  # a lone case: its keys wait for similar posts
    with world.runtime.store.session() as s:
        stored = s.scalar(select(text("count(*)")).select_from(WaveKeyRow))
    assert stored
    world.clock.now = T0 + WINDOW + LAG
    upkeep.run_upkeep(world.runtime)  # exactly at the edge: kept
    with world.runtime.store.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(WaveKeyRow)) == stored
    world.clock.now = T0 + WINDOW + LAG + timedelta(seconds=1)
    upkeep.run_upkeep(world.runtime)
    with world.runtime.store.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(WaveKeyRow)) == 0


class _Meaning(KeywordClassifier):
    """The keyword classifier, with a meaning vector for every post."""

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        return [np.ones(MEANING_DIM, dtype=np.float32) * (i + 1) for i in range(len(texts))]


def test_upkeep_clears_the_meaning_vectors_of_cases_past_the_window(tmp_path: Path,
                                                                    database_url: str) -> None:
    world = make_world(tmp_path, database_url, classifier=_Meaning())
    _post(world, 0, T0)  # a lone case keeps its vector for the window
    _post(world, 1, T0 + WINDOW)

    def kept() -> list[str]:
        with world.runtime.store.session() as s:
            return sorted(s.scalars(select(MentionRow.external_id).join(CaseRow.mention)
                                    .where(CaseRow.meaning.is_not(None))))

    assert kept() == ["p0", "p1"]
    world.clock.now = T0 + WINDOW
    upkeep.run_upkeep(world.runtime)  # exactly at the edge: kept
    assert kept() == ["p0", "p1"]
    world.clock.now = T0 + WINDOW + timedelta(seconds=1)
    upkeep.run_upkeep(world.runtime)
    assert kept() == ["p1"]
    with world.runtime.store.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(CaseRow)) == 2  # the cases stay


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_without_autovacuum_upkeep_analyses_the_tables_and_says_so_once(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    world = make_world(tmp_path, database_url)
    for i in range(3):
        _post(world, i, T0 + timedelta(seconds=i))
    engine = world.runtime.store.engine

    def analysed() -> float:
        with engine.connect() as conn:  # -1 until the table is first analysed
            return float(conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = "
                                           "'mentions'::regclass")).scalar_one())

    assert analysed() == -1
    monkeypatch.setattr(upkeep, "autovacuum_on", lambda engine: True)
    assert upkeep.run_upkeep(world.runtime) is False and analysed() == -1  # PostgreSQL's job
    monkeypatch.setattr(upkeep, "autovacuum_on", lambda engine: False)
    monkeypatch.setattr(upkeep._Warned, "autovacuum", False)
    with caplog.at_level(logging.WARNING, logger="monitor.upkeep"):
        assert upkeep.run_upkeep(world.runtime) is True
        assert upkeep.run_upkeep(world.runtime) is True
    assert analysed() == 3
    warned = [r.getMessage() for r in caplog.records if "autovacuum" in r.getMessage()]
    assert len(warned) == 1 and "autovacuum = on" in warned[0]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_autovacuum_is_read_from_the_server(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    with world.runtime.store.engine.connect() as conn:
        setting = conn.exec_driver_sql("SHOW autovacuum").scalar()
    assert upkeep.autovacuum_on(world.runtime.store.engine) is (setting == "on")


def test_the_scheduler_runs_the_upkeep_every_minute(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    _post(world, 0, T0)
    scheduler = build_scheduler(world.runtime)
    job = scheduler.get_job("upkeep")
    assert job is not None and job.trigger.interval == timedelta(minutes=1)
    world.clock.now = T0 + WINDOW + LAG + timedelta(seconds=1)
    upkeep_job()  # the scheduler's runtime: the keys go
    with world.runtime.store.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(WaveKeyRow)) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_workers_upkeep_task_runs_every_minute_and_forgets_old_keys(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor import jobs

    periodic = jobs.app.periodic_registry.periodic_tasks[(jobs.upkeep.name, "upkeep")]
    assert periodic.cron == "* * * * *" and jobs.upkeep.lock == "upkeep"  # one worker at a time
    world = make_world(tmp_path, database_url)
    _post(world, 0, T0)
    monkeypatch.setattr(jobs, "_RUNTIME", world.runtime)
    monkeypatch.setattr(upkeep, "autovacuum_on", lambda engine: False)
    with world.runtime.store.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(WaveKeyRow))
    world.clock.now = T0 + WINDOW + LAG + timedelta(seconds=1)
    jobs.upkeep(int(world.clock.now.timestamp()))
    with world.runtime.store.session() as s:
        assert s.scalar(select(text("count(*)")).select_from(WaveKeyRow)) == 0
    with world.runtime.store.engine.connect() as conn:  # analysed: the planner knows the post
        assert conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = "
                                 "'mentions'::regclass")).scalar_one() == 1
