"""Any sequence-classification model from a local folder or the hub, via transformers.

torch and transformers are optional (`pip install brand-monitor[transformers]`) and load
only when this backend is first used. With HF_HUB_OFFLINE=1 only local folders and the
local cache are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from monitor.classify import explain, langid
from monitor.classify.category import categorise
from monitor.classify.severity import anger_cues, anger_score, severity_from
from monitor.classify.text import fold, normalise
from monitor.classify.thresholds import resolve
from monitor.domain import BrandContext, Category, Classification, Kind
from monitor.errors import ConfigError
from monitor.sanitize import clip_for_classifier
from monitor.settings import Thresholds

if TYPE_CHECKING:
    import numpy as np

_COMPLAINT_NAMES = re.compile(r"complain|neg|label_1|^1$|bad|angry", re.IGNORECASE)


class TransformersClassifier:
    """Score posts with a local or hub model; `labels` maps its label names to complaint yes/no."""

    def __init__(self, model: str, labels: dict[str, bool] | None = None,
                 batch_size: int = 16, max_length: int = 256) -> None:
        self.model_id = model
        self.labels = dict(labels or {})
        self.batch_size = batch_size
        self.max_length = max_length
        self.name = f"transformers/{model}"
        self._tokenizer: Any = None
        self._model: Any = None
        self._complaint_ids: list[int] = []

    def _load(self) -> None:
        if self._model is not None:
            return
        try:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ConfigError([
                "classifier backend 'transformers' needs torch and transformers: "
                "pip install 'brand-monitor[transformers]'"
            ]) from exc
        self._tokenizer = AutoTokenizer.from_pretrained(self.model_id)
        self._model = AutoModelForSequenceClassification.from_pretrained(self.model_id)
        self._model.eval()
        id2label = {int(i): str(name) for i, name in self._model.config.id2label.items()}
        if self.labels:
            unknown = set(self.labels) - set(id2label.values())
            if unknown:
                raise ConfigError([
                    f"classifier labels {sorted(unknown)} are not labels of {self.model_id}; "
                    f"its labels are {sorted(id2label.values())}"
                ])
            self._complaint_ids = [i for i, n in id2label.items() if self.labels.get(n)]
        else:
            self._complaint_ids = [i for i, n in id2label.items() if _COMPLAINT_NAMES.search(n)]
        if not self._complaint_ids:
            raise ConfigError([
                f"none of {self.model_id}'s labels {sorted(id2label.values())} means complaint; "
                "map them under classifier.labels, e.g. labels: {NEGATIVE: true, POSITIVE: false}"
            ])

    def warm_up(self) -> None:
        """Load the model and tokenizer now."""
        self._load()

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        """The team's model gives no vectors comparable across languages: waves group its
        posts by their words."""
        return [None] * len(texts)

    def scores(self, texts: Sequence[str]) -> list[float]:
        """Probability of the complaint labels for each text."""
        import torch

        self._load()
        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [normalise(t) for t in texts[start:start + self.batch_size]]
            batch = self._tokenizer(chunk, padding=True, truncation=True,
                                    max_length=self.max_length, return_tensors="pt")
            with torch.no_grad():
                logits = self._model(**batch).logits
            probs = torch.softmax(logits.float(), dim=-1)[:, self._complaint_ids].sum(dim=-1)
            out.extend(float(p) for p in probs)
        return out

    def classify(self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None,
                 thresholds: Sequence[Thresholds] | None = None,
                 brands: Sequence[BrandContext | None] | None = None) -> list[Classification]:
        """Classify posts; thresholds in priority order, 0.5 where none is configured.
        The team's own model reads no brand: `brands` is accepted and not used."""
        texts = [clip_for_classifier(t) for t in texts]
        hints = list(lang_hints) if lang_hints is not None else [None] * len(texts)
        results = []
        for text, hint, score in zip(texts, hints, self.scores(texts), strict=True):
            lang = langid.detect(normalise(text), hint)
            is_complaint = score >= resolve(lang, thresholds, 0.5)
            folded = fold(text)
            angry = anger_cues(folded, lang)
            category, cues = categorise(folded, lang) if is_complaint else (Category.OTHER, [])
            cues = list(dict.fromkeys([*angry, *cues])) if is_complaint else []
            results.append(Classification(
                is_complaint=is_complaint, score=round(score, 4), lang=lang,
                severity=severity_from(None, len(angry), is_complaint), category=category,
                anger=anger_score(text, len(angry), score, 0.0) if is_complaint else 0.0,
                why=explain.why(is_complaint, score, cues, category, "neutral"),
                cues=tuple(cues), model=self.name,
                kind=Kind.COMPLAINT if is_complaint else Kind.OTHER,
                categories=(category,) if is_complaint else (),
            ))
        return results
