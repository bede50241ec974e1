"""The checks a model's draft passes before it is offered."""

from __future__ import annotations

import pytest

from monitor.draft_checks import (
    check_draft,
    check_drafts,
    link_hosts,
    personal_data,
    repeated_personal_data,
    said_phrase,
    summary,
)
from monitor.settings import DraftPolicy

POLICY = DraftPolicy(never_promise=["refund", "zwrot pieniędzy", "zwrot*", "تعويض", "بازپرداخت"],
                     forbidden_words=["cheap", "idiot"], allowed_links=["help.acme.example"])
EN = ("Sorry Jan, your parcel is late and that is on us. Please send us a DM with your order "
      "details and we will chase it today. Ref ACME-0001")


def _check(text: str, *, lang: str = "en", post: str = "", limit: int | None = 280,
           policy: DraftPolicy = POLICY) -> str:
    return check_draft(text, lang=lang, limit=limit, count_length=len,
                       post_data=personal_data(post), policy=policy).reason


def test_good_draft__passes() -> None:
    assert _check(EN) == ""


@pytest.mark.parametrize(("text", "lang", "written"), [
    (EN, "pl", "en"),
    ("Dzień dobry, bardzo nam przykro, że paczka się spóźnia. Napisz do nas prywatnie, a "
     "sprawdzimy to jeszcze dziś.", "en", "pl"),
    ("سلام، از تأخیر سفارش شما واقعاً متأسفیم. لطفاً در پیام خصوصی برای ما بنویسید.", "ar", "fa"),
    ("مرحباً، نأسف جداً لتأخر طلبك. يرجى مراسلتنا على الخاص لنتابع الأمر.", "fa", "ar"),
])
def test_wrong_language__named_in_the_reason(text: str, lang: str, written: str) -> None:
    assert _check(text, lang=lang) == f"wrong language ({written}, not {lang})"


def test_regional_language_code__reads_as_its_base() -> None:
    assert _check("سلام، از تأخیر سفارش شما واقعاً متأسفیم. لطفاً در پیام خصوصی برای ما بنویسید.",
                  lang="fa-IR") == ""


def test_too_long__counted_as_the_platform_counts() -> None:
    assert _check(EN, limit=100).startswith(f"too long ({len(EN)} characters, the platform takes 100)")

    def doubled(text: str) -> int:  # a platform that counts some letters twice
        return 2 * len(text)

    verdict = check_draft(EN, lang="en", limit=200, count_length=doubled,
                          post_data=personal_data(""), policy=POLICY)
    assert verdict.reason == f"too long ({2 * len(EN)} characters, the platform takes 200)"
    assert _check(EN, limit=None) == ""


@pytest.mark.parametrize(("post", "reply", "kind"), [
    ("write me at Jan.Kowal@Example.com please", "We will write to jan.kowal@example.com today.",
     "an e-mail address"),
    ("call me on +48 600 700 800, nobody answers", "We will call you on 600-700-800 today.",
     "a phone number"),
    ("zadzwońcie: ۶۰۰ ۷۰۰ ۸۰۰", "We will call 600 700 800 now.", "a phone number"),
    ("charged twice on card 4111 1111 1111 1111!", "We see the charge on 4111111111111111.",
     "a card number"),
    ("deliver to 221 Baker Street, London", "We will deliver to 221 baker street tomorrow.",
     "a street address"),
    ("kurier nie dotarł na ul. Długa 5/3 w Gdańsku", "Sprawdzimy adres ul. Długa 5/3 jeszcze dziś.",
     "a street address"),
])
def test_personal_data_repeated_from_the_post__caught(post: str, reply: str, kind: str) -> None:
    assert repeated_personal_data(reply, personal_data(post)) == kind


@pytest.mark.parametrize(("post", "reply"), [
    ("order #123456789 never came", "Sorry, we're checking order #123456789 now."),
    ("zamówienie nr 48151623 nie dotarło", "Sprawdzamy zamówienie 48151623."),
    ("it broke on 2026-11-02", "Sorry it broke on 2026-11-02."),
    ("write me at jan@example.com", "Please DM us your details."),
])
def test_order_numbers_dates_and_unrepeated_data__pass(post: str, reply: str) -> None:
    assert repeated_personal_data(reply, personal_data(post)) == ""


def test_never_promise__whole_words_case_and_accents_ignored() -> None:
    assert _check("Sorry Jan, we will REFUND the late parcel today. Ref ACME-0001") == \
        "promised “refund”"
    assert _check("Sorry Jan, the refunded... no: the late parcel is on its way. Ref ACME-0001") == ""
    assert said_phrase("Gwarantujemy ZWROT PIENIEDZY.", POLICY.never_promise) == "zwrot pieniędzy"
    assert said_phrase("Zapewniamy zwrotu kosztów.", POLICY.never_promise) == "zwrot*"
    assert said_phrase("سنقدم لك تعویض كامل", POLICY.never_promise) == "تعويض"  # Persian yeh
    assert said_phrase("ما بازپرداخت می‌کنیم", POLICY.never_promise) == "بازپرداخت"
    assert said_phrase("ما باز پرداخت می‌کنیم", POLICY.never_promise) == ""


def test_forbidden_words__caught_with_a_reason() -> None:
    assert _check("Sorry Jan, that cheap lid was late, we are on it. Ref ACME-0001") == \
        "used the forbidden word “cheap”"
    assert _check("Sorry Jan, cheaper lids are coming and the late parcel is on us. ACME-0001") == ""


@pytest.mark.parametrize(("text", "host"), [
    ("Sorry Jan, the parcel is late; see https://evil.example/x for more.", "evil.example"),
    ("Sorry Jan, the parcel is late; see www.acme-deals.example today.", "www.acme-deals.example"),
    ("Sorry Jan, the parcel is late; see acme-deals.example/late now.", "acme-deals.example"),
])
def test_links_outside_allowed_domains__fail(text: str, host: str) -> None:
    assert _check(text) == f"linked to {host}, which the brand did not allow"


def test_allowed_domain_and_its_subdomains__pass_and_no_allowed_list_fails_any_link() -> None:
    text = "Sorry Jan, your parcel is late; see https://help.acme.example/late and we will help."
    assert _check(text) == ""
    assert link_hosts("see eu.help.acme.example/x") == ["eu.help.acme.example"]
    assert _check("Sorry Jan, your parcel is late; see eu.help.acme.example/x and we will help.") == ""
    assert _check(text, policy=DraftPolicy()).startswith("linked to help.acme.example")
    assert link_hosts("write to us at help@acme.example, thanks. Bye.") == []


def test_empty_draft__fails() -> None:
    assert _check("   ") == "empty"


def test_summary__each_reason_once_in_order() -> None:
    verdicts = check_drafts([EN, "x" * 400, "y" * 400, "Sorry, a refund for the late parcel."],
                            post="", lang="en", limit=280, count_length=len, policy=POLICY)
    assert [v.passed for v in verdicts] == [True, False, False, False]
    assert summary(verdicts) == ("too long (400 characters, the platform takes 280); "
                                 "promised “refund”")


def _against(post: str, reply: str, lang: str) -> str:
    """The reason `reply` fails as an answer to `post` (facts read from the post)."""
    [verdict] = check_drafts([reply], post=post, lang=lang, limit=None, count_length=len,
                             policy=POLICY)
    return verdict.reason


@pytest.mark.parametrize(("post", "ask", "acknowledge", "lang"), [
    ("acme order #48213 still not here after two weeks",
     "Sorry Jan, your parcel is late and that is on us. Please DM us your order number and we "
     "will chase it today. Ref ACME-0001",
     "Sorry Jan, your parcel is late and that is on us. Please DM us about order 48213 and we "
     "will chase it today. Ref ACME-0001", "en"),
    ("acme order #48213 still not here after two weeks", EN,  # "DM with your order details"
     "Sorry Jan, order 48213 is late and that is on us. Please send us a DM and we will chase "
     "it today. Ref ACME-0001", "en"),
    ("zamówienie nr 48213 od acme nie dotarło od dwóch tygodni",
     "Dzień dobry, bardzo nam przykro, że paczka się spóźnia. Prosimy o podanie numeru "
     "zamówienia w wiadomości prywatnej, sprawdzimy to jeszcze dziś.",
     "Dzień dobry, bardzo nam przykro, że zamówienie 48213 się spóźnia. Prosimy o wiadomość "
     "prywatną, sprawdzimy to jeszcze dziś.", "pl"),
    ("رقم الطلب ٤٨٢١٣ لم يصل منذ أسبوعين",
     "مرحباً، نأسف جداً لتأخر طلبك. يُرجى إرسال رقم الطلب في رسالة خاصة لنتابع الأمر اليوم.",
     "مرحباً، نأسف جداً لتأخر الطلب ٤٨٢١٣. يُرجى مراسلتنا برسالة خاصة لنتابع الأمر اليوم.", "ar"),
    ("شماره سفارش ۴۸۲۱۳ دو هفته است که نرسیده",
     "سلام، از تأخیر سفارش شما واقعاً متأسفیم. لطفاً شماره سفارش را در پیام خصوصی بفرستید.",
     "سلام، از تأخیر سفارش ۴۸۲۱۳ واقعاً متأسفیم. لطفاً در پیام خصوصی برای ما بنویسید.", "fa"),
])
def test_asking_again_for_the_order_number_the_post_gave__fails(post: str, ask: str,
                                                                acknowledge: str, lang: str) -> None:
    assert _against(post, ask, lang) == "asked again for the order number the post gives"
    assert _against(post, acknowledge, lang) == ""
    # the same ask, to a post that names no number, is the right next step
    assert _against("acme parcel still not here", ask, lang) == ""


def test_asking_again_for_a_booking_number__named_as_a_booking() -> None:
    post = "acme lost my booking ref ABC123, nobody answers"
    ask = ("Sorry Jan, that is not how it should go. Could you send us your booking reference "
           "in a DM so we can check it? Ref ACME-0001")
    assert _against(post, ask, "en") == "asked again for the booking number the post gives"


@pytest.mark.parametrize(("post", "reply", "lang"), [
    ("acme charged my account 77341298 twice this month",
     "Sorry Jan, we can see account 77341298 was charged twice and we will fix it. Ref ACME-0001",
     "en"),
    ("acme charged my account 77341298 twice this month",
     "Sorry Jan, account 7734-1298 was charged twice, we are fixing it now. Ref ACME-0001", "en"),
    ("numer klienta 99812 i dwa razy pobrana opłata",
     "Dzień dobry, przepraszamy za podwójną opłatę na koncie 99812. Sprawdzimy to jeszcze dziś.",
     "pl"),
])
def test_account_number_from_the_post__never_printed(post: str, reply: str, lang: str) -> None:
    assert _against(post, reply, lang) == "repeated the account number from the post"


def test_account_number__a_reply_without_it_passes() -> None:
    post = "acme charged my account 77341298 twice this month"
    assert _against(post, "Sorry Jan, we are sorry about the double charge. Please send us a "
                          "DM and we will fix it today. Ref ACME-0001", "en") == ""


def test_facts_given__used_instead_of_reading_the_post() -> None:
    from monitor.post_facts import PostFacts

    ask = ("Sorry Jan, your parcel is late and that is on us. Please DM us your order number and "
           "we will chase it today. Ref ACME-0001")
    [verdict] = check_drafts([ask], post="acme parcel late", lang="en", limit=None,
                             count_length=len, policy=POLICY,
                             facts=PostFacts(number="48213", number_kind="order"))
    assert verdict.reason == "asked again for the order number the post gives"
