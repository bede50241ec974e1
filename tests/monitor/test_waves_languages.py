"""Waves across languages: complaints alike in meaning form a wave or join one whatever their
words, only within one main category; every complaint is read once, as it opens its case; by
their words alone when no vector can be had."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor import waves
from monitor.domain import BrandContext, Category, Classification, Kind, Mention, Severity
from monitor.models import CaseRow, WaveRow
from monitor.pipeline import process
from monitor.settings import BrandConfig, Thresholds
from tests.factories import T0, KeywordClassifier, World, make_world

# An outage: five English posts alike in words make a wave; then reports in other languages,
# which share no content word with them.
ENGLISH = [f"acme app is down, cannot log in since the update {extra}"
           for extra in ("", "again", "today", "help", "seriously")]
FOREIGN = [("ar", "تطبيق acme معطل منذ الظهر ولا يمكن الدخول"),
           ("fa", "اپ acme از ظهر قطعه و نمیشه وارد شد"),
           ("pl", "apka acme leży od południa, zalogować się nie da"),
           ("en", "cannot sign into acme whatsoever, their service crashed")]
OUTAGE = [("en", t) for t in ENGLISH] + FOREIGN


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _near(base: np.ndarray, seed: int, spread: float = 0.3) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(base.shape)
    return _unit(base + spread * _unit(noise))


BASE = _unit(np.random.default_rng(7).standard_normal(384))
CLOSE = {t: _near(BASE, i) for i, (_l, t) in enumerate(OUTAGE)}


class Told(KeywordClassifier):
    """Every post a complaint, of the category and with the meaning vector the test gives."""

    def __init__(self, vectors: dict[str, np.ndarray], categories: dict[str, Category] | None = None,
                 fail: bool = False) -> None:
        self.vectors = vectors
        self.categories = categories or {}
        self.fail = fail
        self.asked: list[str] = []

    def classify(self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None,
                 thresholds: Sequence[Thresholds] | None = None,
                 brands: Sequence[BrandContext | None] | None = None) -> list[Classification]:
        hints = list(lang_hints or [None] * len(texts))
        return [Classification(is_complaint=True, score=0.9, lang=hint or "en",
                               severity=Severity.DISAPPROVAL,
                               category=self.categories.get(t, Category.APP), kind=Kind.COMPLAINT)
                for t, hint in zip(texts, hints, strict=True)]

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        self.asked += list(texts)
        if self.fail:
            raise RuntimeError("encoder gone")
        return [self.vectors.get(t) for t in texts]


def _mention(i: int, lang: str, text: str) -> Mention:
    return Mention(platform="x", id=f"p{i}", text=text, url=f"https://x.com/u{i}/status/{i}",
                   author_id=f"u{i}", author_handle=f"user{i}", published_at=T0, lang_hint=lang)


def _brand(world: World, **settings: Any) -> BrandConfig:
    brand = world.runtime.config.brands[0]
    return brand.model_copy(update={"waves": brand.waves.model_copy(update=settings)})


def _run(tmp_path: Path, database_url: str, classifier: Told, posts: list[tuple[str, str]],
         **settings: Any) -> World:
    world = make_world(tmp_path, database_url, classifier=classifier)
    brand = _brand(world, **settings)
    for i, (lang, text) in enumerate(posts):  # one by one, a minute apart, as they arrive
        process(world.runtime, brand, "posts", [_mention(i, lang, text)], T0 + timedelta(minutes=i))
    return world


def _waved(world: World) -> dict[str, int | None]:
    with world.runtime.store.session() as s:
        return {c.mention.text: c.wave_id for c in s.query(CaseRow).order_by(CaseRow.id)}


def test_reports_in_other_languages_join_the_wave_by_meaning(tmp_path: Path,
                                                             database_url: str) -> None:
    told = Told(CLOSE)
    world = _run(tmp_path, database_url, told, OUTAGE)
    waved = _waved(world)
    wave = waved[ENGLISH[0]]
    assert wave is not None and set(waved.values()) == {wave} and len(waved) == 9
    # Each complaint read once, as it came: none again when the wave formed.
    assert told.asked == [t for _l, t in OUTAGE]
    with world.runtime.store.session() as s:
        row = s.get_one(WaveRow, wave)
        assert row.category == "app"
        summed = waves.unpack(row.meaning)
        assert summed is not None and waves.cosine(summed, BASE) > 0.95  # the members' average
        assert all(c.meaning is None for c in s.query(CaseRow))  # in the wave: not kept


def test_reports_in_five_languages_with_no_word_in_common_form_a_wave(tmp_path: Path,
                                                                      database_url: str) -> None:
    spread = [("en", ENGLISH[0]), *FOREIGN]  # one English report, then four others
    told = Told(CLOSE)
    world = _run(tmp_path, database_url, told, spread)
    waved = _waved(world)
    assert len(waved) == 5 and None not in waved.values() and len(set(waved.values())) == 1
    with world.runtime.store.session() as s:
        row = s.get_one(WaveRow, waved[ENGLISH[0]])
        summed = waves.unpack(row.meaning)
        assert summed is not None and waves.cosine(summed, BASE) > 0.95


def test_words_alone_cannot_group_these_posts(tmp_path: Path, database_url: str) -> None:
    told = Told(CLOSE)
    world = _run(tmp_path, database_url, told, OUTAGE, across_languages=False)
    waved = _waved(world)
    assert waved[ENGLISH[0]] is not None and [waved[t] for _l, t in FOREIGN] == [None] * 4
    assert told.asked == []  # not even read


def test_alike_in_meaning_but_of_another_category_stays_out(tmp_path: Path,
                                                            database_url: str) -> None:
    told = Told(CLOSE, {t: Category.PAYMENT for _l, t in FOREIGN})
    world = _run(tmp_path, database_url, told, OUTAGE)
    assert [_waved(world)[t] for _l, t in FOREIGN] == [None] * 4
    assert told.asked == [t for _l, t in OUTAGE]


def test_unlike_meanings_stay_out(tmp_path: Path, database_url: str) -> None:
    rng = np.random.default_rng(11)
    told = Told({**CLOSE, **{t: _unit(rng.standard_normal(384)) for _l, t in FOREIGN}})
    world = _run(tmp_path, database_url, told, OUTAGE)
    assert [_waved(world)[t] for _l, t in FOREIGN] == [None] * 4
    with world.runtime.store.session() as s:  # kept for the window: later ones may be like them
        kept = [c.meaning for c in s.query(CaseRow) if c.wave_id is None]
    assert len(kept) == 4 and all(waves.unpack(m) is not None for m in kept)


@pytest.mark.parametrize(("threshold", "joined"), [(0.5, True), (0.8, False)])
def test_the_threshold_is_the_brands(tmp_path: Path, database_url: str, threshold: float,
                                     joined: bool) -> None:
    far = {t: _near(BASE, i, spread=1.0) for i, (_l, t) in enumerate(FOREIGN)}  # cosine 0.71
    told = Told({**dict.fromkeys(ENGLISH, BASE), **far})
    world = _run(tmp_path, database_url, told, OUTAGE, meaning_similarity=threshold)
    assert {_waved(world)[t] is not None for _l, t in FOREIGN} == {joined}


def test_a_failing_encoder_loses_no_case(tmp_path: Path, database_url: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    world = _run(tmp_path, database_url, Told({}, fail=True), OUTAGE)
    waved = _waved(world)
    assert len(waved) == 9 and [waved[t] for _l, t in FOREIGN] == [None] * 4
    assert waved[ENGLISH[0]] is not None  # by words, as before
    assert "meaning vectors failed" in caplog.text


def test_meaning_keys_are_fixed_and_close_vectors_share_them() -> None:
    keys = waves.meaning_keys(BASE)
    assert len(keys) == waves.MEANING_BANDS
    assert {b for b, _ in keys} == set(range(100, 100 + waves.MEANING_BANDS))
    shared = [len(set(keys) & set(waves.meaning_keys(_near(BASE, s, 0.2)))) for s in range(20)]
    assert min(shared) >= 1  # cosine ~0.98: a band in common every time
    assert not set(keys) & set(waves.meaning_keys(-BASE))  # opposite: every bit differs
    # The planes come from constant seeds: another process computes the same keys.
    code = ("import numpy as np; from monitor import waves; "
            "v = np.random.default_rng(7).standard_normal(384); v /= np.linalg.norm(v); "
            "print(waves.meaning_keys(v)[0][1])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == keys[0][1]


def test_packed_vectors_keep_their_direction() -> None:
    back = waves.unpack(waves.pack(BASE))
    assert back is not None and len(waves.pack(BASE)) == 768
    assert waves.cosine(BASE, back) > 0.9999
    assert waves.unpack(None) is None and waves.unpack(b"") is None
