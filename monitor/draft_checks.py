"""The checks a model's draft passes before it is offered: pure functions, one reason each.

A draft fails when it is in another language than the post, longer than the platform takes
(counted as the platform counts), repeats personal data the post holds (an e-mail address, a
phone number, a card number, a street address), says a phrase the brand's policy forbids
(`never_promise`, `forbidden_words`: whole words, case, accents and Arabic/Persian letter
variants ignored), links to a domain the brand did not allow, prints the account number the
post gives (it may open the account), or asks again for the order or booking number the post
already gave (`monitor.post_facts`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.classify.langid import detect
from monitor.domain import base_language
from monitor.names_fold import ZWNJ, fold
from monitor.post_facts import ACCOUNT, BOOKING, NOTHING, ORDER, PostFacts, facts_of
from monitor.settings import DraftPolicy

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of digits with the separators people write in phone and card numbers.
_NUMBER = re.compile(r"(?<![\w])\+?\d[\d \t().\-/]{5,}\d(?![\w])")
# Words before a number that make it an order, booking or tracking number, not a phone.
_ORDER_WORDS = re.compile(
    r"(order|booking|ref|reference|tracking|invoice|parcel|ticket|case|#|nr|no\.?|numer|"
    r"zamówien\w*|zamowien\w*|faktur\w*|przesyłk\w*|طلب|الطلب|رقم|سفارش|شماره|کد)\W{0,3}$",
    re.IGNORECASE)
_PHONE_WORDS = re.compile(r"(phone|tel|call|mobile|cell|whatsapp|telefon\w*|komórk\w*|"
                          r"هاتف|جوال|موبايل|تلفن|موبایل)", re.IGNORECASE)
_STREET_EN = re.compile(
    r"\b\d{1,5}[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|"
    r"Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent)\b\.?")
_STREET_PL = re.compile(
    r"\b(?:ul|al|os|pl)\.\s*(?:[A-ZĄĆĘŁŃÓŚŹŻ][\wąćęłńóśźż-]*\s+){1,3}\d{1,4}[a-z]?(?:\s*/\s*\d{1,4})?",
    re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"(?<![\w@.-])((?:[a-z0-9-]+\.)+[a-z]{2,24})(?=[/\s,;:!?)\]]|\.?$|\.\s)")
_DATE = re.compile(r"^(\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")


@dataclass(frozen=True)
class Verdict:
    """One draft's check: `reason` is empty when it passed."""

    text: str
    reason: str = ""

    @property
    def passed(self) -> bool:
        return not self.reason


def ascii_digits(text: str) -> str:
    """Write every decimal digit (Arabic-Indic, Persian...) as 0-9."""
    if text.isascii():
        return text
    return re.sub(r"\d", lambda m: str(unicodedata.decimal(m.group(0))), text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _is_phone(text: str, start: int, number: str) -> bool:
    """A phone number: written like one, or named as one, and not an order number."""
    before = text[max(0, start - 30):start]
    if _ORDER_WORDS.search(before):
        return False
    digits = _digits(number)
    if not 7 <= len(digits) <= 15 or _DATE.match(number.strip()):
        return False
    return (number.startswith(("+", "00")) or bool(_PHONE_WORDS.search(before))
            or bool(re.search(r"\d[ \-.]\d", number)))


@dataclass(frozen=True)
class PersonalData:
    """What a post holds that a public reply must never repeat."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # the last 9 digits
    cards: frozenset[str] = frozenset()  # the digits
    streets: frozenset[str] = frozenset()  # folded

    @property
    def empty(self) -> bool:
        return not (self.emails or self.phones or self.cards or self.streets)


def personal_data(post: str) -> PersonalData:
    """Find e-mail addresses, phone numbers, card numbers and street addresses in `post`."""
    text = ascii_digits(post)
    emails = frozenset(m.group(0).lower().rstrip(".") for m in _EMAIL.finditer(text))
    scrubbed = _EMAIL.sub(" ", text)
    phones, cards = set(), set()
    for match in _NUMBER.finditer(scrubbed):
        digits = _digits(match.group(0))
        if 13 <= len(digits) <= 19 and _luhn(digits):
            cards.add(digits)
        elif _is_phone(scrubbed, match.start(), match.group(0)):
            phones.add(digits[-9:])
    streets = frozenset(_fold_words(m.group(0)) for pattern in (_STREET_EN, _STREET_PL)
                        for m in pattern.finditer(text))
    return PersonalData(emails, frozenset(phones), frozenset(cards), streets)


def _fold_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text).replace(ZWNJ, " ")))


def repeated_personal_data(draft: str, found: PersonalData) -> str:
    """What kind of the post's personal data `draft` repeats ("" when none)."""
    if found.empty:
        return ""
    text = ascii_digits(draft)
    if found.emails & {m.group(0).lower().rstrip(".") for m in _EMAIL.finditer(text)}:
        return "an e-mail address"
    numbers = [_digits(m.group(0)) for m in _NUMBER.finditer(_EMAIL.sub(" ", text))]
    if any(card in n for n in numbers for card in found.cards):
        return "a card number"
    if any(n[-9:] == phone or phone in n for n in numbers for phone in found.phones):
        return "a phone number"
    words = f" {_fold_words(draft)} "
    if any(f" {street} " in words for street in found.streets):
        return "a street address"
    return ""


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Whole words of `phrase`, folded; a trailing `*` lets the last word go on."""
    open_end = phrase.endswith("*")
    words = re.findall(r"\w+", fold(phrase.rstrip("*")).replace(ZWNJ, " "))
    body = r"\s+".join(re.escape(w) for w in words)
    tail = "" if open_end else r"(?!\w)"
    return re.compile(r"(?<!\w)" + body + tail)


def said_phrase(draft: str, phrases: Iterable[str]) -> str:
    """The first of `phrases` that `draft` says ("" when none)."""
    folded = " ".join(fold(draft).replace(ZWNJ, " ").split())
    for phrase in phrases:
        if _phrase_pattern(phrase).search(folded):
            return phrase
    return ""


def _words(*words: str) -> str:
    """An alternation of `words`, folded as drafts are; a trailing `*` lets a word go on."""
    parts = [re.escape(fold(w.rstrip("*"))) + (r"\w*" if w.endswith("*") else "") for w in words]
    return "(?:" + "|".join(parts) + ")"


def _gap(most: int, *stops: str) -> str:
    """Up to `most` words within one clause (no stop, nor a word that starts a new clause)."""
    stop = rf"(?!{_words(*stops)}(?!\w))" if stops else ""
    return rf"(?:[\s,:'-]+{stop}\w+){{0,{most}}}?[\s,:'-]+"


# How a reply asks for the order or booking number (or the order's details, which hold it),
# per language: a request word, a few words of the same clause, then the number's name
# (Persian names it first and asks at the end). Matched on folded text, whole words.
_EN_NOUN = (r"(?:(?:your|the)\s+)?" + _words("order", "booking", "reservation", "purchase")
            + r"(?:'s)?\s+" + _words("number", "no", "#", "id", "ref", "reference", "details",
                                     "confirmation", "code"))
_PL_NOUN = (_words("numer*", "nr", "szczegol*", "dane") + r"\s+(?:\w+\s+)?"
            + _words("zamowieni*", "rezerwacj*", "zakupu"))
_AR_NOUN = (r"(?:[وبل])?" + _words("رقم", "تفاصيل", "بيانات") + r"\s+"
            + _words("الطلب*", "طلب*", "الحجز*", "حجز*", "الاوردر", "اوردر"))
_ASKING_NUMBER = tuple(re.compile(p) for p in (
    r"(?<!\w)" + _words("send", "dm", "pm", "share", "give", "provide", "tell", "message",
                        "include", "confirm", "quote", "need", "want", "get", "drop", "what's",
                        "what is", "which is")
    + r"(?!\w)" + _gap(5, "and", "we", "i", "so", "then", "to", "will", "ll", "can", "once",
                       "after", "check", "look", "find", "track")
    + _EN_NOUN + r"(?!\w)",
    r"(?<!\w)" + _words("podaj*", "podani*", "prosimy", "prosze", "prosba*", "przeslij*",
                        "przesla*", "wyslij*", "wysla*", "napisz*", "potrzebujemy", "daj*",
                        "udostepnij*", "jaki jest")
    + r"(?!\w)" + _gap(5, "a", "i", "oraz", "to", "wtedy", "zeby", "aby", "gdy", "kiedy", "my",
                       "sprawdzimy", "sprawdzamy")
    + _PL_NOUN + r"(?!\w)",
    r"(?<!\w)[وف]?" + _words("ارسال", "ارسل*", "زود*", "تزويد*", "شارك*", "مشارك*", "اعطاء", "اعط*",
                        "ابلاغ*", "ابلغ*", "اخبار*", "اخبر*", "نحتاج", "راسل*", "مراسل*",
                        "ما هو", "ذكر")
    + r"(?!\w)" + _gap(4, "ثم", "لكي", "حتي", "سوف", "سنتحقق", "لنتحقق", "وسنتحقق")
    + _AR_NOUN + r"(?!\w)",
    r"(?<!\w)" + _words("شماره", "كد", "جزييات") + r"\s+" + _words("سفارش*", "رزرو*")
    + r"(?:\s+" + _words("خود", "خودتان", "تان") + r")?" + _gap(10, "و", "تا", "كه", "اما")
    + _words("بفرستيد", "بفرست", "بفرستين", "ارسال كنيد", "ارسال كن", "ارسال فرماييد",
             "اعلام كنيد", "اعلام فرماييد", "بگوييد", "بدهيد", "بنويسيد", "وارد كنيد", "چيست",
             "چيه") + r"(?!\w)",
))


def asks_for_number(draft: str) -> bool:
    """Whether `draft` asks the customer for their order or booking number (or its details)."""
    folded = " ".join(fold(draft).replace(ZWNJ, "").split())
    return any(p.search(folded) for p in _ASKING_NUMBER)


def repeats_account_number(draft: str, facts: PostFacts) -> bool:
    """Whether `draft` prints the account number the post gives."""
    if facts.number_kind != ACCOUNT or not facts.number:
        return False
    number = ascii_digits(facts.number).casefold()
    text = ascii_digits(draft).casefold()
    if number.isdigit():
        return any(number in _digits(m.group(0))
                   for m in re.finditer(r"\d[\d \-./]*\d|\d", text))
    return re.search(rf"(?<!\w){re.escape(number)}(?!\w)", text) is not None


def link_hosts(text: str) -> list[str]:
    """The hosts of the links in `text`: URLs, www. addresses and bare domains (acme.com/help)."""
    hosts = []
    scrubbed = _EMAIL.sub(" ", text)
    for match in _URL.finditer(scrubbed):
        url = match.group(0)
        host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
        hosts.append(host.lower())
    for match in _BARE_DOMAIN.finditer(_URL.sub(" ", scrubbed)):
        hosts.append(match.group(1).lower())
    return hosts


def _allowed(host: str, domains: Sequence[str]) -> bool:
    host = host.removeprefix("www.")
    return any(host == d or host.endswith(f".{d}") for d in domains)


def check_draft(draft: str, *, lang: str, limit: int | None, count_length: Callable[[str], int],
                post_data: PersonalData, policy: DraftPolicy, facts: PostFacts = NOTHING) -> Verdict:
    """Check one draft; the verdict's reason says the first thing wrong with it."""
    text = draft.strip()
    if not text:
        return Verdict(draft, "empty")
    length = count_length(text)
    if limit is not None and length > limit:
        return Verdict(draft, f"too long ({length} characters, the platform takes {limit})")
    written = detect(text)
    if base_language(written) != base_language(lang):
        return Verdict(draft, f"wrong language ({written}, not {base_language(lang)})")
    repeated = repeated_personal_data(text, post_data)
    if repeated:
        return Verdict(draft, f"repeated {repeated} from the post")
    if repeats_account_number(text, facts):
        return Verdict(draft, "repeated the account number from the post")
    if facts.number and facts.number_kind in (ORDER, BOOKING) and asks_for_number(text):
        return Verdict(draft, f"asked again for the {facts.number_kind} number the post gives")
    promised = said_phrase(text, policy.never_promise)
    if promised:
        return Verdict(draft, f"promised “{promised}”")
    forbidden = said_phrase(text, policy.forbidden_words)
    if forbidden:
        return Verdict(draft, f"used the forbidden word “{forbidden}”")
    for host in link_hosts(text):
        if not _allowed(host, policy.allowed_links):
            return Verdict(draft, f"linked to {host}, which the brand did not allow")
    return Verdict(text)


def check_drafts(drafts: Sequence[str], *, post: str, lang: str, limit: int | None,
                 count_length: Callable[[str], int], policy: DraftPolicy,
                 facts: PostFacts | None = None) -> list[Verdict]:
    """Check each of `drafts` against the post it answers (and what it names: `facts`, read
    from the post when not given)."""
    found = personal_data(post)
    named = facts_of(post) if facts is None else facts
    return [check_draft(d, lang=lang, limit=limit, count_length=count_length, post_data=found,
                        policy=policy, facts=named) for d in drafts]


def summary(verdicts: Sequence[Verdict]) -> str:
    """The reasons of the failed verdicts, each once, in order ("" when all passed)."""
    reasons = list(dict.fromkeys(v.reason for v in verdicts if not v.passed))
    return "; ".join(reasons)
