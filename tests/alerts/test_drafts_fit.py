"""Drafts that fit the post: both problems answered, a repeat, a named order number said and
not asked for, no "thank you for your patience" to an accusation, each platform's limit as
it counts, and no "DM us" where the platform has no private messages."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import connectors
from alerts.suggestions import ELLIPSIS, rephrased, shipped, suggest, template_problems
from connectors.base import Connector
from connectors.replay import ReplayConnector
from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.poller import poll_all
from monitor.post_facts import PostFacts, facts_of
from tests.factories import make_world, post, write_brands

LANGS = ["en", "ar", "fa", "pl"]
LONG_NAME = "Małgorzata Kowalska-Nowak from the Customer Panel"
REFERENCE = "ACME-2026-000042"
SIGNATURE = {"en": "— Ola, Acme Care", "pl": "— Ola z Acme", "ar": "— علا من Acme",
             "fa": "— اولا از Acme"}
# A post naming its order, in each language, with the digits its customers write.
POSTS = {
    "en": "Order #48213 still hasn't arrived and your helpline never answers",
    "pl": "Zamówienie nr 4821 nie dotarło, a infolinia nie odbiera",
    "ar": "رقم الطلب ٤٨٢١٣ لم يصل وخدمة العملاء لا ترد",
    "fa": "شماره سفارش ۴۸۲۱۳ نرسیده و پشتیبانی جواب نمی‌دهد",
}
NUMBERS = {"en": "48213", "pl": "4821", "ar": "٤٨٢١٣", "fa": "۴۸۲۱۳"}
# What asks for the number once more.
ASKS = {
    "en": ("order number", "order details"),
    "pl": ("numer zamówienia", "szczegóły zamówienia", "szczegółami zamówienia"),
    "ar": ("رقم الطلب", "تفاصيل الطلب"),
    "fa": ("شماره سفارش", "جزئیات سفارش"),
}
# What sends the customer to private messages.
PRIVATE = {
    "en": ("DM", "private message", "privately"),
    "pl": ("prywat",),
    "ar": ("رسالة خاصة", "بشكل خاص"),
    "fa": ("پیام خصوصی",),
}
# "Thank you for your patience" in each language's own words.
PATIENCE = {"en": ("patience",), "pl": ("cierpliwość",), "ar": ("صبرك",), "fa": ("صبرتان",)}
SUPPORT = {"en": "our support team", "pl": "obsługi klienta", "ar": "خدمة العملاء",
           "fa": "بخش پشتیبانی"}
PUNCTUATION = ",،;:–-.!?؟…()"
CONTACT = "help@acme.example"


def _platforms() -> list[type[Connector]]:
    out = []
    for platform in connectors.available():
        try:
            cls = connectors.load(platform)
        except connectors.ConnectorUnavailable:
            continue
        if cls.can_reply and platform != "replay":
            out.append(cls)
    return out


PLATFORMS = _platforms()
REVIEW_SITES = [c for c in PLATFORMS if c.private_channel is None]


def _counter(cls: type[Connector]) -> Connector:
    """An instance for counting only: `count_length` reads no settings."""
    return object.__new__(cls)


def _draft(lang: str, cls: type[Connector] | None = None, *, categories: list[str] | None = None,
           name: str = "Sara", contact: str = CONTACT, **options: Any) -> list[str]:
    counter = _counter(cls) if cls else None
    return suggest({}, lang, categories or ["delivery"], name, REFERENCE, "Acme",
                   SIGNATURE[lang], cls.reply_limit if cls else None,
                   counter.count_length if counter else len,
                   private_channel=cls.private_channel if cls else "dm", contact=contact,
                   **options)


SCENARIOS: dict[str, dict[str, Any]] = {
    "two problems": {"categories": ["delivery", "service"]},
    "repeat": {"repeat": True},
    "order number": {"facts": None},  # filled per language
    "accusation": {"angry": True},
    "all at once": {"categories": ["delivery", "service"], "repeat": True, "angry": True,
                    "facts": None},
}


def _options(lang: str, scenario: str) -> dict[str, Any]:
    options = dict(SCENARIOS[scenario])
    if "facts" in options:
        options["facts"] = facts_of(POSTS[lang])
    return options


def _words(lang: str) -> set[str]:
    """Every whole word a reply in `lang` may use: the shipped words and the values filled in."""
    pack = shipped(lang)
    assert pack is not None
    texts = [*itertools.chain(*pack.replies.values()), *pack.also.values(), pack.again,
             *pack.number_known.values(), pack.number_noted, *pack.numbers.values(),
             *pack.no_dm.values(), *pack.no_contact.values(), *pack.not_when_angry.values(),
             LONG_NAME, REFERENCE, SIGNATURE[lang], CONTACT, NUMBERS[lang]]
    return {w.strip(PUNCTUATION).casefold() for t in texts for w in t.split()}


# Each platform's limit, as it counts -------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("cls", PLATFORMS, ids=lambda c: c.platform)
def test_drafts__within_each_platforms_limit_whole_words_and_the_reference(
        lang: str, scenario: str, cls: type[Connector]) -> None:
    options = _options(lang, scenario)
    limit = cls.reply_limit
    assert limit is not None
    replies = _draft(lang, cls, name=LONG_NAME, **options)
    assert len(replies) >= 2, (cls.platform, replies)
    words = _words(lang)
    for reply in replies:
        assert _counter(cls).count_length(reply) <= limit
        assert REFERENCE in reply
        assert not reply.rstrip(ELLIPSIS).endswith((" ", "-"))
        for word in reply.split():
            assert word.strip(PUNCTUATION).casefold() in words, (cls.platform, word, reply)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("limit", range(60, 300, 11))
def test_drafts__tight_limits_cut_sentences_then_words_never_the_reference(lang: str,
                                                                           limit: int) -> None:
    options = _options(lang, "all at once")
    words = _words(lang)
    replies = suggest({}, lang, options.pop("categories"), LONG_NAME, REFERENCE, "Acme",
                      SIGNATURE[lang], limit, len, **options)
    for reply in replies:
        assert len(reply) <= limit and REFERENCE in reply
        assert all(w.strip(PUNCTUATION).casefold() in words for w in reply.split()), reply


def test_drafts__x_counts_weighted() -> None:
    x = connectors.load("x")
    replies = _draft("en", x, name="😀" * 20, categories=["delivery", "service"])
    named = [r for r in replies if "😀" in r]
    assert named
    for reply in named:  # an emoji counts 2 on X: the reply is shorter than len() allows
        assert len(reply) < _counter(x).count_length(reply) <= 280


# What the post names -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("category", ["delivery", "product", "refund", "service", "app",
                                      "payment", "other", "default"])
def test_drafts__a_named_order_is_said_with_its_digits_and_never_asked_for(lang: str,
                                                                           category: str) -> None:
    facts = facts_of(POSTS[lang])
    assert facts.number == NUMBERS[lang]
    unaware = _draft(lang, categories=[category])
    aware = _draft(lang, categories=[category], facts=facts)
    assert len(aware) == len(unaware) >= 2
    for reply in aware:
        assert NUMBERS[lang] in reply and REFERENCE in reply
        assert not [a for a in ASKS[lang] if a in reply], reply
    if lang in ("ar", "fa"):
        assert not any("48213" in r for r in aware)  # the customer's own digits, not ours


@pytest.mark.parametrize("lang", LANGS)
def test_drafts__the_shipped_replies_did_ask_for_it(lang: str) -> None:
    """Not vacuous: without the number, some delivery replies ask for it."""
    replies = _draft(lang, categories=["delivery"]) + _draft(lang, categories=["product"])
    assert any(a in r for r in replies for a in ASKS[lang])


@pytest.mark.parametrize("cls", PLATFORMS, ids=lambda c: c.platform)
@pytest.mark.parametrize("lang", LANGS)
def test_drafts__the_number_is_not_asked_for_on_any_platform(lang: str,
                                                            cls: type[Connector]) -> None:
    replies = _draft(lang, cls, name=LONG_NAME, facts=facts_of(POSTS[lang]),
                     categories=["delivery", "service"], repeat=True)
    assert replies and not [r for r in replies for a in ASKS[lang] if a in r]
    assert any(NUMBERS[lang] in r for r in replies)


@pytest.mark.parametrize("lang", LANGS)
def test_drafts__an_account_number_is_known_but_not_repeated_in_public(lang: str) -> None:
    facts = PostFacts(number="55120931", number_kind="account")
    for reply in _draft(lang, categories=["payment"], facts=facts):
        assert "55120931" not in reply and REFERENCE in reply


@pytest.mark.parametrize("kind", ["booking", "ticket"])
def test_drafts__bookings_and_tickets_are_named_as_such(kind: str) -> None:
    replies = _draft("en", categories=["delivery"], facts=PostFacts("ABC123", kind))
    assert all(f"{kind} ABC123" in r for r in replies)


def test_drafts__a_brands_own_template_with_or_without_the_placeholder_reads_right() -> None:
    facts = facts_of("order #48213 is late")
    brand = {"en": {"delivery": ["Please DM us your order number, quoting {reference}.",
                                 "Sorry {name}! We are on it: {reference}.",
                                 "We're checking {order} now ({reference})."]}}
    replies = suggest(brand, "en", "delivery", "Sara", "R-1", "Acme", "", None, len, facts=facts)
    assert replies[:3] == [
        "Please DM us about order 48213, quoting R-1.",
        "Sorry Sara! We'll check what happened with order 48213. We are on it: R-1.",
        "We're checking order 48213 now (R-1).",
    ]
    unknown = suggest(brand, "en", "delivery", "Sara", "R-1", "Acme", "", None, len)
    assert unknown[2] == "We're checking your order now (R-1)."


def test_template_problems__knows_order_and_contact() -> None:
    assert template_problems("About {order}: write to {contact} quoting {reference}.") == []
    assert template_problems("{orders}") != []


# The platform: no "DM us" where there are no private messages -------------------------------


def test_connectors__review_sites_and_comments_have_no_private_channel() -> None:
    for platform in ("app_store", "google_play", "trustpilot", "google_business", "youtube",
                     "hackernews", "rss"):
        assert connectors.load(platform).private_channel is None, platform
    for platform in ("x", "reddit", "instagram", "facebook", "mastodon", "bluesky", "threads"):
        assert connectors.load(platform).private_channel == "dm", platform
    assert len(REVIEW_SITES) >= 5


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("cls", REVIEW_SITES, ids=lambda c: c.platform)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_drafts__a_review_site_gets_the_brands_contact_not_dm(lang: str, cls: type[Connector],
                                                              scenario: str) -> None:
    options = _options(lang, scenario)
    replies = _draft(lang, cls, **options)
    assert len(replies) >= 2
    for reply in replies:
        assert not [p for p in PRIVATE[lang] if p in reply], reply
        assert CONTACT in reply and REFERENCE in reply
    on_x = _draft(lang, connectors.load("x"), **options)
    assert any(p in r for r in on_x for p in PRIVATE[lang])  # not vacuous: X says DM


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("category", ["delivery", "product", "payment", "service", "question",
                                      "default"])
def test_drafts__without_a_contact_the_support_team_is_named(lang: str, category: str) -> None:
    trustpilot = connectors.load("trustpilot")
    replies = _draft(lang, trustpilot, categories=[category], contact="",
                     facts=facts_of(POSTS[lang]))
    assert len(replies) >= 2
    for reply in replies:
        assert not [p for p in PRIVATE[lang] if p in reply], reply
        assert SUPPORT[lang] in reply and REFERENCE in reply and "{" not in reply


def test_drafts__contact_sentence_reads_in_english() -> None:
    trustpilot = connectors.load("trustpilot")
    [first, *_] = _draft("en", trustpilot, categories=["default"])
    assert "Please write to us at help@acme.example with reference ACME-2026-000042" in first
    [bare, *_] = _draft("en", trustpilot, categories=["default"], contact="")
    assert "Please contact our support team with reference ACME-2026-000042" in bare


@pytest.mark.parametrize("lang", LANGS)
def test_templates__every_mapped_phrase_is_one_the_templates_say(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    templates = list(itertools.chain(*pack.replies.values()))
    said = " ".join(templates).casefold()
    known = said + " ".join(rephrased(t, pack.number_known) for t in templates).casefold()
    contact = " ".join(rephrased(rephrased(t, pack.number_known), pack.no_dm) + " "
                       + rephrased(t, pack.no_dm) for t in templates).casefold()
    assert pack.number_known and pack.no_dm and pack.no_contact and pack.number_noted
    assert set(pack.numbers) == {"order", "booking", "ticket", "account", "none"}
    for phrase in pack.number_known:
        assert phrase.casefold() in said, phrase
    for phrase in pack.no_dm:
        assert phrase.casefold() in known, phrase
    for phrase in pack.no_contact:
        assert phrase.casefold() in contact, phrase
    for text in (*pack.number_known.values(), *pack.no_dm.values(), *pack.no_contact.values(),
                 pack.number_noted):
        assert template_problems(text) == []


# An accusation ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("cls", [None, *PLATFORMS], ids=lambda c: c.platform if c else "none")
def test_drafts__no_patience_thanked_to_an_accusation(lang: str, cls: type[Connector] | None) -> None:
    calm: list[str] = []
    for category in ("delivery", "refund", "service", "other"):
        calm += _draft(lang, categories=[category, "service"], facts=facts_of(POSTS[lang]))
        angry = _draft(lang, cls, categories=[category, "service"], facts=facts_of(POSTS[lang]),
                       angry=True, repeat=True)
        assert angry and not [r for r in angry for p in PATIENCE[lang] if p in r]
    assert any(p in r for r in calm for p in PATIENCE[lang])  # not vacuous


# Two problems and a repeat ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_drafts__both_problems_and_the_repeat_with_the_number(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    replies = _draft(lang, connectors.load("trustpilot"), categories=["delivery", "service"],
                     repeat=True, facts=facts_of(POSTS[lang]))
    assert len(replies) >= 2
    for reply in replies:
        assert pack.also["service"] in reply and pack.again in reply
        assert reply.index(pack.again) < reply.index(REFERENCE)
        assert NUMBERS[lang] in reply


def test_rephrased__capital_of_the_sentence_not_of_the_phrase() -> None:
    phrases = {"DM us": "write to us", "send us a note": "write to us"}
    assert rephrased("DM us now. Please DM us. Send us a note.", phrases) == (
        "Write to us now. Please write to us. Write to us.")


# Settings and the pipeline -------------------------------------------------------------------


def test_config__contact_and_products(tmp_path: Path) -> None:
    extra = ('    contact: {en: "help@acme.example", pl: "https://acme.example/kontakt"}\n'
             "    products: [Aero Kettle, Lumen Lamp]\n")
    brand = load_config(write_brands(tmp_path, extra), env={}).brands[0]
    assert brand.contact_for("en-GB") == "help@acme.example"
    assert brand.contact_for("pl") == "https://acme.example/kontakt"
    assert brand.contact_for("ar") == ""
    assert brand.products == ["Aero Kettle", "Lumen Lamp"]


@pytest.mark.parametrize("contact", ['"call us"', '{English: "help@acme.example"}'])
def test_config__a_contact_that_is_no_address_names_the_line(tmp_path: Path, contact: str) -> None:
    path = write_brands(tmp_path, f"    contact: {contact}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert any("contact" in p and f"{path}:" in p for p in info.value.problems), info.value.problems


class _ReviewReplay(ReplayConnector):
    """The replay connector, posing as a platform without private messages."""

    private_channel = None


def test_pipeline__a_case_on_a_review_platform_names_the_order_and_the_contact(
        tmp_path: Path) -> None:
    world = make_world(tmp_path, extra='    contact: "help@acme.example"\n')
    brand = world.runtime.brand("acme")
    world.runtime.connector_overrides[("acme", "posts")] = _ReviewReplay(
        world.runtime.spec(brand, brand.sources[0], "posts"))
    world.add_posts(post("1", "acme order #48213 is late and the helpline never answers"))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    texts = [s.text for s in world.runtime.store.suggestions(case.id)]
    assert len(texts) >= 2
    for text in texts:
        assert "48213" in text and case.reference in text and "help@acme.example" in text
        assert "order number" not in text and "DM" not in text and "private" not in text


def test_pipeline__a_case_where_dms_exist_still_says_dm_and_the_number(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.add_posts(post("1", "acme order #48213 is late"))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    texts = [s.text for s in world.runtime.store.suggestions(case.id)]
    assert texts and all("48213" in t and "order number" not in t for t in texts)
    assert any("DM" in t or "private message" in t for t in texts)
