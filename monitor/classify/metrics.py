"""The figures we report: macro-F1, ROC-AUC, precision and recall of the complaint class."""

from __future__ import annotations

import numpy as np


def roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by ranks (ties share their mean rank); NaN with one class."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = np.asarray(scores)[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_ranks = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mean_ranks, counts)
    return float((ranks[y].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def binary_report(y: np.ndarray, predicted: np.ndarray, scores: np.ndarray,
                  with_auc: bool = True) -> dict[str, float]:
    """macro_f1, auc, precision and recall (complaint class) of one set of predictions."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(predicted).astype(bool)
    tp = float(np.sum(y & p))
    fp = float(np.sum(~y & p))
    fn = float(np.sum(y & ~p))
    tn = float(np.sum(~y & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1_pos = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    f1_neg = 2 * tn / (2 * tn + fp + fn) if tn else 0.0
    return {
        "macro_f1": round((f1_pos + f1_neg) / 2, 4),
        "auc": round(roc_auc(y, scores), 4) if with_auc else float("nan"),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def best_threshold(y: np.ndarray, scores: np.ndarray, groups: np.ndarray | None = None) -> float:
    """The threshold on `scores` that maximises macro-F1 (searched on a 0.01 grid).

    With `groups` (one corpus name per row), the mean of the groups' macro-F1 is
    maximised instead, so a large corpus does not set the threshold for a small one.
    """
    groups = np.zeros(len(y)) if groups is None else groups
    names = np.unique(groups)
    grid = np.arange(0.05, 0.96, 0.01)
    f1s = [np.mean([binary_report(y[groups == g], scores[groups == g] >= t,
                                  scores[groups == g], with_auc=False)["macro_f1"]
                    for g in names])
           for t in grid]
    return round(float(grid[int(np.argmax(f1s))]), 2)
