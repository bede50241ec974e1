"""Which threshold applies to a post: the brand's, then the global one, then calibrated."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.settings import Thresholds


def resolve(lang: str, configured: Sequence[Thresholds] | None, calibrated: float) -> float:
    """Return the first threshold set for `lang` (or as a default) in priority order.

    A brand's own setting, per language or overall, beats the global one; where none is
    set the calibrated default for the language applies.
    """
    for table in configured or ():
        if lang in table.languages:
            return float(table.languages[lang])
        if table.default is not None:
            return float(table.default)
    return calibrated
