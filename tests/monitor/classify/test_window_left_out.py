"""The encoder's window measured on a corpus left out of training (`left_out_windowed`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.build import leave_one_source_out
from monitor.classify.data import Example
from monitor.classify.metrics import binary_report
from monitor.classify.retrain import left_out_windowed
from monitor.classify.seeds import seed_examples
from monitor.classify.text import clip_words, normalise
from monitor.classify.training import EmbeddingCache
from tests.monitor.classify.conftest import FakeEncoder

_BAD = ["my order never arrived", "refund still missing", "the app keeps crashing",
        "support ignored me again", "package came broken", "charged twice, fix it"]
_GOOD = ["thanks for the quick delivery", "love the new colours", "what are your opening hours",
         "great support today", "new store opens on monday", "does this come in red"]


class _Recording(FakeEncoder):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().encode(texts)


class _Shallow(FakeEncoder):
    cache_tag = "shallow"  # a folder of its own, apart from the encoder's


def _corpus(source: str, n: int, seed: int, long_every: int = 0) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = i % 2
        text = f"@shop {rng.choice(_BAD if label else _GOOD)} #{i}"
        if long_every and i % long_every == 0:
            text += " " + " ".join(f"w{rng.randint(0, 50)}" for _ in range(100))
        out.append(Example(text, "en", label, source))
    return out


@pytest.fixture
def examples() -> list[Example]:
    return [*_corpus("shop_a", 80, 1), *_corpus("shop_b", 80, 2, long_every=3)]


def test_left_out_windowed__whole_posts_score_as_unseen_domains_and_only_long_posts_change(
        examples: list[Example]) -> None:
    parts = left_out_windowed(examples, ["shop_b"], clip_words, "w", folds=2,
                              encoder=FakeEncoder(), shallow=FakeEncoder())
    part = parts["shop_b"]
    assert [e.text for e in part.examples] == [e.text for e in examples if e.source == "shop_b"]
    long = np.array([len(normalise(e.text).split(" ")) > 90 for e in part.examples])
    assert long.sum() == 27 and (part.changed == long).all()
    # the whole-post read is exactly what `train --unseen` measures on the corpus
    figures = leave_one_source_out([*examples, *seed_examples()],
                                   EmbeddingCache(FakeEncoder(), None),
                                   EmbeddingCache(FakeEncoder(), None), folds=2)["shop_b"]
    mine = binary_report(part.y, part.whole >= part.thresholds, part.whole)
    assert mine == {k: figures[k] for k in mine}
    # the window changes the encoder's input, hence the score, of the long posts alone
    assert (part.windowed[~part.changed] == part.whole[~part.changed]).all()
    assert (part.windowed[part.changed] != part.whole[part.changed]).all()


def test_left_out_windowed__encoder_sees_whole_posts_and_windows_cached_apart(
        examples: list[Example], tmp_path: Path) -> None:
    encoder = _Recording()
    left_out_windowed(examples, ["shop_b"], clip_words, "w", folds=2, cache=tmp_path,
                      encoder=encoder, shallow=_Shallow())
    long = [normalise(e.text) for e in examples if e.source == "shop_b"
            and clip_words(normalise(e.text)) != normalise(e.text)]
    assert set(long) <= set(encoder.seen)  # training reads the whole post
    assert {clip_words(t) for t in long} <= set(encoder.seen)  # the window, as the cascade
    again = _Recording()
    rerun = left_out_windowed(examples, ["shop_b"], clip_words, "w", folds=2, cache=tmp_path,
                              encoder=again, shallow=_Shallow())
    assert again.seen == []  # both reads came from the cache, each under its own key
    assert (rerun["shop_b"].windowed[rerun["shop_b"].changed]
            != rerun["shop_b"].whole[rerun["shop_b"].changed]).all()


def test_left_out_windowed__unknown_corpus(examples: list[Example]) -> None:
    with pytest.raises(ValueError, match="shop_z"):
        left_out_windowed(examples, ["shop_z"], clip_words, "w", folds=2,
                          encoder=FakeEncoder(), shallow=FakeEncoder())
