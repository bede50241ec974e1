from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest

from monitor.classify import commands
from monitor.classify.heads import HEADS_DIR
from monitor.classify.progress import Progress
from tests.monitor.classify.corpus_fixture import BRANDS, write_corpus

_BAD = ["my order never arrived", "refund still missing", "the app keeps crashing",
        "support ignored me again", "package came broken", "charged twice, fix it"]
_GOOD = ["thanks for the quick delivery", "love the new colours", "what are your opening hours",
         "great support today", "new store opens on monday", "does this come in red"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brand-monitor")
    commands.register(parser.add_subparsers(dest="command"))
    return parser


def _write_csv(path: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "lang"])
        for i in range(n):
            label = i % 2
            phrase = rng.choice(_BAD if label else _GOOD)
            writer.writerow([f"@shop {phrase} #{i}", label, "en"])
    return path


def test_eval__json_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_csv(tmp_path / "tiny.csv", 12)
    args = _parser().parse_args(["eval", str(data), "--json"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {str(data)}
    assert set(out[str(data)]) == {"n", "macro_f1", "auc", "precision", "recall",
                                   "texts_per_second"}
    assert out[str(data)]["n"] == 12


def test_eval__table_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_csv(tmp_path / "tiny.csv", 6)
    args = _parser().parse_args(["eval", str(data)])
    assert args.func(args) == 0
    assert "macroF1" in capsys.readouterr().out
    args = _parser().parse_args(["eval", str(tmp_path / "nope.csv")])
    assert args.func(args) == 2


def test_train__reproducible_with_a_seed(tmp_path: Path, fake_encoder: object,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_csv(tmp_path / "train.csv", 120)
    corpus = write_corpus(tmp_path / "corpus")
    team_rows = [("the courier threw my parcel over the fence", "en", 1)]
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = _parser().parse_args(["train", "--data", str(data), "--out", str(out), "--seed", "7",
                                     "--folds", "2", "--cache", str(tmp_path / f"cache-{run}"),
                                     "--corpus", str(corpus)])
        assert commands.run_train(args, team=lambda url: team_rows, encoder=fake_encoder) == 0
        outs.append(out)
    report = capsys.readouterr().out
    assert "before" in report and "after" in report
    assert "(1 from the team)" in report
    with np.load(outs[0] / "heads.npz", allow_pickle=False) as a, \
            np.load(outs[1] / "heads.npz", allow_pickle=False) as b:
        assert set(a.files) == set(b.files)
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])
    assert (outs[0] / "meta.json").read_text() == (outs[1] / "meta.json").read_text()
    # the brand-aware heads are rebuilt on top of the new cascade, just as reproducibly
    assert "brands left out" in report or "brand-aware heads written" in report
    with np.load(outs[0] / "target.npz", allow_pickle=False) as a, \
            np.load(outs[1] / "target.npz", allow_pickle=False) as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])


def test_train__missing_database_still_trains_from_csv(tmp_path: Path, fake_encoder: object,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_csv(tmp_path / "train.csv", 80)

    def broken(url: str) -> list[tuple[str, str | None, int]]:
        raise RuntimeError("no such database")

    args = _parser().parse_args(["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
                                 "--folds", "2", "--cache", str(tmp_path / "c"),
                                 "--corpus", str(write_corpus(tmp_path / "corpus"))])
    assert commands.run_train(args, team=broken, encoder=fake_encoder) == 0
    assert (tmp_path / "o" / "heads.npz").is_file()
    assert "no team examples" in capsys.readouterr().err
    del data


def test_train__nothing_to_learn(tmp_path: Path) -> None:
    args = _parser().parse_args(["train", "--out", str(tmp_path / "o")])
    assert commands.run_train(args, team=lambda url: []) == 2


def test_progress__plain_lines_when_not_a_terminal(tmp_path: Path) -> None:
    stream = (tmp_path / "log").open("w+")
    progress = Progress(100, "eval x", stream=stream, every=25)
    for _ in range(100):
        progress.advance()
    stream.seek(0)
    lines = stream.read().splitlines()
    assert len(lines) == 5
    assert lines[-1].startswith("eval x: 100/100 (100%)")
    assert "left" in lines[0]


def test_train__progress_counts_encoder_chunks_not_texts(
        tmp_path: Path, fake_encoder: object, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write_csv(tmp_path / "train.csv", 300)
    args = _parser().parse_args(["train", "--data", str(data), "--out", str(tmp_path / "o"),
                                 "--folds", "2", "--cache", str(tmp_path / "c"),
                                 "--corpus", str(write_corpus(tmp_path / "corpus"))])
    assert commands.run_train(args, team=lambda url: [], encoder=fake_encoder) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("train:")]
    counts = [int(line.split()[1].split("/")[0]) for line in lines]
    total = int(lines[0].split()[1].split("/")[1])
    # 300 texts and the seeds are 6 chunks of 64, plus two builds of (2 × 2 folds + 1) steps
    assert total == 6 + 2 * 5
    assert counts == sorted(counts)
    assert counts.count(total) == 1 and counts[-1] == total


def test_train__unseen_scores_each_corpus_left_out_and_writes_nothing(
        tmp_path: Path, fake_encoder: object, capsys: pytest.CaptureFixture[str]) -> None:
    _write_csv(tmp_path / "shop_a.csv", 80, seed=1)
    _write_csv(tmp_path / "shop_b.csv", 80, seed=2)
    out = tmp_path / "o"
    args = _parser().parse_args(["train", "--data", str(tmp_path), "--out", str(out),
                                 "--folds", "2", "--cache", str(tmp_path / "c"), "--unseen"])
    assert commands.run_train(args, team=lambda url: [], encoder=fake_encoder) == 0
    report = capsys.readouterr().out
    rows = [line.split() for line in report.splitlines() if line.startswith("  shop_")]
    assert [r[0] for r in rows] == ["shop_a", "shop_b"]
    for row in rows:
        macro_f1, auc = float(row[1]), float(row[3])
        assert 0.0 <= macro_f1 <= 1.0 and auc > 0.5  # the phrases are shared across shops
    assert not out.exists()


def test_eval__models_load_before_the_clock_starts_and_multiline_rows_count_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import monitor.classify as classify_package
    from tests.factories import KeywordClassifier

    calls: list[str] = []

    class Recording(KeywordClassifier):
        def warm_up(self) -> None:
            calls.append("warm_up")

        def classify(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append("classify")
            return super().classify(*args, **kwargs)

    monkeypatch.setattr(classify_package, "build_classifier", lambda config=None: Recording())
    data = tmp_path / "multiline.csv"
    data.write_text('text,label\n"first line\nsecond line, still late",1\nall good,0\n',
                    encoding="utf-8")
    args = _parser().parse_args(["eval", str(data), "--json"])
    assert args.func(args) == 0
    assert calls[0] == "warm_up" and "classify" in calls
    captured = capsys.readouterr()
    assert json.loads(captured.out)[str(data)]["n"] == 2
    assert "eval multiline.csv: 2/2 (100%)" in captured.err  # rows, not lines


def _shipped_heads(folder: Path) -> Path:
    folder.mkdir()
    for name in ("heads.npz", "meta.json"):
        (folder / name).write_bytes((HEADS_DIR / name).read_bytes())
    return folder


def test_train__target_only_reports_left_out_brands(tmp_path: Path, fake_encoder: object,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = _shipped_heads(tmp_path / "heads")
    args = _parser().parse_args(["train", "--target-only", "--out", str(out), "--corpus",
                                 str(write_corpus(tmp_path / "corpus")),
                                 "--cache", str(tmp_path / "cache")])
    assert commands.run_train(args, encoder=fake_encoder) == 0
    report = capsys.readouterr().out
    assert "160 brand-mention examples" in report  # 144 posts and 16 competitor mirrors
    assert "before" in report and "after" in report and "alerted by kind" in report
    meta = json.loads((out / "target.json").read_text())
    assert set(meta["figures"]) == {"brands_left_out", "writers_left_out", "varieties_left_out"}
    assert set(meta["thresholds"]) >= {"en", "other"}
    low, high = meta["band"]
    assert 0.0 <= low <= high <= 1.0
    assert (out / "heads.npz").read_bytes() == (HEADS_DIR / "heads.npz").read_bytes()


def test_train__target_only_without_corpus_says_what_to_give(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["train", "--target-only", "--corpus", str(tmp_path)])
    assert commands.run_train(args) == 2
    assert "give --corpus" in capsys.readouterr().err


def _brand_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "lang", "brand", "rating"])
        writer.writerow(["Alphaphone lost my order again, still nothing", 1, "en", "alpha", ""])
        writer.writerow(["fine app, nothing to say about Alphaphone", 1, "en", "alpha", "1"])
        writer.writerow(["Gammafood did a great job, thanks", 0, "en", "gamma", "5"])
        writer.writerow(["does it ship to Gdańsk?", 0, "en", "", ""])
    return path


def test_eval__brand_rating_and_predictions(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "brands.yaml"
    config.write_text(BRANDS, encoding="utf-8")
    data = _brand_csv(tmp_path / "feed.csv")
    predictions = tmp_path / "predictions.csv"
    args = _parser().parse_args(["eval", str(data), "--config", str(config), "--predictions",
                                 str(predictions)])
    assert args.func(args) == 0
    assert f"predictions written to {predictions}" in capsys.readouterr().out
    rows = list(csv.DictReader(predictions.open(encoding="utf-8")))
    assert [r["row"] for r in rows] == ["1", "2", "3", "4"]
    assert set(rows[0]) == {"file", "row", "brand", "label", "score", "decision", "kind",
                            "reason", "category", "severity", "lang", "why"}
    assert rows[1]["decision"] == "alert" and rows[1]["why"].startswith("1-star review")
    assert rows[2]["decision"] == "no alert" and rows[2]["kind"] == "praise"
    assert rows[2]["reason"] == "reads as praise or thanks"
    assert rows[0]["brand"] == "alpha" and rows[3]["brand"] == ""
    for row in rows:
        assert (row["decision"] == "alert") == bool(row["severity"])
        assert (row["decision"] == "alert") != bool(row["reason"])


def test_eval__unknown_brand_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _brand_csv(tmp_path / "feed.csv")
    args = _parser().parse_args(["eval", str(data)])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "feed.csv:2: brand 'alpha' is not a brand id" in err and "--config" in err
