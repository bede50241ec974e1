"""How bad a complaint is (severity) and how angry its author is (anger)."""

from __future__ import annotations

import re

import numpy as np

from monitor.classify import lexicon
from monitor.domain import Severity

_ORDER = (Severity.NO_EXPLICIT_REPROACH, Severity.DISAPPROVAL, Severity.ACCUSATION,
          Severity.BLAME)
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")


def severity_from(probs: np.ndarray | None, anger_cues: int, is_complaint: bool) -> Severity:
    """Pick a severity from the head's probabilities, or from anger cues when there are none."""
    if not is_complaint:
        return Severity.NONE
    if probs is None:
        return Severity.ACCUSATION if anger_cues >= 2 else (
            Severity.DISAPPROVAL if anger_cues == 1 else Severity.NO_EXPLICIT_REPROACH)
    expected = float(np.dot(probs, np.arange(len(_ORDER))))
    expected += 0.4 * min(anger_cues, 2)
    return _ORDER[int(np.clip(round(expected), 0, len(_ORDER) - 1))]


def anger_cues(folded: str, lang: str) -> list[str]:
    """Return the anger cues in a folded text."""
    return lexicon.find(folded, lexicon.cues_for(lang, lexicon.ANGER_CUES), lang)


def anger_score(text: str, cues: int, score: float, vader_neg: float) -> float:
    """Combine cue words, shouting, exclamation marks and VADER negativity into 0..1."""
    shouting = min(len(_SHOUT.findall(text)) / 3.0, 1.0)
    exclaims = min(text.count("!") / 3.0, 1.0)
    raw = 0.45 * min(cues / 2.0, 1.0) + 0.15 * shouting + 0.15 * exclaims + 0.25 * vader_neg * 2
    return round(float(np.clip(score * (0.3 + raw), 0.0, 1.0)), 3)
