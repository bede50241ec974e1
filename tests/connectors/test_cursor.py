from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from connectors._cursor import ChangeCursor
from monitor.domain import Mention

T = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _m(mid: str, at: datetime) -> Mention:
    return Mention(platform="p", id=mid, text="t", url="u", author_id="a", author_handle="a",
                   published_at=at)


def test_cursor__boundary_second_neither_skipped_nor_repeated() -> None:
    first = ChangeCursor.parse(None)
    assert first.is_new(T, "r1")
    cursor = first.advance([_m("r0", T - timedelta(seconds=5)), _m("r1", T)], lambda m: m.published_at)
    again = ChangeCursor.parse(cursor)
    assert not again.is_new(T, "r1")
    assert again.is_new(T, "r2")  # changed in the same second, not read yet
    assert not again.is_new(T - timedelta(seconds=1), "r9")
    later = ChangeCursor.parse(again.advance([_m("r2", T)], lambda m: m.published_at))
    assert sorted(later.seen) == ["r1", "r2"]


def test_cursor__nothing_new_keeps_it_unless_extra_state_changes() -> None:
    raw = json.dumps({"modified": T.isoformat(), "ids": ["r1"]})
    position = ChangeCursor.parse(raw)
    assert position.advance([], lambda m: m.published_at) == raw
    kept = json.loads(position.advance([], lambda m: m.published_at, polled="2026-11-03"))
    assert kept == {"modified": T.isoformat(), "ids": ["r1"], "polled": "2026-11-03"}
