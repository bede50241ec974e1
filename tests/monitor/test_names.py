"""Brand names as people write them: English, Polish, Arabic and Persian, handles and hashtags."""

from __future__ import annotations

import threading

import pytest

from monitor.names import NameMatcher, Span
from monitor.names_fold import Folded, fold
from monitor.names_pl import declensions


def found(matcher: NameMatcher, text: str) -> list[str]:
    """Return what was written at each span: the spans must point into the original text."""
    return [text[s.start:s.end] for s in matcher.spans(text)]


# English: whole words, any case, Unicode compatibility forms

def test_spans__whole_word_any_case() -> None:
    kredo = NameMatcher(["Kredo"])

    assert found(kredo, "KREDO lost my card, kredo!") == ["KREDO", "kredo"]
    assert kredo.spans("Ask Kredo.") == [Span(4, 9, "Kredo")]


@pytest.mark.parametrize("text", ["Kredobank is fine", "mykredo app", "kredo_fan posted", "tokredo"])
def test_search__no_match_inside_a_longer_word(text: str) -> None:
    assert not NameMatcher(["Kredo"]).search(text)


def test_search__configured_longer_name_matches_where_the_short_one_does_not() -> None:
    matcher = NameMatcher(["Kredo", "Kredobank"])

    assert matcher.spans("Kredobank again") == [Span(0, 9, "Kredobank")]


def test_spans__nfkc_fullwidth_and_accents() -> None:
    matcher = NameMatcher(["Foodly"])

    assert found(matcher, "Ｆｏｏｄｌｙ and Fóódly") == ["Ｆｏｏｄｌｙ", "Fóódly"]


def test_spans__multi_word_name_across_spaces_hyphen_and_newline() -> None:
    matcher = NameMatcher(["Kestrel Air"])

    assert found(matcher, "Kestrel Air, KESTREL-AIR and Kestrel\nAir") == [
        "Kestrel Air", "KESTREL-AIR", "Kestrel\nAir"]
    assert not matcher.search("a kestrel in the air")


def test_spans__longest_name_wins_and_spans_do_not_overlap() -> None:
    matcher = NameMatcher(["Kestrel", "Kestrel Air"])

    assert matcher.spans("Kestrel Air lost it; Kestrel did too") == [
        Span(0, 11, "Kestrel Air"), Span(21, 28, "Kestrel")]


def test_spans__name_reported_as_configured() -> None:
    matcher = NameMatcher(["SkyLark", "skylark", "Orbita"])

    assert [s.name for s in matcher.spans("skylark orbita")] == ["SkyLark", "Orbita"]


def test_spans__names_with_punctuation_match_literally() -> None:
    matcher = NameMatcher(["Yumbox.pl", "C&A"])

    assert found(matcher, "ordered on yumbox.pl at C&A") == ["yumbox.pl", "C&A"]
    assert not matcher.search("yumboxXpl")


def test_matcher__empty_names_match_nothing() -> None:
    matcher = NameMatcher(["", "  "])

    assert matcher.spans("anything") == []
    assert not matcher.search("anything")
    assert matcher.variants() == []
    punctuation = NameMatcher(["-", "#", "@", "Orbita-"], handles=["@", ""])
    assert found(punctuation, "a - # @ orbita!") == ["orbita"]


# Polish: declension of the last word, with and without accents

@pytest.mark.parametrize(("name", "forms"), [
    ("Nordvia", ["Nordvii", "Nordvię", "Nordvią", "Nordvio"]),
    ("SkyLark", ["SkyLarka", "SkyLarkowi", "SkyLarkiem", "SkyLarku"]),
    ("Orbita", ["Orbity", "Orbicie", "Orbitę", "Orbitą", "Orbito"]),
    ("Yumbox", ["Yumboksa", "Yumboxa", "Yumboksem", "Yumboksie", "Yumboxowi"]),
    ("Ridezy", ["Ridezy'm", "Ridezy'ego", "Ridezy’ego", "Ridezym"]),
    ("Lumen Bank", ["Lumen Banku", "Lumen Bankiem", "Lumen Banka"]),
    ("Foodly Kasa", ["Foodly Kasy", "Foodly Kasie", "Foodly Kasą"]),
    ("Toyga", ["Toygi", "Toydze"]),
    ("Kredora", ["Kredory", "Kredorze"]),
    ("Fundacja Orbita", ["Fundacja Orbicie"]),
    ("Kreacja", ["Kreacji", "Kreacją"]),
    ("Nordvia FC", ["Nordvii FC", "Nordvią FC"]),  # the abbreviation stays, the name declines
])
def test_spans__polish_declined_forms(name: str, forms: list[str]) -> None:
    matcher = NameMatcher([name])

    for form in forms:
        text = f"Mam problem z {form}, serio."
        assert found(matcher, text) == [form], form
        assert matcher.spans(text)[0].name == name


@pytest.mark.parametrize(("written", "name"), [
    ("Nordvie", "Nordvia"), ("nordvia", "Nordvia"), ("Orbite", "Orbita"), ("orbita", "Orbita"),
    ("ŁÓDŹ AIRU", "Łódź Air"), ("Lodz Airem", "Łódź Air"),
])
def test_spans__polish_forms_without_diacritics(written: str, name: str) -> None:
    assert found(NameMatcher([name]), f"znowu {written} nie działa") == [written]


def test_declensions__an_abbreviation_at_the_end_never_declines() -> None:
    assert "Nordvii FC" in declensions("Nordvia FC")
    assert not any(form.startswith("Nordvia FC") for form in declensions("Nordvia FC"))


def test_spans__polish_indeclinable_o_stays_as_written() -> None:
    matcher = NameMatcher(["Markato"])

    assert declensions("Markato") == []
    assert found(matcher, "w Markato znowu") == ["Markato"]
    assert not matcher.search("Markatowi")


def test_declensions__soft_and_vowel_stems() -> None:
    assert declensions("Maja")[0] == "Mai"
    assert declensions("Kasia")[0] == "Kasi"
    assert declensions("Ikea")[:2] == ["Ikei", "Ikeę"]
    assert declensions("Poznań")[:2] == ["Poznania", "Poznaniu"]
    assert "Kubka" in declensions("Kubek")
    assert declensions("Orbita 5") == []
    assert declensions("أوربيتا") == []


def test_variants__polish_forms_after_the_names_accents_last() -> None:
    matcher = NameMatcher(["Orbita", "SkyLark"])

    pl = matcher.variants("pl")

    assert pl[:2] == ["Orbita", "SkyLark"]
    assert pl[2:4] == ["Orbity", "SkyLarka"]  # the most used form of every name first
    assert {"Orbicie", "Orbitę", "Orbitą", "SkyLarkiem", "SkyLarku"} <= set(pl)
    assert pl[-1] == "Orbite"  # Orbitę without its accent; Orbitą's is the name itself
    assert len(pl) == len({v.casefold() for v in pl})


def test_variants__other_languages_are_the_names() -> None:
    matcher = NameMatcher(["Orbita", "أوربيتا", "#OrbitaFail", "orbita"], handles=["orbita_care"])

    assert matcher.variants("en") == ["Orbita", "أوربيتا", "#OrbitaFail"]
    assert matcher.variants("fa") == matcher.variants("ar") == matcher.variants("en")
    assert matcher.variants() == matcher.variants("pl")
    assert "Orbity" in matcher.variants("pl-PL")


# Arabic: particles before, pronouns after, letter variants

@pytest.mark.parametrize("written", [
    "أوربيتا", "اوربيتا", "إوربيتا", "آوربيتا", "الأوربيتا", "وأوربيتا", "فأوربيتا", "بأوربيتا",
    "لأوربيتا", "كأوربيتا", "وبأوربيتا", "والأوربيتا", "بالأوربيتا", "فالأوربيتا", "للأوربيتا",
    "وللأوربيتا", "أوربيتاها", "أوربيتاهم", "أوربيتاكم", "أوربيتاه", "أوربيتاي", "أوربـــيتا",
    "أُورْبِيتَا", "بالأُورْبِيتَا",
])
def test_spans__arabic_particles_suffixes_and_letter_forms(written: str) -> None:
    matcher = NameMatcher(["أوربيتا"])
    text = f"مشكلة كبيرة مع {written} اليوم"

    assert found(matcher, text) == [written]


def test_spans__arabic_yeh_teh_marbuta_and_not_inside_another_word() -> None:
    matcher = NameMatcher(["مكتبة نورى"])

    assert found(matcher, "خدمة مكتبه نوري سيئة") == ["مكتبه نوري"]
    assert found(matcher, "عن مكتبتنا نوري") == []  # not this name: another word
    assert not NameMatcher(["أوربيتا"]).search("الأوربيتاتيك")


def test_spans__arabic_ta_marbuta_becomes_teh_before_a_pronoun() -> None:
    assert found(NameMatcher(["شركة"]), "شركتها سيئة") == ["شركتها"]


def test_spans__harakat_after_the_last_letter_stay_inside_the_span() -> None:
    text = "خدمة أوربيتاَ سيئة"

    [span] = NameMatcher(["أوربيتا"]).spans(text)

    assert text[span.start:span.end] == "أوربيتاَ"


# Persian: suffixes joined, after ZWNJ or a space; ZWNJ inside a name; Arabic letters

@pytest.mark.parametrize("written", [
    "اوربیتا", "اوربیتاها", "اوربیتا‌ها", "اوربیتا‌های", "اوربیتا‌هایش", "اوربیتای", "اوربیتا‌ای",
    "اوربیتاش", "اوربیتاشون", "اوربیتارو", "اوربیتا‌را", "اوربیتاتون", "اوربیتامون", "أوربيتا",
])
def test_spans__persian_suffixes(written: str) -> None:
    matcher = NameMatcher(["اوربیتا"])

    assert found(matcher, f"من از {written} راضی نیستم") == [written]


def test_spans__persian_suffix_after_a_space_leaves_the_name() -> None:
    assert found(NameMatcher(["اوربیتا"]), "اوربیتا رو پس دادم") == ["اوربیتا"]


@pytest.mark.parametrize("written", ["یام‌باکس", "یام باکس", "یامباکس", "يامباكس", "یام‌باکس‌ها",
                                     "یامباکسش"])
def test_spans__persian_zwnj_inside_the_name(written: str) -> None:
    matcher = NameMatcher(["یام‌باکس"])

    spans = matcher.spans(f"سفارش {written} نرسید")

    assert [s.name for s in spans] == ["یام‌باکس"]
    assert found(matcher, f"سفارش {written} نرسید") == [written]


def test_search__persian_name_not_inside_a_longer_word() -> None:
    assert not NameMatcher(["یام‌باکس"]).search("یام‌باکسیسم")
    assert not NameMatcher(["باکس"]).search("یامباکس")


# Latin names in Arabic-script posts, Arabizi and Finglish

@pytest.mark.parametrize(("text", "written"), [
    ("خدمة Orbita سيئة جدا", "Orbita"),
    ("من از Yumbox راضی نیستم", "Yumbox"),
    ("مشكلة مع بOrbita", "بOrbita"),
    ("Yumbox‌ها خراب بودن", "Yumbox‌ها"),
    ("orbitaaa wallah sayye2", "orbitaaa"),
    ("yumboxesh kharab shod", "yumboxesh"),
    ("yumboxo pas dadam", "yumboxo"),
    ("orbitaro dele kardam", "orbitaro"),
    ("yumboxe man nresid", "yumboxe"),
])
def test_spans__latin_names_code_switched(text: str, written: str) -> None:
    assert found(NameMatcher(["Orbita", "Yumbox"]), text) == [written]


def test_search__latin_endings_only_where_clear() -> None:
    matcher = NameMatcher(["Orbita", "Yumbox"])

    assert not matcher.search("orbitalny")
    assert not matcher.search("yumboxing")


# @handles and #hashtags

def test_spans__handle_after_at_not_inside_an_email() -> None:
    matcher = NameMatcher(["Orbita"], handles=["orbita_care"])
    text = "@Orbita_Care help! or mail jan@orbita_care.pl, jan@orbita.pl"

    assert matcher.spans(text) == [Span(0, 12, "orbita_care")]
    assert not matcher.search("write to support@orbita.com")


def test_spans__handle_is_not_a_longer_handle_or_another_server() -> None:
    matcher = NameMatcher([], handles=["orbita"])

    assert found(matcher, "@orbita. @orbita_fan @orbita@other.social") == ["@orbita"]


def test_spans__name_given_as_handle_or_hashtag() -> None:
    matcher = NameMatcher(["@orbita_pl", "#OrbitaFail"])

    assert [s.name for s in matcher.spans("@orbita_pl #orbitafail")] == ["@orbita_pl",
                                                                         "#OrbitaFail"]
    assert not matcher.search("orbita_pl orbitafail")


@pytest.mark.parametrize(("text", "written"), [
    ("#Orbita", "Orbita"), ("#OrbitaFail", "Orbita"), ("#orbita_fail", "orbita"),
    ("#FailOrbita", "Orbita"), ("#stop_orbita_now", "orbita"), ("#Orbita2024", "Orbita"),
    ("#OrbityNieKupujcie", "Orbity"), ("#يم_بوكس", "يم_بوكس"), ("#يمبوكس", "يمبوكس"),
    ("#اوربیتا", "اوربیتا"), ("#أوربيتا_فاشلة", "أوربيتا"), ("#YumboxPL", "Yumbox"),
])
def test_spans__inside_hashtags(text: str, written: str) -> None:
    matcher = NameMatcher(["Orbita", "يم بوكس", "اوربیتا", "Yumbox"])

    assert found(matcher, f"so bad {text} today") == [written]


@pytest.mark.parametrize("text", ["#orbitafail", "#Orbitalny", "#kredobank", "#xorbita",
                                  "#Kredowy"])
def test_search__hashtag_words_must_end_at_a_boundary(text: str) -> None:
    assert not NameMatcher(["Orbita", "Kredo"]).search(text)


def test_spans__camel_case_inside_the_name_itself() -> None:
    matcher = NameMatcher(["SkyLark"])

    assert found(matcher, "#SkyLark #SkyLarkDelay #skylark_pl #SkyLarka") == [
        "SkyLark", "SkyLark", "skylark", "SkyLarka"]


# Offsets into the original text, whatever folding did

def test_spans__offsets_survive_characters_that_fold_to_several_or_none() -> None:
    text = "Straße \u200fﷺ ﻷ Orbita\u200d! بـأوربيتا"
    matcher = NameMatcher(["Orbita", "أوربيتا"])

    assert found(matcher, text) == ["Orbita", "بـأوربيتا"]


def test_folded__maps_back_to_the_original() -> None:
    folded = Folded("ﷺ Orbita")

    start = folded.text.index("orbita")
    assert folded.original(start, start + 6) == (2, 8)
    assert fold("İSTANBUL ﻻ ی ك") == "istanbul لا ي ك"


# Cost: built once, shared by threads, linear on large input

def test_search__shared_by_threads() -> None:
    matcher = NameMatcher(["Orbita", "أوربيتا"])
    results: list[bool] = []

    def work() -> None:
        results.extend(matcher.search(t) for t in ("o Orbicie", "للأوربيتا", "nic") * 200)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 1600
    assert results.count(False) == 800


@pytest.mark.parametrize("text", [
    "a" * 1_000_000,
    "orbit" * 200_000,
    "#" + "aB" * 500_000,
    "#oRbItAoRbItA " * 70_000,
    "ال" * 500_000,
    "Kestrel" + " " * 1_000_000 + "x",
    "orbita" + "a" * 1_000_000 + "b",
    "@" * 1_000_000,
    "یام‌" * 250_000,
])
def test_spans__one_megabyte_returns(text: str) -> None:
    matcher = NameMatcher(["Orbita", "Kestrel Air", "یام‌باکس", "الأوربيتا"], handles=["orbita"])

    assert matcher.spans(text) == []


def test_spans__one_megabyte_of_mentions_finds_them_all() -> None:
    text = "o Orbicie i #OrbitaFail, " * 40_000

    spans = NameMatcher(["Orbita"]).spans(text)

    assert len(spans) == 80_000
    assert text[spans[-1].start:spans[-1].end] == "Orbita"
