"""Write the one line a social media manager reads under a verdict."""

from __future__ import annotations

from monitor.domain import Category

_LIKE_COMPLAINT = "reads like a complaint"
_NOT = {
    "question": "reads as a question, not a complaint",
    "positive": "reads as praise or thanks",
    "neutral": "reads as neutral news or chat",
}


def why(is_complaint: bool, score: float, cues: list[str], category: Category, kind: str) -> str:
    """One line: the verdict, its confidence, and the phrases that tipped it."""
    pct = f"{round(score * 100)}%"
    quoted = ", ".join(f"“{c}”" for c in cues[:4])
    if is_complaint:
        about = f" about {category.label}" if category is not Category.OTHER else ""
        if quoted:
            return f"Complaint{about} ({pct}): {quoted}"
        return f"Complaint{about} ({pct}): {_LIKE_COMPLAINT} as a whole, no single phrase"
    reason = _NOT.get(kind, _NOT["neutral"])
    if quoted:
        return f"Not a complaint ({pct}): {reason}; mentions {quoted} without complaining"
    return f"Not a complaint ({pct}): {reason}"
