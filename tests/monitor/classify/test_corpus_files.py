"""The committed corpus (`corpus/posts_*.csv`) keeps the rules its data card states, so a
file a new writer adds cannot teach the heads a label the others would not give."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from monitor.classify.corpus import (
    CORPUS_DIR,
    SEVERITY_NAMES,
    brand_contexts,
    industry_groups,
    read_corpus,
)
from monitor.domain import Category

COLUMNS = ["id", "text", "lang", "brand", "style", "variety", "kind", "label", "blamed",
           "category", "severity", "rating", "pair"]
COMPLAINT_STYLES = {"plain", "calm", "question_complaint", "sarcasm", "mixed"}
NEVER_COMPLAINTS = {"praise", "praise_fixed", "info_question", "excused", "news", "competitor",
                    "namesake"}
VARIETIES = {"en": {"uk", "us", "intl"},
             "ar": {"msa", "gulf", "egyptian", "levantine", "maghrebi", "arabizi"},
             "fa": {"formal", "colloquial", "finglish"}, "pl": {"diacritics", "no_diacritics"}}
FILES = sorted(CORPUS_DIR.glob("posts_*.csv"))
STAGED = sorted((CORPUS_DIR / "next").glob("posts_*.csv"))  # written, not yet trained on
CONTEXTS = brand_contexts(CORPUS_DIR / "brands.yaml")
PAIRS = industry_groups(CONTEXTS)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _problems(row: dict[str, str]) -> list[str]:
    out = []
    style, brand = row["style"], CONTEXTS.get(row["brand"])
    if brand is None:
        return [f"brand {row['brand']!r} is not in brands.yaml"]
    if row["variety"] not in VARIETIES.get(row["lang"], ()):
        out.append(f"variety {row['variety']!r} is not one of {row['lang']}")
    complaint = row["kind"] == "complaint"
    if (row["label"] == "1") != complaint:
        out.append("label 1 exactly for kind complaint")
    if complaint != (style in COMPLAINT_STYLES) and style in COMPLAINT_STYLES | NEVER_COMPLAINTS:
        out.append(f"style {style} with kind {row['kind']}")
    if complaint and row["blamed"] != brand.id:
        out.append("a complaint blames its own brand")
    if style == "competitor" and (row["blamed"] == brand.id
                                  or PAIRS.get(row["blamed"]) != PAIRS[brand.id]):
        out.append("a competitor row blames one of the brand's competitors")
    if row["blamed"]:
        cats = row["category"].split("|")
        if not 1 <= len(cats) <= 2 or not all(c in {m.value for m in Category} for c in cats):
            out.append(f"category {row['category']!r}")
        if row["severity"] not in SEVERITY_NAMES:
            out.append(f"severity {row['severity']!r}")
    elif row["category"] or row["severity"]:
        out.append("category and severity only where someone is blamed")
    return out


@pytest.mark.parametrize("path", FILES + STAGED, ids=[p.stem for p in FILES + STAGED])
def test_corpus_file__every_row_follows_the_data_cards_rules(path: Path) -> None:
    rows = _rows(path)
    assert rows and list(rows[0]) == COLUMNS
    writer = path.stem.removeprefix("posts_")
    assert all(r["id"].startswith(f"{writer}-") for r in rows)
    wrong = {r["id"]: p for r in rows if (p := _problems(r))}
    assert not wrong, wrong


def test_corpus__ids_are_unique_and_a_text_written_twice_has_one_label() -> None:
    rows = [r for path in FILES + STAGED for r in _rows(path)]
    assert len({r["id"] for r in rows}) == len(rows)
    labels: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        labels.setdefault((r["brand"], " ".join(r["text"].casefold().split())), set()).add(
            r["kind"])
    assert not {text for text, kinds in labels.items() if len(kinds) > 1}


def test_corpus__every_brand_has_posts_of_each_kind_in_three_languages_or_more() -> None:
    examples = read_corpus(FILES, CONTEXTS)
    for brand in CONTEXTS:
        langs = {e.lang for e in examples if e.brand.id == brand}
        targets = {e.target for e in examples if e.brand.id == brand}
        assert len(langs) >= 3 and {"complaint", "question", "praise", "news"} <= targets, brand
