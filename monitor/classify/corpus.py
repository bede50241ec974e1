"""Our own brand-mention corpus (`corpus/`): posts labelled against the brand they name.

Each row is a post found for a brand of `corpus/brands.yaml`, labelled with what it is
for that brand (`kind`, `style`), who is blamed, the problems (`category`, up to two,
`|`-separated) and the severity. A complaint about the competitor is also a complaint
in the competitor's own feed: `brand_rows` adds that mirror row, so the same words teach
both sides of the pair. A namesake row is also read as if its brand listed no namesakes
(`UNLISTED`), so the heads learn a namesake from what the post says of it, not only from
`not_us`: a team's list never names every namesake.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from monitor.domain import BrandContext, Category

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"
_STYLE_CLASS = {"competitor": "competitor", "namesake": "namesake", "news": "news",
                "excused": "no_blame"}
SEVERITY_NAMES = ("no explicit reproach", "disapproval", "accusation", "blame")
UNLISTED = "namesake, not listed"
"""The style of a namesake row's copy read against its brand with `not_us` emptied."""


@dataclass(frozen=True)
class BrandExample:
    """One post read against one brand."""

    text: str
    lang: str
    brand: BrandContext
    target: str  # one of target.CLASSES
    categories: tuple[Category, ...]
    severity: int  # 1..4 for a complaint about `brand`, 0 otherwise
    rating: int | None
    group: str  # the brand's industry pair: posts of a pair share words, so they share a fold
    writer: str  # the corpus file: one writer, one writing style
    variety: str
    style: str
    post: str  # the row id; a mirror row keeps its post's id

    @property
    def label(self) -> int:
        return int(self.target == "complaint")


def brand_contexts(config_path: Path) -> dict[str, BrandContext]:
    """The brands of a brands file, as the classifier reads them."""
    from monitor.config_loader import load_config

    return {b.id: b.context() for b in load_config(config_path, check_sources=False).brands}


def industry_groups(contexts: dict[str, BrandContext]) -> dict[str, str]:
    """Brand id → the pair it forms with its competitor (brands that name each other)."""
    names = {bid: {n.casefold() for n in c.names} for bid, c in contexts.items()}
    out: dict[str, str] = {}
    for bid, c in contexts.items():
        rivals = {n.casefold() for n in c.competitors}
        pair = sorted([bid, *(other for other, own in names.items() if own & rivals)])
        out[bid] = "+".join(pair)
    return out


def read_corpus(paths: Sequence[Path], contexts: dict[str, BrandContext]) -> list[BrandExample]:
    """Read corpus CSVs into examples, adding the competitor's mirror of each competitor row."""
    groups = industry_groups(contexts)
    out: list[BrandExample] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                out.extend(brand_rows(row, contexts, groups, path.stem.removeprefix("posts_")))
    return out


def brand_rows(row: dict[str, str], contexts: dict[str, BrandContext], groups: dict[str, str],
               writer: str) -> list[BrandExample]:
    """The example(s) one corpus row gives."""
    brand = contexts[row["brand"]]
    kind, style = row["kind"].strip(), row["style"].strip()
    target = "complaint" if kind == "complaint" else _STYLE_CLASS.get(
        style, kind if kind in ("question", "praise") else "other")
    cats = tuple(Category(c.strip()) for c in (row.get("category") or "").split("|") if c.strip())
    sev = (row.get("severity") or "").strip()
    severity = SEVERITY_NAMES.index(sev) + 1 if sev in SEVERITY_NAMES else 0
    rating = int(row["rating"]) if (row.get("rating") or "").strip() else None
    own = BrandExample(text=row["text"], lang=row["lang"].strip(), brand=brand, target=target,
                       categories=cats if target == "complaint" else (),
                       severity=severity if target == "complaint" else 0, rating=rating,
                       group=groups[brand.id], writer=writer, variety=row["variety"].strip(),
                       style=style, post=row["id"])
    if target == "namesake" and brand.not_us:
        return [own, replace(own, brand=replace(brand, not_us=()), style=UNLISTED)]
    blamed = (row.get("blamed") or "").strip()
    if target != "competitor" or blamed not in contexts or blamed == brand.id:
        return [own]
    mirror = replace(own, brand=contexts[blamed], target="complaint", categories=cats,
                     severity=severity)
    return [own, mirror]
