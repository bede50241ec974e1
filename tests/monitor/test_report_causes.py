"""Recurring causes: the clustering, the naming, the trend, and one run of the real encoder."""

from __future__ import annotations

import numpy as np

from monitor.report_causes import (
    cluster,
    default_encoder,
    recurring_causes,
    telling_words,
    words_of,
)
from monitor.store_reports import ComplaintText
from tests.monitor.test_report_figures import TopicEncoder


def _posts(*texts: str, lang: str = "en", category: str = "delivery") -> list[ComplaintText]:
    return [ComplaintText(f"ACME-{i}", t, lang, category, f"https://x.com/{i}") for i, t in enumerate(texts)]


def test_cluster__average_linkage_stops_at_the_threshold() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    near_a = np.array([0.96, 0.28])
    vectors = np.stack([a, b, near_a, a])
    assert sorted(cluster(vectors, 0.9)) == [[0, 2, 3], [1]]
    assert sorted(cluster(vectors, 0.99)) == [[0, 3], [1], [2]]


def test_telling_words__frequent_here_rare_elsewhere() -> None:
    groups = [[["parcel", "late"], ["parcel", "late", "courier"]], [["refund", "late"], ["refund"]]]
    assert telling_words(groups, top=1) == [("parcel",), ("refund",)]


def test_words_of__drops_stop_words_numbers_and_brand_names() -> None:
    assert words_of("Acme, my order 4521 is LATE again!", "en", frozenset({"acme"})) == ["order", "late"]
    assert words_of("Zamówienie 4521 nie dotarło, a infolinia milczy", "pl", frozenset()) == [
        "zamówienie", "dotarło", "infolinia", "milczy"]


def test_recurring_causes__largest_first_with_trend() -> None:
    current = _posts("parcel late again", "parcel late, third time", "refund missing",
                     "refund still missing", "parcel late and cold", "app crashed")
    previous = _posts("parcel late", "refund please", "refund now", "refund again", "refund?")
    causes = recurring_causes(current, previous, TopicEncoder())
    assert [(c.count, c.previous) for c in causes] == [(3, 1), (2, 4)]
    assert [c.trend for c in causes] == [2, -2]
    assert set(causes[0].words[:2]) == {"late", "parcel"}
    assert "missing" in causes[1].words


def test_recurring_causes__real_encoder_groups_across_languages() -> None:
    late = ["my parcel still has not arrived, ten days late", "the courier never delivered my parcel",
            "delivery is a week late and the parcel is lost", "paczka nie dotarła, kurier się spóźnia"]
    refund = ["I returned the shoes a month ago and still no refund",
              "where is my refund? returned the order weeks ago",
              "refund for my returned order never came"]
    current = _posts(*late, *refund)
    causes = recurring_causes(current, [], default_encoder())
    late_refs = {f"ACME-{i}" for i in range(len(late))}
    refund_refs = {f"ACME-{i}" for i in range(len(late), len(current))}
    # Every group holds posts of one topic: the late parcels (English, perhaps the Polish
    # one too) and the refunds.
    assert len(causes) == 2
    groups = [{s.reference for s in c.samples} for c in causes]
    assert sorted(g <= late_refs for g in groups) == [False, True]
    assert sorted(g <= refund_refs for g in groups) == [False, True]
    assert {c.count for c in causes} <= {3, 4}
    assert any("refund" in c.words for c in causes) and any("parcel" in c.words for c in causes)
    assert all(c.previous == 0 for c in causes)


def test_recurring_causes__posts_alike_but_of_two_categories_are_two_causes() -> None:
    # The stand-in encoder reads both "parcel" posts as one thing; their categories differ.
    current = [*_posts("parcel late", "parcel late again"),
               *_posts("parcel charged twice", "parcel paid twice", category="payment")]
    previous = _posts("parcel charged twice", category="payment")
    causes = recurring_causes(current, previous, TopicEncoder())
    assert sorted((c.category, c.count, c.previous) for c in causes) == [
        ("delivery", 2, 0), ("payment", 2, 1)]


def test_cluster__labels_keep_groups_apart() -> None:
    vectors = np.stack([np.array([1.0, 0.0])] * 3)
    assert sorted(cluster(vectors, 0.9, ["a", "b", "a"])) == [[0, 2], [1]]


def test_telling_words__a_group_with_no_recurring_word_is_named_by_its_single_words() -> None:
    groups = [[["charged", "twice"], ["pobrał", "opłatę"]], [["late"], ["late", "cold"]]]
    named = telling_words(groups, top=2)
    assert len(named[0]) == 2 and set(named[0]) <= {"charged", "twice", "pobrał", "opłatę"}
    assert named[1] == ("late",)  # a recurring word is still required where there is one
