"""The search query of a source: its own `query:`, else one made from the brand keywords."""

from __future__ import annotations

from collections.abc import Callable

from monitor.domain import SourceSpec
from monitor.errors import PlatformError

KeywordQuery = Callable[[tuple[str, ...]], str]


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
