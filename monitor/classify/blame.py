"""Read each post against its brand: mark the brand, embed, and apply the target heads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.classify import scoring, target
from monitor.classify.encoder import Encoder, encode_long
from monitor.classify.marking import Marked, reader_for
from monitor.classify.target import CATEGORIES, CLASSES, TargetHeads
from monitor.classify.text import normalise
from monitor.domain import BrandContext, Category, Kind, Severity

_KIND = {"complaint": Kind.COMPLAINT, "question": Kind.QUESTION, "praise": Kind.PRAISE}
_SEVERITIES = (Severity.NO_EXPLICIT_REPROACH, Severity.DISAPPROVAL, Severity.ACCUSATION,
               Severity.BLAME)


@dataclass(frozen=True)
class Blame:
    """What the target heads say of one post for one brand."""

    probs: tuple[float, ...]  # over target.CLASSES
    categories: tuple[Category, ...]
    severity: Severity
    marked: Marked
    brand_name: str

    @property
    def complaint(self) -> float:
        """Probability that the writer holds this brand responsible for a problem."""
        return self.probs[0]

    def kind_and_reason(self, is_complaint: bool) -> tuple[Kind, str]:
        """What the post is, and for one that is not a complaint, the likeliest reason."""
        if is_complaint:
            return Kind.COMPLAINT, ""
        best = CLASSES[1 + int(np.argmax(self.probs[1:]))]
        if best == "competitor" and not self.marked.rivals and self.marked.namesakes:
            best = "namesake"
        return _KIND.get(best, Kind.OTHER), best

    def detail(self, reason: str) -> str:
        """The competitor or namesake the reason is about, as configured or as named."""
        if reason == "competitor":
            return self.marked.rivals[0] if self.marked.rivals else ""
        if reason == "namesake":
            return self.marked.namesakes[0] if self.marked.namesakes else self.brand_name
        return ""


class BlameReader:
    """The target heads with the two encoder depths they read."""

    def __init__(self, heads: TargetHeads, fast: Encoder, deep: Encoder) -> None:
        self.heads = heads
        self.fast = fast
        self.deep = deep
        self.stats = {"read": 0, "deep": 0}

    def read(self, texts: Sequence[str], scored: Sequence[tuple[str, float]],
             brands: Sequence[BrandContext | None]) -> list[Blame | None]:
        """One `Blame` per post that has a brand (None for the others); `scored` holds each
        post's language and the first stage's complaint probability."""
        rows = [i for i, b in enumerate(brands) if b is not None]
        out: list[Blame | None] = [None] * len(texts)
        if not rows:
            return out
        marked = {i: reader_for(brands[i]).mark(texts[i]) for i in rows}  # type: ignore[arg-type]
        plain = [normalise(marked[i].text) for i in rows]
        langs = [scored[i][0] for i in rows]
        heads = self.heads
        grams = [target.ngrams(t, lang) for t, lang in zip(plain, langs, strict=True)]
        ngram = np.array([target.ngram_probability(heads.ngram_w, heads.ngram_b, g)
                          for g in grams])
        x = self._inputs(texts, scored, rows, marked, self.fast.encode(plain))
        kinds = heads.kinds(x, ngram)
        cues = np.stack([target.category_cues(texts[i], scored[i][0]) for i in rows])
        cats = heads.categories(target.category_inputs(x, cues), grams)
        sevs = heads.severities(x, grams)
        low, high = heads.band
        unsure = [j for j in range(len(rows)) if low <= kinds[j, 0] <= high]
        if unsure:
            deep_x = self._inputs(texts, scored, [rows[j] for j in unsure], marked,
                                  encode_long(self.deep, [plain[j] for j in unsure]))
            kinds[unsure] = heads.kinds(deep_x, ngram[unsure], deep=True)
            unsure_grams = [grams[j] for j in unsure]
            cats[unsure] = heads.categories(target.category_inputs(deep_x, cues[unsure]),
                                            unsure_grams, deep=True)
            sevs[unsure] = heads.severities(deep_x, unsure_grams, deep=True)
        self.stats["read"] += len(rows)
        self.stats["deep"] += len(unsure)
        for j, i in enumerate(rows):
            chosen = tuple(CATEGORIES[k]
                           for k in target.top_categories(cats[j], heads.second_category,
                                                         heads.category_prior))
            out[i] = Blame(probs=tuple(float(p) for p in kinds[j]), categories=chosen,
                           severity=_SEVERITIES[heads.severity_level(sevs[j])], marked=marked[i],
                           brand_name=brands[i].name)  # type: ignore[union-attr]
        return out

    @staticmethod
    def _inputs(texts: Sequence[str], scored: Sequence[tuple[str, float]], rows: list[int],
                marked: dict[int, Marked], emb: np.ndarray) -> np.ndarray:
        return np.stack([
            target.inputs(marked[i].features(), scored[i][0], scored[i][1],
                          bool(scoring.QUESTION.search(normalise(texts[i]))),
                          scoring.tone(normalise(texts[i]), scored[i][0]), v)
            for i, v in zip(rows, emb, strict=True)])
