"""A report's PNG charts reach Slack through the external file upload, against the local fake."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from alerts.delivery import ConsoleDelivery, SlackDelivery
from alerts.report_charts import charts
from monitor.errors import RateLimited, TemporaryPlatformError
from monitor.report_model import Chart
from tests.fake_slack import Failure, FakeSlack
from tests.report_samples import week

THREAD = "1700000001.000100"


@pytest.fixture(scope="module")
def drawn() -> list[Chart]:
    return charts(week())


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _delivery(slack: FakeSlack) -> SlackDelivery:
    return SlackDelivery(WebClient(token="xoxb-test", base_url=slack.url, timeout=5))


def test_upload_files__pngs_arrive_in_the_channel_thread(slack: FakeSlack, drawn: list[Chart]) -> None:
    ids = _delivery(slack).upload_files("C0ACME", drawn[:2], "Acme Coffee: this week", thread_ts=THREAD)

    shared = slack.files_in("C0ACME")
    assert [f["id"] for f in shared] == ids and len(ids) == 2
    assert [f["data"] for f in shared] == [c.png for c in drawn[:2]]
    assert all(f["data"].startswith(b"\x89PNG\r\n\x1a\n") for f in shared)
    assert [f["name"] for f in shared] == [c.filename for c in drawn[:2]]
    assert [f["title"] for f in shared] == [c.title for c in drawn[:2]]
    assert [f["alt_txt"] for f in shared] == [c.title for c in drawn[:2]]
    assert {f["thread_ts"] for f in shared} == {THREAD}
    assert {f["initial_comment"] for f in shared} == {"Acme Coffee: this week"}
    # one URL per file, the bytes to each URL, then one call sharing them all
    assert [c.method for c in slack.calls] == ["files.getUploadURLExternal"] * 2 + ["upload"] * 2 + [
        "files.completeUploadExternal"]
    assert [int(c.params["length"]) for c in slack.of("files.getUploadURLExternal")] == [
        len(c.png) for c in drawn[:2]]


def test_upload_files__nothing_to_upload_calls_nothing(slack: FakeSlack) -> None:
    assert _delivery(slack).upload_files("C0ACME", [], "no charts") == []
    assert slack.calls == []


def test_upload_files__429_from_the_api_is_rate_limited(slack: FakeSlack, drawn: list[Chart]) -> None:
    slack.fail_next("files.getUploadURLExternal",
                    Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))

    with pytest.raises(RateLimited) as caught:
        _delivery(slack).upload_files("C0ACME", drawn[:1], "report")

    assert caught.value.retry_after == 7
    assert slack.files_in("C0ACME") == []


def test_upload_files__429_from_the_upload_url_is_rate_limited(slack: FakeSlack, drawn: list[Chart]) -> None:
    slack.fail_next("upload", Failure(429, {"ok": False}, {"Retry-After": "3"}))

    with pytest.raises(RateLimited) as caught:
        _delivery(slack).upload_files("C0ACME", drawn[:1], "report")

    assert caught.value.retry_after == 3
    assert slack.of("files.completeUploadExternal") == []


def test_upload_files__failed_upload_is_retried_later_then_arrives(slack: FakeSlack,
                                                                   drawn: list[Chart]) -> None:
    slack.fail_next("upload", Failure(500, {"ok": False}))
    delivery = _delivery(slack)

    with pytest.raises(TemporaryPlatformError):
        delivery.upload_files("C0ACME", drawn[:1], "report")
    assert slack.files_in("C0ACME") == []

    delivery.upload_files("C0ACME", drawn[:1], "report")
    assert [f["data"] for f in slack.files_in("C0ACME")] == [drawn[0].png]


def test_upload_files__console_writes_pngs_and_prints_their_paths(tmp_path: Path,
                                                                   drawn: list[Chart]) -> None:
    out = io.StringIO()
    folder = tmp_path / "charts"

    paths = ConsoleDelivery(out, files_dir=folder).upload_files("C0ACME", drawn, "Acme: this week")

    assert [Path(p).read_bytes() for p in paths] == [c.png for c in drawn]
    assert all(Path(p).parent == folder for p in paths)
    printed = out.getvalue()
    assert "Acme: this week" in printed and f"Charts saved in {folder}" in printed
    assert all(f"  {p}\n" in printed for p in paths)


def test_upload_files__console_default_folder_and_no_path_escape(
        drawn: list[Chart], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the system's temp folder, for this test
    out = io.StringIO()
    delivery = ConsoleDelivery(out)
    sneaky = Chart("../../escape.png", "t", drawn[0].png)

    [path] = delivery.upload_files("C0ACME", [sneaky], "")

    assert delivery.files_dir is not None and delivery.files_dir.parent == tmp_path
    assert delivery.files_dir.name.startswith("brand-monitor-charts-")
    assert Path(path) == delivery.files_dir / "escape.png"
    assert Path(path).read_bytes() == drawn[0].png
