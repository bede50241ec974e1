"""Feed connector against recorded RSS and Atom documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors._html import html_to_text
from connectors.rss import RssConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import PlatformError, RateLimited, ReplyNotSupported, TemporaryPlatformError
from tests.connectors._support import mock_client

FIXTURES = Path(__file__).parents[1] / "fixtures" / "rss"
ALERTS = "https://www.google.com/alerts/feeds/00000000000000000000/0000000000000000000"
NEWS = "https://news.example.com/business/rss"
Handler = Callable[[httpx.Request], httpx.Response]


def feed(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=(FIXTURES / name).read_bytes(),
                          headers={"Content-Type": "application/xml; charset=utf-8", **headers})


def connector(routes: dict[str, Handler], urls: list[str] | None = None,
              **options: object) -> RssConnector:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes[str(request.url)](request)
    spec = SourceSpec(brand_id="acme", name="news", type="rss", query="", keywords=("Acme",),
                      options={"urls": urls or [ALERTS, NEWS], **options})
    return RssConnector(spec, mock_client(handler),
                        clock=lambda: 1_795_171_200.0)


def test_fetch__first_poll_reads_every_feed() -> None:
    result = connector({
        ALERTS: lambda r: feed("google_alerts.xml", ETag='"alerts-v1"'),
        NEWS: lambda r: feed("news.xml", **{"Last-Modified": "Fri, 20 Nov 2026 09:45:00 GMT"}),
    }).fetch(None)

    assert [m.url for m in result.mentions] == [
        "https://blog.example.org/acme-kettle-review",
        "https://news.example.com/2026/11/rates",
        "https://news.example.com/2026/11/acme-drivers-strike",
        "https://news.example.com/2026/11/undated",  # no pubDate (optional in RSS 2.0): dated by the feed
        "https://news.example.com/2026/11/acme-refund-delays",  # Google's redirect unwrapped
    ]
    alert = result.mentions[-1]
    assert alert.id == "tag:google.com,2013:googlealerts/feed:10000000000000000002"
    assert alert.title == "Acme customers report weeks-long refund delays"
    assert alert.text == ("Several Acme shoppers say refunds promised within five days have "
                          "taken three weeks & counting.")
    assert alert.author_handle == "news.example.com"
    assert alert.published_at == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    strike = result.mentions[2]
    assert strike.text == "Parcels are piling up.\n\nDrivers for Acme walked out on Thursday."
    assert strike.author_name == "Jan Nowak"
    assert strike.lang_hint == "en"
    assert result.skipped == 0  # the undated item is kept
    assert json.loads(result.cursor or "") == {
        ALERTS: {"newest": "2026-11-20T10:05:00+00:00", "etag": '"alerts-v1"', "modified": None},
        NEWS: {"newest": "2026-11-20T09:40:00+00:00", "etag": None,
               "modified": "Fri, 20 Nov 2026 09:45:00 GMT"},
    }


def test_fetch__next_poll_sends_validators_and_returns_only_new_entries() -> None:
    first = connector({ALERTS: lambda r: feed("google_alerts.xml", ETag='"alerts-v1"'),
                       NEWS: lambda r: feed("news.xml", **{"Last-Modified": "Fri, 20 Nov 2026 "
                                                           "09:45:00 GMT"})}).fetch(None)
    seen: list[httpx.Request] = []

    def not_modified(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(304)

    def changed(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return feed("news_next.xml")

    result = connector({ALERTS: not_modified, NEWS: changed}).fetch(first.cursor)

    assert seen[0].headers["If-None-Match"] == '"alerts-v1"'
    assert seen[1].headers["If-Modified-Since"] == "Fri, 20 Nov 2026 09:45:00 GMT"
    assert [m.title for m in result.mentions] == ["Acme apologises for delivery delays"]
    cursor = json.loads(result.cursor or "")
    assert cursor[ALERTS]["etag"] == '"alerts-v1"'  # kept across the 304
    assert cursor[NEWS]["newest"] == "2026-11-20T10:55:00+00:00"


def test_fetch__empty_feed() -> None:
    result = connector({NEWS: lambda r: feed("empty.xml")}, urls=[NEWS]).fetch(None)

    assert result.mentions == []
    assert result.skipped == 0
    assert json.loads(result.cursor or "")[NEWS]["newest"] is None


def test_fetch__require_keyword_drops_entries_without_the_brand() -> None:
    result = connector({NEWS: lambda r: feed("news.xml")}, urls=[NEWS],
                       require_keyword=True).fetch(None)

    assert [m.title for m in result.mentions] == ["Acme delivery drivers strike in the north",
                                                  "An item without a date"]


def test_fetch__rate_limited() -> None:
    c = connector({NEWS: lambda r: httpx.Response(429, headers={"Retry-After": "120"})}, urls=[NEWS])
    with pytest.raises(RateLimited) as caught:
        c.fetch(None)
    assert caught.value.retry_after == 120


def test_fetch__server_error_is_temporary() -> None:
    c = connector({NEWS: lambda r: httpx.Response(502)}, urls=[NEWS])
    with pytest.raises(TemporaryPlatformError):
        c.fetch(None)


def test_fetch__a_refused_feed_is_reported_while_the_others_are_read() -> None:
    result = connector({ALERTS: lambda r: httpx.Response(403, text="Forbidden"),
                        NEWS: lambda r: feed("news.xml")}).fetch(None)

    assert len(result.mentions) == 3
    assert result.blind_spot == (f"1 of 2 feeds unread: {ALERTS} answered HTTP 403; check the "
                                 "address in options.urls")
    assert ALERTS not in json.loads(result.cursor or "")


def test_fetch__every_feed_unreadable_fails_the_source() -> None:
    c = connector({NEWS: lambda r: httpx.Response(200, text=(FIXTURES / "not_a_feed.html")
                                                  .read_text(), headers={"Content-Type": "text/html"})},
                  urls=[NEWS])
    with pytest.raises(PlatformError, match="is not an RSS or Atom feed"):
        c.fetch(None)


def test_options__reject_a_url_that_is_not_one() -> None:
    with pytest.raises(ValueError, match="not a feed address"):
        RssConnector.validate_options({"urls": ["news.example.com/rss"]})


def test_reply__not_supported_in_plain_words() -> None:
    target = ReplyTarget(platform="rss", mention_id="x", url="https://news.example.com/a",
                         author_handle="news.example.com")
    with pytest.raises(ReplyNotSupported) as caught:
        connector({}, urls=[NEWS]).reply(target, "Thanks", "key-1")
    assert "open the post and answer there" in str(caught.value)


def test_html_to_text__keeps_breaks_and_drops_scripts() -> None:
    markup = ("<div><h2>Acme&nbsp;news</h2><script>track()</script><ul><li>one</li>"
              "<li>two &lt;3</li></ul>line\nwrapped<br/>next</div>")
    assert html_to_text(markup) == "Acme news\n\none\n\ntwo <3\n\nline wrapped\nnext"


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Wiadomości</title><language>pl</language>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://news.example.pl/{n}</link>
<guid>https://news.example.pl/{n}</guid><pubDate>Fri, 20 Nov 2026 09:{n:02d}:00 GMT</pubDate>
<description>{text}</description></item>"""


def test_fetch__require_keyword_matches_declined_and_arabic_names_not_substrings() -> None:
    entries = [("Klienci Orbity czekają na zwroty", "Reklamacje rosną."),
               ("Rynek lotniczy", "Pasażerowie skarżą się na SkyLarka."),
               ("اقتصاد", "عملاء للأوربيتا غاضبون"),
               ("Orbitalne ceny", "Nic o marce."),
               ("Kontakt", "Pisz na biuro@orbita.pl")]
    items = "\n".join(ITEM.format(n=n, title=title, text=text)
                      for n, (title, text) in enumerate(entries, 1))
    spec = SourceSpec(brand_id="orbita", name="news", type="rss", query="",
                      keywords=("Orbita", "SkyLark", "أوربيتا"),
                      options={"urls": [NEWS], "require_keyword": True})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=FEED.format(items=items).encode(),
                              headers={"Content-Type": "application/rss+xml"})

    result = RssConnector(spec, mock_client(handler), clock=lambda: 1_795_171_200.0).fetch(None)

    assert [m.url for m in result.mentions] == [f"https://news.example.pl/{n}" for n in (1, 2, 3)]
