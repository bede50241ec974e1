"""monitor.sanitize: what reaches the store and the classifier is clean and bounded."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import String

from monitor.classify import langid, scoring
from monitor.classify.blame import BlameReader
from monitor.classify.cascade import DefaultClassifier
from monitor.classify.heads import load_heads
from monitor.classify.target import load_target
from monitor.classify.transformers_backend import TransformersClassifier
from monitor.classify.vader_signal import Vader
from monitor.domain import BrandContext, Mention
from monitor.models import MentionRow
from monitor.sanitize import (
    EXTRA_MAX_BYTES,
    FIELD_LIMITS,
    MAX_CLASSIFIED_CHARS,
    TRUNCATED,
    clean_extra,
    clean_mention,
    clean_text,
    clip_for_classifier,
    cut,
)

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _controls(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]


def _mention(**kw: Any) -> Mention:
    base: dict[str, Any] = {"platform": "x", "id": "1", "text": "my parcel is late",
                            "url": "https://x.example/1", "author_id": "a1", "author_handle": "jan",
                            "published_at": T0}
    return Mention(**{**base, **kw})


# --- clean_text -------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("a\x00b", "ab"),
    ("bell\x07 esc\x1b[31m del\x7f", "bell esc[31m del"),
    ("c1\x80\x9f chars", "c1 chars"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
    ("windows\r\nline", "windows\nline"),
    ("old mac\rline", "old mac\nline"),
    ("next line\x85here, form\x0cfeed", "next line\nhere, form\nfeed"),
    ("lone \ud800 high, lone \udfff low", "lone  high, lone  low"),
    ("a pair held as two \ud83d\ude00", "a pair held as two \U0001f600"),
    ("cafe\u0301", "caf\u00e9"),  # NFC
    ("", ""),
])
def test_clean_text__removes_controls_and_surrogates_and_normalises(raw: str, expected: str) -> None:
    text, was_cut = clean_text(raw, 1_000)
    assert text == expected and not was_cut
    assert not _controls(text)
    text.encode("utf-8")  # no lone surrogate is left


def test_clean_text__cuts_to_the_limit_and_says_so() -> None:
    assert clean_text("abcdef", 6) == ("abcdef", False)
    assert clean_text("abcdefg", 6) == ("abcdef", True)
    assert clean_text("abc", 0) == ("", True)
    # removed characters do not count against the limit
    assert clean_text("ab\x00\x00cd", 4) == ("abcd", False)


@pytest.mark.parametrize("cluster", [
    "\U0001F469\u200d\U0001F4BB",  # woman technologist, a ZWJ sequence
    "\U0001F1F5\U0001F1F1",  # a flag: two regional indicators
    "e\u0301\u0323",  # a letter with two marks (no precomposed form for both)
    "\U0001F44D\U0001F3FD",  # thumbs up with a skin tone
])
def test_cut__never_splits_a_grapheme(cluster: str) -> None:
    text = "x" * 9 + cluster + "tail"
    for limit in range(9, 9 + len(cluster)):
        kept, was_cut = cut(text, limit)
        assert was_cut and kept == "x" * 9, limit
    assert cut(text, 9 + len(cluster)) == ("x" * 9 + cluster, True)


def test_cut__one_huge_cluster_is_still_cut_to_the_limit() -> None:
    text = "z" + "\u0301" * 500
    kept, was_cut = cut(text, 100)
    assert was_cut and len(kept) == 100


def test_clip_for_classifier__bounds_a_long_post() -> None:
    assert clip_for_classifier("short") == "short"
    assert len(clip_for_classifier("w " * 600_000)) == MAX_CLASSIFIED_CHARS


# --- clean_mention ----------------------------------------------------------------------

_COLUMNS = {"id": "external_id"}
_TEXT_BOUNDS = {"text": 40_000, "title": 1_000, "url": 2_000}


def test_field_limits__match_the_mention_columns() -> None:
    columns = MentionRow.__table__.columns
    for field, limit in FIELD_LIMITS.items():
        column = columns[_COLUMNS.get(field, field)]
        if isinstance(column.type, String) and column.type.length is not None:
            assert limit == column.type.length, field
        else:
            assert limit == _TEXT_BOUNDS[field], field
    str_fields = {f.name for f in dataclasses.fields(Mention)
                  if f.type in ("str", "str | None")}
    assert str_fields == set(FIELD_LIMITS)


@pytest.mark.parametrize("field", sorted(FIELD_LIMITS))
def test_clean_mention__cuts_each_field_to_its_column(field: str) -> None:
    limit = FIELD_LIMITS[field]
    cleaned = clean_mention(_mention(**{field: "\x00" + "é" * (limit + 5)}))
    value = getattr(cleaned, field)
    assert value == "é" * limit
    assert cleaned.extra[TRUNCATED] == [field]


def test_clean_mention__cleans_every_text_field_and_keeps_none() -> None:
    dirty = _mention(text="late\x00 again\ud800", author_name="Jan\x1b", title="T\x07itle",
                     conversation_id="c\x001", lang_hint=None, in_reply_to_id=None)
    cleaned = clean_mention(dirty)
    assert (cleaned.text, cleaned.author_name, cleaned.title) == ("late again", "Jan", "Title")
    assert cleaned.conversation_id == "c1"
    assert cleaned.lang_hint is None and cleaned.in_reply_to_id is None
    assert TRUNCATED not in cleaned.extra  # cleaned, but nothing cut


def test_clean_mention__a_clean_mention_comes_back_unchanged() -> None:
    mention = _mention(extra={"deleted": False, "ids": ["1", 2]})
    assert clean_mention(mention) is mention


def test_clean_mention__cleaning_twice_changes_nothing() -> None:
    once = clean_mention(_mention(text="x" * 50_000, author_handle="h" * 300,
                                  extra={"deep": [[[[[["too deep"]]]]]], "a": "b\x00"}))
    assert once.extra[TRUNCATED] == ["text", "author_handle", "extra"]
    assert clean_mention(once) == once


def test_clean_mention__keeps_what_extra_already_listed_as_truncated() -> None:
    cleaned = clean_mention(_mention(text="x" * 40_001, extra={TRUNCATED: ["title"]}))
    assert cleaned.extra[TRUNCATED] == ["title", "text"]


def test_clean_mention__numbers_outside_the_integer_column_are_dropped() -> None:
    cleaned = clean_mention(_mention(author_followers=2**40, rating=2**33))
    assert cleaned.author_followers is None and cleaned.rating is None
    kept = clean_mention(_mention(author_followers=12, rating=2))
    assert (kept.author_followers, kept.rating) == (12, 2)
    assert clean_mention(_mention(author_followers=-3)).author_followers is None


# --- extra ------------------------------------------------------------------------------

def test_clean_extra__cleans_strings_and_keys_at_every_level() -> None:
    extra, lossy = clean_extra({"a\x00": ["x\x00y", {"k": "v\ud800", "n": 1, "f": 1.5}],
                                "b": None, "c": True})
    assert extra == {"a": ["xy", {"k": "v", "n": 1, "f": 1.5}], "b": None, "c": True}
    assert not lossy


def test_clean_extra__drops_what_is_deeper_than_five_levels() -> None:
    five = {"l2": {"l3": {"l4": {"l5": "kept"}}}}
    extra, lossy = clean_extra({"ok": five, "deep": {"l2": {"l3": {"l4": {"l5": {"l6": "x"}}}}}})
    assert extra["ok"] == five
    assert extra["deep"] == {"l2": {"l3": {"l4": {}}}}
    assert lossy


def test_clean_extra__non_finite_numbers_become_null() -> None:
    extra, lossy = clean_extra({"nan": float("nan"), "inf": float("inf")})
    assert extra == {"nan": None, "inf": None} and lossy
    json.dumps(extra, allow_nan=False)


def test_clean_extra__bounded_once_serialised() -> None:
    big = {f"k{i}": "v" * 5_000 for i in range(40)}  # ~200 KB
    extra, lossy = clean_extra({"first": "kept", **big})
    assert lossy and extra["first"] == "kept"
    assert len(json.dumps(extra, ensure_ascii=False).encode("utf-8")) <= EXTRA_MAX_BYTES
    assert 0 < len(extra) < 41


def test_clean_mention__nothing_becomes_the_string_none() -> None:
    cleaned = clean_mention(_mention(text="\x00", author_name="", lang_hint=None))
    assert "None" not in json.dumps(dataclasses.asdict(cleaned), default=str)


# --- the classifier reads a bounded part of each post -----------------------------------

class _SpyEncoder:
    """Deterministic unit vectors from a text's hash; remembers the longest text it read."""

    def __init__(self) -> None:
        self.longest = 0
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.longest = max([self.longest, *(len(t) for t in texts)])
        rows = []
        for text in texts:
            v = np.random.default_rng(zlib.crc32(text.encode("utf-8"))).normal(size=384)
            rows.append((v / np.linalg.norm(v)).astype(np.float32))
        return np.stack(rows) if rows else np.zeros((0, 384), np.float32)


class _SpyAnalyzer:
    def __init__(self, real: Any) -> None:
        self.real = real
        self.lengths: list[int] = []

    def polarity_scores(self, text: str) -> dict[str, float]:
        self.lengths.append(len(text))
        if len(text) > MAX_CLASSIFIED_CHARS:  # VADER would take minutes: fail fast instead
            return {"compound": 0.0, "neg": 0.0, "pos": 0.0}
        return dict(self.real.polarity_scores(text))


_LONG_COMPLAINT = ("@acme my ORDER is three weeks LATE and your support was RUDE to me. "
                   + "I waited and waited. " * 50_000)  # about 1 MB


@dataclasses.dataclass
class _Spied:
    classifier: DefaultClassifier
    seen: dict[str, list[int]]  # the length of every text each stage was handed
    encoder: _SpyEncoder

    def assert_bounded(self) -> None:
        for stage, lengths in self.seen.items():
            assert lengths, f"{stage} was never called"
            assert max(lengths) <= MAX_CLASSIFIED_CHARS, stage
        assert self.encoder.calls and self.encoder.longest <= MAX_CLASSIFIED_CHARS


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> _Spied:
    """The default classifier with the shipped heads, spy encoders and spies on the stages
    that read the text: language id, n-grams and VADER."""
    seen: dict[str, list[int]] = {"langid": [], "ngram": [], "vader": []}
    encoder = _SpyEncoder()
    classifier = DefaultClassifier(load_heads(), encoder, shallow=encoder)
    target = load_target()
    if target is not None:
        classifier.blame = BlameReader(target, encoder, encoder)
    real_detect, real_ngram = langid.detect, scoring.ngram_logit

    def detect(text: str, hint: str | None = None) -> str:
        seen["langid"].append(len(text))
        return real_detect(text[:MAX_CLASSIFIED_CHARS], hint)

    def ngram_logit(w: np.ndarray, b: float, text: str, lang: str) -> float:
        seen["ngram"].append(len(text))
        return real_ngram(w, b, text[:MAX_CLASSIFIED_CHARS], lang)

    monkeypatch.setattr(langid, "detect", detect)
    monkeypatch.setattr(scoring, "ngram_logit", ngram_logit)
    analyzer = _SpyAnalyzer(classifier._vader._analyzer)
    classifier._vader.__dict__["_analyzer"] = analyzer
    seen["vader"] = analyzer.lengths
    return _Spied(classifier, seen, encoder)


def test_classify__a_1mb_post_is_read_up_to_the_bound(spied: _Spied) -> None:
    assert len(_LONG_COMPLAINT) > 200 * MAX_CLASSIFIED_CHARS
    [verdict] = spied.classifier.classify([_LONG_COMPLAINT], lang_hints=["en"])
    spied.assert_bounded()
    assert verdict.is_complaint and verdict.cues
    for cue in verdict.cues:  # `why` quotes the words as written, from the part read
        assert cue in _LONG_COMPLAINT[:MAX_CLASSIFIED_CHARS]


def test_classify__brand_aware_path_reads_the_bounded_part(spied: _Spied) -> None:
    if spied.classifier.blame is None:
        pytest.skip("these heads have no brand-aware part")
    brand = BrandContext(id="acme", name="Acme", names=("acme",))
    [verdict] = spied.classifier.classify([_LONG_COMPLAINT], lang_hints=["en"], brands=[brand])
    spied.assert_bounded()
    assert all(cue in _LONG_COMPLAINT[:MAX_CLASSIFIED_CHARS] for cue in verdict.cues)


def test_first_stage__a_1mb_post_is_read_up_to_the_bound(spied: _Spied) -> None:
    [(lang, score)] = spied.classifier.first_stage([_LONG_COMPLAINT], ["en"])
    assert lang == "en" and 0.0 <= score <= 1.0
    for stage in ("langid", "ngram", "vader"):
        assert spied.seen[stage] and max(spied.seen[stage]) <= MAX_CLASSIFIED_CHARS, stage


def test_classify__a_long_post_is_judged_as_its_first_part(spied: _Spied) -> None:
    [verdict] = spied.classifier.classify([_LONG_COMPLAINT], lang_hints=["en"])
    [part] = DefaultClassifier(spied.classifier.heads, spied.encoder, shallow=spied.encoder).classify(
        [_LONG_COMPLAINT[:MAX_CLASSIFIED_CHARS]], lang_hints=["en"])
    assert verdict == part
    assert "“" in verdict.why  # `why` still quotes the post's words


def test_vader__bounds_the_text_on_every_path() -> None:
    vader = Vader()
    analyzer = _SpyAnalyzer(vader._analyzer)
    vader.__dict__["_analyzer"] = analyzer
    vader.signals("so bad " * 200_000, "en")
    assert analyzer.lengths == [MAX_CLASSIFIED_CHARS]


def test_transformers_backend__reads_the_bounded_part(monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = TransformersClassifier("never-loaded")
    handed: list[int] = []

    def scores(texts: Sequence[str]) -> list[float]:
        handed.extend(len(t) for t in texts)
        return [0.9] * len(texts)

    monkeypatch.setattr(classifier, "scores", scores)
    [verdict] = classifier.classify([_LONG_COMPLAINT], lang_hints=["en"])
    assert verdict.is_complaint and handed == [MAX_CLASSIFIED_CHARS]
