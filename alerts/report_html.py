"""Render a report as one self-contained HTML page: charts inline, CSS inline, nothing fetched.

The page reads on a phone (viewport, images that shrink to the screen, wide tables that
scroll sideways on their own) and keeps right-to-left posts right: each sample carries its
`lang` and `dir`, and every name that came from outside (a brand, a platform, a responder, a
cause's words) sits in a `<bdi>` so an Arabic word cannot reorder the numbers beside it. Every
text from a post or the config is escaped, after dropping control characters and bidi
overrides; a Content-Security-Policy forbids any script and any fetch but the inline images.
Words come from `alerts.messages`.
"""

from __future__ import annotations

import base64
import html
import re
import struct
from collections.abc import Iterable, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from alerts import messages as msg
from alerts.text import clean, is_rtl, safe_url, truncate
from monitor.report_model import Approvals, Cause, Chart, ComplianceTable, Report, Sample

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "sd", "ug", "yi", "dv"})
SAMPLE_LIMIT = 1200  # characters of a post shown as a sample
_LANG_TAG = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NUMERIC = ' class="n"'

POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5b5b60; --line: #dcdce0; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.5 system-ui, -apple-system,
  "Segoe UI", Roboto, "Noto Sans", "Noto Naskh Arabic", Tahoma, "DejaVu Sans", sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; overflow-wrap: anywhere; }
header p { margin: .2rem 0; }
.muted, figcaption { color: var(--muted); font-size: .9rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .5rem; margin: 0; }
.figures div { border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .75rem; }
.figures dt { color: var(--muted); font-size: .85rem; }
.figures dd { margin: 0; font-size: 1.4rem; font-weight: 600; }
figure { margin: 1rem 0; }
img { display: block; max-width: 100%; height: auto; }
.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; min-width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: start;
  white-space: nowrap; }
thead th { border-bottom: 2px solid var(--line); }
.n { text-align: end; }
blockquote { margin: 0; padding: .5rem .75rem; border-inline-start: 4px solid var(--accent);
  background: #f4f6f8; white-space: pre-line; overflow-wrap: anywhere; }
a { color: #0b57d0; }
"""


def render_html(report: Report, charts: Sequence[Chart]) -> str:
    """Render `report` and its `charts` as a complete HTML document."""
    sections = (
        _section("summary", _summary(report)),
        _section("charts", _charts(charts)),
        _section("days", _days(report)),
        _section("compliance", "".join(_compliance(t) for t in report.compliance)
                 or _p(msg.report_no_rows())),
        _section("response", _p(msg.report_response_times(
            report.response_times.answered, report.response_times.median, report.response_times.p90))),
        _section("backlog", _backlog(report)),
        _section("categories", _categories(report)),
        _section("causes", _causes(report)),
        _section("followups", _p(msg.report_followups(
            report.followups.asked, report.followups.satisfied, report.followups.unsatisfied))),
        _section("feedback", _p(msg.report_feedback(
            report.feedback.alerted, report.feedback.not_complaint, report.feedback.flagged,
            report.feedback.precision))),
        *([_approvals(report.approvals)] if report.approvals else []),
    )
    return "".join((
        '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{_e(msg.report_page_title(report.brand_name))}</title>\n",
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        _header(report), *sections,
        "</main>\n</body>\n</html>\n",
    ))


def _e(text: str) -> str:
    """Escape `text` for HTML, after dropping control characters and bidi overrides."""
    return html.escape(clean(text), quote=True)


def _bdi(text: str) -> str:
    return f"<bdi>{_e(text)}</bdi>"


def _p(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{_e(text)}</p>\n' if cls else f"<p>{_e(text)}</p>\n"


def _section(key: str, body: str) -> str:
    return (f'<section id="{key}" aria-labelledby="h-{key}">\n'
            f'<h2 id="h-{key}">{_e(msg.REPORT_HEADINGS[key])}</h2>\n{body}</section>\n')


def _header(report: Report) -> str:
    zone = ZoneInfo(report.period.zone)
    first = report.period.start.astimezone(zone).date()
    last = max((report.period.end - timedelta(microseconds=1)).astimezone(zone).date(), first)
    made = report.generated_at.astimezone(zone)
    return (f"<header>\n<h1>{_bdi(report.brand_name)}</h1>\n{_p(msg.report_heading())}"
            f"{_p(msg.report_period(first, last, report.period.zone))}"
            f"{_p(msg.report_generated(made, report.period.zone), 'muted')}</header>\n")


def _summary(report: Report) -> str:
    times = report.response_times
    figures = (
        ("mentions", str(report.mentions)), ("complaints", str(report.complaints)),
        ("open_now", str(report.open_now)), ("overdue_now", str(report.overdue_now)),
        ("median", msg.report_duration(times.median)), ("p90", msg.report_duration(times.p90)),
    )
    tiles = "".join(f"<div><dt>{_e(msg.REPORT_FIGURES[k])}</dt><dd>{_e(v)}</dd></div>"
                    for k, v in figures)
    return f'<dl class="figures">{tiles}</dl>\n'


def _png_size(png: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header, so the page keeps its layout while it decodes."""
    if len(png) < 24 or not png.startswith(_PNG_SIGNATURE):
        return None
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _charts(charts: Sequence[Chart]) -> str:
    if not charts:
        return _p(msg.report_no_charts())
    parts = []
    for chart in charts:
        size = _png_size(chart.png)
        dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(f'<figure class="chart"><img src="data:image/png;base64,{data}" '
                     f'alt="{_e(chart.title)}"{dims}></figure>\n')
    return "".join(parts)


def _table(label: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table that scrolls sideways by itself; cells are HTML already, the first a row header.
    Headers after the first hold numbers and align like them."""
    head = "".join(f'<th scope="col"{"" if i == 0 else NUMERIC}>{_e(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<th scope="row">{c}</th>' if i == 0 else f'<td class="n">{c}</td>'
                         for i, c in enumerate(row)) + "</tr>\n"
        for row in rows)
    return (f'<div class="scroll" role="region" tabindex="0" aria-label="{_e(label)}">\n<table>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n</div>\n")


def _days(report: Report) -> str:
    if not report.days:
        return _p(msg.report_no_days())
    c = msg.REPORT_COLUMNS
    return _table(msg.REPORT_HEADINGS["days"], (c["day"], c["mentions"], c["complaints"]),
                  ((_e(msg.report_weekday(d.day)), str(d.mentions), str(d.complaints))
                   for d in report.days))


def _compliance(table: ComplianceTable) -> str:
    title = msg.REPORT_DIMENSIONS.get(table.dimension, table.dimension)
    heading = f"<h3>{_e(title)}</h3>\n"
    if not table.rows:
        return heading + _p(msg.report_no_rows())
    c = msg.REPORT_COLUMNS
    headers = (title, c["complaints"], c["due"], c["answered"], c["within"], c["share"])
    rows = ((_bdi(msg.report_key(table.dimension, r.key)), str(r.complaints), str(r.due),
             str(r.answered), str(r.within), _e(msg.report_share(r.share_within)))
            for r in table.rows)
    return heading + _table(title, headers, rows)


def _approvals(approvals: Approvals) -> str:
    """What became of the period's proposed replies: one row per outcome, then the median."""
    rows = [(_e(label), _e(msg.report_duration(getattr(approvals, key))) if key == "median_decision"
             else str(getattr(approvals, key))) for key, label in msg.REPORT_APPROVAL_ROWS.items()]
    title = msg.REPORT_APPROVALS_HEADING
    return (f'<section id="approvals" aria-labelledby="h-approvals">\n'
            f'<h2 id="h-approvals">{_e(title)}</h2>\n{_p(msg.report_approvals(approvals))}'
            f'{_table(title, (msg.REPORT_APPROVALS_COLUMN, msg.REPORT_COLUMNS["total"]), rows)}</section>\n')


def _backlog(report: Report) -> str:
    if not report.backlog:
        return _p(msg.report_no_days())
    c = msg.REPORT_COLUMNS
    return _table(msg.REPORT_HEADINGS["backlog"], (c["day"], c["open"], c["overdue"]),
                  ((_e(msg.report_weekday(p.day)), str(p.open), str(p.overdue))
                   for p in report.backlog))


def _categories(report: Report) -> str:
    totals: dict[str, int] = {}
    for day in report.categories:
        for key, count in day.counts.items():
            totals[key] = totals.get(key, 0) + count
    keys = sorted((k for k, v in totals.items() if v > 0), key=lambda k: (-totals[k], k))
    if not keys:
        return _p(msg.report_no_complaints())
    c = msg.REPORT_COLUMNS
    headers = (c["day"], *(msg.report_key("category", k) for k in keys), c["total"])
    rows = [(_e(msg.report_weekday(d.day)), *(str(d.counts.get(k, 0)) for k in keys),
             str(sum(d.counts.get(k, 0) for k in keys))) for d in report.categories]
    rows.append((_e(c["total"]), *(str(totals[k]) for k in keys), str(sum(totals[k] for k in keys))))
    return _table(msg.REPORT_HEADINGS["categories"], headers, rows)


def _causes(report: Report) -> str:
    if not report.causes:
        return _p(msg.report_no_causes())
    note = (_p(msg.report_causes_from(report.causes_from, report.complaints), "muted")
            if 0 < report.causes_from < report.complaints else "")
    return note + "".join(_cause(c) for c in report.causes)


def _cause(cause: Cause) -> str:
    words = ", ".join(_bdi(w) for w in cause.words) or _e(msg.report_cause_title(()))
    return (f'<article class="cause">\n<h3>{words}</h3>\n'
            f"{_p(msg.report_cause_count(cause.count, cause.previous))}"
            f"{_p(msg.report_cause_category(cause.category), 'muted')}"
            + "".join(_sample(s) for s in cause.samples) + "</article>\n")


def _direction(sample: Sample) -> str:
    if sample.lang.split("-")[0].lower() in RTL_LANGUAGES or is_rtl(sample.text):
        return "rtl"
    return "auto"


def _sample(sample: Sample) -> str:
    lang = f' lang="{_e(sample.lang)}"' if _LANG_TAG.match(sample.lang) else ""
    text = truncate(clean(sample.text).strip(), SAMPLE_LIMIT)
    url = safe_url(sample.url)
    where = (f' · <a href="{_e(url)}" rel="noopener noreferrer">{_e(msg.report_open_post())}</a>'
             if url else "")
    return (f'<figure class="sample">\n<blockquote{lang} dir="{_direction(sample)}">{_e(text)}'
            f"</blockquote>\n<figcaption>{_bdi(sample.reference)}{where}</figcaption>\n</figure>\n")
