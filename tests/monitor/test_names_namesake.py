"""Namesakes written as people write them: the word of their kind before or after the name,
declined, or in the post's own language; the brand itself next to an ordinary word is not one."""

from __future__ import annotations

import pytest

from monitor.classify.marking import US, BrandReader
from monitor.domain import BrandContext
from monitor.names import NameMatcher
from monitor.names_namesake import NamesakeFinder

KREDO = NameMatcher(["Kredo", "Kredo Bank", "كريدو", "کردو"])
FINDER = NamesakeFinder(KREDO, ["Kredo FC", "Kredo dish soap"])


def named(text: str, finder: NamesakeFinder = FINDER) -> list[tuple[str, str]]:
    """What each namesake span covers as written, and the entry it was named by."""
    return [(text[s.start:s.end], s.name) for s in finder.spans(text)]


@pytest.mark.parametrize(("text", "covered", "entry"), [
    # English: as configured, the kind word first, another word of the kind
    ("Kredo FC lost 3-0 again", "Kredo FC", "Kredo FC"),
    ("the FC Kredo defence is a joke", "FC Kredo", "Kredo FC"),
    ("that Kredo football club needs a new coach", "Kredo football", "Kredo FC"),
    ("Kredo soap leaves streaks on every glass", "Kredo soap", "Kredo dish soap"),
    # Polish: declined kind word, the name declined too
    ("klub Kredo znowu przegrał u siebie", "klub Kredo", "Kredo FC"),
    ("Mydło Kredo wysusza ręce", "Mydło Kredo", "Kredo dish soap"),
    ("kibicuję od lat, ale stadion Kredo to ruina", "stadion Kredo", "Kredo FC"),
    # Arabic: the kind word with a particle joined, one word between
    ("نادي كريدو خسر مرة ثانية، فضيحة", "نادي كريدو", "Kredo FC"),
    ("بالنادي كريدو ما في لاعب واحد يعرف يلعب", "بالنادي كريدو", "Kredo FC"),
    ("صابون الصحون كريدو ما ينظف شي", "صابون الصحون كريدو", "Kredo dish soap"),
    # Persian: written with a non-joiner ending
    ("باشگاه‌های کردو همیشه می‌بازند", "باشگاه‌های کردو", "Kredo FC"),
    ("شوینده کردو دستمو خشک کرد", "شوینده کردو", "Kredo dish soap"),
])
def test_spans__namesake_in_every_language(text: str, covered: str, entry: str) -> None:
    assert named(text) == [(covered, entry)]


@pytest.mark.parametrize("text", [
    "Kredo blocked my card and the football match tickets were never refunded",  # far away
    "Kredo. Club night was fun though",  # another sentence
    "Kredo Bank charged me twice, nobody answers",  # the brand, no kind word
    "my Kredo team at the branch was rude",  # "team" is not a word of the club kind
    "كريدو سحب من حسابي مرتين ولا أحد يرد",
    "Serio, Kredo? Gdzie moje pieniądze",  # "serio" is not "serial", and no show is listed
])
def test_spans__the_brand_itself_is_not_a_namesake(text: str) -> None:
    assert named(text) == []


def test_spans__entry_without_a_kind_word_is_matched_only_as_written() -> None:
    lumen = NamesakeFinder(NameMatcher(["Lumen"]), ["lumens"])

    assert named("Lumen app broke, 2000 lumens of anger", lumen) == []


def test_spans__kinds_only_from_the_brands_own_entries() -> None:
    only_club = NamesakeFinder(KREDO, ["Kredo FC"])

    assert named("Kredo soap leaves streaks", only_club) == []
    assert named("Kredo hotel was dirty", only_club) == []


def test_mark__namesake_by_kind_left_unmarked_and_reported() -> None:
    brand = BrandContext(id="kredo", name="Kredo", names=("Kredo", "كريدو"), not_us=("Kredo FC",))

    marked = BrandReader(brand).mark("نادي كريدو خسر، و كريدو سحب من حسابي")

    assert marked.namesakes == ("Kredo FC",)
    assert marked.ours == 1
    assert marked.text == f"نادي كريدو خسر، و {US} سحب من حسابي"


@pytest.mark.parametrize(("text", "covered", "entry"), [
    ("Kredo were awful tonight, the striker missed a penalty and the referee gave nothing",
     "Kredo", "Kredo FC"),
    ("كريدو خسر المباراة والحكم ظلمنا بركلة جزاء", "كريدو", "Kredo FC"),
    ("کردو دیشب باخت، داور پنالتی رو نگرفت", "کردو", "Kredo FC"),
    ("Kredo znowu przegrało mecz, sędzia nie dał karnego", "Kredo", "Kredo FC"),
    ("Kredo leaves a rash on my skin and no lather at all", "Kredo", "Kredo dish soap"),
])
def test_spans__namesake_by_its_topic_without_a_kind_word(text: str, covered: str, entry: str) -> None:
    assert named(text) == [(covered, entry)]


@pytest.mark.parametrize("text", [
    # a customer's dealings keep it the brand's, whatever else the post talks about
    "Kredo declined my card at the match, the referee was luckier with his drink",
    "Kredo, why is everything so slow today? at the match and nothing loads",  # one word only
    "كريدو رفض بطاقتي في المباراة وما قدرت أدفع ثمن التذكرة",
    "Kredo zablokowało mi konto w trakcie meczu, a sędzia jeszcze doliczył czas",
])
def test_spans__topic_words_with_a_customers_dealings_or_alone_are_the_brand(text: str) -> None:
    assert named(text) == []


def test_spans__topics_only_of_the_brands_own_kinds() -> None:
    only_club = NamesakeFinder(KREDO, ["Kredo FC"])

    assert named("Kredo leaves a rash on my skin and no lather at all", only_club) == []


def test_mark__namesake_by_topic_leaves_the_name_unmarked() -> None:
    brand = BrandContext(id="kredo", name="Kredo", names=("Kredo",), not_us=("Kredo FC",))
    text = "Kredo were awful tonight, the striker missed a penalty and the referee gave nothing"

    marked = BrandReader(brand).mark(text)

    assert (marked.namesakes, marked.ours, marked.text) == (("Kredo FC",), 0, text)


def test_spans__topic_words_begin_the_written_word_and_reach_no_common_one() -> None:
    near_a_restaurant = NamesakeFinder(KREDO, ["Kredo restaurant", "Kredo FC"])

    # "waited" is not "waiter": one topic word (chef) is not enough
    assert named("Kredo is a joke, I waited an hour and the chef was on the phone",
                 near_a_restaurant) == []
    # a last vowel or -s may change: player for players, bramki for bramka
    assert named("Kredo: one player scored, the bramki were empty", near_a_restaurant) == [
        ("Kredo", "Kredo FC")]
