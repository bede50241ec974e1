from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.replay import ReplayConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import PlatformError, ReplyRejected


def _connector(tmp_path: Path, lines: list[str], batch: int = 100) -> ReplayConnector:
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = SourceSpec(brand_id="acme", name="posts", type="replay", query="",
                      own_handles=("acme",), config_dir=str(tmp_path),
                      options={"path": "posts.jsonl", "reply_log": "out/replies.jsonl", "batch": batch})
    return ReplayConnector(spec)


def _line(pid: str, **kw: object) -> str:
    return json.dumps({"id": pid, "text": f"post {pid}", "author": "jan",
                       "published_at": "2026-11-02T10:00:00Z", **kw})


def test_fetch__reads_in_order_and_advances_cursor(tmp_path: Path) -> None:
    c = _connector(tmp_path, [_line("1"), _line("2"), _line("3")], batch=2)
    first = c.fetch(None)
    assert [m.id for m in first.mentions] == ["1", "2"] and first.cursor == "2"
    second = c.fetch(first.cursor)
    assert [m.id for m in second.mentions] == ["3"] and second.cursor == "3"
    assert c.fetch(second.cursor).mentions == []


def test_fetch__malformed_line_skipped_and_counted(tmp_path: Path) -> None:
    c = _connector(tmp_path, [_line("1"), "{not json", json.dumps({"id": "x"}), _line("2")])
    result = c.fetch(None)
    assert [m.id for m in result.mentions] == ["1", "2"] and result.skipped == 2


def test_fetch__own_handle_skipped(tmp_path: Path) -> None:
    c = _connector(tmp_path, [_line("1", author="ACME"), _line("2")])
    assert [m.id for m in c.fetch(None).mentions] == ["2"]


def test_fetch__missing_file_is_a_plain_error(tmp_path: Path) -> None:
    c = _connector(tmp_path, [])
    (tmp_path / "posts.jsonl").unlink()
    with pytest.raises(PlatformError, match=r"does not exist; check options\.path"):
        c.fetch(None)


def test_reply__logged_once_per_idempotency_key(tmp_path: Path) -> None:
    c = _connector(tmp_path, [_line("1")])
    target = ReplyTarget(platform="x", mention_id="1", url="u", author_handle="jan")
    first = c.reply(target, "Sorry!", "case-1-reply")
    again = c.reply(target, "Sorry!", "case-1-reply")
    assert first == again
    lines = (tmp_path / "out" / "replies.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["in_reply_to"] == "1"


def test_reply__refusals_in_plain_words(tmp_path: Path) -> None:
    c = _connector(tmp_path, [_line("1")])
    with pytest.raises(ReplyRejected, match=r"longer than 280"):
        c.reply(ReplyTarget("x", "1", "u", "jan"), "x" * 281, "k1")
    with pytest.raises(ReplyRejected, match="deleted"):
        c.reply(ReplyTarget("x", "1", "u", "jan", extra={"deleted": True}), "hi", "k2")
