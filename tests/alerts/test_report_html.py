"""The HTML report: every part of the report shown, self-contained, escaped, right to left."""

from __future__ import annotations

import base64
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from alerts import messages as msg
from alerts.report_html import render_html
from monitor.report_model import Chart, Sample
from tests.report_samples import ARABIC, ENGLISH, PERSIAN, POLISH, empty, week

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x03\xc0\x00\x00\x02\xd0" + b"\x00" * 20
CHARTS = (Chart("acme-volume.png", "Mentions and complaints per day", PNG),
          Chart("acme-backlog.png", "Open & overdue", PNG + b"x"))


class Page(HTMLParser):
    """Every start tag with its attributes, and the text inside each `lang` element."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._open: list[dict[str, str | None]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "blockquote":
            self._open.append({**dict(attrs), "text": ""})

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote" and self._open:
            self.text.append(str(self._open[-1]))
            self.tags.append(("/blockquote", self._open.pop()))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open:
            self._open[-1]["text"] = (self._open[-1]["text"] or "") + data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]

    def samples(self) -> dict[str, dict[str, str | None]]:
        return {str(a["text"]).strip(): a for a in self.all("/blockquote")}


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(week(), CHARTS)


def test_render_html__shows_every_part_of_the_report(page: str) -> None:
    text = " ".join(Page(page).text)
    for heading in msg.REPORT_HEADINGS.values():
        assert heading in text
    for label in ("Mon 23 Nov", "Sun 29 Nov", "X", "Reddit", "App Store", "Arabic", "Persian", "Polish",
                  "Late or missing delivery", "Refund, return or cancellation", "Accusation",
                  "U0MAYA", "274", "65", "38 min", "1 h 20 min", "86%", "55%", "100%"):
        assert label in text, label
    assert msg.report_response_times(53, week().response_times.median, week().response_times.p90) in text
    assert msg.report_followups(20, 12, 3) in text
    assert msg.report_feedback(65, 4, 2, week().feedback.precision) in text
    assert msg.report_cause_count(14, 6) in text and msg.report_cause_count(7, 9) in text
    assert "Mon 23 Nov 2026 to Sun 29 Nov 2026 (Europe/Warsaw)" in text
    for sample in (ARABIC, PERSIAN, POLISH):
        assert sample in Page(page).samples()


def test_render_html__charts_inline_with_their_size_and_alt(page: str) -> None:
    images = Page(page).all("img")
    assert [base64.b64decode(str(i["src"]).removeprefix("data:image/png;base64,")) for i in images] == [
        c.png for c in CHARTS]
    assert [i["alt"] for i in images] == [c.title for c in CHARTS]
    assert (images[0]["width"], images[0]["height"]) == ("960", "720")


def test_render_html__self_contained_and_phone_ready(page: str) -> None:
    parsed = Page(page)
    assert not {t for t, _ in parsed.tags} & {"script", "link", "iframe", "object", "embed", "base"}
    for _tag, attrs in parsed.tags:
        assert "style" not in attrs and not any(k.startswith("on") for k in attrs)
        src = attrs.get("src")
        assert src is None or src.startswith("data:image/png;base64,")
    assert "url(" not in page and "@import" not in page
    metas = parsed.all("meta")
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in metas
    policy = next(m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in str(policy) and "img-src data:" in str(policy)
    assert "max-width: 100%; height: auto" in page  # images shrink to the screen
    assert all(a.get("class") == "scroll" for a in parsed.all("div") if a.get("role") == "region")
    assert len([a for a in parsed.all("div") if a.get("role") == "region"]) == 8  # every table scrolls


def test_render_html__right_to_left_samples_and_isolated_names(page: str) -> None:
    samples = Page(page).samples()
    assert (samples[ARABIC]["lang"], samples[ARABIC]["dir"]) == ("ar", "rtl")
    assert (samples[PERSIAN]["lang"], samples[PERSIAN]["dir"]) == ("fa", "rtl")
    assert (samples[POLISH]["lang"], samples[POLISH]["dir"]) == ("pl", "auto")
    assert "<h3><bdi>تأخر</bdi>, <bdi>الطلب</bdi>, <bdi>الهاتف</bdi></h3>" in page
    assert "<th scope=\"row\"><bdi>Arabic</bdi></th>" in page


def test_render_html__unlabelled_arabic_post_still_right_to_left() -> None:
    report = week()
    cause = replace(report.causes[0], samples=(Sample("ACME-9", "@acme " + ARABIC, "", "https://x.com/9"),))
    samples = Page(render_html(replace(report, causes=(cause,)), ())).samples()
    sample = samples["@acme " + ARABIC]
    assert sample["dir"] == "rtl" and "lang" not in sample


def test_render_html__post_and_names_escaped() -> None:
    report = replace(week(brand_name='<img src=x onerror="alert(1)">'), causes=(
        replace(week().causes[2], samples=(Sample("<b>R</b>", "\u202eevil\u202c " + ENGLISH, "en",
                                                  "javascript:alert(1)"),)),))
    page = render_html(report, ())
    assert "<script>" not in page and "<b>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "\u202e" not in page  # a post's bidi override cannot reorder the page
    assert "javascript:" not in page  # not a link: only http(s) URLs are
    assert msg.report_open_post() not in page


def test_render_html__links_to_the_sample_posts(page: str) -> None:
    links = [a["href"] for a in Page(page).all("a")]
    assert links == ["https://x.com/a/status/101", "https://x.com/b/status/117",
                     "https://www.reddit.com/r/acme/130"]
    assert {a["rel"] for a in Page(page).all("a")} == {"noopener noreferrer"}


def test_render_html__causes_drawn_from_recent_complaints_say_so() -> None:
    shown = "".join(Page(render_html(replace(week(), causes_from=40), ())).text)
    assert msg.report_causes_from(40, 65) in shown
    assert "most recent" not in render_html(replace(week(), causes_from=65), ())


def test_render_html__empty_report_says_there_is_nothing() -> None:
    text = " ".join(Page(render_html(empty(), [])).text)
    for sentence in (msg.report_no_charts(), msg.report_no_rows(), msg.report_no_complaints(),
                     msg.report_no_causes(), msg.report_response_times(0, None, None),
                     msg.report_followups(0, 0, 0), msg.report_feedback(0, 0, 0, None)):
        assert sentence in text, sentence


def test_summary_lists_busy_days_and_counts_the_quiet_ones() -> None:
    report = week()
    quiet = replace(report, days=(*report.days, replace(report.days[-1], mentions=0, complaints=0)))
    text = msg.report_summary(quiet, mrkdwn=False)
    assert "(1 other day with no mention)" in text
    assert "other day" not in msg.report_summary(report, mrkdwn=False).split("Open and overdue")[0]
