"""`brand-monitor train` and `brand-monitor eval`; the CLI wires them in with `register`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from monitor.classify.data import Example, csv_files, from_store, read_csv, read_csv_rows
from monitor.classify.encoder import Encoder
from monitor.classify.heads import HEADS_DIR

TeamSource = Callable[[str], Sequence[tuple[str, str | None, int]]]
DEFAULT_DB = "sqlite:///brand-monitor.db"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` and `eval` subcommands."""
    p = subparsers.add_parser("eval", help="measure the classifier on labelled CSV files")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.csv",
                   help="CSV with columns text,label (1 = complaint) and optionally lang")
    p.add_argument("--json", action="store_true", help="print one JSON object keyed by file")
    p.add_argument("--config", type=Path, help="brands file whose classifier: section to use")
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

        config = load_config(args.config, check_sources=False).classifier
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"eval: {', '.join(missing)} does not exist; give CSV files with columns "
              "text,label", file=sys.stderr)
        return 2
    classifier = build_classifier(config)
    classifier.warm_up()  # texts per second measure classifying, not loading
    results: dict[str, dict[str, Any]] = {}
    for path in args.files:
        progress = Progress(len(read_csv_rows(path)), f"eval {path.name}")
        results[str(path)] = evaluate_file(classifier, path, progress)
        progress.close()
    print(json.dumps(results, indent=1) if args.json else format_table(results))
    return 0


def _team_examples(url: str) -> Sequence[tuple[str, str | None, int]]:
    from monitor.store import Store

    return Store.from_url(url).labelled_examples()


def run_train(args: argparse.Namespace, team: TeamSource = _team_examples,
              encoder: Encoder | None = None) -> int:
    """Rebuild the heads and print before/after figures on a held-out split."""
    from monitor.classify.retrain import retrain, unseen_domains

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
    return 0
