"""Reports built straight from `monitor.report_model` values, for the renderers' tests.

`week()` is a brand's full week with posts in English, Arabic, Persian and Polish; `empty()` a
period with nothing in it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from monitor.report_model import (
    BacklogPoint,
    CategoryDay,
    Cause,
    Compliance,
    ComplianceTable,
    DayCount,
    Feedback,
    FollowUps,
    Period,
    Report,
    ResponseTimes,
    Sample,
)

START = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 23 November, 00:00 in Warsaw
FIRST_DAY = date(2026, 11, 23)
ARABIC = "الطلب رقم ٤٥٢١ تأخر ثلاثة أيام، ولا أحد يرد على الهاتف!"
PERSIAN = "سفارشم ۳ روزه نرسیده و پشتیبانی جواب نمی‌دهد؟"
POLISH = "Zamówienie 4521 nie dotarło, a infolinia milczy. Żenada!"
ENGLISH = "My order <b>arrived</b> broken & nobody answers <script>alert(1)</script>"


def _days(n: int) -> list[date]:
    return [FIRST_DAY + timedelta(days=i) for i in range(n)]


def week(brand_name: str = "Acme Coffee", brand_id: str | None = "acme") -> Report:
    """Seven days of a brand's figures: every part of a report filled in."""
    days = _days(7)
    mentions = [40, 52, 38, 61, 45, 20, 18]
    complaints = [9, 14, 7, 18, 10, 4, 3]
    return Report(
        brand_id=brand_id,
        brand_name=brand_name,
        period=Period(START, START + timedelta(days=7), "Europe/Warsaw"),
        generated_at=START + timedelta(days=7, hours=8),
        mentions=sum(mentions),
        complaints=sum(complaints),
        open_now=6,
        overdue_now=2,
        days=tuple(DayCount(d, m, c) for d, m, c in zip(days, mentions, complaints, strict=True)),
        compliance=(
            ComplianceTable("platform", (Compliance("x", 30, 28, 26, 24),
                                         Compliance("reddit", 20, 20, 15, 11),
                                         Compliance("app_store", 15, 12, 12, 12))),
            ComplianceTable("language", (Compliance("en", 30, 28, 26, 22),
                                         Compliance("ar", 20, 18, 16, 14),
                                         Compliance("fa", 10, 9, 8, 7),
                                         Compliance("pl", 5, 5, 3, 3))),
            ComplianceTable("category", (Compliance("delivery", 35, 33, 30, 26),
                                         Compliance("refund", 18, 17, 15, 13),
                                         Compliance("app", 12, 10, 8, 8))),
            ComplianceTable("severity", (Compliance("3", 25, 24, 22, 20),
                                         Compliance("1", 40, 36, 31, 27))),
            ComplianceTable("responder", (Compliance("U0MAYA", 35, 35, 35, 30),
                                          Compliance("U0OLEK", 18, 18, 18, 17))),
        ),
        response_times=ResponseTimes(53, timedelta(minutes=38), timedelta(hours=1, minutes=20)),
        backlog=tuple(BacklogPoint(d, o, v) for d, o, v in zip(days, [5, 9, 7, 12, 8, 6, 6],
                                                                 [1, 3, 2, 5, 2, 2, 2], strict=True)),
        categories=tuple(CategoryDay(d, {"delivery": c // 2, "refund": c // 3,
                                          "app": c - c // 2 - c // 3})
                         for d, c in zip(days, complaints, strict=True)),
        causes=(
            Cause(("تأخر", "الطلب", "الهاتف"), 14, 6, "delivery",
                  (Sample("ACME-101", ARABIC, "ar", "https://x.com/a/status/101"),
                   Sample("ACME-117", PERSIAN, "fa", "https://x.com/b/status/117"))),
            Cause(("zwrot", "pieniędzy"), 7, 9, "refund",
                  (Sample("ACME-130", POLISH, "pl", "https://www.reddit.com/r/acme/130"),)),
            Cause(("broken", "order"), 5, 0, "product",
                  (Sample("ACME-140", ENGLISH, "en", "javascript:alert(1)"),)),
        ),
        followups=FollowUps(asked=20, satisfied=12, unsatisfied=3),
        feedback=Feedback(alerted=65, not_complaint=4, flagged=2),
    )


def empty() -> Report:
    """A week in which nothing was posted about the brand."""
    days = _days(7)
    base = week()
    return replace(
        base, mentions=0, complaints=0, open_now=0, overdue_now=0,
        days=tuple(DayCount(d, 0, 0) for d in days),
        compliance=tuple(ComplianceTable(t.dimension, ()) for t in base.compliance),
        response_times=ResponseTimes(0, None, None),
        backlog=tuple(BacklogPoint(d, 0, 0) for d in days),
        categories=tuple(CategoryDay(d, {}) for d in days),
        causes=(), followups=FollowUps(0, 0, 0), feedback=Feedback(0, 0, 0),
    )
