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


_REASONS = {
    "question": "reads as a question",
    "praise": "reads as praise or thanks",
    "news": "reads as news about the brand, not a customer's complaint",
    "no_blame": "the writer does not blame the brand",
    "other": "not a complaint about the brand",
}


def reason_text(reason: str, detail: str) -> str:
    """Say why a post about the brand is not alerted, in the team's words."""
    if reason == "competitor":
        return f"complaint about a competitor ({detail})" if detail else \
            "complaint about a competitor"
    if reason == "namesake":
        return f"another {detail}, not the brand" if detail else "a namesake, not the brand"
    return _REASONS.get(reason, _REASONS["other"])


def brand_why(is_complaint: bool, score: float, cues: list[str],
              categories: tuple[Category, ...], reason: str, detail: str) -> str:
    """One line for a verdict on a post read against its brand."""
    pct = f"{round(score * 100)}%"
    if not is_complaint:
        return f"Not alerted ({pct}): {reason_text(reason, detail)}"
    named = [c for c in categories if c is not Category.OTHER]
    about = f" about {' and '.join(c.label for c in named)}" if named else ""
    quoted = ", ".join(f"“{c}”" for c in cues[:4])
    return f"Complaint{about} ({pct}): " + (quoted or f"{_LIKE_COMPLAINT} as a whole")
