"""Meaning vectors with the real encoder and the shipped centres: an outage wave begun in
English gathers the reports in Arabic, Persian and Polish; other complaints stay out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.encoder import E5Encoder
from monitor.classify.meaning import LAYERS, MeaningReader, fit_centres, load_centres, reading
from monitor.domain import BrandContext, Category
from monitor.models import CaseRow
from monitor.pipeline import process
from tests.factories import T0, make_world
from tests.monitor.test_waves_languages import Told, _brand, _mention

EVENTS = json.loads((Path(__file__).parents[2] / "fixtures" / "waves" / "events.json")
                    .read_text(encoding="utf-8"))
ACME = BrandContext(id="acme", name="Acme Coffee", names=("acme",))
# The wave begins in English: five posts alike in words (the fixture's English report).
ENGLISH_OUTAGE = [f"{EVENTS['app_down']['en']} {extra}".strip()
                  for extra in ("", "again", "today", "help", "seriously")]


@pytest.fixture(scope="module")
def reader() -> MeaningReader:
    centres = load_centres()
    assert sorted(centres) == ["ar", "en", "fa", "pl"]  # shipped beside the heads
    return MeaningReader(E5Encoder(layers=LAYERS).encode, centres)


class Real(Told):
    """Complaints of the categories the test gives, with the real meaning vectors."""

    def __init__(self, reader: MeaningReader, categories: dict[str, Category]) -> None:
        super().__init__({}, categories)
        self.reader = reader

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        return self.reader.vectors(texts, langs, brands)


def test_reports_of_an_outage_in_three_languages_join_its_wave(tmp_path: Path, database_url: str,
                                                          reader: MeaningReader) -> None:
    outage = EVENTS["app_down"]
    others = [("pl", EVENTS["refund_missing"]["pl"], Category.REFUND),  # another category
              ("en", EVENTS["broken_item"]["en"], Category.PRODUCT),
              ("pl", "Czcionka w aplikacji Acme jest za mała, nie da się czytać", Category.APP)]
    posts = [("en", t, Category.APP) for t in ENGLISH_OUTAGE]
    posts += [(lang, outage[lang], Category.APP) for lang in ("ar", "fa", "pl")] + others
    world = make_world(tmp_path, database_url,
                       classifier=Real(reader, {t: c for _l, t, c in posts}))
    brand = _brand(world)
    for i, (lang, text, _c) in enumerate(posts):
        process(world.runtime, brand, "posts", [_mention(i, lang, text)], T0 + timedelta(minutes=i))
    with world.runtime.store.session() as s:
        waved = {c.mention.text: c.wave_id for c in s.query(CaseRow)}
    wave = waved[ENGLISH_OUTAGE[0]]
    assert wave is not None
    assert [waved[outage[lang]] for lang in ("ar", "fa", "pl")] == [wave] * 3
    assert [waved[t] for _l, t, _c in others] == [None] * 3


def test_centres_take_the_language_away(reader: MeaningReader) -> None:
    """Without the centres a post is nearer another event in its own language than its own
    event in another; with them the same event is nearest for most posts."""
    names = [n for n in EVENTS if not n.startswith("_")]
    rows = [(n, lang, EVENTS[n][lang]) for n in names for lang in ("en", "ar", "fa", "pl")]

    def nearest_same_event(centred: MeaningReader) -> float:
        v = np.stack(centred.vectors([t for *_x, t in rows], [lang for _n, lang, _t in rows],
                                     [ACME] * len(rows)))  # type: ignore[arg-type]
        sim = v @ v.T
        np.fill_diagonal(sim, -np.inf)
        return float(np.mean([rows[int(np.argmax(sim[i]))][0] == rows[i][0]
                              for i in range(len(rows))]))

    flat = MeaningReader(reader.encode, {lang: np.zeros(384, np.float32) for lang in reader.centres})
    assert nearest_same_event(flat) < 0.7  # 54% when measured
    assert nearest_same_event(reader) > 0.9  # 100%


def test_fitted_centres_are_each_languages_mean() -> None:
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": np.array([0.6, 0.8])}
    centres = fit_centres(["a", "b", "c"], ["en", "en", "pl"], [ACME] * 3,
                          lambda texts: np.stack([vectors[t] for t in texts]))
    assert np.allclose(centres["en"], [0.5, 0.5]) and np.allclose(centres["pl"], [0.6, 0.8])
    assert reading("ACME app DOWN", ACME) != "ACME app DOWN"  # the brand is marked
