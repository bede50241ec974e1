"""What a post names: order, booking, ticket and account numbers (never a phone number, a
price or a year), the brand's products, and how long the customer has waited."""

from __future__ import annotations

import dataclasses

import pytest

from monitor.post_facts import NOTHING, PostFacts, facts_of, named_number, named_since


@pytest.mark.parametrize(
    ("text", "number", "kind"),
    [
        # English
        ("Where is my order #48213?? Two weeks now", "48213", "order"),
        ("order number 48213 never arrived", "48213", "order"),
        ("Order no. 48213 is still not here", "48213", "order"),
        ("my order number is 48213, still nothing", "48213", "order"),
        ("my booking ABC123 was cancelled without a word", "ABC123", "booking"),
        ("booking reference: XK42QZ, flight delayed", "XK42QZ", "booking"),
        ("support ticket #123 has been open for a month", "123", "ticket"),
        ("order ID: A-48213 shows delivered but nothing came", "A-48213", "order"),
        ("amazon order 113-4821367-0042 is missing", "113-4821367-0042", "order"),
        ("account number 55120931 was locked for no reason", "55120931", "account"),
        # Polish
        ("zamówienie nr 4821 nie dotarło", "4821", "order"),
        ("podaję nr zamówienia 4821, czekam od tygodnia", "4821", "order"),
        ("Numer zamówienia: 99812 – nadal nic", "99812", "order"),
        ("moja rezerwacja nr KR7781 zniknęła", "KR7781", "booking"),
        ("zgłoszenie nr 5521 bez odpowiedzi", "5521", "ticket"),
        # Arabic, with Arabic-Indic and with Western digits
        ("رقم الطلب ٤٨٢١٣ لم يصل بعد", "٤٨٢١٣", "order"),
        ("الطلب رقم 48213 متأخر جدا", "48213", "order"),
        ("رقم طلبي ٩٩٨١٢ ولم يتواصل معي أحد", "٩٩٨١٢", "order"),
        ("رقم الحجز ٧٧٨١٢ أُلغي", "٧٧٨١٢", "booking"),
        # Persian, with Persian digits
        ("شماره سفارش ۴۸۲۱۳ هنوز نرسیده", "۴۸۲۱۳", "order"),
        ("سفارشم به شماره ۴۸۲۱۳ دو هفته است نیامده", "۴۸۲۱۳", "order"),
        ("کد سفارش ۵۵۱۲۰ را پیگیری کنید", "۵۵۱۲۰", "order"),
        # Arabizi and Finglish
        ("talab raqam 48213 ma wesel", "48213", "order"),
        ("shomare sefaresh 48213 hanooz naresideh", "48213", "order"),
    ],
)
def test_named_number__as_the_customer_wrote_it(text: str, number: str, kind: str) -> None:
    assert named_number(text) == (number, kind)


@pytest.mark.parametrize(
    "text",
    [
        # phone numbers
        "my order never came, call me on +48 600 100 200",
        "order number? call 0800 123 4567",
        "my order number: 0800 123 4567 is the hotline that never answers",
        "account +48600100200",
        "رقم الطلب +966 50 123 4567",
        # prices
        "I paid 4999 zł for this order",
        "order 4999 zł and still nothing",
        "order total $48.20 charged twice",
        "my order cost 120 dollars",
        "order 1299.99 never refunded",
        "zamówienie za 2500 zł",
        "سفارش ۲۵۰۰۰۰ تومان پول دادم",
        "الطلب 3500 ريال",
        # years and dates
        "my order 2024 was a disaster",
        "a customer since 2015 and never this bad",
        "order 12/05/2024 still missing",
        # numbers that are no order's
        "I ordered 3 items and 2 are broken",
        "shipped my order to 10115 Berlin, it went elsewhere",
        "booking for 2 adults on 12 May",
        "my order is 10 days late",
        "nothing named here at all",
    ],
)
def test_named_number__never_a_phone_a_price_or_a_year(text: str) -> None:
    assert named_number(text) == ("", "")


def test_named_number__a_year_counts_when_the_post_marks_it_as_the_number() -> None:
    assert named_number("order #2024 is late") == ("2024", "order")
    assert named_number("order 2024 is late") == ("", "")


def test_named_number__the_first_number_named() -> None:
    assert named_number("ticket #5521 about order #48213") == ("5521", "ticket")


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("nothing since Monday, order is lost", "since Monday"),
        ("I have waited two weeks for this", "two weeks"),
        ("it has been 3 days", "3 days"),
        ("over a month without a reply", "over a month"),
        ("czekam od poniedziałku", "od poniedziałku"),
        ("zamówiłam 3 maja i nic", "3 maja"),
        ("już dwa tygodnie czekam", "dwa tygodnie"),
        ("لم يصل الطلب منذ أسبوعين", "منذ أسبوعين"),
        ("أنتظر منذ ٣ أيام", "منذ ٣ أيام"),
        ("دو هفته است منتظرم", "دو هفته"),
        ("از دوشنبه هیچ خبری نیست", "از دوشنبه"),
        ("۳ روز است جواب نمی‌دهید", "۳ روز"),
    ],
)
def test_named_since__the_date_or_duration_as_written(text: str, since: str) -> None:
    assert named_since(text) == since


@pytest.mark.parametrize("text", ["my parcel is late", "سه‌شنبه تماس گرفتم", "order #48213"])
def test_named_since__none_given(text: str) -> None:
    assert named_since(text) == ""


def test_facts_of__product_as_the_brand_spells_it() -> None:
    products = ["Lumen Desk Lamp", "Aero Kettle"]
    assert facts_of("my lumen desk lamp broke twice", products).product == "Lumen Desk Lamp"
    assert facts_of("the kettle is fine, the AERO KETTLE lid is not", products).product == "Aero Kettle"
    assert facts_of("my lamp broke", products).product == ""  # not one of the brand's names
    assert facts_of("aerokettles", products).product == ""  # whole words only


def test_facts_of__everything_together_and_nothing() -> None:
    facts = facts_of("Order #48213 – the Aero Kettle has been missing for two weeks",
                     ["Aero Kettle"])
    assert facts == PostFacts(number="48213", number_kind="order", product="Aero Kettle",
                              since="two weeks")
    assert facts_of("acme is great") == NOTHING


def test_post_facts__a_plain_frozen_dataclass() -> None:
    assert dataclasses.is_dataclass(PostFacts)
    with pytest.raises(dataclasses.FrozenInstanceError):
        NOTHING.number = "1"  # type: ignore[misc]
