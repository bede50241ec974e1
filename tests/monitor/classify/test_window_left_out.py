"""The encoder's window, and other readings of a long post, measured on a corpus left out of
training (`left_out_reads`, with the window alone and beside another reading); the chunk
mean (`encode_long`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from monitor.classify.build import leave_one_source_out
from monitor.classify.data import Example
from monitor.classify.encoder import encode_long
from monitor.classify.metrics import binary_report
from monitor.classify.retrain import Reading, left_out_reads, window_reading
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


def _windowed(examples: list[Example], sources: list[str], **kwargs: Any
              ) -> dict[str, SimpleNamespace]:
    """`left_out_reads` with the cascade's old 60+30 window as the one reading, its scores
    named as the window's (`windowed`, `changed`)."""
    parts = left_out_reads(examples, sources, [window_reading(clip_words, "w")], folds=2, **kwargs)
    return {source: SimpleNamespace(examples=p.examples, y=p.y, thresholds=p.thresholds,
                                    whole=p.whole, windowed=p.read["w"], changed=p.changed["w"])
            for source, p in parts.items()}


def test_left_out_window__whole_posts_score_as_unseen_domains_and_only_long_posts_change(
        examples: list[Example]) -> None:
    parts = _windowed(examples, ["shop_b"], encoder=FakeEncoder(), shallow=FakeEncoder())
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


def test_left_out_window__encoder_sees_whole_posts_and_windows_cached_apart(
        examples: list[Example], tmp_path: Path) -> None:
    encoder = _Recording()
    _windowed(examples, ["shop_b"], cache=tmp_path, encoder=encoder, shallow=_Shallow())
    long = [normalise(e.text) for e in examples if e.source == "shop_b"
            and clip_words(normalise(e.text)) != normalise(e.text)]
    assert set(long) <= set(encoder.seen)  # training reads the whole post
    assert {clip_words(t) for t in long} <= set(encoder.seen)  # the window
    again = _Recording()
    rerun = _windowed(examples, ["shop_b"], cache=tmp_path, encoder=again, shallow=_Shallow())
    assert again.seen == []  # both reads came from the cache, each under its own key
    assert (rerun["shop_b"].windowed[rerun["shop_b"].changed]
            != rerun["shop_b"].whole[rerun["shop_b"].changed]).all()


def test_left_out_window__unknown_corpus(examples: list[Example]) -> None:
    with pytest.raises(ValueError, match="shop_z"):
        _windowed(examples, ["shop_z"], encoder=FakeEncoder(), shallow=FakeEncoder())


def _words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_encode_long__short_text_is_the_encoders_own_vector() -> None:
    encoder = _Recording()
    texts = [_words(90), "", "refund still missing"]
    got = encode_long(encoder, texts, words=90, chunks=4)
    assert encoder.seen == texts  # one piece each, the text itself
    assert (got == FakeEncoder().encode(texts)).all()
    assert encode_long(encoder, [], words=90).shape == (0, 384)


def test_encode_long__long_text_is_the_mean_of_its_first_last_and_middle_pieces() -> None:
    encoder = _Recording()
    text = _words(1000)  # twelve runs of 83 or 84 words
    got = encode_long(encoder, [_words(100), text], words=90, chunks=4)
    halves, pieces = encoder.seen[:2], encoder.seen[2:]
    assert [len(h.split(" ")) for h in halves] == [50, 50]
    assert " ".join(halves) == _words(100)
    assert len(pieces) == 4 and all(len(p.split(" ")) <= 90 for p in pieces)
    assert pieces[0].startswith("w0 ") and pieces[-1].endswith(" w999")
    starts = [int(p.split(" ")[0][1:]) for p in pieces]
    assert starts == sorted(starts) and 250 < starts[1] < starts[2] < 750  # spread between
    for row, part in ((0, halves), (1, pieces)):
        mean = FakeEncoder().encode(part).mean(axis=0)
        assert np.allclose(got[row], mean / np.linalg.norm(mean), atol=1e-6)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    # fewer pieces allowed: still the first and the last
    encoder.seen.clear()
    encode_long(encoder, [text], words=90, chunks=2)
    assert len(encoder.seen) == 2 and encoder.seen[-1].endswith(" w999")


def _chunked(words: int = 90) -> Reading:
    return Reading("chunks", lambda encoder, texts: encode_long(encoder, texts, words=words),
                   lambda text: len(text.split(" ")) > words)


def test_left_out_reads__each_reading_against_the_same_whole_post_fit(
        examples: list[Example]) -> None:
    window = window_reading(clip_words, "w")
    parts = left_out_reads(examples, ["shop_b"], [window, _chunked()], folds=2,
                           encoder=FakeEncoder(), shallow=FakeEncoder())
    part = parts["shop_b"]
    alone = _windowed(examples, ["shop_b"], encoder=FakeEncoder(), shallow=FakeEncoder())["shop_b"]
    assert (part.whole == alone.whole).all() and (part.read["w"] == alone.windowed).all()
    assert (part.changed["w"] == alone.changed).all()
    # the chunk mean reads the same long posts otherwise, and only those
    chunks, changed = part.read["chunks"], part.changed["chunks"]
    assert (changed == alone.changed).all() and changed.sum() == 27
    assert (chunks[~changed] == part.whole[~changed]).all()
    assert (chunks[changed] != part.whole[changed]).all()
    assert (chunks[changed] != part.read["w"][changed]).all()


def test_left_out_reads__each_reading_cached_under_its_own_tag(
        examples: list[Example], tmp_path: Path) -> None:
    encoder = _Recording()
    left_out_reads(examples, ["shop_b"], [window_reading(clip_words, "w"), _chunked()],
                   folds=2, cache=tmp_path, encoder=encoder, shallow=_Shallow())
    long = [normalise(e.text) for e in examples if e.source == "shop_b"
            and len(normalise(e.text).split(" ")) > 90]
    probe = _Recording()
    encode_long(probe, long)
    assert len(probe.seen) == 2 * len(long)  # two halves each
    assert set(probe.seen) <= set(encoder.seen)  # the reading was handed the encoder itself
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == {"shallow", "encoder-w",
                                                                 "encoder-chunks"}
    again = _Recording()
    left_out_reads(examples, ["shop_b"], [window_reading(clip_words, "w"), _chunked()],
                   folds=2, cache=tmp_path, encoder=again, shallow=_Shallow())
    assert again.seen == []
