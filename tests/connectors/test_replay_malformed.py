"""A bad line in a replay file is one bad post: it is logged and skipped, the rest goes on.

Each row of `CASES` is one raw line, put between two good posts. A line is either
skipped (counted in `skipped`, one WARNING naming its line number and the reason),
passed over as blank (not a post, not counted), or kept, cleaned: no control character,
no lone surrogate, no field longer than its column, nothing stored as the string "None".
A 1 MB text is kept and cut to 40,000 characters (`extra["truncated"]` says so); a line
over 2 MB is skipped unread.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.replay import MAX_LINE_BYTES, ReplayConnector
from monitor.domain import Mention, SourceSpec
from monitor.sanitize import FIELD_LIMITS, TRUNCATED

SKIP, BLANK = "skip", "blank"
Check = Callable[[Mention], None]


def _spec(tmp_path: Path, batch: int = 100) -> SourceSpec:
    return SourceSpec(brand_id="acme", name="posts", type="replay", query="",
                      own_handles=("acme",), config_dir=str(tmp_path),
                      options={"path": "posts.jsonl", "reply_log": "out/replies.jsonl",
                               "batch": batch})


def _record(pid: Any = "bad", **kw: Any) -> dict[str, Any]:
    return {"id": pid, "text": f"post {pid}", "author": "jan",
            "published_at": "2026-11-02T10:00:00Z", **kw}


def _line(pid: Any = "bad", **kw: Any) -> bytes:
    return json.dumps(_record(pid, **kw)).encode("utf-8")


def _without(*keys: str) -> bytes:
    record = _record()
    for key in keys:
        del record[key]
    return json.dumps(record).encode("utf-8")


def _text_is(expected: str) -> Check:
    def check(m: Mention) -> None:
        assert m.text == expected

    return check


def _id_is(expected: str) -> Check:
    def check(m: Mention) -> None:
        assert m.id == expected

    return check


def _1mb_text_cut(m: Mention) -> None:
    assert len(m.text) == FIELD_LIMITS["text"] and set(m.text) == {"a"}
    assert m.extra[TRUNCATED] == ["text"]


def _handle_cut(m: Mention) -> None:
    assert m.author_handle == "h" * FIELD_LIMITS["author_handle"]
    assert "author_handle" in m.extra[TRUNCATED]


def _platform_defaulted(m: Mention) -> None:
    assert m.platform == "replay" and m.author_name == "jan" and m.title == ""


# (name, raw line, what happens: SKIP, BLANK or a check of the kept mention)
CASES: list[tuple[str, bytes, str | Check]] = [
    ("invalid utf-8", b'{"id": "bad", "text": "caf\xe9 \xff", "author": "jan"}', SKIP),
    ("overlong utf-8 encoding", b'{"id": "bad", "text": "\xc0\xaf", "author": "jan"}', SKIP),
    ("raw NUL byte inside text", b'{"id": "bad", "text": "a\x00b", "author": "jan"}',
     _text_is("ab")),
    ("escaped NUL inside text", _line(text="a\u0000b"), _text_is("ab")),
    ("NUL byte outside any string", _line() + b"\x00", SKIP),
    ("other control characters", _line(text="bell\u0007 esc\u001b[1m c1\u0085x del\u007f"),
     _text_is("bell esc[1m c1\nx del")),
    ("raw control byte inside text", b'{"id": "bad", "text": "a\x1bb", "author": "jan"}',
     _text_is("ab")),
    ("lone surrogate escape", b'{"id": "bad", "text": "a\\ud800b", "author": "jan"}',
     _text_is("ab")),
    ("text only a lone surrogate", b'{"id": "bad", "text": "\\udfff", "author": "jan"}', SKIP),
    ("text only control characters", _line(text="\u0000\u0001"), SKIP),
    ("deep nesting (100 000 '[')", b"[" * 100_000, SKIP),
    ("deep nesting inside a field", json.dumps(
        {**_record(), "extra": json.loads("[" * 40 + "]" * 40)}).encode(), SKIP),
    ("JSON array instead of object", b'[{"id": "bad", "text": "x", "author": "jan"}]', SKIP),
    ("bare string", b'"my parcel is late"', SKIP),
    ("number", b"42", SKIP),
    ("null line", b"null", SKIP),
    ("true line", b"true", SKIP),
    ("empty line", b"", BLANK),
    ("whitespace-only line", b" \t  ", BLANK),
    ("text null", _line(text=None), SKIP),
    ("text a number", _line(text=12), SKIP),
    ("text a list", _line(text=["a", "b"]), SKIP),
    ("text an object", _line(text={"body": "late"}), SKIP),
    ("text empty", _line(text=""), SKIP),
    ("text whitespace only", _line(text=" \n "), SKIP),
    ("missing text", _without("text"), SKIP),
    ("missing id", _without("id"), SKIP),
    ("missing author", _without("author"), SKIP),
    ("id an object", _line(pid={"n": 1}), SKIP),
    ("id a boolean", _line(pid=True), SKIP),
    ("id empty", _line(pid=""), SKIP),
    ("id a number (kept as a string)", _line(pid=77), _id_is("77")),
    ("bad published_at", _line(published_at="last Tuesday"), SKIP),
    ("published_at year 99999", _line(published_at="99999-01-01T00:00:00Z"), SKIP),
    ("published_at year 1 east of UTC", _line(published_at="0001-01-01T00:00:00+01:00"), SKIP),
    ("published_at a number", _line(published_at=1_700_000_000), SKIP),
    ("minutes_ago huge", _without("published_at")[:-1] + b', "minutes_ago": 1e300}', SKIP),
    ("minutes_ago NaN", _without("published_at")[:-1] + b', "minutes_ago": NaN}', SKIP),
    ("followers negative", _line(followers=-5), SKIP),
    ("followers a string", _line(followers="230"), SKIP),
    ("followers past a 32-bit integer", _line(followers=2**40), SKIP),
    ("followers a float", _line(followers=2.5), SKIP),
    ("rating 17", _line(rating=17), SKIP),
    ("rating 0", _line(rating=0), SKIP),
    ("deleted not a boolean", _line(deleted="yes"), SKIP),
    ("null optional fields get their defaults",
     _line(platform=None, author_name=None, title=None, lang=None, url=None, kind=None),
     _platform_defaulted),
    ("1 MB text", _line(text="a" * 1_000_000), _1mb_text_cut),
    ("over-long author handle", _line(author="@" + "h" * 5_000), _handle_cut),
    ("BOM at line start", b"\xef\xbb\xbf" + _line(), _text_is("post bad")),
    ("CRLF line end", _line() + b"\r", _text_is("post bad")),
    ("raw U+2028 inside text", json.dumps(_record(text="one\u2028two"), ensure_ascii=False)
     .encode(), _text_is("one\u2028two")),
    ("a line of 3 MB", _line(text="a" * 3 * 1024 * 1024), SKIP),
    ("truncated JSON", _line()[:25], SKIP),
    ("two objects on one line", _line() + _line(), SKIP),
]


def _fetch(tmp_path: Path, lines: list[bytes], batch: int = 100,
           cursor: str | None = None) -> Any:
    (tmp_path / "posts.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return ReplayConnector(_spec(tmp_path, batch)).fetch(cursor)


def _clean(m: Mention) -> None:
    for field in dataclasses.fields(m):
        value = getattr(m, field.name)
        if isinstance(value, str):
            assert value != "None", field.name
            assert not [c for c in value if unicodedata.category(c) in ("Cc", "Cs")
                        and c not in "\n\t"], field.name
            assert len(value) <= FIELD_LIMITS[field.name], field.name
            value.encode("utf-8")
    assert "None" not in json.dumps(dict(m.extra))


@pytest.mark.parametrize(("raw", "outcome"), [pytest.param(raw, outcome, id=name)
                                              for name, raw, outcome in CASES])
def test_fetch__a_malformed_line_is_one_bad_post(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: bytes, outcome: str | Check) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.replay")
    result = _fetch(tmp_path, [_line("before"), raw, _line("after")])
    warnings = [r for r in caplog.records if r.name == "connectors.replay"]
    ids = [m.id for m in result.mentions]
    assert result.cursor == "3"  # the cursor passes the bad line
    for mention in result.mentions:
        _clean(mention)
    if outcome == SKIP:
        assert ids == ["before", "after"] and result.skipped == 1
        [warning] = warnings
        assert warning.levelno == logging.WARNING
        message = warning.getMessage()
        assert "line 2 skipped: " in message
        assert len(message) < 600  # never the whole line
    elif outcome == BLANK:
        assert ids == ["before", "after"] and result.skipped == 0 and not warnings
    else:
        assert callable(outcome)
        assert len(ids) == 3 and ids[0] == "before" and ids[2] == "after"
        assert result.skipped == 0 and not warnings
        outcome(result.mentions[1])


def test_fetch__the_3mb_line_really_is_over_the_limit() -> None:
    raw = next(raw for name, raw, _ in CASES if name == "a line of 3 MB")
    assert len(raw) > MAX_LINE_BYTES > len(_line(text="a" * 1_000_000))


def test_fetch__warning_names_the_reason_and_quotes_80_characters_cleaned(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.replay")
    secret_tail = "TAIL-NOT-LOGGED"
    raw = _line(text=None, note="\u0007" + "x" * 200 + secret_tail)
    _fetch(tmp_path, [raw])
    [warning] = caplog.records
    message = warning.getMessage()
    assert "line 1 skipped: text: should be a valid string" in message
    assert secret_tail not in message and "\x07" not in message
    quoted = message.split("it starts ", 1)[1]
    assert len(ast.literal_eval(quoted)) == 80  # the quoted start, as repr


@pytest.mark.parametrize(("raw", "reason"), [
    (b'{"id": "1", "text": "\xff", "author": "j"}', "not UTF-8"),
    (b"[" * 100_000, "nested deeper than"),
    (b"[1, 2]", "a JSON array, not an object"),
    (b"null", "a JSON null, not an object"),
    (b'{"id": "1"', "not JSON"),
    (_line(text=None), "text: should be a valid string"),
    (_line(pid={"a": 1}), "id: should be a valid string or a valid integer"),
    (_line(rating=17), "rating: should be less than or equal to 5"),
    (_line(followers=-1), "followers: should be greater than or equal to 0"),
    (_line(published_at="99999-01-01"), "published_at: not an ISO 8601 timestamp"),
    (_line(text="a" * 3 * 1024 * 1024), "longer than 2 MB"),
    (_line(text="\u0000"), "empty text"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_fetch__each_reason_in_plain_words(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                           raw: bytes, reason: str) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.replay")
    assert _fetch(tmp_path, [raw]).skipped == 1
    [warning] = caplog.records
    assert reason in warning.getMessage()


def test_fetch__bad_lines_at_a_batch_edge_still_move_the_cursor(tmp_path: Path) -> None:
    lines = [_line("1"), b"null", b"{", _line("2"), b"", _line(text=None), _line("3")]
    connector = ReplayConnector(_spec(tmp_path, batch=3))
    (tmp_path / "posts.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    first = connector.fetch(None)
    assert [m.id for m in first.mentions] == ["1"] and first.skipped == 2 and first.cursor == "3"
    second = connector.fetch(first.cursor)
    assert [m.id for m in second.mentions] == ["2"] and second.skipped == 1
    assert second.cursor == "6"
    third = connector.fetch(second.cursor)
    assert [m.id for m in third.mentions] == ["3"] and third.cursor == "7"
    assert connector.fetch(third.cursor).cursor == "7"


def test_fetch__a_long_line_before_the_cursor_is_read_past(tmp_path: Path) -> None:
    lines = [_line(text="a" * 3 * 1024 * 1024), _line("1"), _line("2")]
    result = _fetch(tmp_path, lines, cursor="1")
    assert [m.id for m in result.mentions] == ["1", "2"] and result.cursor == "3"


def test_fetch__a_cursor_past_the_end_stays(tmp_path: Path) -> None:
    result = _fetch(tmp_path, [_line("1")], cursor="5")
    assert result.mentions == [] and result.cursor == "5"


def test_fetch__streams_the_file_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def whole_file(*args: object, **kw: object) -> None:
        raise AssertionError("the replay file was read whole")

    monkeypatch.setattr(Path, "read_text", whole_file)
    monkeypatch.setattr(Path, "read_bytes", whole_file)
    result = _fetch(tmp_path, [_line("1"), b"{", _line("2")])
    assert [m.id for m in result.mentions] == ["1", "2"] and result.skipped == 1


def test_fetch__no_trailing_newline_and_bom_on_the_first_line(tmp_path: Path) -> None:
    (tmp_path / "posts.jsonl").write_bytes(b"\xef\xbb\xbf" + _line("1") + b"\n" + _line("2"))
    result = ReplayConnector(_spec(tmp_path)).fetch(None)
    assert [m.id for m in result.mentions] == ["1", "2"] and result.cursor == "2"
