"""The report's charts: which are drawn, their size, their colours, and labels in any script."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import pytest
from PIL import Image

from alerts import report_charts
from alerts.report_charts import COMPLAINTS, DPI, MAX_BARS, MENTIONS, WIDTH_IN, WITHIN, charts
from monitor.report_model import Chart, Compliance, ComplianceTable, DayCount, Report
from tests.report_samples import FIRST_DAY, empty, week


def _image(chart: Chart) -> Image.Image:
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(chart.png)).convert("RGB")


def _has(image: Image.Image, colour: str, at_least: int = 500) -> bool:
    target = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(n for n, rgb in image.getcolors(maxcolors=1 << 20) or []
               if all(abs(a - b) <= 6 for a, b in zip(rgb, target, strict=True))) >= at_least


@pytest.fixture(scope="module")
def drawn() -> list[Chart]:
    return charts(week())


def test_charts__a_full_week_draws_every_chart_in_order(drawn: list[Chart]) -> None:
    assert [c.filename for c in drawn] == [
        "acme-2026-11-23-volume.png", "acme-2026-11-23-within-platform.png",
        "acme-2026-11-23-within-category.png", "acme-2026-11-23-backlog.png",
        "acme-2026-11-23-categories.png"]
    assert all(c.title for c in drawn)


def test_charts__phone_sized_and_not_blank(drawn: list[Chart]) -> None:
    for chart in drawn:
        image = _image(chart)
        assert image.width == round(WIDTH_IN * DPI) == 960
        assert 400 <= image.height <= 1400
        assert len(image.getcolors(maxcolors=1 << 20) or []) > 20, chart.filename


def test_charts__series_in_their_colours(drawn: list[Chart]) -> None:
    volume, platform = _image(drawn[0]), _image(drawn[1])
    assert _has(volume, MENTIONS) and _has(volume, COMPLAINTS)
    assert _has(platform, WITHIN) and not _has(platform, MENTIONS)


def test_charts__same_report_same_bytes(drawn: list[Chart]) -> None:
    assert [c.png for c in charts(week())] == [c.png for c in drawn]


def test_charts__empty_report_draws_none() -> None:
    assert charts(empty()) == []


def test_charts__only_what_has_data() -> None:
    quiet = replace(empty(), days=(DayCount(FIRST_DAY, 5, 0),), mentions=5)
    assert [c.filename.rsplit("-", 1)[-1] for c in charts(quiet)] == ["volume.png"]


def test_charts__compliance_bars_are_bounded(drawn: list[Chart]) -> None:
    many = tuple(Compliance(f"p{i}", 3, 2, 2, 1) for i in range(MAX_BARS + 10))
    report = replace(week(), compliance=(ComplianceTable("platform", many),))
    platform = next(c for c in charts(report) if c.filename.endswith("within-platform.png"))
    few = _image(drawn[1]).height
    assert few < _image(platform).height <= few + round(0.4 * DPI * MAX_BARS)


def test_charts__labels_in_any_script_draw_without_warnings() -> None:
    table = ComplianceTable("platform", (Compliance("微博", 3, 3, 2, 2), Compliance("توییتر", 2, 2, 2, 1),
                                         Compliance("Ca$h $tore", 2, 2, 1, 1)))
    report: Report = replace(week(brand_id="../مقهى/ acme"), compliance=(table,))
    report = replace(report, categories=tuple(replace(d, counts={"تأخير": 2, "zwrot": 1})
                                              for d in report.categories))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = charts(report)
    assert len(drawn) == 4
    assert all(c.filename.startswith("acme-2026-11-23-") for c in drawn)  # no path or odd letters


def test_drawable__keeps_arabic_and_polish_replaces_what_no_font_has() -> None:
    assert report_charts._drawable("تأخير  التوصيل\n") == "تأخير التوصيل"
    assert report_charts._drawable("Zażółć") == "Zażółć"
    assert report_charts._drawable("微博 a$b") == "?? a\\$b"
