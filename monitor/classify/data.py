"""Labelled examples: CSV files (text,label[,lang,...]) and the team's stored labels."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.classify import langid


@dataclass(frozen=True)
class Example:
    """One labelled post; `extra` keeps the publisher's other columns (severity, brand_tweet)."""

    text: str
    lang: str
    label: int
    source: str
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def csv_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the CSV files they hold, sorted, keeping files as given."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        out.extend(sorted(path.glob("*.csv")) if path.is_dir() else [path])
    return out


def read_csv(path: Path) -> list[Example]:
    """Read one CSV with columns text,label and optionally lang; label 1 = complaint."""
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: needs the columns text and label; missing {sorted(missing)}")
        for row in reader:
            text = row["text"] or ""
            lang = (row.get("lang") or "").strip() or langid.detect(text)
            extra = {k: v for k, v in row.items() if k not in ("text", "label", "lang") and k}
            examples.append(Example(text, lang, int(float(row["label"])), path.stem, extra))
    return examples


def from_store(rows: Iterable[tuple[str, str | None, int]]) -> list[Example]:
    """Turn the team's (text, lang, label) rows from the database into examples."""
    return [Example(text, lang or langid.detect(text), int(label), "team")
            for text, lang, label in rows]


def read_csv_rows(path: Path) -> list[tuple[str, str | None, int]]:
    """Read (text, lang or None, label) rows without guessing languages: for measuring."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: needs the columns text and label; missing {sorted(missing)}")
        return [(row["text"] or "", (row.get("lang") or "").strip() or None,
                 int(float(row["label"]))) for row in reader]
