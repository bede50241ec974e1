"""VADER's English sentiment as a fast extra signal for the heads."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from monitor.sanitize import clip_for_classifier

SIGNALS = 3


class Vader:
    """Score English posts with VADER; other languages get zeros (VADER knows only English)."""

    @cached_property
    def _analyzer(self):  # type: ignore[no-untyped-def]
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer()

    def signals(self, text: str, lang: str) -> np.ndarray:
        """Return [compound, negative, positive] for English, zeros otherwise."""
        if lang != "en":
            return np.zeros(SIGNALS, dtype=np.float32)
        s = self._analyzer.polarity_scores(clip_for_classifier(text))  # VADER is slow on long text
        return np.array([s["compound"], s["neg"], s["pos"]], dtype=np.float32)
