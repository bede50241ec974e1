"""A complaint that says its problem happened before, in each of the four languages."""

from __future__ import annotations

import pytest

from monitor.repeats import says_repeat


@pytest.mark.parametrize("text", [
    "Acme my parcel is late AGAIN",
    "second time this month the lamp arrives broken",
    "Znowu spóźniona paczka od Acme",
    "po raz kolejny zamówienie nie dotarło",
    "الطلب تأخر مرة أخرى",
    "الطلب اتأخر تاني مرة",
    "سفارشم دوباره دیر رسید",
    "برای دومین بار بسته خراب رسید",
])
def test_says_repeat__in_each_language(text: str) -> None:
    assert says_repeat(text)


@pytest.mark.parametrize("text", [
    "my parcel is late", "against the rules", "zamówienie nie dotarło", "الطلب تأخر", "سفارشم دیر رسید",
])
def test_says_repeat__not_a_first_time_problem_or_a_word_inside_another(text: str) -> None:
    assert not says_repeat(text)
