"""The search query of a source: its own `query:`, else one made from the brand keywords.

A query made from keywords asks for every surface form the brand's names take in the brand's
languages (`NameMatcher.variants`: the names, then Polish declined forms), as many as the
platform's length limit allows: declined forms are dropped before names, whole terms only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from monitor.domain import SourceSpec
from monitor.errors import PlatformError
from monitor.names import NameMatcher

log = logging.getLogger(__name__)

KeywordQuery = Callable[[tuple[str, ...]], str]
#: The languages a brand is watched in when its source names none.
LANGUAGES = ("en", "ar", "fa", "pl")


def first_keyword(keywords: tuple[str, ...]) -> str:
    """Search for the brand's first keyword."""
    return keywords[0]


def source_query(spec: SourceSpec, from_keywords: KeywordQuery = first_keyword) -> str:
    """Return the source's query, or one built from the keywords; empty when there is neither."""
    return spec.query.strip() or (from_keywords(spec.keywords) if spec.keywords else "")


def search_query(platform: str, spec: SourceSpec,
                 from_keywords: KeywordQuery = first_keyword) -> str:
    """Return `source_query`; raise when the source gives nothing to search for."""
    query = source_query(spec, from_keywords)
    if not query:
        raise PlatformError(platform, "nothing to search for: give the source a query: "
                            "or the brand keywords:")
    return query


def spec_languages(spec: SourceSpec) -> tuple[str, ...]:
    """Return the languages the source is watched in; () (all of them) until specs carry one."""
    return tuple(getattr(spec, "languages", ()) or ())


def keyword_terms(keywords: Sequence[str], languages: tuple[str, ...] = ()) -> list[str]:
    """Return what to search for: the keywords, then their variants in `languages` (() = all).

    A variant that holds another term as whole words (acme parcela, with acme searched
    already) finds nothing more and is left out.
    """
    cleaned = [" ".join(k.replace('"', " ").split()) for k in keywords]
    matcher = NameMatcher(cleaned)
    names = list({k.casefold(): k for k in reversed(cleaned) if k}.values())[::-1]
    terms = list(names)
    for lang in languages or LANGUAGES:
        terms += [v for v in matcher.variants(lang) if v not in terms]
    words = {term: term.casefold().split() for term in terms}
    return [term for term in terms if term in names or not any(
        _holds(words[term], words[name]) for name in names)]


def fit_terms(platform: str, terms: list[str], render: Callable[[list[str]], str],
              limit: int) -> str:
    """Return `render(terms)`, dropping terms from the end until it is at most `limit` long."""
    kept = list(terms)
    while len(kept) > 1 and len(render(kept)) > limit:
        kept.pop()
    if len(kept) < len(terms):
        log.info("%s: the search query leaves out %d of %d forms of the keywords to stay "
                 "within %d characters: %s", platform, len(terms) - len(kept), len(terms), limit,
                 ", ".join(terms[len(kept):]))
    return render(kept)


def _holds(words: list[str], part: list[str]) -> bool:
    """Say whether `part` occurs in `words` as a run of whole words."""
    return 0 < len(part) <= len(words) and any(
        words[i:i + len(part)] == part for i in range(len(words) - len(part) + 1))
