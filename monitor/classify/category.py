"""What a complaint is about, from our own cue lexicons in en/ar/fa/pl."""

from __future__ import annotations

from monitor.classify import lexicon
from monitor.domain import Category


def categorise(folded: str, lang: str) -> tuple[Category, list[str]]:
    """Return the category whose cues weigh most in the text, and those cues.

    Longer (more specific) cues weigh more; ties go to the earlier category in the
    lexicon, which lists the concrete ones (delivery, product) before the general ones.
    """
    best, best_score, best_cues = Category.OTHER, 0.0, []
    for category, table in lexicon.CATEGORY_CUES.items():
        found = lexicon.find(folded, lexicon.cues_for(lang, table), lang)
        score = sum(1.0 + 0.1 * len(cue.split()) for cue in found)
        if score > best_score:
            best, best_score, best_cues = category, score, found
    return best, best_cues
