"""Suggested replies from templates per brand, language and category, fitted to the platform.

Templates live in `config/templates/<lang>.yaml` (shipped) and under a brand's
`templates: {<lang>: {<category or default or acknowledgement>: [variants]}}` (overrides).
A reply is fitted as the platform counts: first without the signature, then by dropping
whole sentences (the next step, which quotes the reference, goes last), and only then cut
at a word, so it never exceeds the limit and never stops mid-word.

What the post names (`monitor.post_facts.PostFacts`) is acknowledged, never asked for again:
with an order number known, each language's `number_known` phrases ("DM us your order
number") are said in their other words ("DM us about {order}"), and a template that never
asked for it gets the `number_noted` sentence. On a platform without private messages
(review sites, YouTube, Hacker News) the `no_dm` phrases become "write to us at {contact}",
or, when the brand gives no `contact:`, the `no_contact` words ("contact our support team").
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

import alerts
from alerts.text import ELLIPSIS, single_line, truncate
from monitor.domain import base_language
from monitor.post_facts import PostFacts

FALLBACK_LANG = "en"
MAX_VARIANTS = 3
NAME_LIMIT = 50
DEFAULT = "default"
ACKNOWLEDGEMENT = "acknowledgement"
QUESTION = "question"
# {order}: the number the post names with its word ("order 48213"); {contact}: where to
# write on a platform without private messages (the brand's `contact:`).
REPLY_PLACEHOLDERS = frozenset({"name", "reference", "brand", "signature", "order", "contact"})
ACK_PLACEHOLDERS = REPLY_PLACEHOLDERS | {"opens"}

BrandTemplates = Mapping[str, Mapping[str, Sequence[str]]]
Counter = Callable[[str], int]

_PLACEHOLDER = re.compile(r"\{(name|reference|brand|signature|opens|order|contact)\}")
_ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")
_LANG = re.compile(r"^[a-z]{2,3}$")
_SENTENCE_START = re.compile(r"(?:^|[.!?؟…]\s+)$")


@dataclass(frozen=True)
class LanguagePack:
    """One language's shipped templates and the words to say when the team is back."""

    replies: Mapping[str, tuple[str, ...]]
    acknowledgement: tuple[str, ...] = ()
    also: Mapping[str, str] = field(default_factory=dict)
    when: Mapping[str, str] = field(default_factory=dict)
    days: tuple[str, ...] = ()
    digits: str = "0123456789"
    # Phrases never said to a post that accuses or blames, each with the calmer words said instead.
    not_when_angry: Mapping[str, str] = field(default_factory=dict)
    again: str = ""  # the sentence for a problem that happened before
    # A number the post names, in the words a reply uses for it ("order {number}"), per kind
    # (order, booking, ticket, account) and `none` for a template's {order} without one.
    numbers: Mapping[str, str] = field(default_factory=dict)
    # Phrases that ask for the number, each with what is said instead once it is known.
    number_known: Mapping[str, str] = field(default_factory=dict)
    number_noted: str = ""  # said when a template never asked for the number
    # Phrases that send the customer to private messages, with what a platform without them
    # says instead ("write to us at {contact}"), and those words when no contact is given.
    no_dm: Mapping[str, str] = field(default_factory=dict)
    no_contact: Mapping[str, str] = field(default_factory=dict)
    support: str = ""  # {contact} in a brand's own template when the brand gives none


def templates_dir() -> Path:
    """Find the shipped templates: inside an installed wheel, else in the repository."""
    try:
        bundled = importlib.resources.files("monitor") / "bundled_config" / "templates"
        if bundled.is_dir():
            return Path(str(bundled))
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(alerts.__file__).resolve().parent.parent / "config" / "templates"


@functools.cache
def shipped(lang: str) -> LanguagePack | None:
    """Load the shipped templates of `lang`, or None when none ship for it."""
    if not _LANG.match(lang):
        return None
    path = templates_dir() / f"{lang}.yaml"
    if not path.is_file():
        return None
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    replies = {str(k): tuple(str(v) for v in vs) for k, vs in (data.get("replies") or {}).items()}
    return LanguagePack(
        replies=replies,
        acknowledgement=tuple(str(v) for v in data.get("acknowledgement") or ()),
        also={str(k): str(v) for k, v in (data.get("also") or {}).items()},
        when={str(k): str(v) for k, v in (data.get("when") or {}).items()},
        days=tuple(str(d) for d in data.get("days") or ()),
        digits=str(data.get("digits") or "0123456789"),
        not_when_angry={str(k): str(v) for k, v in (data.get("not_when_angry") or {}).items()},
        again=str(data.get("again") or ""),
        numbers=_mapping(data, "numbers"),
        number_known=_mapping(data, "number_known"),
        number_noted=str(data.get("number_noted") or ""),
        no_dm=_mapping(data, "no_dm"),
        no_contact=_mapping(data, "no_contact"),
        support=str(data.get("support") or ""),
    )


def _mapping(data: Mapping[str, Any], key: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (data.get(key) or {}).items()}


def shipped_languages() -> list[str]:
    """List the languages that ship with templates."""
    return sorted(p.stem for p in templates_dir().glob("*.yaml") if _LANG.match(p.stem))


def template_problems(text: str, allowed: frozenset[str] = REPLY_PLACEHOLDERS) -> list[str]:
    """Name the placeholders in `text` that would not be filled (for check-config)."""
    unknown = sorted({m for m in _ANY_PLACEHOLDER.findall(text) if m not in allowed})
    known = ", ".join("{" + p + "}" for p in sorted(allowed))
    return [f"unknown placeholder {{{u}}}; use only {known}" for u in unknown]


def reply_language(brand_templates: BrandTemplates, lang: str) -> str:
    """Say which language the replies for a post in `lang` will be written in."""
    lang = base_language(lang)
    if brand_templates.get(lang) or shipped(lang) is not None:
        return lang
    return FALLBACK_LANG


def _candidates(brand_templates: BrandTemplates, lang: str, key: str) -> Iterator[str]:
    brand = brand_templates.get(lang) or {}
    pack = shipped(lang)
    own = pack.replies if pack else {}
    if key == ACKNOWLEDGEMENT:
        yield from brand.get(ACKNOWLEDGEMENT) or ()
        yield from pack.acknowledgement if pack else ()
        return
    yield from brand.get(key) or ()
    if key == QUESTION and (brand.get(key) or own.get(key)):
        # an answer to a question must not apologise for a problem nobody had
        yield from own.get(key, ())
        return
    yield from brand.get(DEFAULT) or ()
    yield from own.get(key, ())
    yield from own.get(DEFAULT, ())


def _fill(template: str, values: Mapping[str, str]) -> str:
    # One pass: a name that contains "{reference}" stays text.
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _tidy(text: str) -> str:
    """Mend what an empty placeholder leaves: doubled spaces, a comma before a stop, and the
    doubled stop of a name that ends with one ("Thanks, Tom K.." -> "Thanks, Tom K.")."""
    text = re.sub(r"[ \t]+", " ", text).strip()
    text = re.sub(r" ([,.!?،؛:؟])", r"\1", text)
    text = re.sub(r"[,،]([.!?؟])", r"\1", text)
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    text = text.lstrip(",، ")
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _cut_words(text: str, limit: int, count: Counter) -> str | None:
    words = text.split(" ")
    while words:
        candidate = " ".join(words).rstrip(",،;:–-") + ELLIPSIS
        if count(candidate) <= limit:
            return candidate
        words.pop()
    return None


def with_also(template: str, *also: str) -> str:
    """Add the sentences about a repeat or a second problem just before the next step (the
    sentence that quotes the reference), or at the end."""
    if not also:
        return template
    sentences = [s for s in _SENTENCE_END.split(template) if s.strip()]
    at = next((i for i, s in enumerate(sentences) if "{reference}" in s), len(sentences))
    return " ".join([*sentences[:at], *also, *sentences[at:]])


def fit(template: str, values: Mapping[str, str], limit: int | None,
        count: Counter, keep: Sequence[str] = ()) -> str | None:
    """Fill `template` and fit it within `limit`; None when its next step cannot fit.
    The sentences in `keep` (a repeat, a second problem, the post's number) go after every
    other sentence, the last named first, and before the next step is cut at a word."""
    full = _tidy(_fill(template, values))
    if limit is None or count(full) <= limit:
        return full
    bare = {**values, "signature": ""}
    sentences = [s for s in _SENTENCE_END.split(template) if s.strip()]
    if not sentences:
        return None
    # The next step (it quotes the reference) and the time the team is back are kept last;
    # before them go the sentences in `keep`, the last named first.
    essential = {i for i, s in enumerate(sentences) if "{reference}" in s or "{opens}" in s}
    if not essential:
        essential = {len(sentences) - 1}
    kept_long = [i for k in reversed(keep) for i, s in enumerate(sentences)
                 if s == k and i not in essential]
    drop_order = [i for i in range(len(sentences) - 1, 0, -1)
                  if i not in essential and i not in kept_long]
    drop_order += [] if 0 in essential or 0 in kept_long else [0]
    drop_order += kept_long
    kept = list(range(len(sentences)))
    for dropping in [None, *drop_order]:
        if dropping is not None:
            kept.remove(dropping)
        text = _tidy(" ".join(_fill(sentences[i], bare) for i in kept))
        if text and count(text) <= limit:
            return text
    cut = _cut_words(_tidy(" ".join(_fill(sentences[i], bare) for i in sorted(essential))),
                     limit, count)
    # A reply that lost the reference has lost its next step: better none than a dead end.
    if cut is None or ("{reference}" in template and values.get("reference", "") not in cut):
        return None
    return cut


def _values(name: str, reference: str, brand_name: str, signature: str) -> dict[str, str]:
    return {
        "name": truncate(single_line(name), NAME_LIMIT),
        "reference": single_line(reference),
        "brand": single_line(brand_name),
        "signature": single_line(signature),
    }


def _number_words(pack: LanguagePack | None, facts: PostFacts) -> str:
    """The number the post names in the words a reply uses ("order 48213"), its digits as
    the customer wrote them; the language's words for "your order" when it names none."""
    words = pack.numbers if pack else {}
    number = single_line(facts.number)
    if not number:
        return words.get("none", "")
    phrase = words.get(facts.number_kind) or words.get("order") or "{number}"
    return phrase.replace("{number}", number)


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def suggest(
    brand_templates: BrandTemplates,
    lang: str,
    category: str | Sequence[str],
    name: str,
    reference: str,
    brand_name: str,
    signature: str,
    limit: int | None,
    count_length: Counter,
    angry: bool = False,
    repeat: bool = False,
    facts: PostFacts | None = None,
    private_channel: str | None = "dm",
    contact: str = "",
) -> list[str]:
    """Write up to three distinct replies in the post's language, each within `limit`.

    Brand overrides come first, then the shipped templates, for the category and then for
    `default`; English is used only when the language has no templates at all. Given
    several categories, the replies follow the first and add the language's `also`
    sentence for the second, so they answer both problems. To an `angry` post (one that
    accuses or blames the brand) the language's `not_when_angry` phrases ("thank you for
    your patience") are said in their calmer words ("we understand how frustrating this is").
    To a `repeat` (the post says it happened before) each reply says sorry it happened again.
    A number the post names (`facts`) is said, never asked for; without a `private_channel`
    on the platform the replies send the customer to `contact` instead of private messages.
    """
    facts = facts or PostFacts()
    topics = [category] if isinstance(category, str) else list(category)
    lang = reply_language(brand_templates, lang)
    pack = shipped(lang)
    values = {**_values(name, reference, brand_name, signature),
              "order": _number_words(pack, facts),
              "contact": single_line(contact) or (pack.support if pack else "")}
    also = pack.also.get(topics[1], "") if pack and len(topics) > 1 else ""
    again = pack.again if pack and repeat else ""
    out: list[str] = []
    for candidate in _candidates(brand_templates, lang, str(topics[0]) if topics else DEFAULT):
        template, noted = _for_this_post(candidate, pack, angry, facts, private_channel, contact)
        added = tuple(s for s in (again, also, noted) if s)
        text = fit(with_also(template, *added), values, limit, count_length, keep=added)
        if text and not any(_same(text, seen) for seen in out):
            out.append(text)
        if len(out) == MAX_VARIANTS:
            break
    return out


def _for_this_post(template: str, pack: LanguagePack | None, angry: bool, facts: PostFacts,
                   private_channel: str | None, contact: str) -> tuple[str, str]:
    """`template` said as this post needs it, and the sentence that notes the post's number
    when the template never mentions it ("" when none is needed)."""
    if pack is None:
        return template, ""
    if angry:
        template = rephrased(template, pack.not_when_angry)
    noted = ""
    if facts.number:
        template = rephrased(template, pack.number_known)
        noted = "" if "{order}" in template else pack.number_noted
    if private_channel is None:
        template = rephrased(template, pack.no_dm)
        if not single_line(contact):
            template = rephrased(template, pack.no_contact)
    return template, noted


def rephrased(template: str, phrases: Mapping[str, str]) -> str:
    """`template` with each phrase (in any case) said in its other words, its capital kept;
    in one pass, the longest phrase first, so a replacement is never replaced again."""
    if not phrases:
        return template
    folded = {phrase.casefold(): (phrase, instead) for phrase, instead in phrases.items()}
    pattern = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))

    def say(match: re.Match[str]) -> str:
        phrase, instead = folded.get(match.group().casefold(), (match.group(), match.group()))
        # A capital is the sentence's, unless the phrase has its own ("DM us" after "Please").
        first = match.group()[:1].isupper() and (
            not phrase[:1].isupper() or _SENTENCE_START.search(template[:match.start()]))
        return instead[:1].upper() + instead[1:] if first else instead

    return re.sub(pattern, say, template, flags=re.IGNORECASE)


def opens_phrase(pack: LanguagePack, opening: datetime | None, now: datetime | None) -> str:
    """Say when the team is back, in the pack's words: "tomorrow at 09:00".

    Without `now` the day is named ("on Monday at 09:00"), which is never wrong.
    """
    when = {"today": "today at {time}", "tomorrow": "tomorrow at {time}",
            "weekday": "on {day} at {time}", "soon": "as soon as we open", **pack.when}
    if opening is None:
        return when["soon"]
    phrase = when["weekday"]
    if now is not None:
        days = (opening.date() - now.astimezone(opening.tzinfo).date()).days
        phrase = when["today"] if days <= 0 else when["tomorrow"] if days == 1 else phrase
    clock = opening.strftime("%H:%M").translate(str.maketrans("0123456789", pack.digits))
    day = pack.days[opening.weekday()] if len(pack.days) == 7 else opening.strftime("%A")
    return phrase.replace("{time}", clock).replace("{day}", day)


def acknowledgement(
    brand_templates: BrandTemplates,
    lang: str,
    name: str,
    reference: str,
    brand_name: str,
    signature: str,
    opening: datetime | None,
    limit: int | None,
    count_length: Counter,
    now: datetime | None = None,
) -> str | None:
    """Write the public out-of-hours acknowledgement in the post's language, within `limit`.

    `opening` is when the team is back, in the brand's timezone (None: not known). None is
    returned only when no template fits the limit with its reference.
    """
    lang = reply_language(brand_templates, lang)
    pack = shipped(lang) or shipped(FALLBACK_LANG)
    if pack is None:
        return None
    values = {**_values(name, reference, brand_name, signature),
              "opens": opens_phrase(pack, opening, now)}
    for template in _candidates(brand_templates, lang, ACKNOWLEDGEMENT):
        text = fit(template, values, limit, count_length)
        if text:
            return text
    return None
