"""Deadlines and priority: the customer's hour starts when they posted, not when we looked."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.domain import Classification, Kind, Mention, Severity
from monitor.settings import BrandConfig


def deadline_for(brand: BrandConfig, mention: Mention, c: Classification) -> datetime:
    """Return published time + the brand's response time (shortened by escalation rules)."""
    return mention.published_at + response_time_for(brand, mention, c)


def response_time_for(brand: BrandConfig, mention: Mention, c: Classification) -> timedelta:
    if is_question_case(c):
        return brand.question_response_time
    limit = brand.response_time
    for rule in brand.deadline_rules:
        if rule.matches(c.severity, mention.author_followers):
            limit = min(limit, rule.response_time)
    return limit


def is_question_case(c: Classification) -> bool:
    """A case opened for a question that needs an answer, not for a complaint."""
    return not c.is_complaint and c.kind is Kind.QUESTION


def priority_for(mention: Mention, c: Classification) -> int:
    """Rank a case 0..100 from severity, anger and reach, so the worst rises to the top;
    a question ranks below every complaint (at most 5)."""
    reach = mention.author_followers or 0
    reach_points = 0 if reach < 1_000 else 10 if reach < 10_000 else 20 if reach < 100_000 else 30
    if is_question_case(c):
        return reach_points // 6
    severity_points = {Severity.NONE: 0, Severity.NO_EXPLICIT_REPROACH: 10,
                       Severity.DISAPPROVAL: 20, Severity.ACCUSATION: 35, Severity.BLAME: 50}
    return min(100, severity_points[c.severity] + int(20 * c.anger) + reach_points)


def describe_remaining(deadline: datetime, now: datetime) -> str:
    """Say "in 47 min" or "overdue by 5 min" (hours past 90 minutes)."""
    delta = deadline - now
    minutes = abs(delta.total_seconds()) / 60
    amount = f"{minutes / 60:.1f} h" if minutes >= 90 else f"{round(minutes)} min"
    return f"in {amount}" if delta.total_seconds() >= 0 else f"overdue by {amount}"
