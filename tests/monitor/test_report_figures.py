"""The report's figures against a database of known cases, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import numpy as np
import pytest

from monitor.config_loader import load_config
from monitor.report_figures import build_report, calendar_period, day_bounds
from monitor.report_model import Compliance, Period, Report
from monitor.store import Store
from tests.factories import write_brands
from tests.report_fill import Complaint, Post, fill

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) if day < 20 else \
        datetime(2026, 10, day, hour, minute, tzinfo=UTC)


class TopicEncoder:
    """A stand-in encoder: posts sharing a topic word get the same vector."""

    topics = ("parcel", "refund", "app")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.topics) + 1), dtype=np.float32)
        for i, text in enumerate(texts):
            hit = next((j for j, t in enumerate(self.topics) if t in text.lower()), len(self.topics))
            out[i, hit] = 1.0
        return out


LATE = "Acme my parcel is late again, courier lost it"
REFUND = "Acme still no refund for my returned order"


def _world(store: Store) -> None:
    a = Complaint(Post(at(2, 10), text=LATE), deadline_at=at(2, 11), status="replied",
                  replied_at=at(2, 10, 30), replied_by="U1", events=[("replied", at(2, 10, 30))])
    b = Complaint(Post(at(2, 12), platform="reddit", lang="pl", category="refund", severity=4,
                       text=REFUND),
                  deadline_at=at(2, 13), status="resolved", replied_at=at(2, 14), replied_by="U2",
                  closed_at=at(3, 9), followup_sent_at=at(3, 10), followup_outcome="satisfied",
                  events=[("replied", at(2, 14)), ("resolved", at(3, 9))])
    c = Complaint(Post(at(3, 8), text="the parcel never came, late by a week"),
                  deadline_at=at(3, 9), assignee="U3")
    d = Complaint(Post(at(3, 23, 30), text="love the new parcel lockers"), deadline_at=at(4, 0, 30),
                  status="not_a_complaint", closed_at=at(4, 1),
                  events=[("not_a_complaint", at(4, 1))])
    e = Complaint(Post(at(4, 9), text="parcel late, driver rude"), deadline_at=at(4, 10),
                  status="reopened", replied_at=at(4, 9, 20), replied_by="U1",
                  events=[("replied", at(4, 9, 20)), ("reopened", at(4, 12))])
    f = Complaint(Post(at(4, 10), category="product", text="the app crashes at checkout"),
                  opened_at=at(4, 11), deadline_at=at(4, 12), events=[("flagged", at(4, 11))])
    old = Complaint(Post(at(28, 9), text=LATE), deadline_at=at(28, 10), status="resolved",
                    replied_at=at(28, 9, 30), replied_by="U1", closed_at=at(29, 9),
                    events=[("replied", at(28, 9, 30)), ("resolved", at(29, 9))])
    before = Complaint(Post(at(31, 10), text="my parcel is late, where is it"),
                       deadline_at=at(31, 11), status="resolved", replied_at=at(31, 10, 5),
                       replied_by="U1", closed_at=at(31, 12),
                       events=[("replied", at(31, 10, 5)), ("resolved", at(31, 12))])
    praise = [Post(at(2, 9), is_complaint=False, text="great coffee"),
              Post(at(2, 15), is_complaint=False, text="nice shop"),
              Post(at(4, 22, 59), is_complaint=False, text="late night coffee"),
              Post(at(4, 23), is_complaint=False, text="the next day, in Warsaw")]
    fill(store, praise, [a, b, c, d, e, f, old, before])


@pytest.fixture
def report(database_url: str, tmp_path) -> Report:  # type: ignore[no-untyped-def]
    store = Store.from_url(database_url)
    _world(store)
    config = load_config(write_brands(tmp_path), env={})
    period = calendar_period(date(2026, 11, 2), date(2026, 11, 4), "Europe/Warsaw")
    return build_report(store, config.brands, period, NOW, TopicEncoder())


def test_days__counted_in_the_brands_calendar(report: Report) -> None:
    # Warsaw is UTC+1: 3 Nov 23:30 UTC is 4 Nov there, and 4 Nov 23:00 UTC already 5 Nov.
    assert [(d.day.day, d.mentions, d.complaints) for d in report.days] == [
        (2, 4, 2), (3, 1, 1), (4, 4, 2)]
    assert (report.mentions, report.complaints) == (9, 5)
    assert [(c.day.day, dict(c.counts)) for c in report.categories] == [
        (2, {"delivery": 1, "refund": 1}), (3, {"delivery": 1}), (4, {"delivery": 1, "product": 1})]


def test_compliance__due_answered_and_within_per_group(report: Report) -> None:
    platform = report.table("platform")
    assert platform is not None
    assert platform.rows == (Compliance("x", 4, 4, 2, 2), Compliance("reddit", 1, 1, 1, 0))
    assert platform.rows[0].share_within == 0.5
    responder = report.table("responder")
    assert responder is not None
    assert {r.key: (r.complaints, r.due, r.answered, r.within) for r in responder.rows} == {
        "U1": (2, 2, 2, 2), "U2": (1, 1, 1, 0), "U3": (1, 1, 0, 0), "": (1, 1, 0, 0)}
    severity = report.table("severity")
    assert severity is not None and {r.key: r.due for r in severity.rows} == {"3": 4, "4": 1}
    language = report.table("language")
    assert language is not None and {r.key: r.within for r in language.rows} == {"en": 2, "pl": 0}


def test_response_times__median_and_p90(report: Report) -> None:
    # 20 min, 30 min and 2 h: the median is 30 min, p90 interpolates 80% of the way to 2 h.
    times = report.response_times
    assert times.answered == 3
    assert times.median == timedelta(minutes=30)
    assert times.p90 == timedelta(minutes=30 + 90 * 0.8)


def test_backlog__open_and_overdue_at_each_days_end(report: Report) -> None:
    # End of 2 Nov: both answered. 3 Nov: C open and late. 4 Nov: C, E (reopened after its
    # reply: open, not overdue) and F (flagged, past its deadline); D was not a complaint.
    assert [(b.day.day, b.open, b.overdue) for b in report.backlog] == [(2, 0, 0), (3, 1, 1), (4, 3, 2)]
    assert (report.open_now, report.overdue_now) == (3, 2)


def test_followups_and_feedback(report: Report) -> None:
    assert (report.followups.asked, report.followups.satisfied, report.followups.unsatisfied) == (1, 1, 0)
    assert (report.feedback.alerted, report.feedback.not_complaint, report.feedback.flagged) == (5, 1, 1)
    assert report.feedback.precision == pytest.approx(0.8)


def test_causes__grouped_with_trend_and_samples(report: Report) -> None:
    assert report.causes_from == 5
    top = report.causes[0]
    assert top.count == 3 and top.previous == 1 and top.trend == 2
    assert top.category == "delivery"
    assert "parcel" in top.words and "late" in top.words and "acme" not in top.words
    assert len(top.samples) == 2
    assert {s.text for s in top.samples} <= {LATE, "the parcel never came, late by a week",
                                             "parcel late, driver rude"}
    assert len(report.causes) == 1  # the refund and the app crash are one post each


def test_day_bounds__a_dst_day_lasts_25_hours() -> None:
    period = calendar_period(date(2026, 10, 24), date(2026, 10, 26), "Europe/Warsaw")
    days, bounds = day_bounds(period)
    assert days == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    assert [b - a for a, b in pairwise(bounds)] == [
        timedelta(hours=24), timedelta(hours=25), timedelta(hours=24)]


def test_day_bounds__a_rolling_week_touches_eight_days() -> None:
    period = Period(NOW - timedelta(days=7), NOW, "UTC")
    days, bounds = day_bounds(period)
    assert len(days) == 8 and bounds[0] == period.start and bounds[-1] == NOW
