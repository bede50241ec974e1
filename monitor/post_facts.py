"""What a post names that a reply should not ask for again: an order, booking, ticket or
account number, one of the brand's products, and how long the customer has waited.

Pure functions over the post's text, in English, Arabic, Persian and Polish (and Arabizi
or Finglish: "talab raqam 48213", "shomare sefaresh 48213"). A number is taken only next to
a word that says what it is ("order #48213", "nr zamówienia 4821", "رقم الطلب ٤٨٢١٣",
"شماره سفارش ۴۸۲۱۳"), and never when it reads as a phone number, a price or a year. The
number and the duration are kept exactly as the customer wrote them (their digits too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from monitor.classify.text import fold

ORDER, BOOKING, TICKET, ACCOUNT = "order", "booking", "ticket", "account"


@dataclass(frozen=True)
class PostFacts:
    """What one post names. Empty strings: not named.

    `number` is as written ("48213", "٤٨٢١٣", "ABC123"); `number_kind` says what it
    numbers (order, booking, ticket or account); `product` is the brand's own name for a
    product the post mentions; `since` is the date or duration the customer gives, as
    written ("since Monday", "two weeks", "3 maja", "منذ أسبوعين", "دو هفته").
    """

    number: str = ""
    number_kind: str = ""
    product: str = ""
    since: str = ""


NOTHING = PostFacts()

# Same-length folding, so that a match in the folded text maps back to the words as written.
_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "أ": "ا", "إ": "ا",
                          "آ": "ا", "\u200c": " "})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def _fold_keeping_places(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased with Arabic/Persian letter variants and all digits unified, and
    for every folded character the index of the character it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower().translate(_LETTERS).translate(_DIGITS):
            out.append(c)
            where.append(i)
    return "".join(out), where


def _as_written(text: str, where: list[int], start: int, end: int) -> str:
    return text[where[start]:where[end - 1] + 1] if end > start else ""


def _f(words: str) -> str:
    """A pattern's letters folded as the text is (written readably, matched folded)."""
    return words.lower().translate(_LETTERS)


# What a number numbers: the words before it, per kind, in the four languages and in Latin
# transliteration. Each is a regular expression over folded text.
_KINDS: dict[str, tuple[str, ...]] = {
    ORDER: (r"orders?", r"purchase", r"zam[oó]wieni\w*", r"طلب(?:ی|ک|نا)?", r"الطلب",
            r"اوردر", r"الاوردر", r"سفارش(?:م|تان)?", r"talab(?:i|y)?", r"el ?talab",
            r"sefaresh(?:am|em)?"),
    BOOKING: (r"bookings?", r"reservations?", r"pnr", r"rezerwacj\w*", r"حجز(?:ی)?",
              r"الحجز", r"رزرو(?:م)?", r"hagz|7agz|hajz|7ajz", r"rezerv"),
    TICKET: (r"tickets?", r"support (?:ticket|case)", r"complaint", r"claim",
             r"zg[lł]oszeni\w*", r"reklamacj\w*", r"تذکره", r"التذکره", r"شکوی", r"الشکوی",
             r"بلاغ", r"البلاغ", r"تیکت", r"بلیت", r"بلیط", r"شکایت"),
    ACCOUNT: (r"account", r"acct", r"customer", r"member(?:ship)?", r"kont[aou]?", r"koncie",
              r"klienta", r"حساب(?:ی)?", r"الحساب", r"العمیل", r"اشتراک", r"hesab"),
}
# Words that say "number" ("order number 48213", "nr zamówienia 4821", "رقم الطلب").
_NUMBER_WORD = (r"(?:(?:number|numer(?:ze|u)?|num|no|nr|id|ref(?:erence)?|code|kod|raqam|rakam|"
                r"ra2am|shomare(?:h)?|رقم|شماره|کد)(?:\.|(?!\w))|#)")
# What may stand between those words and the number: "order #48213", "order no. is 48213",
# "zamówienie nr: 4821", "سفارشم به شماره ۴۸۲۱۳". Never "to" or "for" ("order to 10115 Berlin").
_JOINER = r"(?:\s*(?:[:#(]|-(?!\d)|(?:is|was|jest|هو|هست|است|به)(?!\w)))*\s*"
_POSSESSIVE = r"(?:(?:my|our|the|your|moje|mojego|moja|mojej|moim|mojej)\s+)?"
# A number: digits, or letters with digits ("ABC123", "A-48213"), as one token.
_A_NUMBER = r"(?P<num>(?=[\w-]*\d)[^\W_](?:[\w-]{0,22}[^\W_])?)"
_CURRENCY = _f(r"(?:z[lł]|pln|usd|eur|gbp|sar|aed|egp|irr|irt|dollars?|euros?|pounds?|bucks|"
               r"z[lł]otych|z[lł]ote|ریال|تومان|تومن|دولار|یورو|درهم|جنیه|دینار|ر\.س|[$€£¥₹])")
_AFTER_NUMBER = re.compile(
    r"(?:[.,]\d)"                       # a decimal: a price or a measure
    r"|(?:[\s.-]\d{2,4}){2,}"           # more digit groups: a phone number
    r"|\s*" + _CURRENCY + r"(?!\w)")    # a currency: a price


@lru_cache(maxsize=1)
def _number_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = []
    for kind, words in _KINDS.items():
        named = "(?:" + "|".join(_f(w) for w in words) + r")(?!\w)"
        either = (
            # "order number 48213", "zamówienie nr 4821", "الطلب رقم ٤٨٢١٣", "سفارش شماره ۴۸۲۱۳"
            rf"(?<!\w){_POSSESSIVE}{named}{_JOINER}(?:(?P<m1>{_NUMBER_WORD}){_JOINER})?"
            # "number of my order: 48213", "nr zamówienia 4821", "رقم الطلب", "شماره سفارش"
            rf"|(?<!\w)(?P<m3>{_NUMBER_WORD})\s*(?:(?:of|for)\s+)?{_POSSESSIVE}{named}{_JOINER}"
        )
        patterns.append((kind, re.compile(rf"(?:{either}){_A_NUMBER}(?!\w)")))
    return tuple(patterns)


def _is_number(token: str, marked: bool, after: str, before: str) -> bool:
    """Whether a token next to an order word is its number, not a price, phone or year."""
    digits = sum(c.isdigit() for c in token)
    if before[-1:] in "+$€£¥₹" or _AFTER_NUMBER.match(after):
        return False
    if token.isdigit():
        if len(token) < (3 if marked else 4):
            return False
        if not marked and len(token) == 4 and 1900 <= int(token) <= 2100:
            return False  # "order 2024" is a year, unless the post says "order #2024"
        return len(token) <= 20
    letters = sum(c.isalpha() for c in token)
    # "ABC123", "A-48213"; or mostly digits with a letter or dash ("113-4821367-0042")
    return len(token) >= 5 and (digits >= 3 or (letters >= 1 and not token[0].isdigit()))


def named_number(text: str) -> tuple[str, str]:
    """The order, booking, ticket or account number a post names, as written, and its kind;
    ("", "") when it names none."""
    folded, where = _fold_keeping_places(text)
    best: tuple[int, str, str] | None = None
    for kind, pattern in _number_patterns():
        for match in pattern.finditer(folded):
            start, end = match.span("num")
            token = match.group("num").strip("-")
            marked = bool(match.group("m1") or match.group("m3")) or "#" in match.group(0)
            if not _is_number(token, marked, folded[end:end + 12], folded[max(0, start - 1):start]):
                continue
            if best is None or start < best[0]:
                best = (start, kind, _as_written(text, where, start, end))
            break
    return (best[2], best[1]) if best else ("", "")


# A duration or a date the customer gives. Numbers as words and as digits.
_EN_NUMBERS = (r"an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
               r"a few|a couple of|several|\d{1,3}")
_EN_UNITS = r"minutes?|hours?|days?|weeks?|months?|years?"
_EN_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday"
_EN_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|"
              r"november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_PL_NUMBERS = (r"jeden|jedną|jednego|dwa|dwie|dwóch|dwu|trzy|trzech|cztery|czterech|pięć|"
               r"pięciu|sześć|sześciu|siedem|osiem|dziewięć|dziesięć|kilka|kilku|"
               r"kilkanaście|kilkunastu|paru|parę|\d{1,3}")
_PL_UNITS = (r"dni|dnia|dzień|tygodni(?:e|a)?|tydzień|miesi(?:ąc|ące|ęcy|ąca)|godzin[ay]?|"
             r"godzinę|lat(?:a)?|rok(?:u)?")
_PL_SINCE = (r"poniedziałku|wtorku|środy|czwartku|piątku|soboty|niedzieli|wczoraj|"
             r"tygodnia|miesiąca|roku|zeszłego tygodnia|zeszłego miesiąca")
_PL_MONTHS = (r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|"
              r"października|listopada|grudnia")
_AR_DUAL = r"یومین|اسبوعین|شهرین|ساعتین|سنتین|عامین"
_AR_ONE = r"یوم|اسبوع|شهر|ساعه|سنه|عام"
_AR_NUMBERS = (r"ثلاث(?:ه)?|اربع(?:ه)?|خمس(?:ه)?|سته|ست|سبع(?:ه)?|ثمانی(?:ه)?|تسع(?:ه)?|"
               r"عشر(?:ه)?|عده|بضعه|\d{1,3}")
_AR_UNITS = r"ایام|اسابیع|اشهر|شهور|ساعات|سنوات|یوم|اسبوع|شهر|ساعه|سنه"
_AR_DAYS = r"(?:یوم )?(?:الاثنین|الثلاثاء|الاربعاء|الخمیس|الجمعه|السبت|الاحد)|امس|البارحه"
_FA_NUMBERS = r"یک|دو|سه|چهار|پنج|شش|هفت|هشت|نه|ده|چند|\d{1,3}"
_FA_UNITS = r"روز|هفته|ماه|سال|ساعت"
_FA_DAYS = r"شنبه|یکشنبه|یک شنبه|دوشنبه|دو شنبه|سه شنبه|چهارشنبه|چهار شنبه|پنجشنبه|پنج شنبه|جمعه|دیروز"

_SINCE = re.compile(_f("|".join((
    rf"(?<!\w)since (?:last )?(?:{_EN_DAYS}|week|month|(?:{_EN_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_EN_MONTHS}))(?!\w)",
    rf"(?<!\w)(?:over |more than |almost |nearly |about )?(?:{_EN_NUMBERS}) (?:{_EN_UNITS})(?!\w)",
    rf"(?<!\w)od (?:{_PL_SINCE})(?!\w)",
    rf"(?<!\w)(?:od )?\d{{1,2}} (?:{_PL_MONTHS})(?!\w)",
    rf"(?<!\w)(?:od |przez |ponad |prawie )?(?:{_PL_NUMBERS}) (?:{_PL_UNITS})(?!\w)",
    rf"(?<!\w)(?:منذ|من|لمده|صار لی|بقالی) (?:{_AR_DUAL}|(?:{_AR_NUMBERS}) (?:{_AR_UNITS})|"
    rf"(?:{_AR_ONE})(?: کامل)?|{_AR_DAYS})(?!\w)",
    rf"(?<!\w)(?:{_AR_DUAL})(?!\w)",
    rf"(?<!\w)(?:{_FA_NUMBERS}) (?:{_FA_UNITS})(?!\w)",
    rf"(?<!\w)از (?:{_FA_DAYS}|هفته (?:پیش|گذشته|قبل)|ماه (?:پیش|گذشته|قبل))(?!\w)",
))))


def named_since(text: str) -> str:
    """The first date or duration the post gives ("since Monday", "two weeks", "3 maja",
    "منذ أسبوعين", "دو هفته"), as written; "" when it gives none."""
    folded, where = _fold_keeping_places(text)
    match = _SINCE.search(folded)
    return _as_written(text, where, *match.span()) if match else ""


def named_product(text: str, products: Sequence[str]) -> str:
    """The first of the brand's `products` the post names (as the brand spells it)."""
    folded = f" {fold(text)} "
    found = [(at, name) for name in products if name.strip()
             for at in [_word_at(folded, fold(name))] if at >= 0]
    return min(found)[1] if found else ""


def _word_at(folded: str, word: str) -> int:
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded)
    return match.start() if match else -1


def facts_of(text: str, products: Sequence[str] = ()) -> PostFacts:
    """Read what a post names (its title and text joined, for a review)."""
    number, kind = named_number(text)
    return PostFacts(number=number, number_kind=kind, product=named_product(text, products),
                     since=named_since(text))
