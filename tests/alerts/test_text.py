"""Escaping, truncation by grapheme, quoting of right-to-left text, links, mentions, dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from alerts import text
from alerts.text import (
    PDI,
    RLI,
    WORD_JOINER,
    date_token,
    escape_mrkdwn,
    graphemes,
    link,
    mention,
    quote,
    safe,
    slack_len,
    to_plain,
    truncate,
)

ATTACKS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C1>",
    "<!subteam^S0123>",
    "<https://evil.example|click>",
    "<mailto:a@b.example|mail>",
]
FAMILY = "👨\u200d👩\u200d👧\u200d👦"
FLAGS = "🇵🇱🇮🇷🇸🇦🇬🇧"
ARABIC = "مُحَمَّدٌ طَلَبِي لَمْ يَصِلْ "
PERSIAN = "می\u200cخواهیم سفارش\u200cهایمان را پیگیری کنیم "


def _splits_on_boundary(original: str, cut: str) -> bool:
    kept = cut.removesuffix(text.ELLIPSIS).rstrip()
    return original.startswith(kept) and (
        graphemes(kept) + graphemes(original[len(kept):]) == graphemes(original)
    )


@pytest.mark.parametrize("attack", ATTACKS)
def test_escape_mrkdwn__no_token_survives(attack: str) -> None:
    escaped = escape_mrkdwn(f"hey {attack} look")
    assert "<" not in escaped
    assert ">" not in escaped
    assert "&lt;" in escaped


def test_escape_mrkdwn__exact_entities() -> None:
    assert escape_mrkdwn("<!channel> & <@U123>") == "&lt;!channel&gt; &amp; &lt;@U123&gt;"


def test_escape_mrkdwn__defuses_bare_broadcast_words() -> None:
    assert escape_mrkdwn("ping @here and @Channel") == (
        f"ping @{WORD_JOINER}here and @{WORD_JOINER}Channel"
    )
    assert escape_mrkdwn("@channels4life") == "@channels4life"


def test_escape_mrkdwn__drops_controls_and_bidi_overrides() -> None:
    escaped = escape_mrkdwn("a\x1b[31mred\x00\r\nnext\u202egnp.exe\u2066x")
    assert escaped == "a[31mred\nnextgnp.exex"


def test_slack_len__counts_utf16_units() -> None:
    assert slack_len("abc") == 3
    assert slack_len("😀") == 2
    assert slack_len("سلام") == 4


def test_truncate__short_text_unchanged() -> None:
    assert truncate("hello", 5) == "hello"


def test_truncate__adds_ellipsis_within_limit() -> None:
    cut = truncate("a" * 200, 10)
    assert cut == "a" * 9 + "…"


def test_truncate__prefers_a_near_space() -> None:
    assert truncate("the quick brown fox jumps", 18) == "the quick brown…"


@pytest.mark.parametrize(
    "sample",
    [FAMILY * 40, FLAGS * 20, "e\u0301" * 100, ARABIC * 10, PERSIAN * 10, "👍🏽" * 50],
    ids=["zwj-family", "flags", "combining", "arabic-harakat", "persian-zwnj", "skin-tone"],
)
def test_truncate__never_splits_a_grapheme(sample: str) -> None:
    for limit in range(2, 80):
        cut = truncate(sample, limit)
        assert slack_len(cut) <= limit
        assert _splits_on_boundary(sample, cut), (limit, cut)


def test_truncate__flags_stay_pairs() -> None:
    cut = truncate(FLAGS * 10, 9)
    assert graphemes(cut.removesuffix("…")) == ["🇵🇱", "🇮🇷"]


@pytest.mark.parametrize(
    "limit",
    [text.SECTION_TEXT, text.FIELD_TEXT, text.HEADER_TEXT, text.BUTTON_TEXT,
     text.BUTTON_VALUE, text.MODAL_TITLE, text.INPUT_MAX_LENGTH, text.PLACEHOLDER],
)
def test_truncate__fills_each_block_limit_exactly(limit: int) -> None:
    assert slack_len(truncate("x" * 5000, limit)) == limit
    assert slack_len(truncate("😀" * 5000, limit)) in (limit, limit - 1)


def test_safe__escaped_form_fits_and_keeps_entities_whole() -> None:
    out = safe("<" * 3000, 100)
    assert slack_len(out) <= 100
    assert re.fullmatch(r"(&lt;)+…", out)


def test_quote__prefixes_every_line_and_escapes() -> None:
    assert quote("hi <!channel>\nsecond") == "> hi &lt;!channel&gt;\n> second"


def test_quote__collapses_blank_runs_and_keeps_quote_going() -> None:
    assert quote("a\n\n\n\nb") == "> a\n>\n> b"


def test_quote__isolates_right_to_left_lines_only() -> None:
    quoted = quote("سلام، سفارشم نرسید!\norder 42 never came\n@Acme طلبي لم يصل بعد!")
    lines = quoted.split("\n")
    assert lines[0] == f"> {RLI}سلام، سفارشم نرسید!{PDI}"
    assert lines[1] == "> order 42 never came"
    assert lines[2] == f"> {RLI}@Acme طلبي لم يصل بعد!{PDI}"


def test_quote__a_posted_isolate_cannot_leak() -> None:
    quoted = quote(f"{RLI}unbalanced\u202e text")
    assert quoted == "> unbalanced text"


def test_quote__right_to_left_reads_right_in_a_left_to_right_view() -> None:
    bidi = pytest.importorskip("bidi")
    line = quote("طلبي لم يصل!")
    shown = bidi.get_display(line, base_dir="L")
    # The sentence's "!" belongs at its left end, as an Arabic reader expects.
    assert shown.index("!") < shown.index("ل")
    naive = bidi.get_display("> طلبي لم يصل!", base_dir="L")
    assert naive.index("!") > naive.index("ل")


def test_quote__fits_the_limit_with_every_line_prefixed() -> None:
    quoted = quote(("word " * 30 + "\n") * 200, 3000)
    assert slack_len(quoted) <= 3000
    assert quoted.endswith("…")
    assert all(line.startswith(">") for line in quoted.split("\n"))


def test_mention__formats_ids_and_escapes_the_rest() -> None:
    assert mention("U0123ABC") == "<@U0123ABC>"
    assert mention("W0123ABC") == "<@W0123ABC>"
    assert mention("S0123ABC") == "<!subteam^S0123ABC>"
    assert mention("C0123ABC") == "<#C0123ABC>"
    assert mention("<!channel>") == "&lt;!channel&gt;"


def test_link__escapes_url_and_label() -> None:
    assert link("https://x.com/a?b=1&c=2", "<!here>") == (
        "<https://x.com/a?b=1&amp;c=2|&lt;!here&gt;>"
    )


def test_link__keeps_the_token_closed() -> None:
    out = link("https://evil.example/a|b>c <x", "label")
    assert out == "<https://evil.example/a%7Cb%3Ec%20%3Cx|label>"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", "", None, "https://" + "a" * 3000])
def test_link__unsafe_url_becomes_plain_label(url: str | None) -> None:
    assert link(url, "Open") == "Open"


def test_date_token__format_and_utc_fallback() -> None:
    at = datetime(2026, 5, 1, 14, 47, tzinfo=timezone(timedelta(hours=2)))
    assert date_token(at) == (
        "<!date^1777639620^{date_short_pretty} {time}|2026-05-01 12:47 UTC>"
    )
    assert datetime.fromtimestamp(1777639620, UTC) == at


def test_to_plain__reads_tokens_back() -> None:
    mrkdwn = (f"{date_token(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))} <@U1AB> "
              "<!subteam^S1AB> <https://x.com|Open> &lt;!channel&gt;")
    assert to_plain(mrkdwn) == (
        "2026-05-01 12:00 UTC @U1AB @S1AB Open (https://x.com) <!channel>"
    )
