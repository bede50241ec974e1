"""Whether a text names a brand, and where: one matcher per brand, for four languages.

A `NameMatcher` compiles the brand's names once into regular expressions over folded text
(see `names_fold`): one for words, one for @handles, one for the inside of hashtags. What
counts as naming the brand:

- the name as a whole word, in any case, accents and Arabic letter forms aside
  (Kredo, KREDO, أوربيتا = اوربیتا; not Kredobank);
- in Polish, its declined forms (Orbity, Orbicie, SkyLarkiem, Yumboksa, Ridezy'ego, Lumen
  Banku; `names_pl`), with or without their accents;
- Arabic particles joined before it (وال، بال، لل...) and pronouns or Persian endings joined
  after it, directly or after a zero-width non-joiner (بالأوربيتا، اوربیتا‌ها، یام‌باکسش);
  a space, a non-joiner or nothing between the parts of a Persian name (یام‌باکس, یامباکس);
- Latin names in Arabic-script posts, drawn out or with Finglish endings (orbitaa, yumboxesh);
- a hashtag that starts with the name, or holds it between `_` and CamelCase boundaries
  (#OrbitaFail, #fail_orbita, #يم_بوكس); the brand's handles after an @, not inside an email.

The expressions are tries of literal forms with bounded repeats only, so matching stays
linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from monitor.names_fold import ZWNJ, Folded, fold, plain_letters
from monitor.names_pl import declensions

#: Arabic particles written joined to the next word: و ف (and, then), ب ل ك (with, for, like),
#: ال (the) and their combinations; after ل the alef of ال drops (للأوربيتا).
ARABIC_PARTICLES = ("و", "ف", "ب", "ك", "ل", "ال", "لل", "بال", "كال", "وب", "وك", "ول", "وال",
                    "ولل", "وبال", "وكال", "فب", "فك", "فل", "فال", "فلل", "فبال", "فكال")
#: Pronouns and plurals written joined after a name, folded (ی is ي, ک is ك): Arabic, Persian.
_JOINED_ENDINGS = (
    "ها", "هم", "كم", "ه", "ي", "نا", "ك", "هما", "كما", "هن", "كن",
    "هاي", "هايش", "هايشان", "هايشون", "هاش", "هام", "هات", "هامون", "هاتون", "هاشون", "هاشان",
    "اي", "يي", "ش", "شون", "شان", "رو", "را", "تون", "تان", "مون", "مان", "م", "ت",
)
#: Arabizi and Finglish: a final vowel drawn out (orbitaa), Persian endings in Latin letters.
_LATIN_ENDINGS = (r"(?<=a)a+|(?<=e)e+|(?<=i)i+|(?<=o)o+|(?<=u)u+"
                  r"|(?<=[aeiou])(?:ro|sh)|(?<=[b-df-hj-np-tv-z])(?:esh|e|o)")
_SUFFIX = ("\u200c?(?:" + "|".join(sorted(_JOINED_ENDINGS, key=len, reverse=True)) + ")|"
           + _LATIN_ENDINGS)
#: Between the words of a Latin name: some space, a hyphen or an underscore.
_WORD_GAP = r"[\s\-_]{1,3}"
#: Where a name has a non-joiner, hyphen or underscore, or a space in Arabic script: any or none.
_JOIN_GAP = r"[\s\-_\u200c]{0,3}"
_OPTIONAL_GAPS = frozenset((ZWNJ, "-", "_"))
_GAPS = re.compile(r"[\s\-_\u200c']")
_ARABIC = "[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]"
_ARABIC_SPACE = re.compile(f"(?<={_ARABIC}) (?={_ARABIC})")
_HASHTAG = re.compile(r"#(?<![\w&#]#)((?:\w|\u200c)+)")
#: After a name's first character: the one before it is not part of a word or an email.
_BOUNDED = r"(?<!\w[\s\S])(?<!\w@[\s\S])"
_TAG_LONGEST = 140  # X's own hashtag limit; past it, one hashtag cannot make matching slow

_Trie = dict[str, "_Trie"]


@dataclass(frozen=True)
class Span:
    """Where a text names the brand: `text[start:end]` as written, and the name it matched."""

    start: int
    end: int
    name: str


class NameMatcher:
    """Compiled once per brand (or per list of names); thread-safe, no state after build."""

    def __init__(self, names: Sequence[str], handles: Sequence[str] = ()) -> None:
        """Compile `names` (words, phrases, #hashtags, @handles) and `handles` (without @)."""
        self._names = tuple(dict.fromkeys(
            " ".join(n.split()) for n in names if any(c.isalnum() for c in n)))
        self._declined: list[list[str]] = []
        words: dict[str, str] = {}  # each folded form -> the name as configured
        tags: dict[str, str] = {}
        self._handles: dict[str, str] = {}
        for name in self._names:
            if name.startswith("@") and len(name) > 1:
                self._handles.setdefault(fold(name[1:]), name)
            elif name.startswith("#") and len(name) > 1:
                for form in _forms(name[1:], ()):
                    tags.setdefault(form, name)
            else:
                declined = declensions(name)
                self._declined.append(declined)
                for form in _forms(name, declined):
                    words.setdefault(form, name)
                    tags.setdefault(form, name)
        for handle in handles:
            if any(c.isalnum() for c in handle):
                self._handles.setdefault(fold(handle.strip().removeprefix("@")), handle)
        # Every expression starts with a literal character, so the engine skips ahead to the
        # places where a name could begin; the word boundary before it is checked after it.
        joined = {prefix + form: name for prefix in ("", *ARABIC_PARTICLES)
                  for form, name in words.items()}
        self._words = {_key(form): name for form, name in reversed(joined.items())}
        self._tags = {_key(form): name for form, name in reversed(tags.items())}
        self._handle_re = _compile(rf"@(?<![\w@]@)(?P<handle>{_trie(self._handles, literal=True)})"
                                   r"(?!\w|@\w)", self._handles)
        self._word_re = _compile(rf"{_trie(joined, bounded=True)}(?P<suffix>{_SUFFIX})?(?!\w)",
                                 joined)
        self._tag_re = _compile(rf"(?P<core>{_trie(tags)})(?:{_SUFFIX})?", tags)

    def spans(self, text: str) -> list[Span]:
        """Return where `text` names the brand: sorted, not overlapping, the longest kept."""
        folded = Folded(text)
        return _merge([*self._handle_spans(folded), *self._word_spans(folded),
                       *self._tag_spans(folded)])

    def search(self, text: str) -> bool:
        """Say whether `text` names the brand anywhere."""
        folded = Folded(text)
        return any(next(spans, None) is not None for spans in (
            self._word_spans(folded), self._handle_spans(folded), self._tag_spans(folded)))

    def variants(self, lang: str | None = None) -> list[str]:
        """Return the forms to search a platform for: the names, then `lang`'s declined forms.

        Only Polish declines ("pl", or every language when `lang` is None); its forms come
        most used first across all names, then the same forms without accents.
        """
        out = list(self._names)
        if lang is None or lang.lower().split("-")[0] == "pl":
            declined = [f for rank in zip_longest(*self._declined) for f in rank if f]
            out += declined + [plain_letters(form) for form in declined]
        unique: dict[str, str] = {}
        for form in out:
            unique.setdefault(form.casefold(), form)
        return list(unique.values())

    def _handle_spans(self, folded: Folded) -> Iterator[Span]:
        if self._handle_re is not None:
            for match in self._handle_re.finditer(folded.text):
                yield Span(*folded.original(*match.span()), self._handles[match["handle"]])

    def _word_spans(self, folded: Folded) -> Iterator[Span]:
        if self._word_re is not None:
            for match in self._word_re.finditer(folded.text):
                start, end = match.span()
                named = match.string[start:match.start("suffix") if match["suffix"] else end]
                yield Span(*folded.original(start, end), self._words[_key(named)])

    def _tag_spans(self, folded: Folded) -> Iterator[Span]:
        """Find names inside hashtags, each beginning and ending at one of its word boundaries."""
        if self._tag_re is None or "#" not in folded.text:
            return
        for tag in _HASHTAG.finditer(folded.text):
            start, end = tag.start(1), min(tag.end(1), tag.start(1) + _TAG_LONGEST)
            at = start
            while found := self._tag_re.search(folded.text, at, end):
                begin, at = found.start(), found.start() + 1
                if not _is_cut(folded, begin, start, end):
                    continue
                # The greedy match is the longest; shorter ones are tried down to a boundary.
                for stop in range(found.end(), begin, -1):
                    match = _is_cut(folded, stop, start, end) and self._tag_re.fullmatch(
                        folded.text, begin, stop)
                    if match:
                        yield Span(*folded.original(begin, stop), self._tags[_key(match["core"])])
                        at = stop
                        break


def _forms(name: str, declined: Iterable[str]) -> list[str]:
    """Return the folded forms of one name: as written, declined, and Arabic spellings."""
    forms = []
    for written in (name, *declined):
        form = _ARABIC_SPACE.sub(ZWNJ, fold(written)).strip("".join(_OPTIONAL_GAPS) + " ")
        if not form:
            continue
        forms.append(form)
        if written.endswith(("ة", "ۀ")):  # the ta marbuta is written ت before an ending
            forms.append(form[:-1] + "ت")
        if form.startswith("ال") and len(form) > 4 and re.match(_ARABIC, form[2]):
            forms.append(form[2:])  # configured with the article, written without it
    return forms


def _key(form: str) -> str:
    """Return a form without its gaps: what identifies the name it came from."""
    return _GAPS.sub("", form)


def _compile(pattern: str, forms: Mapping[str, str]) -> re.Pattern[str] | None:
    return re.compile(pattern) if forms else None


def _trie(forms: Iterable[str], *, literal: bool = False, bounded: bool = False) -> str:
    """Return one expression for `forms` that prefers the longest (a trie, not alternation).

    `bounded` checks, after the first character, that no word goes on before it.
    """
    root: _Trie = {}
    for form in forms:
        node = root
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}
    return _render(root, literal, _BOUNDED if bounded else "")


def _render(node: _Trie, literal: bool, after_first: str = "") -> str:
    alternatives = [_atom(char, literal) + after_first + _render(child, literal)
                    for char, child in sorted(node.items()) if char]
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
    return f"(?:{body})?" if "" in node else body


def _atom(char: str, literal: bool) -> str:
    if literal:
        return re.escape(char)
    if char == " ":
        return _WORD_GAP
    return _JOIN_GAP if char in _OPTIONAL_GAPS else re.escape(char)


def _is_cut(folded: Folded, i: int, start: int, end: int) -> bool:
    """Say whether a word of the hashtag [start, end) begins or ends at `i`: `_`, CamelCase."""
    if i in (start, end):
        return True
    text = folded.text
    if "_" in (text[i - 1], text[i]):
        return True
    before, after = folded.char(i - 1), folded.char(i)
    return (before.islower() and after.isupper()) or (
        before.isdigit() != after.isdigit() and before.isalnum() and after.isalnum())


def _merge(spans: list[Span]) -> list[Span]:
    """Return `spans` sorted, without overlaps: of two that overlap, the longer stays."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.start - s.end)):
        if kept and span.start < kept[-1].end:
            if span.end - span.start > kept[-1].end - kept[-1].start:
                kept[-1] = span
            continue
        kept.append(span)
    return kept
