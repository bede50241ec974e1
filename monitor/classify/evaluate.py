"""Measure a classifier on labelled CSV files: what `brand-monitor eval` prints.

Posts are classified exactly as the pipeline does: with the brand of their `brand`
column (a brand id of `--config`) and with their star `rating` applied after.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from monitor.classify import Classifier
from monitor.classify.explain import reason_text
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress
from monitor.classify.rating import apply_rating
from monitor.domain import BrandContext, Classification

BATCH = 64
PREDICTION_COLUMNS = ("file", "row", "brand", "label", "score", "decision", "kind", "reason",
                      "category", "severity", "lang", "why")


@dataclass(frozen=True)
class Row:
    """One labelled post to measure."""

    text: str
    lang: str | None
    label: int
    brand: str
    rating: int | None


def read_rows(path: Path, brands: Mapping[str, BrandContext]) -> list[Row]:
    """Read `text,label[,lang,brand,rating]` rows; a brand must be one of `brands`."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: needs the columns text and label; missing {sorted(missing)}")
        rows = []
        for n, row in enumerate(reader, start=2):
            brand = (row.get("brand") or "").strip()
            if brand and brand not in brands:
                known = ", ".join(sorted(brands)) or "none: give --config with a brands file"
                raise ValueError(f"{path}:{n}: brand {brand!r} is not a brand id of the "
                                 f"brands file (known: {known})")
            rating = (row.get("rating") or "").strip()
            rows.append(Row(row["text"] or "", (row.get("lang") or "").strip() or None,
                            int(float(row["label"])), brand,
                            int(float(rating)) if rating else None))
        return rows


def evaluate_file(classifier: Classifier, path: Path, progress: Progress | None = None,
                  brands: Mapping[str, BrandContext] | None = None,
                  predictions: IO[str] | None = None) -> dict[str, Any]:
    """Classify every row of `path` and return n, macro_f1, auc, precision, recall, speed;
    with `predictions`, write one CSV row per post to it (see PREDICTION_COLUMNS)."""
    brands = brands or {}
    rows = read_rows(path, brands)
    verdicts: list[Classification] = []
    start = time.perf_counter()
    for at in range(0, len(rows), BATCH):
        part = rows[at:at + BATCH]
        raw = classifier.classify([r.text for r in part], [r.lang for r in part],
                                  brands=[brands.get(r.brand) for r in part])
        verdicts += [apply_rating(v, r.rating) for v, r in zip(raw, part, strict=True)]
        if progress:
            progress.advance(len(part))
    elapsed = max(time.perf_counter() - start, 1e-9)
    if predictions is not None:
        write_predictions(predictions, path, rows, verdicts)
    report: dict[str, Any] = {"n": len(rows)}
    report.update(binary_report(np.array([r.label for r in rows]),
                                np.array([v.is_complaint for v in verdicts]),
                                np.array([v.score for v in verdicts])))
    report["texts_per_second"] = round(len(rows) / elapsed, 1)
    return report


def write_predictions(out: IO[str], path: Path, rows: list[Row],
                      verdicts: list[Classification]) -> None:
    """One row per post: score, decision, kind, why not alerted, category, severity, why."""
    writer = csv.writer(out)
    if out.tell() == 0:
        writer.writerow(PREDICTION_COLUMNS)
    for n, (row, v) in enumerate(zip(rows, verdicts, strict=True), start=1):
        writer.writerow([path.name, n, row.brand, row.label, f"{v.score:.4f}",
                         "alert" if v.is_complaint else "no alert", v.kind.value,
                         "" if v.is_complaint else reason_text(v.reason, v.reason_detail),
                         "|".join(c.value for c in v.all_categories) if v.is_complaint else "",
                         v.severity.label if v.is_complaint else "", v.lang, v.why])


def format_table(results: dict[str, dict[str, Any]]) -> str:
    """A plain table: one line per file."""
    head = f"{'file':<40} {'rows':>6} {'macroF1':>8} {'AUC':>6} {'prec':>6} {'recall':>6} {'texts/s':>8}"
    lines = [head]
    for name, r in results.items():
        lines.append(f"{name[-40:]:<40} {r['n']:>6} {r['macro_f1']:>8.3f} {r['auc']:>6.3f} "
                     f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['texts_per_second']:>8.1f}")
    return "\n".join(lines)
