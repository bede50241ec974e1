"""The time left of a run whose phases go at different paces: each phase at its own pace,
the phases to come at the pace an earlier run recorded, and said plainly when unknown."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from monitor.classify.progress import Progress, timings_file

PHASES = [("encoder chunks", 4), ("model fits", 2)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(path: Path | None, clock: Clock, chunk: float = 1.0, fit: float = 10.0
         ) -> list[str]:
    """One run: four chunks of `chunk` seconds, then two fits of `fit`; the lines it drew."""
    stream = io.StringIO()
    progress = Progress(0, "train", stream=stream, every=1, phases=PHASES, timings=path,
                        clock=clock)
    for pace, steps in ((chunk, 4), (fit, 2)):
        for _ in range(steps):
            clock.now += pace
            progress.advance()
    progress.close()
    return stream.getvalue().splitlines()


def test_a_first_run_times_the_phase_under_way_and_says_which_steps_it_cannot(
        tmp_path: Path) -> None:
    lines = _run(tmp_path / "progress.json", Clock())
    assert lines[0] == "train: 1/6 (16%), about 3s left, then 2 model fits not timed yet"
    assert lines[3] == "train: 4/6 (66%), 2 model fits not timed yet"  # chunks done
    assert lines[4] == "train: 5/6 (83%), about 10s left"  # the first fit timed the second
    assert lines[5] == "train: 6/6 (100%), about 0s left"


def test_a_later_run_times_every_phase_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    _run(path, Clock())
    assert json.loads(path.read_text()) == {"train": {"encoder chunks": 1.0, "model fits": 10.0}}
    lines = _run(path, Clock(), chunk=2.0)  # a slower machine: its own chunks count
    assert lines[0] == "train: 1/6 (16%), about 26s left"  # 3 chunks of 2 s, 2 fits of 10 s
    assert json.loads(path.read_text())["train"]["encoder chunks"] == 2.0


def test_without_phases_the_steps_are_timed_alike() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(4, "eval x", stream=stream, every=25, clock=clock)
    for _ in range(2):
        clock.now += 3
        progress.advance()
    assert stream.getvalue().splitlines()[-1] == "eval x: 2/4 (50%), about 6s left"


def test_a_phase_with_no_steps_is_skipped() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(0, "train", stream=stream, every=1, clock=clock,
                        phases=[("encoder chunks", 0), ("model fits", 2)])  # all cached
    clock.now += 5
    progress.advance()
    assert progress.total == 2
    assert stream.getvalue().splitlines() == ["train: 1/2 (50%), about 5s left"]


def test_an_unreadable_record_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    lines = _run(path, Clock())
    assert "not timed yet" in lines[0]
    assert json.loads(path.read_text())["train"]["model fits"] == 10.0


def test_a_record_that_cannot_be_written_costs_a_warning_not_the_run(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="monitor.classify.progress"):
        lines = _run(blocker / "progress.json", Clock())  # a file where the folder should be
    assert lines[-1].startswith("train: 6/6 (100%)")
    assert "could not record the pace of train" in caplog.text


def test_the_record_lies_beside_the_embedding_cache(tmp_path: Path) -> None:
    assert timings_file(tmp_path) == tmp_path / "progress.json"
    assert timings_file(None) is None
