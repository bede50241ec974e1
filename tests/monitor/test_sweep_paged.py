"""The deadline sweep reaches every due case however many are open, and counts come from SQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor import case_engine, deadlines
from monitor.poller import poll_all
from monitor.status_report import render_status
from tests.factories import T0, make_world, post


def test_sweep__pages_through_every_due_case(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url, extra="    waves: {enabled: false}\n")
    world.add_posts(*[post(str(i), f"acme order {i} is late", author=f"u{i}", published_at=T0)
                      for i in range(12)])
    poll_all(world.runtime)
    world.clock.advance(minutes=50)  # 10 minutes before the deadline: every case is reminded
    assert deadlines.sweep(world.runtime, page=5) == (12, 0)
    world.clock.advance(minutes=15)
    assert deadlines.sweep(world.runtime, page=5) == (0, 12)
    assert deadlines.sweep(world.runtime, page=5) == (0, 0), "each fires once"
    assert all(c.escalated_at is not None for c in world.runtime.store.cases(limit=100))


def test_status__counts_every_open_case_not_just_those_it_lists(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url, extra="    waves: {enabled: false}\n")
    world.add_posts(*[post(str(i), f"acme order {i} is late", author=f"u{i}",
                           published_at=T0 - timedelta(hours=2 if i < 20 else 0)) for i in range(60)])
    poll_all(world.runtime)
    report = render_status(world.runtime)
    assert "Cases: 60 open, 20 overdue" in report
    assert "(the 50 with the nearest deadlines)" in report


def test_queue__counted_by_the_database_listed_by_the_page(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url, extra="    waves: {enabled: false}\n")
    world.add_posts(*[post(str(i), f"acme order {i} is late", author=f"u{i}",
                           published_at=T0 - timedelta(hours=2 if i < 30 else 0)) for i in range(45)])
    poll_all(world.runtime)
    store = world.runtime.store
    assert store.count_cases(brand_ids=["acme"]) == 45
    assert store.count_cases(brand_ids=["acme"], overdue_at=world.clock()) == 30
    listed = store.cases(brand_ids=["acme"], overdue_at=world.clock(), limit=20)
    assert len(listed) == 20 and all(c.deadline_at <= world.clock() for c in listed)
    assert store.count_cases(brand_ids=["other"]) == 0
    from monitor.case_engine import is_overdue

    every = store.cases(open_only=False, limit=1000)
    assert store.count_cases(open_only=False, overdue_at=world.clock()) == sum(
        is_overdue(c.status, c.replied_at, c.deadline_at, world.clock()) for c in every), \
        "the SQL and the engine agree on what overdue means"


def test_queue_answer__lists_the_nearest_deadlines_in_a_few_statements(
        tmp_path: Path, database_url: str) -> None:
    from sqlalchemy import event

    from alerts.handlers_command import queue_message

    world = make_world(tmp_path, database_url, extra="    waves: {enabled: false}\n")
    world.add_posts(*[post(str(i), f"acme order {i} is late", author=f"u{i}",
                           published_at=T0 - timedelta(minutes=i)) for i in range(45)])
    poll_all(world.runtime)
    issued: list[str] = []

    def record(*args: Any) -> None:
        issued.append(args[2])

    engine = world.runtime.store.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = json.dumps(queue_message(world.runtime, ["acme"], "open", "U0ALLOWED"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "(45)" in answer and "25 more" in answer
    listed = list(dict.fromkeys(re.findall(r"ACME-\d{4}", answer)))
    nearest = [c.reference for c in world.runtime.store.cases(brand_ids=["acme"], limit=20)]
    assert listed == nearest, "the 20 nearest deadlines, in order"
    assert "order 44 is late" in answer  # the oldest post: the nearest deadline
    assert len(issued) <= 4, f"a count and a page, not a query per case listed: {len(issued)}"


def test_sweep__a_case_that_fails_holds_back_no_other(tmp_path: Path, database_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path, database_url, extra="    waves: {enabled: false}\n")
    world.add_posts(*[post(str(i), f"acme order {i} is late", author=f"u{i}", published_at=T0)
                      for i in range(8)])
    poll_all(world.runtime)
    broken = world.runtime.store.cases(limit=100)[3].id
    real = case_engine.remind

    def fails_on_one(tx: Any, case: Any, now: Any) -> bool:
        if case.id == broken:
            raise RuntimeError("this case cannot be reminded")
        return real(tx, case, now)

    monkeypatch.setattr(case_engine, "remind", fails_on_one)
    world.clock.advance(minutes=50)
    assert deadlines.sweep(world.runtime) == (7, 0), "one transaction failed, then one by one"
    monkeypatch.setattr(case_engine, "remind", real)
    assert deadlines.sweep(world.runtime) == (1, 0), "the broken case is tried again"


def test_sweep__a_database_failure_stops_the_sweep(tmp_path: Path, database_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    world = make_world(tmp_path, database_url, extra="    waves: {enabled: false}\n")
    world.add_posts(*[post(str(i), f"acme order {i} is late", author=f"u{i}", published_at=T0)
                      for i in range(3)])
    poll_all(world.runtime)

    def database_gone(tx: Any, case: Any, now: Any) -> bool:
        raise OperationalError("UPDATE cases", {}, Exception("database is locked"))

    monkeypatch.setattr(case_engine, "remind", database_gone)
    world.clock.advance(minutes=50)
    with pytest.raises(OperationalError):
        deadlines.sweep(world.runtime)
