from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import __version__
from monitor.cli import main
from tests.factories import KeywordClassifier, post, write_brands


@pytest.fixture
def brands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bm.db'}")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setattr("monitor.classify.build_classifier", lambda config=None: KeywordClassifier())
    path = write_brands(tmp_path)
    (tmp_path / "posts.jsonl").write_text(
        json.dumps(post("1", "acme parcel is late", minutes_ago=2)) + "\n"
        + json.dumps(post("2", "acme machine makes a weird noise", author="ola", minutes_ago=2)) + "\n")
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and __version__ in capsys.readouterr().out


@pytest.mark.parametrize("command", ["run", "check-config", "demo", "status", "flag", "db-upgrade"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0 and "usage: brand-monitor" in capsys.readouterr().out


def test_run_once__prints_alert_to_terminal_without_token(brands: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--config", str(brands), "--once"]) == 0
    captured = capsys.readouterr()
    assert "ACME-0001" in captured.out and "acme parcel is late" in captured.out
    assert "1 complaint(s)" in captured.err


def test_dry_run__stores_nothing(brands: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--config", str(brands), "--dry-run"]) == 0
    assert "ACME-0001" in capsys.readouterr().out
    assert main(["run", "--config", str(brands), "--once"]) == 0
    assert "ACME-0001" in capsys.readouterr().out  # the real run starts from scratch


def test_status_and_flag__a_missed_complaint_becomes_a_case(brands: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", "--config", str(brands), "--once"])
    capsys.readouterr()
    assert main(["status", "--config", str(brands), "--mentions", "5"]) == 0
    out = capsys.readouterr().out
    assert "acme/posts (replay): healthy" in out and "Cases: 1 open" in out
    lines = out.splitlines()
    at = next(i for i, x in enumerate(lines) if "weird noise" in x)
    number = lines[at].split()[0]
    # the KeywordClassifier gives it no blame; status says so under the post
    assert lines[at + 1].strip() == "not alerted: the writer does not blame the brand"
    assert main(["flag", number, "--config", str(brands), "--by", "U0ALLOWED"]) == 0
    assert "ACME-0002" in capsys.readouterr().out
    assert main(["flag", number, "--config", str(brands)]) == 1


def test_run__without_config_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRAND_MONITOR_CONFIG", raising=False)
    assert main(["run", "--once"]) == 2
    assert "brand-monitor demo" in capsys.readouterr().err
