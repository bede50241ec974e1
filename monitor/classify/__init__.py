"""Complaint classifier: is a post a complaint, how bad, about what, how angry, and why.

The rest of the app uses only `build_classifier` and the `Classifier` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from monitor.domain import BrandContext, Classification
from monitor.settings import ClassifierConfig, Thresholds


class Classifier(Protocol):
    """Anything that classifies a batch of posts."""

    name: str

    def classify(self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None,
                 thresholds: Sequence[Thresholds] | None = None,
                 brands: Sequence[BrandContext | None] | None = None) -> list[Classification]:
        """Classify posts; `brands` names, for each, the brand it was found for."""

    def warm_up(self) -> None:
        """Load every model now, so that no timed or urgent batch pays for it."""

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        """A vector per post comparable across languages (for waves), or None for each where
        the classifier has none."""


def build_classifier(config: ClassifierConfig | None = None) -> Classifier:
    """Build the classifier the configuration asks for; the default one loads offline."""
    config = config or ClassifierConfig()
    if config.backend == "transformers":
        from monitor.classify.transformers_backend import TransformersClassifier

        return TransformersClassifier(config.model, config.labels)
    from monitor.classify.cascade import DefaultClassifier
    from monitor.classify.encoder import E5Encoder
    from monitor.classify.heads import load_heads
    from monitor.classify.meaning import load_centres
    from monitor.classify.target import load_target

    heads = load_heads()
    return DefaultClassifier(heads, E5Encoder(layers=heads.encoder_layers), target=load_target(),
                             centres=load_centres())


__all__ = ["Classifier", "build_classifier"]
