"""`brand-monitor train` and `brand-monitor eval`; the CLI wires them in with `register`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from monitor.classify.corpus import CORPUS_DIR
from monitor.classify.data import Example, csv_files, from_store, read_csv, read_csv_rows
from monitor.classify.encoder import Encoder
from monitor.classify.heads import HEADS_DIR

TeamSource = Callable[[str], Sequence[tuple[str, str | None, int]]]
DEFAULT_DB = "sqlite:///brand-monitor.db"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` and `eval` subcommands."""
    p = subparsers.add_parser("eval", help="measure the classifier on labelled CSV files")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.csv",
                   help="CSV with columns text,label (1 = complaint) and optionally lang, "
                        "brand (a brand id of --config) and rating (1-5 stars)")
    p.add_argument("--json", action="store_true", help="print one JSON object keyed by file")
    p.add_argument("--config", type=Path,
                   help="brands file: its classifier: section, and the brands of the brand column")
    p.add_argument("--predictions", type=Path, metavar="FILE.csv",
                   help="also write one row per post: score, decision, kind, why not alerted, "
                        "category, severity, why")
    p.set_defaults(func=run_eval)

    p = subparsers.add_parser("train", help="rebuild the classifier heads from labelled data")
    p.add_argument("--data", nargs="+", action="extend", default=[], metavar="DIR_OR_CSV",
                   help="labelled CSV files or folders of them (columns text,label[,lang])")
    p.add_argument("--out", type=Path, default=HEADS_DIR, help="folder to write the heads to")
    p.add_argument("--seed", type=int, default=0, help="seed for folds and splits")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB),
                   help="where the team's labelled examples are (default: $DATABASE_URL)")
    p.add_argument("--cache", type=Path, default=_default_cache(),
                   help="folder caching sentence embeddings between runs")
    p.add_argument("--corpus", type=Path, default=CORPUS_DIR,
                   help="our brand-mention corpus (brands.yaml and posts_*.csv) for the "
                        "brand-aware heads (default: the checkout's corpus/)")
    p.add_argument("--target-only", action="store_true",
                   help="rebuild only the brand-aware heads from --corpus (a few minutes), "
                        "keeping the cascade heads in --out")
    p.add_argument("--unseen", action="store_true",
                   help="only measure: leave each corpus out of training in turn and score it "
                        "(domains and dialects never seen); writes no heads")
    p.set_defaults(func=run_train)


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "brand-monitor" / "embeddings"


def run_eval(args: argparse.Namespace) -> int:
    """Print rows, macro-F1, ROC-AUC, precision, recall and speed for each file."""
    from monitor.classify import build_classifier
    from monitor.classify.evaluate import evaluate_file, format_table
    from monitor.classify.progress import Progress

    config = None
    if args.config is not None:
        from monitor.config_loader import load_config

        config = load_config(args.config, check_sources=False)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"eval: {', '.join(missing)} does not exist; give CSV files with columns "
              "text,label", file=sys.stderr)
        return 2
    brands = {b.id: b.context() for b in config.brands} if config else {}
    classifier = build_classifier(config.classifier if config else None)
    classifier.warm_up()  # texts per second measure classifying, not loading
    results: dict[str, dict[str, Any]] = {}
    out = args.predictions.open("w", encoding="utf-8", newline="") if args.predictions else None
    try:
        for path in args.files:
            progress = Progress(len(read_csv_rows(path)), f"eval {path.name}")
            try:
                results[str(path)] = evaluate_file(classifier, path, progress, brands, out)
            except ValueError as exc:
                print(f"eval: {exc}", file=sys.stderr)
                return 2
            finally:
                progress.close()
    finally:
        if out is not None:
            out.close()
    print(json.dumps(results, indent=1) if args.json else format_table(results))
    if args.predictions:
        print(f"predictions written to {args.predictions}")
    return 0


def _team_examples(url: str) -> Sequence[tuple[str, str | None, int]]:
    from monitor.store import Store

    return Store.from_url(url).labelled_examples()


def run_train(args: argparse.Namespace, team: TeamSource = _team_examples,
              encoder: Encoder | None = None) -> int:
    """Rebuild the heads and print before/after figures on a held-out split."""
    from monitor.classify.retrain import retrain, unseen_domains

    if args.target_only:
        return _train_target(args, encoder)
    examples: list[Example] = []
    for path in csv_files(args.data):
        examples.extend(read_csv(path))
    try:
        team_rows = team(args.database_url)
    except Exception as exc:  # a missing database must not stop training from the CSVs
        print(f"train: no team examples from {args.database_url} ({exc})", file=sys.stderr)
        team_rows = []
    examples.extend(from_store(team_rows))
    if not examples:
        print("train: nothing to learn from; give --data with labelled CSV files",
              file=sys.stderr)
        return 2
    print(f"train: {len(examples)} labelled examples ({len(team_rows)} from the team)")
    if args.unseen:
        print(unseen_domains(examples, seed=args.seed, folds=args.folds, cache=args.cache,
                             encoder=encoder))
        return 0
    report = retrain(examples, args.out, seed=args.seed, folds=args.folds,
                     cache=args.cache, encoder=encoder)
    print(report)
    # the brand-aware heads read the cascade's first stage: rebuild them on top of it
    return _train_target(args, encoder)


def _train_target(args: argparse.Namespace, encoder: Encoder | None) -> int:
    from monitor.classify.target_retrain import corpus_examples, retrain_target

    try:
        examples = corpus_examples(args.corpus)
    except FileNotFoundError as exc:
        print(f"train: {exc}", file=sys.stderr)
        return 2
    print(f"train: {len(examples)} brand-mention examples from {args.corpus}")
    print(retrain_target(examples, args.out, seed=args.seed, cache=args.cache, fast=encoder,
                         deep=encoder))
    return 0
