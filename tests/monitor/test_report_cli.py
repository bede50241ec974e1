"""`brand-monitor report`: its text, JSON and HTML outputs, and its errors."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from monitor import cli, cli_report
from monitor.store import Store
from tests.factories import write_brands
from tests.monitor.test_report_figures import NOW, TopicEncoder, _world

DAYS = ["--from", "2026-11-02", "--to", "2026-11-04"]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(cli_report, "make_encoder", TopicEncoder)
    _world(Store.from_url(url))
    return str(write_brands(tmp_path))


def test_report__text(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--config", config, "--brand", "acme", *DAYS]) == 0
    out = capsys.readouterr().out
    assert "Acme Coffee: complaints report, Mon 2 Nov 2026 to Wed 4 Nov 2026 (Europe/Warsaw)" in out
    assert "9 mentions, 5 complaints" in out
    assert "Wed 4 Nov: 3 open, 2 overdue" in out
    assert "X: 50% (2 of 4), 2 answered, 4 new" in out
    assert "Reddit: 0% (0 of 1), 1 answered, 1 new" in out
    assert "3 complaints, up 2 from 1 in the period before" in out


def test_report__json(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--config", config, "--json", *DAYS]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["brand_id"] is None  # every brand of the file
    assert [d["complaints"] for d in data["days"]] == [2, 1, 2]
    assert data["response_times"]["median"] == 1800.0
    platform = next(t for t in data["compliance"] if t["dimension"] == "platform")
    assert platform["rows"][0] == {"key": "x", "complaints": 4, "due": 4, "answered": 2,
                                   "within": 2, "share_within": 0.5}
    assert data["causes"][0]["count"] == 3 and data["causes"][0]["trend"] == 2
    assert data["period"]["start"] == "2026-11-01T23:00:00+00:00"


def test_report__html_file(config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    assert cli.main(["report", "--config", config, "--brand", "acme", "--html", str(page), *DAYS]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "data:image/png;base64," in html
    assert "Report written to" in capsys.readouterr().err


def test_report__since_ends_now(config: str, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = cli.runtime_for
    monkeypatch.setattr(cli, "runtime_for", lambda args: replace(real(args), clock=lambda: NOW))
    assert cli.main(["report", "--config", config, "--since", "7d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["period"]["start"], data["period"]["end"]) == (
        "2026-10-29T12:00:00+00:00", "2026-11-05T12:00:00+00:00")
    assert len(data["days"]) == 8  # 29 October to 5 November, partly the first and last
    assert data["complaints"] == 6  # the week's five and one of 31 October


def test_report__at_most_400_days(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--config", config, "--since", "500d"]) == 2
    assert "a report covers at most 400 days" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "says"), [
    (["--from", "2026-13-01"], "'2026-13-01' is not a date"),
    (["--brand", "nope"], "no brand 'nope' in the brands file; its brands are: acme"),
    (["--since", "7d", "--from", "2026-11-01"], "either --since or --from/--to"),
    (["--to", "2026-11-01"], "--to needs --from"),
    (["--since", "soon"], "--since 'soon' is not a length of time"),
    (["--from", "2026-11-05", "--to", "2026-11-01"], "--from must be on or before --to"),
])
def test_report__errors(config: str, capsys: pytest.CaptureFixture[str], argv: list[str],
                        says: str) -> None:
    assert cli.main(["report", "--config", config, *argv]) == 2
    assert says in capsys.readouterr().err


def test_grouping_many_complaints_shows_progress_and_keeps_every_vector(
        capsys: pytest.CaptureFixture[str]) -> None:
    texts = [f"my {topic} post {i}" for i in range(150) for topic in ("parcel", "refund")][:150]
    shown = cli_report._Shown(TopicEncoder(), "grouping complaints by cause")
    vectors = shown.encode(texts)
    assert (vectors == TopicEncoder().encode(texts)).all()
    err = capsys.readouterr().err
    assert "grouping complaints by cause" in err and "100%" in err
    shown.encode(texts[:3])  # a handful: no progress line
    assert capsys.readouterr().err == ""


def test_report__reader_gone_stops_quietly(config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `brand-monitor report | head` after head has exited
    gone = open(write_end, "w", buffering=1, encoding="utf-8")  # noqa: SIM115 - closed below
    monkeypatch.setattr("sys.stdout", gone)
    try:
        assert cli.main(["report", "--config", config, "--brand", "acme", *DAYS]) == 141
        print("after", file=gone)  # stdout now leads nowhere, without an error
    finally:
        gone.close()
