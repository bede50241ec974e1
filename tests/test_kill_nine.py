"""A real process killed with SIGKILL at random moments: nothing lost, nothing doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kill_harness import kill_run


@pytest.mark.slow
@pytest.mark.parametrize("instances", [1, 2], ids=["one_process", "two_processes"])
def test_kill_nine_during_ingestion__every_complaint_one_case_one_alert(
        tmp_path: Path, database_url: str, instances: int) -> None:
    if instances > 1 and database_url.startswith("sqlite"):
        pytest.skip("several processes share a PostgreSQL database; SQLite is the one-process default")
    report = kill_run(tmp_path, posts=300, kills=4, database_url=database_url, batch=50,
                      window=(1.5, 4.0), instances=instances)
    assert report.stored == report.posts, report.lines()
    assert report.complaints > 50, report.lines()
    assert report.without_case == 0, report.lines()
    assert report.doubled_cases == 0, report.lines()
    assert report.alerts_missing == 0 and report.alerts_doubled == 0, report.lines()
    assert report.messages_doubled == 0, report.lines()
