"""The trained heads: plain arrays in an .npz (loaded with allow_pickle=False) plus JSON.

Layout of `heads.npz`:
- `ngram_w` (DIM,), `ngram_b` (): the first stage, logistic regression over hashed n-grams
- `shallow_w1` (F, H), `shallow_b1` (H,), `shallow_w2` (H,), `shallow_b2` (): the first
  stage's second input, a small network over the encoder's embedding layer alone (the
  mean of the token embeddings), VADER signals and language one-hot; absent in older heads
- `emb_w1` (F, H), `emb_b1` (H,), `emb_w2` (H,), `emb_b2` (): the second stage, a small
  network over [embedding, VADER signals, language one-hot]
- `blend_w` (2 + 2 + L,), `blend_b` (): combines both stages' logits, the tone (anger cues,
  exclamation marks) and a per-language bias
- `sev_w` (S, F), `sev_b` (S,): severity over the same features as the second stage
`meta.json` holds the first stage's calibration, thresholds, severity discounts and cascade
bands per language, the encoder layers the second stage expects, label orders and figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.encoder import FULL_LAYERS

HEADS_DIR = Path(__file__).parent / "heads"
LANGS = ("en", "ar", "fa", "pl")
SEVERITIES = ("no_explicit_reproach", "disapproval", "accusation", "blame")
ARRAYS = ("ngram_w", "ngram_b", "emb_w1", "emb_b1", "emb_w2", "emb_b2", "blend_w", "blend_b",
          "sev_w", "sev_b")
SHALLOW = ("shallow_w1", "shallow_b1", "shallow_w2", "shallow_b2")
Network = tuple[np.ndarray, np.ndarray, np.ndarray, float]


@dataclass
class Heads:
    """Every trained array and setting the default classifier needs."""

    ngram_w: np.ndarray
    ngram_b: float
    emb_w1: np.ndarray
    emb_b1: np.ndarray
    emb_w2: np.ndarray
    emb_b2: float
    blend_w: np.ndarray
    blend_b: float
    sev_w: np.ndarray
    sev_b: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    shallow: Network | None = None

    @property
    def emb(self) -> Network:
        """The second stage's network, as `fit.mlp_logits` takes it."""
        return self.emb_w1, self.emb_b1, self.emb_w2, self.emb_b2

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "untrained"))

    def threshold(self, lang: str) -> float:
        """The calibrated default threshold for a language."""
        table = self.meta.get("thresholds", {})
        return float(table.get(lang, table.get("other", 0.5)))

    def severe_rule(self, lang: str) -> dict[str, float] | None:
        """How far the threshold drops for a post that reads as accusation or blame."""
        rule = self.meta.get("severe", {}).get(lang)
        return {k: float(v) for k, v in rule.items()} if rule else None

    @property
    def encoder_layers(self) -> int:
        """How many of the encoder's layers the second stage was trained on."""
        return int(self.meta.get("encoder_layers", FULL_LAYERS))

    def band(self, lang: str) -> tuple[float, float]:
        """First-stage probabilities between which the encoder must be consulted."""
        table = self.meta.get("bands", {})
        low, high = table.get(lang, table.get("other", (0.0, 1.0)))
        return float(low), float(high)

    def save(self, folder: Path) -> None:
        """Write heads.npz (no pickles) and meta.json into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {
            "ngram_w": self.ngram_w.astype(np.float16),
            "ngram_b": np.float32(self.ngram_b),
            "emb_w1": self.emb_w1.astype(np.float16),
            "emb_b1": self.emb_b1.astype(np.float32),
            "emb_w2": self.emb_w2.astype(np.float32),
            "emb_b2": np.float32(self.emb_b2),
            "blend_w": self.blend_w.astype(np.float32),
            "blend_b": np.float32(self.blend_b),
            "sev_w": self.sev_w.astype(np.float32),
            "sev_b": self.sev_b.astype(np.float32),
        }
        if self.shallow is not None:
            w1, b1, w2, b2 = self.shallow
            arrays.update(shallow_w1=w1.astype(np.float16), shallow_b1=b1.astype(np.float32),
                          shallow_w2=w2.astype(np.float32), shallow_b2=np.float32(b2))
        np.savez_compressed(folder / "heads.npz", **arrays)  # type: ignore[arg-type]
        (folder / "meta.json").write_text(json.dumps(self.meta, indent=1, sort_keys=True) + "\n",
                                          encoding="utf-8")


def load_heads(folder: Path = HEADS_DIR) -> Heads:
    """Read the heads from `folder`; arrays only, never pickled objects."""
    with np.load(folder / "heads.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in ARRAYS}
        shallow: Network | None = None
        if all(name in data for name in SHALLOW):
            shallow = (data["shallow_w1"].astype(np.float32),
                       data["shallow_b1"].astype(np.float32),
                       data["shallow_w2"].astype(np.float32), float(data["shallow_b2"]))
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return Heads(
        ngram_w=arrays["ngram_w"].astype(np.float32),
        ngram_b=float(arrays["ngram_b"]),
        emb_w1=arrays["emb_w1"].astype(np.float32),
        emb_b1=arrays["emb_b1"].astype(np.float32),
        emb_w2=arrays["emb_w2"].astype(np.float32),
        emb_b2=float(arrays["emb_b2"]),
        blend_w=arrays["blend_w"].astype(np.float32),
        blend_b=float(arrays["blend_b"]),
        sev_w=arrays["sev_w"].astype(np.float32),
        sev_b=arrays["sev_b"].astype(np.float32),
        meta=meta,
        shallow=shallow,
    )
