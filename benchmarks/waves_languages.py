"""Waves across languages: are meaning vectors alike for one event told in four languages,
and unlike for unrelated complaints of one category?

Prints, for the meaning vectors of `monitor.classify.meaning` (the deep encoder, each
language's centre taken away) and for the same vectors without the centres:
- how often a post's nearest other post is the same event (12 events we wrote in English,
  Arabic, Persian and Polish, `tests/fixtures/waves/events.json`);
- at each cosine threshold, the share of same-event pairs across languages at or above it,
  and the share of unrelated complaints of one main category at or above it (our corpus,
  brands whose posts were not used for the centres: the centres are fitted on the other
  half of the brands);
- meaning vectors per second on tweet-length complaints (what each complaint costs when
  the brand-aware heads did not already read it deep).

    python benchmarks/waves_languages.py [--pairs 1500] [--seed 0] [--layers 8]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from monitor.classify.corpus import BrandExample
from monitor.classify.encoder import E5Encoder
from monitor.classify.meaning import LAYERS, MeaningReader, fit_centres
from monitor.classify.target_retrain import corpus_examples
from monitor.domain import BrandContext

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "tests" / "fixtures" / "waves" / "events.json"
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def _events() -> tuple[list[str], list[str], list[str]]:
    data = json.loads(EVENTS.read_text(encoding="utf-8"))
    texts, langs, events = [], [], []
    for name, event in data.items():
        if name.startswith("_"):
            continue
        for lang in ("en", "ar", "fa", "pl"):
            texts.append(event[lang])
            langs.append(lang)
            events.append(name)
    return texts, langs, events


def _vectors(reader: MeaningReader, texts: list[str], langs: list[str],
             brands: list[BrandContext]) -> np.ndarray:
    found = reader.vectors(texts, langs, brands)
    return np.stack([v if v is not None else np.zeros(384, dtype=np.float32) for v in found])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1500, help="held-out complaints to compare")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layers", type=int, default=None,
                        help=f"encoder depth (default {LAYERS}, the meaning vectors')")
    args = parser.parse_args()
    encoder = E5Encoder(layers=args.layers or LAYERS)
    print(f"encoder depth {encoder.layers}")
    examples = [e for e in corpus_examples(ROOT / "corpus") if e.target == "complaint"]
    brands = sorted({e.brand.id for e in examples})
    random.Random(args.seed).shuffle(brands)
    fit_ids = set(brands[: len(brands) // 2])
    fit = [e for e in examples if e.brand.id in fit_ids]
    held: list[BrandExample] = [e for e in examples if e.brand.id not in fit_ids]
    held = random.Random(args.seed).sample(held, min(args.pairs, len(held)))
    print(f"centres from {len(fit)} complaints of {len(fit_ids)} brands; "
          f"{len(held)} complaints of {len(brands) - len(fit_ids)} other brands compared")
    centres = fit_centres([e.text for e in fit], [e.lang for e in fit], [e.brand for e in fit],
                          encoder.encode)
    flat = {lang: np.zeros_like(c) for lang, c in centres.items()}
    acme = BrandContext(id="acme", name="Acme", names=("Acme",))
    texts, langs, events = _events()
    for label, chosen in (("centres taken away", centres), ("no centres", flat)):
        reader = MeaningReader(encoder.encode, chosen)
        ev = _vectors(reader, texts, langs, [acme] * len(texts))
        sim = ev @ ev.T
        np.fill_diagonal(sim, -np.inf)
        nearest = np.mean([events[int(np.argmax(sim[i]))] == events[i] for i in range(len(texts))])
        np.fill_diagonal(sim, 1.0)
        iu = np.triu_indices(len(texts), 1)
        e_arr, l_arr = np.asarray(events), np.asarray(langs)
        same = (e_arr[:, None] == e_arr[None, :])[iu] & (l_arr[:, None] != l_arr[None, :])[iu]
        hv = _vectors(reader, [e.text for e in held], [e.lang for e in held],
                      [e.brand for e in held])
        hsim = hv @ hv.T
        ju = np.triu_indices(len(held), 1)
        cats = np.asarray([e.categories[0].value if e.categories else "" for e in held])
        posts = np.asarray([e.post for e in held])  # a mirrored row shares its post's id
        unrelated = ((cats[:, None] == cats[None, :]) & (posts[:, None] != posts[None, :]))[ju]
        hl = np.asarray([e.lang for e in held])
        across = (hl[:, None] != hl[None, :])[ju]
        print(f"\n{label}: nearest other post is the same event for {nearest:.0%} of "
              f"{len(texts)} posts")
        print("  cosine  same event, across languages  unrelated, one category (all / across languages)")
        for th in THRESHOLDS:
            print(f"  {th:<6}  {np.mean(sim[iu][same] >= th):>28.1%}  "
                  f"{np.mean(hsim[ju][unrelated] >= th):>14.2%} / "
                  f"{np.mean(hsim[ju][unrelated & across] >= th):.2%}")
    reader = MeaningReader(encoder.encode, centres)
    sample = [e for e in held if len(e.text) < 280][:256]
    started = time.perf_counter()
    reader.vectors([e.text for e in sample], [e.lang for e in sample], [e.brand for e in sample])
    rate = len(sample) / (time.perf_counter() - started)
    print(f"\nmeaning vectors: {rate:.0f} tweet-length complaints/s ({len(sample)} posts)")


if __name__ == "__main__":
    main()
