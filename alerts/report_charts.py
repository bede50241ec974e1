"""Draw a report's charts as PNGs, for Slack's file upload and the HTML report.

Each chart gets its own `Figure` on a `FigureCanvasAgg`, so nothing here touches pyplot or
matplotlib's global backend. A chart is drawn only when it has something to show: an empty
report gives no chart at all (its text says so), rather than an image that says nothing.

Figures are 960 px wide (4.8 in at 200 dpi) with large type, readable on a phone screen. The
PNGs carry no software or date metadata, so the same report gives the same bytes. Labels go
through `_drawable` first: a character no installed font has (a CJK brand name on a machine
with Latin and Arabic fonts only) becomes "?" instead of a missing-glyph warning per frame, and
`$` is escaped so a brand name cannot switch on mathtext. Arabic and Persian labels are shaped
and ordered by matplotlib's own text layout (libraqm).
"""

from __future__ import annotations

import io
import re
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from zoneinfo import ZoneInfo

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import MaxNLocator

from alerts import messages as msg
from monitor.domain import Category
from monitor.report_model import Chart, ComplianceTable, Report

WIDTH_IN, HEIGHT_IN, DPI = 4.8, 3.6, 200
FONT = 11
TITLE_FONT = 12
MAX_BARS = 12  # compliance rows per chart: more would not read on a phone
MAX_DAY_LABELS = 5
LABEL_WIDTH = 16  # characters a bar's name may take on one line

# Okabe & Ito's palette, told apart by colour-blind readers too.
MENTIONS = "#56B4E9"
COMPLAINTS = "#D55E00"
WITHIN = "#009E73"
LATE = "#E69F00"
UNANSWERED = "#999999"
OPEN = "#0072B2"
OVERDUE = "#CC79A7"
CATEGORY_COLOURS = dict(zip(Category, ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                       "#56B4E9", "#F0E442", "#999999"), strict=True))
EXTRA_COLOUR = "#000000"  # a category the report names but the enum does not

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def charts(report: Report) -> list[Chart]:
    """Draw every chart `report` has data for, in reading order."""
    stem = _stem(report)
    drawn: list[Chart] = []
    for name, draw in _DRAWERS:
        figure = draw(report)
        if figure is not None:
            drawn.append(Chart(f"{stem}-{name}.png", msg.CHART_TITLES[name], _png(figure)))
    return drawn


def _stem(report: Report) -> str:
    brand = _UNSAFE_NAME.sub("-", report.brand_id or "all-brands").strip("-") or "brand"
    first = report.period.start.astimezone(ZoneInfo(report.period.zone)).date()
    return f"{brand}-{first:%Y-%m-%d}"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _figure(height: float = HEIGHT_IN) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=FONT)
    return figure, axes


def _title(figure: Figure, name: str) -> None:
    figure.suptitle(_drawable(msg.CHART_TITLES[name]), fontsize=TITLE_FONT, x=0.02, ha="left")


@cache
def _covered() -> frozenset[int]:
    """Code points the sans-serif font that matplotlib picks can draw."""
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    return frozenset(FT2Font(path).get_charmap())


def _drawable(text: str) -> str:
    """`text` as matplotlib can draw it: unknown glyphs as "?", `$` literal, one line."""
    covered = _covered()
    kept = []
    for ch in " ".join(text.split()):
        if ord(ch) in covered or ch == " " or unicodedata.category(ch) == "Cf":
            kept.append("\\$" if ch == "$" else ch)
        else:
            kept.append("?")
    return "".join(kept)


def _day_axis(axes: Axes, labels: Sequence[str]) -> None:
    step = max(1, -(-len(labels) // MAX_DAY_LABELS))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [labels[i] for i in positions])
    axes.set_xlim(-0.6, len(labels) - 0.4)


def _legend(figure: Figure, columns: int) -> None:
    figure.legend(fontsize=FONT, frameon=False, loc="outside lower center", ncols=columns)


def _volume(report: Report) -> Figure | None:
    days = report.days
    if not any(d.mentions or d.complaints for d in days):
        return None
    figure, axes = _figure()
    x = range(len(days))
    axes.bar([i - 0.2 for i in x], [d.mentions for d in days], 0.4, color=MENTIONS,
             label=msg.CHART_SERIES["mentions"])
    axes.bar([i + 0.2 for i in x], [d.complaints for d in days], 0.4, color=COMPLAINTS,
             label=msg.CHART_SERIES["complaints"])
    _day_axis(axes, [msg.report_day(d.day) for d in days])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _title(figure, "volume")
    _legend(figure, 2)
    return figure


def _compliance(dimension: str) -> Callable[[Report], Figure | None]:
    def draw(report: Report) -> Figure | None:
        table = report.table(dimension)
        return _compliance_chart(table, f"within-{dimension}") if table is not None else None
    return draw


def _compliance_chart(table: ComplianceTable, name: str) -> Figure | None:
    rows = [r for r in table.rows if r.due > 0][:MAX_BARS]
    if not rows:
        return None
    figure, axes = _figure(max(2.4, 1.4 + 0.4 * len(rows)))
    y = list(range(len(rows)))[::-1]  # the table's first row on top
    within = [100 * r.within / r.due for r in rows]
    late = [100 * max(min(r.answered, r.due) - r.within, 0) / r.due for r in rows]
    missed = [100 - w - lt for w, lt in zip(within, late, strict=True)]
    axes.barh(y, within, color=WITHIN, label=msg.CHART_SERIES["within"])
    axes.barh(y, late, left=within, color=LATE, label=msg.CHART_SERIES["late"])
    axes.barh(y, missed, left=[w + lt for w, lt in zip(within, late, strict=True)],
              color=UNANSWERED, label=msg.CHART_SERIES["unanswered"])
    axes.set_yticks(y, [textwrap.fill(_drawable(msg.report_key(table.dimension, r.key)), LABEL_WIDTH)
                        for r in rows])
    for row, at in zip(rows, y, strict=True):
        axes.text(101, at, msg.report_bar_label(row.within, row.due), va="center", fontsize=FONT)
    axes.set_xlim(0, 135)
    axes.set_xticks([0, 25, 50, 75, 100], [msg.report_share(t / 100) for t in (0, 25, 50, 75, 100)])
    _title(figure, name)
    _legend(figure, 3)
    return figure


def _backlog(report: Report) -> Figure | None:
    points = report.backlog
    if not any(p.open or p.overdue for p in points):
        return None
    figure, axes = _figure()
    x = list(range(len(points)))
    axes.plot(x, [p.open for p in points], color=OPEN, linewidth=2.5, marker="o",
              label=msg.CHART_SERIES["open"])
    axes.fill_between(x, [p.overdue for p in points], color=OVERDUE, alpha=0.9,
                      label=msg.CHART_SERIES["overdue"])
    _day_axis(axes, [msg.report_day(p.day) for p in points])
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(msg.CHART_AXES["cases"], fontsize=FONT)
    _title(figure, "backlog")
    _legend(figure, 2)
    return figure


def _categories(report: Report) -> Figure | None:
    days = report.categories
    totals: dict[str, int] = {}
    for day in days:
        for key, count in day.counts.items():
            totals[key] = totals.get(key, 0) + count
    order = sorted((k for k, v in totals.items() if v > 0), key=lambda k: (-totals[k], k))
    if not order:
        return None
    figure, axes = _figure(HEIGHT_IN + 0.25 * len(order))
    x = list(range(len(days)))
    bottom = [0] * len(days)
    for key in order:
        counts = [d.counts.get(key, 0) for d in days]
        colour = CATEGORY_COLOURS.get(Category(key), EXTRA_COLOUR) if key in set(Category) else EXTRA_COLOUR
        axes.bar(x, counts, 0.7, bottom=bottom, color=colour,
                 label=_drawable(msg.report_key("category", key)))
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    _day_axis(axes, [msg.report_day(d.day) for d in days])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _title(figure, "categories")
    _legend(figure, 1)
    return figure


_DRAWERS: tuple[tuple[str, Callable[[Report], Figure | None]], ...] = (
    ("volume", _volume),
    ("within-platform", _compliance("platform")),
    ("within-category", _compliance("category")),
    ("backlog", _backlog),
    ("categories", _categories),
)
