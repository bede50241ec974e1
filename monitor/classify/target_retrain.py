"""`brand-monitor train` for the brand-aware heads: our corpus in, `target.npz` out.

The heads read the first stage of the cascade heads in the same folder, so they are
rebuilt whenever those are. Figures come from brands, writers and varieties left out;
beside them, the brand-blind cascade (what shipped before the brand was an input) is
measured on the same posts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify import target_train
from monitor.classify.cascade import DefaultClassifier
from monitor.classify.corpus import BrandExample, brand_contexts, read_corpus
from monitor.classify.encoder import E5Encoder, Encoder
from monitor.classify.heads import LANGS, load_heads
from monitor.classify.meaning import LAYERS as MEANING_LAYERS
from monitor.classify.meaning import fit_centres, reading, save_centres
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress, timings_file
from monitor.classify.training import CHUNK, EmbeddingCache


def corpus_examples(corpus: Path) -> list[BrandExample]:
    """Read a corpus folder: `brands.yaml` and its `posts_*.csv`."""
    brands = corpus / "brands.yaml"
    files = sorted(corpus.glob("posts_*.csv"))
    if not brands.is_file() or not files:
        raise FileNotFoundError(f"{corpus} holds no brands.yaml and posts_*.csv; give --corpus "
                                "the corpus folder of a brand-monitor checkout")
    return read_corpus(files, brand_contexts(brands))


def retrain_target(examples: Sequence[BrandExample], out: Path, seed: int = 0,
                   cache: Path | None = None, fast: Encoder | None = None,
                   deep: Encoder | None = None, layers: int = 8) -> str:
    """Fit the brand-aware heads on `examples`, write them to `out`, return the report."""
    heads = load_heads(out)
    fast = fast or E5Encoder(layers=0)
    deep = deep or E5Encoder(layers=layers)
    classifier = DefaultClassifier(heads, deep, shallow=fast)
    texts = [e.text for e in examples]
    fast_cache, deep_cache = EmbeddingCache(fast, cache), EmbeddingCache(deep, cache)
    varieties = len({e.variety for e in examples})
    writers = len({e.writer for e in examples})
    groups = len({e.group for e in examples})
    marked = _marked(examples)
    complaints = [e for e in examples if e.target == "complaint"]
    centre_cache = EmbeddingCache(E5Encoder(layers=MEANING_LAYERS), cache)
    progress = Progress(0, "train brand-aware heads", timings=timings_file(cache),
                        phases=[("encoder chunks", -(-deep_cache.missing(marked) // CHUNK)),
                                ("folds by brand", groups), ("folds by writer", writers),
                                ("folds by variety", varieties),
                                ("chunks for the language centres",
                                 -(-centre_cache.missing(_readings(complaints)) // CHUNK))])

    def score(batch: list[str], langs: list[str]) -> np.ndarray:
        return np.array([p for _, p in classifier.first_stage(batch, langs)])

    before = classifier.classify(texts, [e.lang for e in examples])
    data = target_train.prepare(examples, score, fast_cache.embed,
                                lambda t: deep_cache.embed(t, progress.advance))
    target, _figures = target_train.build(data, layers, seed, progress.advance)
    target.meta["version"] = f"target-seed{seed}-n{len(examples)}"
    target.save(out)
    write_centres(complaints, out, lambda t: centre_cache.embed(t, progress.advance))
    progress.close()
    return format_report(data, before, target.meta["figures"], out)


def write_centres(complaints: Sequence[BrandExample], out: Path,
                  embed: Callable[[Sequence[str]], np.ndarray]) -> None:
    """Each language's centre for meaning vectors (`meaning.py`), from the corpus's
    complaints read at the meaning's depth."""
    save_centres(out, fit_centres([e.text for e in complaints], [e.lang for e in complaints],
                                  [e.brand for e in complaints], embed))


def _readings(examples: Sequence[BrandExample]) -> list[str]:
    """The texts `fit_centres` gives the encoder for these posts."""
    return [reading(e.text, e.brand) for e in examples]


def _marked(examples: Sequence[BrandExample]) -> list[str]:
    from monitor.classify.marking import reader_for
    from monitor.classify.text import normalise

    return [normalise(reader_for(e.brand).mark(e.text).text) for e in examples]


def format_report(data: target_train.TargetData, before: Sequence[Any],
                  figures: dict[str, dict[str, Any]], out: Path) -> str:
    """Before (brand-blind) and after (brand-aware, brands left out), per language."""
    flags = np.array([v.is_complaint for v in before])
    scores = np.array([v.score for v in before])
    left_out = figures["brands_left_out"]
    lines = ["our corpus, brands left out: macro-F1 / precision / recall "
             "(before = the brand-blind cascade on the same posts)"]
    for lang in (*LANGS, "all"):
        rows = data.langs == lang if lang != "all" else np.ones(len(flags), dtype=bool)
        if not rows.any():
            continue
        was = binary_report(data.y[rows], flags[rows], scores[rows])
        now = left_out[lang]
        lines.append(f"  {lang:<4} before {was['macro_f1']:.3f} / {was['precision']:.3f} / "
                     f"{was['recall']:.3f}   after {now['macro_f1']:.3f} / {now['precision']:.3f}"
                     f" / {now['recall']:.3f}  (n={now['n']})")
    for name in ("writers_left_out", "varieties_left_out"):
        lines.append(f"  {name.replace('_', ' ')}: macro-F1 {figures[name]['all']['macro_f1']:.3f}"
                     f", precision {figures[name]['all']['precision']:.3f}")
    alerted = ", ".join(f"{k} {v:.0%}" for k, v in left_out["alerted_share"].items())
    lines.append(f"  alerted by kind: {alerted}")
    lines.append(f"  category right {left_out['category_right']:.0%}, severity within one "
                 f"{left_out['severity_within_one']:.0%}, blame found {left_out['blame_found']:.0%}"
                 f", deep encoder on {left_out['deep_share']:.0%} of posts")
    lines.append(f"brand-aware heads written to {out}")
    return "\n".join(lines)
