"""What one row of our corpus teaches: its own example, a competitor's mirror, and for a
namesake a copy read as if the brand had listed no namesakes."""

from __future__ import annotations

from monitor.classify.corpus import UNLISTED, brand_rows
from monitor.domain import BrandContext

KREDO = BrandContext(id="kredo", name="Kredo", names=("Kredo",), competitors=("Lendo",),
                     not_us=("Kredo FC",))
LENDO = BrandContext(id="lendo", name="Lendo", names=("Lendo",), competitors=("Kredo",))
CONTEXTS = {"kredo": KREDO, "lendo": LENDO}
GROUPS = {"kredo": "kredo+lendo", "lendo": "kredo+lendo"}


def row(text: str, style: str, kind: str, blamed: str = "", brand: str = "kredo") -> dict[str, str]:
    return {"id": "t-1", "text": text, "lang": "en", "brand": brand, "style": style,
            "variety": "uk", "kind": kind, "label": str(int(kind == "complaint")),
            "blamed": blamed, "category": "delivery" if blamed else "",
            "severity": "disapproval" if blamed else "", "rating": "", "pair": ""}


def test_brand_rows__namesake_also_read_without_the_list() -> None:
    listed, unlisted = brand_rows(row("Kredo FC lost again, sack the coach", "namesake", "other"),
                                  CONTEXTS, GROUPS, "en_a")

    assert (listed.target, listed.style, listed.brand.not_us) == ("namesake", "namesake",
                                                                  ("Kredo FC",))
    assert (unlisted.target, unlisted.style, unlisted.brand.not_us) == ("namesake", UNLISTED, ())
    assert unlisted.group == listed.group and unlisted.post == listed.post  # one fold


def test_brand_rows__namesake_of_a_brand_with_no_list_is_read_once() -> None:
    examples = brand_rows(row("Lendo band was awful live", "namesake", "other", brand="lendo"),
                          CONTEXTS, GROUPS, "en_a")

    assert [e.style for e in examples] == ["namesake"]


def test_brand_rows__competitor_mirrored_complaint_read_once() -> None:
    own, mirror = brand_rows(row("switched to Kredo after Lendo lost my card", "competitor",
                                 "other", blamed="lendo"), CONTEXTS, GROUPS, "en_a")
    [complaint] = brand_rows(row("Kredo lost my card", "plain", "complaint", blamed="kredo"),
                             CONTEXTS, GROUPS, "en_a")

    assert (own.target, mirror.target, mirror.brand.id) == ("competitor", "complaint", "lendo")
    assert complaint.target == "complaint" and complaint.categories
