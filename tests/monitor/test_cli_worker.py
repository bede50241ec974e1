"""`brand-monitor worker` and `serve`: their errors before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from tests import worker_harness as wh


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return wh.make_world(tmp_path, "unused", sources=1, posts_per_source=1).config


def test_worker_on_sqlite_says_it_needs_postgresql(config: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bm.db'}")
    assert main(["worker", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "needs PostgreSQL" in err
    assert "postgresql+psycopg://" in err
    assert "brand-monitor run" in err


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_worker_names_unknown_queues(config: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["worker", "--config", str(config), "--queues", "polls,emails"]) == 2
    err = capsys.readouterr().err
    assert "emails" in err
    assert "polls, batches, send, timers" in err


def test_serve_without_a_slack_token_says_what_to_set(config: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bm.db'}")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="SLACK_BOT_TOKEN"):
        main(["serve", "--config", str(config)])
