"""Star ratings speak: what a review's stars do to a verdict, in the pipeline and in eval."""

from __future__ import annotations

from dataclasses import replace

from monitor.domain import Classification, Kind, Severity

LOW, HIGH = 2, 4


def apply_rating(c: Classification, rating: int | None) -> Classification:
    """1-2 stars make a complaint whatever the text says; 4-5 stars make none."""
    if rating is None:
        return c
    if rating <= LOW:
        severity = max(c.severity, Severity.DISAPPROVAL)
        why = f"{rating}-star review" + (f"; {c.why}" if c.why else "")
        return replace(c, is_complaint=True, score=max(c.score, 0.9), severity=severity, why=why,
                       kind=Kind.COMPLAINT, reason="", reason_detail="",
                       categories=c.all_categories)
    if rating >= HIGH:
        return replace(c, is_complaint=False, score=min(c.score, 0.2),
                       why=f"{rating}-star review", kind=Kind.PRAISE, reason="praise",
                       reason_detail="")
    return c
