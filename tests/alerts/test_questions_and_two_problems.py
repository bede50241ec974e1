"""Alerts for questions, and replies and why-lines for complaints with two problems."""

from __future__ import annotations

import pytest

from alerts import messages as msg
from alerts.suggestions import shipped, suggest
from monitor.domain import Category, Kind, Severity


def test_alert_header__question_says_so_and_ranks_lower() -> None:
    head = msg.alert_header(Severity.NONE, "ACME-0007", "Acme", "X", False, Kind.QUESTION)
    assert head == "❓ ACME-0007 · Question for Acme on X (lower priority)"
    late = msg.alert_header(Severity.NONE, "ACME-0007", "Acme", "X", True, Kind.QUESTION)
    assert late.startswith("⏰")
    assert "Complaint about Acme" in msg.alert_header(Severity.BLAME, "ACME-1", "Acme", "X", False)


def test_why_line__two_categories_and_none_for_questions() -> None:
    both = msg.why_line("late and rude", 0.9, [], Severity.ACCUSATION,
                        (Category.DELIVERY, Category.SERVICE))
    assert "categories: late or missing delivery and customer service" in both
    question = msg.why_line("reads as a question", 0.2, [], Severity.NONE, (Category.OTHER,))
    assert "severity" not in question and "categor" not in question


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "pl"])
def test_suggest__second_problem_is_answered_in_every_language(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    also = pack.also["service"]
    replies = suggest({}, lang, ["delivery", "service"], "Sara", "ACME-0042", "Acme", "", None, len)
    assert len(replies) >= 2
    for reply in replies:
        assert also in reply
        assert reply.index(also) < reply.index("ACME-0042")  # before the next step
    one = suggest({}, lang, ["delivery"], "Sara", "ACME-0042", "Acme", "", None, len)
    assert all(also not in reply for reply in one)


def test_suggest__second_problem_kept_when_the_platform_is_short() -> None:
    also = "We're also sorry about how our team treated you."
    [first, *_] = suggest({}, "en", ["delivery", "service"], "Sara", "ACME-0042", "Acme",
                          "— Ola", 200, len)
    assert len(first) <= 200 and also in first and "ACME-0042" in first


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "pl"])
def test_suggest__questions_get_answers_not_apologies(lang: str) -> None:
    replies = suggest({}, lang, ["question"], "Sara", "ACME-0042", "Acme", "", None, len)
    pack = shipped(lang)
    assert pack is not None
    assert replies and set(replies) <= {r.replace("{name}", "Sara").replace(
        "{reference}", "ACME-0042").replace(" {signature}", "").strip()
        for r in pack.replies["question"]}
