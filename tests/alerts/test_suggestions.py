"""Reply templates: what ships, the order of overrides, and fitting within a platform's limit."""

from __future__ import annotations

import importlib.resources
import itertools
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts import suggestions
from alerts.suggestions import (
    ACK_PLACEHOLDERS,
    acknowledgement,
    fit,
    reply_language,
    shipped,
    suggest,
    template_problems,
    templates_dir,
)
from alerts.text import is_rtl
from monitor.domain import Category

LANGS = ["en", "ar", "fa", "pl"]
KEYS = [c.value for c in Category] + ["default"]
URL = re.compile(r"https?://\S+")
WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\U0001f000-\U0001faff]")
LONG_NAME = "Małgorzata Kowalska-Nowak from the Customer Panel"


def x_count(text: str) -> int:
    """Count as X does, roughly: every link is 23, CJK and emoji are 2, the rest 1."""
    text = URL.sub("x" * 23, text)
    return len(text) + len(WIDE.findall(text))


def _suggest(lang: str = "en", category: str = "delivery", limit: int | None = 280,
             brand: dict[str, dict[str, list[str]]] | None = None, name: str = "Sara",
             signature: str = "^JS") -> list[str]:
    return suggest(brand or {}, lang, category, name, "ACME-0042", "Acme", signature, limit,
                   x_count)


# What ships ---------------------------------------------------------------------------------


def test_templates_dir__finds_the_repository_copy() -> None:
    assert (templates_dir() / "en.yaml").is_file()
    assert sorted(suggestions.shipped_languages()) == sorted(LANGS)


def test_templates_dir__prefers_the_bundled_copy(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = tmp_path / "bundled_config" / "templates"
    bundled.mkdir(parents=True)
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    assert templates_dir() == bundled


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", KEYS)
def test_shipped__three_distinct_variants_with_a_next_step(lang: str, key: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    variants = pack.replies[key]
    assert len(variants) >= 3
    assert len({v.casefold() for v in variants}) == len(variants)
    for variant in variants:
        assert template_problems(variant) == []
        assert "{reference}" in variant and "{signature}" in variant
        # Polish greets without the name: addressing by name takes the vocative.
        assert ("{name}" in variant) is (lang != "pl")


@pytest.mark.parametrize("lang", LANGS)
def test_shipped__acknowledgement_and_when_words(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    assert len(pack.acknowledgement) >= 2
    for variant in pack.acknowledgement:
        assert template_problems(variant, ACK_PLACEHOLDERS) == []
        assert "{opens}" in variant and "{reference}" in variant
    assert set(pack.when) == {"today", "tomorrow", "weekday", "soon"}
    assert len(pack.days) == 7


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_shipped__right_to_left_languages_read_right_to_left(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    for variant in itertools.chain(*pack.replies.values()):
        assert is_rtl(variant.replace("{name}", "").replace("{reference}", ""))


def test_shipped__persian_and_arabic_letters_are_not_mixed() -> None:
    persian, arabic = shipped("fa"), shipped("ar")
    assert persian is not None and arabic is not None
    fa_text = " ".join(itertools.chain(*persian.replies.values(), persian.acknowledgement))
    ar_text = " ".join(itertools.chain(*arabic.replies.values(), arabic.acknowledgement))
    assert not set("يك") & set(fa_text)  # Persian writes ی and ک
    assert not set("یکپچژگ") & set(ar_text)


def test_shipped__polish_is_neutral() -> None:
    pack = shipped("pl")
    assert pack is not None
    text = " ".join(itertools.chain(*pack.replies.values(), pack.acknowledgement))
    assert not re.search(r"\b(Pan|Pani|Pana|Panu|Panią|Panem)\b", text)
    assert "{name}" not in text  # no "Dzień dobry Kasia Nowak": the vocative is not known


def test_suggest__polish_greets_neutrally_whatever_the_display_name() -> None:
    replies = _suggest(lang="pl", category="delivery", name="Kasia Nowak")
    assert replies and not any("Kasia" in r for r in replies)
    assert any(r.startswith("Dzień dobry, ") for r in replies)


def test_template_problems__names_unknown_placeholders() -> None:
    assert template_problems("Hi {nmae}, {reference}") == [
        "unknown placeholder {nmae}; use only {brand}, {contact}, {name}, {order}, {reference}, "
        "{signature}"
    ]


def test_shipped__refuses_a_path() -> None:
    assert shipped("../../etc") is None


# suggest ------------------------------------------------------------------------------------


def test_suggest__three_distinct_personalised_variants() -> None:
    replies = _suggest(limit=None)
    assert len(replies) == 3
    assert len(set(replies)) == 3
    for reply in replies:
        assert "Sara" in reply and "ACME-0042" in reply and reply.endswith("^JS")
        assert "{" not in reply


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_suggest__in_the_posts_language(lang: str) -> None:
    replies = _suggest(lang)
    assert len(replies) == 3
    assert all(is_rtl(r) for r in replies)


def test_suggest__regional_tag_uses_the_language() -> None:
    assert _suggest("fa-IR") == _suggest("fa")


def test_suggest__english_only_when_the_language_has_no_templates() -> None:
    assert _suggest("de") == _suggest("en")
    brand = {"de": {"delivery": ["Hallo {name}, bitte DM mit {reference}."]}}
    assert _suggest("de", brand=brand)[0] == "Hallo Sara, bitte DM mit ACME-0042."
    assert reply_language(brand, "de") == "de"
    assert reply_language({}, "de") == "en"


def test_suggest__brand_overrides_come_first() -> None:
    brand = {"en": {"delivery": ["Brand one {reference}."], "default": ["Brand two {reference}."]}}
    replies = _suggest(brand=brand)
    assert replies[:2] == ["Brand one ACME-0042.", "Brand two ACME-0042."]
    shipped_first = _suggest()[0]
    assert replies[2] == shipped_first


def test_suggest__unknown_category_uses_default() -> None:
    pack = shipped("en")
    assert pack is not None
    replies = _suggest(category="weather", limit=None)
    assert replies[0] == (pack.replies["default"][0]
                          .replace("{name}", "Sara").replace("{reference}", "ACME-0042")
                          .replace("{signature}", "^JS"))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("category", [c.value for c in Category])
def test_suggest__fits_x_with_a_long_name(lang: str, category: str) -> None:
    replies = suggest({}, lang, category, LONG_NAME, "ACME-2026-000042", "Acme",
                      "— Acme Customer Care team", 280, x_count)
    assert len(replies) >= 2
    assert len(set(replies)) == len(replies)
    assert all(x_count(r) <= 280 for r in replies)
    assert all("ACME-2026-000042" in r for r in replies)


def test_suggest__drops_the_signature_before_any_sentence() -> None:
    full = _suggest(limit=None)[0]
    without = full.removesuffix(" ^JS")
    assert _suggest(limit=x_count(full) - 1)[0] == without


def test_suggest__shortens_at_sentences_keeping_the_next_step() -> None:
    reply = _suggest(limit=120)[0]
    assert x_count(reply) <= 120
    assert reply == ("Please DM us your order number with reference ACME-0042 and we'll "
                     "track it down and confirm a delivery date.")


@pytest.mark.parametrize("lang", LANGS)
def test_suggest__never_exceeds_and_never_cuts_a_word(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None
    punctuation = ",،;:–-.!?؟…"
    words = {w.strip(punctuation) for t in (*pack.replies["delivery"], *pack.replies["default"])
             for w in t.replace("{name}", "Sara").replace("{reference}", "ACME-0042")
             .replace("{signature}", "^JS").split()}
    for limit in range(10, 300, 7):
        for reply in _suggest(lang, limit=limit):
            assert x_count(reply) <= limit
            assert "ACME-0042" in reply
            for word in reply.split():
                assert word.strip(punctuation) in words, (limit, reply)


def test_suggest__tiny_limit_gives_nothing_rather_than_a_broken_reply() -> None:
    assert _suggest(limit=3) == []


def test_suggest__a_name_cannot_inject_placeholders() -> None:
    reply = _suggest(name="{reference}{signature}", limit=None)[0]
    assert reply.startswith("Hi {reference}{signature}, thank you")


def test_suggest__missing_name_leaves_no_dangling_comma() -> None:
    reply = _suggest(name="", limit=None)[2]
    assert reply.startswith("We're sorry your parcel is late")


def test_suggest__a_name_ending_with_a_stop_is_not_followed_by_another() -> None:
    replies = _suggest(name="Tom K.", limit=None)
    assert any("Tom K." in r for r in replies)
    assert not any(".." in r.replace("...", "") for r in replies)


def test_fit__keeps_the_time_and_reference_of_an_acknowledgement() -> None:
    template = "Hi {name}, thanks. We are closed. Back {opens}. Reference {reference}. {signature}"
    values = {"name": "Sara", "reference": "R-1", "opens": "at 9", "signature": "^JS",
              "brand": "Acme"}
    assert fit(template, values, 30, len) == "Back at 9. Reference R-1."


# acknowledgement ----------------------------------------------------------------------------

TEHRAN = ZoneInfo("Asia/Tehran")
NIGHT = datetime(2026, 11, 20, 22, 30, tzinfo=TEHRAN)  # a Friday


@pytest.mark.parametrize(
    ("lang", "opens", "phrase"),
    [
        ("en", datetime(2026, 11, 21, 9, 0, tzinfo=TEHRAN), "tomorrow at 09:00"),
        ("en", datetime(2026, 11, 23, 9, 0, tzinfo=TEHRAN), "on Monday at 09:00"),
        ("en", datetime(2026, 11, 20, 23, 0, tzinfo=TEHRAN), "today at 23:00"),
        ("fa", datetime(2026, 11, 21, 9, 0, tzinfo=TEHRAN), "فردا ساعت ۰۹:۰۰"),
        ("ar", datetime(2026, 11, 23, 9, 0, tzinfo=TEHRAN), "يوم الاثنين الساعة 09:00"),
        ("pl", datetime(2026, 11, 24, 9, 0, tzinfo=TEHRAN), "we wtorek o 09:00"),
    ],
)
def test_acknowledgement__says_when_the_team_is_back(lang: str, opens: datetime,
                                                     phrase: str) -> None:
    text = acknowledgement({}, lang, "Sara", "ACME-0042", "Acme", "^JS", opens, 280, x_count,
                           now=NIGHT)
    assert text is not None
    assert phrase in text and "ACME-0042" in text
    assert x_count(text) <= 280


def test_acknowledgement__brand_override_and_limit() -> None:
    brand = {"en": {"acknowledgement": ["Closed; back {opens}. Ref {reference}. {signature}"]}}
    opens = datetime(2026, 11, 21, 9, 0, tzinfo=TEHRAN)
    assert acknowledgement(brand, "en", "Sara", "R-1", "Acme", "^JS", opens, None, len,
                           now=NIGHT) == "Closed; back tomorrow at 09:00. Ref R-1. ^JS"
    short = acknowledgement({}, "en", "Sara", "R-1", "Acme", "^JS", opens, 120, len, now=NIGHT)
    assert short == ("Our team is offline right now, but we've seen this and will get back to "
                     "you tomorrow at 09:00. Your reference is R-1.")
    assert acknowledgement({}, "en", "Sara", "R-1", "Acme", "^JS", opens, 40, len) is None


@pytest.mark.parametrize(("lang", "phrase"), [("en", "on Saturday at 09:00"),
                                              ("pl", "w sobotę o 09:00")])
def test_acknowledgement__without_now_names_the_day(lang: str, phrase: str) -> None:
    opens = datetime(2026, 11, 21, 9, 0, tzinfo=TEHRAN)
    text = acknowledgement({}, lang, "Sara", "R-1", "Acme", "", opens, None, len)
    assert text is not None and phrase in text


@pytest.mark.parametrize(("lang", "phrase"), [("en", "as soon as we open"),
                                              ("ar", "فور بدء ساعات العمل")])
def test_acknowledgement__unknown_opening(lang: str, phrase: str) -> None:
    text = acknowledgement({}, lang, "Sara", "R-1", "Acme", "", None, None, len)
    assert text is not None and phrase in text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", KEYS)
def test_suggest__no_thanks_for_patience_to_a_post_that_accuses(lang: str, key: str) -> None:
    pack = shipped(lang)
    assert pack is not None and pack.not_when_angry
    unfit = [p.casefold() for p in pack.not_when_angry]
    calm = suggest({}, lang, key, "Sara", "ACME-0042", "Acme", "", 280, x_count)
    angry = suggest({}, lang, key, "Sara", "ACME-0042", "Acme", "", 280, x_count, angry=True)
    assert len(angry) == len(calm)  # the same variants, said more calmly
    assert not [r for r in angry if any(p in r.casefold() for p in unfit)]
    for was, now in zip(calm, angry, strict=True):
        if was != now:
            assert any(new in now for new in pack.not_when_angry.values())


def test_suggest__patience_thanked_to_a_calm_post_and_a_brands_own_variant_calmed_too() -> None:
    assert any("thank you for your patience" in r.casefold() for r in _suggest(category="refund"))
    own = {"en": {"refund": ["Thank you for your patience, {name}: DM us {reference}."]}}
    calm = suggest(own, "en", "refund", "Sara", "ACME-0042", "Acme", "", 280, x_count)
    angry = suggest(own, "en", "refund", "Sara", "ACME-0042", "Acme", "", 280, x_count, angry=True)
    assert calm[0] == "Thank you for your patience, Sara: DM us ACME-0042."
    assert angry[0] == "We understand how frustrating this is, Sara: DM us ACME-0042."
    assert not any("patience" in r for r in angry)


@pytest.mark.parametrize("lang", LANGS)
def test_suggest__a_repeat_is_sorry_it_happened_again_before_the_next_step(lang: str) -> None:
    pack = shipped(lang)
    assert pack is not None and pack.again
    first = suggest({}, lang, ["delivery", "service"], "Sara", "ACME-0042", "Acme", "", None, x_count)
    again = suggest({}, lang, ["delivery", "service"], "Sara", "ACME-0042", "Acme", "", None, x_count,
                    repeat=True)
    assert len(again) == len(first) and not any(pack.again in r for r in first)
    for reply in again:
        assert pack.again in reply and pack.also["service"] in reply  # both added sentences
        assert reply.index(pack.again) < reply.index("ACME-0042")


def test_suggest__a_repeat_sentence_goes_only_with_the_next_step_when_space_is_short() -> None:
    full = suggest({}, "en", "delivery", "Sara", "ACME-0042", "Acme", "", None, x_count, repeat=True)[0]
    short = suggest({}, "en", "delivery", "Sara", "ACME-0042", "Acme", "", 200, x_count, repeat=True)
    assert x_count(full) > 200
    assert short and all("happened again" in r and "ACME-0042" in r and x_count(r) <= 200 for r in short)
