"""A bad post is one bad post; a broken database is our failure, not the source's.

Every malformed kind of replay line, between good complaints, on SQLite and PostgreSQL:
each is skipped with a log line or stored clean, and every good complaint gets its case.
A mention the store cannot take is quarantined and retried; a full or read-only database
stops the batch without blaming the source, and nothing is lost when it is writable again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from monitor.domain import Mention
from monitor.models import CaseRow, MentionRow
from monitor.poller import poll_all
from monitor.status_report import render_status
from monitor.store_tx import Tx
from tests.connectors.test_replay_malformed import CASES, SKIP
from tests.factories import T0, World, make_world, post


def _lines_with_good_posts_between(world: World) -> tuple[int, int]:
    """Write every malformed kind, each followed by a good complaint; return (bad, good)."""
    import json

    skipped = 0
    with world.posts.open("wb") as fh:
        for i, (_name, raw, outcome) in enumerate(CASES):
            fh.write(raw.replace(b'"bad"', f'"bad{i}"'.encode()) + b"\n")
            fh.write(json.dumps(post(f"good{i}", f"acme order {i} is late", author=f"u{i}")).encode() + b"\n")
            skipped += outcome is SKIP
    return skipped, len(CASES)


def test_every_malformed_kind__skipped_or_cleaned_and_the_rest_processed(
        tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    world = make_world(tmp_path, database_url)
    expected_skips, good = _lines_with_good_posts_between(world)
    assert expected_skips >= 22
    with caplog.at_level(logging.WARNING, logger="connectors.replay"):
        results = poll_all(world.runtime)
        while results[0].fetched:
            results = poll_all(world.runtime)
    assert all(r.ok for r in results)
    state = world.runtime.sources.get("acme", "posts")
    assert state is not None and state.healthy and state.items_skipped == expected_skips
    assert len([r for r in caplog.records if "skipped" in r.getMessage()]) == expected_skips
    with world.runtime.store.session() as s:
        rows = list(s.scalars(select(MentionRow)))
        cases = {c.mention.external_id for c in s.scalars(select(CaseRow))}
    assert {f"good{i}" for i in range(good)} <= cases, "every good complaint has its case"
    for row in rows:
        for value in (row.text, row.author_handle, row.external_id, row.title):
            assert "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        assert row.text not in ("None", "null", "")
    assert "FAILING" not in render_status(world.runtime)


def test_store_cleans_what_a_connector_let_through(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    dirty = Mention(platform="x", id="n\x00ul" + "9" * 500, text="acme late\x00 \ud800again", url="u",
                    author_id="a\x00", author_handle="h" * 1000, published_at=T0)
    mention_id, state = world.runtime.store.save_mention("acme", "posts", dirty, T0)
    row = world.runtime.store.mention(mention_id)
    assert state == "new" and row.text == "acme late again" and len(row.external_id) == 200
    assert "\x00" not in row.author_id and len(row.author_handle) == 200
    assert set(row.extra["truncated"]) >= {"id", "author_handle"}


def test_a_mention_the_store_refuses__quarantined_the_batch_goes_on_and_it_is_retried(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late"), post("2", "acme refund never came", author="ola"),
                    post("3", "acme app is broken", author="kim"))
    real = Tx.add_mention

    def refuses_two(self: Tx, brand_id: str, source: str, mention: Mention, now: Any) -> MentionRow:
        if mention.id == "2":
            raise ValueError("value too long for type character varying(200)")
        return real(self, brand_id, source, mention, now)

    monkeypatch.setattr(Tx, "add_mention", refuses_two)
    [result] = poll_all(world.runtime)
    assert result.ok and result.outcome.complaints == 2 and result.outcome.quarantined == 1
    status = render_status(world.runtime)
    assert "Quarantine: 1 post(s)" in status and "x:2" in status and "varying(200)" in status
    monkeypatch.setattr(Tx, "add_mention", real)
    world.clock.advance(minutes=5)
    [again] = poll_all(world.runtime)
    assert again.outcome.complaints == 1, "the quarantined post is tried again and gets its case"
    assert "Quarantine" not in render_status(world.runtime)
    assert len(world.runtime.store.cases()) == 3


@pytest.mark.parametrize("fault", ["disk_full", "read_only"])
def test_full_or_read_only_database__source_not_blamed_nothing_lost(tmp_path: Path, fault: str) -> None:
    world = make_world(tmp_path)
    world.add_posts(*[post(str(i), f"acme order {i} is late, refund please", author=f"u{i}")
                      for i in range(20)])
    engine = world.runtime.store.engine

    def limit(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if fault == "read_only":
            cur.execute("PRAGMA query_only=ON")
        else:
            cur.execute("PRAGMA page_count")
            pages = cur.fetchone()[0]
            cur.execute(f"PRAGMA max_page_count={pages}")
        cur.close()

    engine.dispose()
    event.listen(engine, "connect", limit)
    [result] = poll_all(world.runtime)
    assert not result.ok and "could not handle the posts" in (result.error or "")
    event.remove(engine, "connect", limit)
    engine.dispose()
    state = world.runtime.sources.get("acme", "posts")
    assert state is None or (state.healthy and state.cursor is None), "the platform did nothing wrong"
    world.clock.advance(minutes=5)
    [retry] = poll_all(world.runtime)
    assert retry.ok  # what the full disk let through before it filled counts once, the rest now
    with world.runtime.store.session() as s:
        per_mention = [c.mention_id for c in s.scalars(select(CaseRow))]
    assert len(per_mention) == len(set(per_mention)) == 20
