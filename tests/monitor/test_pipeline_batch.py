"""The pipeline stores a batch in few transactions, and a failing mention costs only itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from monitor import pipeline
from monitor.domain import Mention
from monitor.models import CaseRow, MentionRow, OutboxRow
from monitor.poller import poll_all
from monitor.store_tx import Tx
from tests.factories import make_world, post


def _commits(engine: Any) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "commit", lambda _conn: seen.append(1))
    return seen


def test_a_batch_of_100_posts__a_few_commits_not_one_per_post(tmp_path: Path,
                                                              database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(*[post(str(i), f"acme order {i} never arrived, refund please" if i % 2
                           else f"acme opens a shop in town {i}", author=f"u{i}")
                      for i in range(100)])  # one poll's batch
    commits = _commits(world.runtime.store.engine)
    [result] = poll_all(world.runtime)
    assert result.ok and result.outcome.stored == 100
    assert result.outcome.complaints == 50
    # 2 chunks of TX_BATCH, plus the reads and the source's state: far fewer than 100
    assert len(commits) <= 100 // pipeline.TX_BATCH + 8, len(commits)
    with world.runtime.store.session() as s:
        assert s.scalar(select(func.count()).select_from(CaseRow)) == 50
        assert (s.scalar(select(func.count()).select_from(OutboxRow)) or 0) >= 50


def test_one_bad_mention_in_a_chunk__the_chunk_is_redone_one_by_one(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(*[post(str(i), f"acme order {i} never arrived", author=f"u{i}")
                      for i in range(pipeline.TX_BATCH + 10)])
    real = Tx.add_mention
    calls: list[str] = []

    def refuses_seven(self: Tx, brand_id: str, source: str, mention: Mention,
                      now: Any) -> MentionRow:
        calls.append(mention.id)
        if mention.id == "7":
            raise ValueError("value too long")
        return real(self, brand_id, source, mention, now)

    monkeypatch.setattr(Tx, "add_mention", refuses_seven)
    [result] = poll_all(world.runtime)
    assert result.ok and result.outcome.quarantined == 1
    assert result.outcome.complaints == pipeline.TX_BATCH + 9, "every other post has its case"
    assert calls.count("3") == 2, "the first chunk was rolled back and redone"
    assert calls.count(str(pipeline.TX_BATCH + 5)) == 1, "the second chunk went through whole"
    with world.runtime.store.session() as s:
        stored = set(s.scalars(select(MentionRow.external_id)))
        per_mention = s.execute(select(CaseRow.mention_id, func.count())
                                .group_by(CaseRow.mention_id)).all()
    assert "7" not in stored and len(stored) == pipeline.TX_BATCH + 9
    assert all(n == 1 for _, n in per_mention), "nothing doubled by the redo"
