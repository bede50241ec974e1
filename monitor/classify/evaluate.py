"""Measure a classifier on labelled CSV files: what `brand-monitor eval` prints."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify import Classifier
from monitor.classify.data import read_csv_rows
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress

BATCH = 64


def evaluate_file(classifier: Classifier, path: Path, progress: Progress | None = None
                  ) -> dict[str, Any]:
    """Classify every row of `path` and return n, macro_f1, auc, precision, recall, speed."""
    rows = read_csv_rows(path)
    texts = [text for text, _, _ in rows]
    hints = [lang for _, lang, _ in rows]
    labels = np.array([label for _, _, label in rows])
    scores = np.zeros(len(rows))
    flags = np.zeros(len(rows), dtype=bool)
    start = time.perf_counter()
    for at in range(0, len(rows), BATCH):
        verdicts = classifier.classify(texts[at:at + BATCH], hints[at:at + BATCH])
        scores[at:at + len(verdicts)] = [v.score for v in verdicts]
        flags[at:at + len(verdicts)] = [v.is_complaint for v in verdicts]
        if progress:
            progress.advance(len(verdicts))
    elapsed = max(time.perf_counter() - start, 1e-9)
    report: dict[str, Any] = {"n": len(rows)}
    report.update(binary_report(labels, flags, scores))
    report["texts_per_second"] = round(len(rows) / elapsed, 1)
    return report


def format_table(results: dict[str, dict[str, Any]]) -> str:
    """A plain table: one line per file."""
    head = f"{'file':<40} {'rows':>6} {'macroF1':>8} {'AUC':>6} {'prec':>6} {'recall':>6} {'texts/s':>8}"
    lines = [head]
    for name, r in results.items():
        lines.append(f"{name[-40:]:<40} {r['n']:>6} {r['macro_f1']:>8.3f} {r['auc']:>6.3f} "
                     f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['texts_per_second']:>8.1f}")
    return "\n".join(lines)
