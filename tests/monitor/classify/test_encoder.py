"""The sentence encoder, whole and cut to its first layers, from the installed wheel."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.classify import encoder
from monitor.classify.encoder import E5Encoder
from monitor.classify.training import EmbeddingCache

TEXTS = ["my parcel never arrived and nobody answers", "ممنون، سفارش سالم رسید"]


def test_encoder__fewer_layers_give_other_unit_vectors() -> None:
    whole = E5Encoder(layers=12).encode(TEXTS)
    cut = E5Encoder(layers=8).encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(cut, axis=1), 1.0, rtol=1e-4)
    assert float(np.min(np.sum(whole * cut, axis=1))) < 0.95
    again = E5Encoder(layers=8).encode(TEXTS)
    np.testing.assert_allclose(cut, again, atol=1e-6)


def test_encoder__refuses_more_layers_than_it_has() -> None:
    with pytest.raises(ValueError, match="has 12 layers"):
        E5Encoder(layers=13).encode(["hello"])
    with pytest.raises(ValueError, match="cannot keep -1"):
        E5Encoder(layers=-1).encode(["hello"])


def test_encoder__embedding_layer_alone_shares_the_image_with_deeper_cuts() -> None:
    deep = E5Encoder(layers=8)
    before = deep.encode(TEXTS)
    shallow = E5Encoder(layers=0).encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(shallow, axis=1), 1.0, rtol=1e-4)
    assert float(np.min(np.sum(shallow * before, axis=1))) < 0.95
    # loading another depth from the shared image leaves the loaded ones as they were
    np.testing.assert_allclose(deep.encode(TEXTS), before, atol=1e-6)
    assert len(encoder._IMAGES) == 1


def test_embedding_cache__one_folder_per_encoder_and_resumable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Counting:
        cache_tag = "fake-l3"

        def __init__(self) -> None:
            self.seen = 0

        def encode(self, texts):  # type: ignore[no-untyped-def]
            self.seen += len(texts)
            return np.ones((len(texts), 384), np.float32)

    first = Counting()
    EmbeddingCache(first, tmp_path).embed([f"text {i}" for i in range(100)])
    assert first.seen == 100
    assert list((tmp_path / "fake-l3").glob("emb_*.npz"))
    second = Counting()
    cache = EmbeddingCache(second, tmp_path)
    assert cache.missing([f"text {i}" for i in range(120)]) == 20
    cache.embed([f"text {i}" for i in range(120)])
    assert second.seen == 20
