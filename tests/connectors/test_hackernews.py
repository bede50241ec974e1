"""Hacker News connector against recorded HN Search (Algolia) responses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from connectors._http import retry_after
from connectors.hackernews import HackerNewsConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import PlatformError, RateLimited, ReplyNotSupported, TemporaryPlatformError
from tests.connectors._support import Recorded, mock_client

RECORDED = Recorded("hackernews")
NOW = 1_795_171_200.0


fixture = RECORDED.json


def connector(handler: Callable[[httpx.Request], httpx.Response],
              **options: object) -> HackerNewsConnector:
    spec = SourceSpec(brand_id="acme", name="hn", type="hackernews", query="acme",
                      keywords=("Acme",), own_handles=("acme_support",), options=options)
    return HackerNewsConnector(spec, mock_client(handler), clock=lambda: NOW)


def pages(requests: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        page = request.url.params.get("page")
        return httpx.Response(200, json=fixture(f"search_page{page}.json"))
    return handler


def test_fetch__first_page_without_cursor_reads_only_the_newest_page() -> None:
    seen: list[httpx.Request] = []
    result = connector(pages(seen)).fetch(None)

    assert len(seen) == 1
    params = seen[0].url.params
    assert seen[0].url.path == "/api/v1/search_by_date"
    assert params["query"] == "acme"
    assert params["tags"] == "(story,comment)"
    assert params["page"] == "0"
    assert "numericFilters" not in params
    assert [m.id for m in result.mentions] == ["41000050", "41000123"]  # oldest first
    story, comment = result.mentions
    assert story.kind == "story"
    assert story.title == "Ask HN: Anyone else locked out of Acme accounts?"
    assert story.text == "Since the app update yesterday I cannot log in.\nPassword reset mails never arrive."
    assert comment.kind == "comment"
    assert comment.text == ('Third week waiting for my Acme refund.\n\nSupport keeps closing the '
                            'ticket without an answer & the order page still says "processing".')
    assert comment.url == "https://news.ycombinator.com/item?id=41000123"
    assert comment.author_handle == "tpaulsen"
    assert comment.conversation_id == "41000050"
    assert comment.in_reply_to_id == "41000050"
    assert comment.published_at == datetime(2026, 11, 20, 10, 31, 5, tzinfo=UTC)
    assert result.cursor == "1795170665"  # the brand's own comment is skipped, not the cursor


def test_fetch__with_cursor_follows_pages_and_skips_malformed_items() -> None:
    seen: list[httpx.Request] = []
    result = connector(pages(seen)).fetch("1795168000")

    assert [r.url.params["page"] for r in seen] == ["0", "1"]
    assert {r.url.params["numericFilters"] for r in seen} == {"created_at_i>1795168000"}
    assert [m.id for m in result.mentions] == ["41000010", "41000050", "41000123"]
    assert result.mentions[0].text == "https://news.example.com/acme-prices"
    assert result.skipped == 1
    assert result.cursor == "1795170665"
    assert result.blind_spot is None


def test_fetch__stops_at_max_pages_and_says_what_it_missed() -> None:
    result = connector(pages([]), max_pages=1).fetch("1795168000")

    assert [m.id for m in result.mentions] == ["41000050", "41000123"]
    assert result.blind_spot is not None
    assert "max_pages" in result.blind_spot


def test_fetch__empty_keeps_the_cursor() -> None:
    result = connector(lambda r: httpx.Response(200, json=fixture("search_empty.json"))
                       ).fetch("1795170665")

    assert result.mentions == []
    assert result.cursor == "1795170665"
    assert result.skipped == 0


def test_fetch__rate_limited() -> None:
    c = connector(lambda r: httpx.Response(429, headers={"Retry-After": "30"},
                                           json={"message": "Too many requests"}))
    with pytest.raises(RateLimited) as caught:
        c.fetch("1795170665")
    assert caught.value.retry_after == 30


def test_fetch__server_error_and_timeout_are_temporary() -> None:
    with pytest.raises(TemporaryPlatformError, match="will try again"):
        connector(lambda r: httpx.Response(503, text="unavailable")).fetch(None)

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)
    with pytest.raises(TemporaryPlatformError, match="did not answer in time"):
        connector(timeout).fetch(None)


def test_fetch__refused_query_says_so() -> None:
    c = connector(lambda r: httpx.Response(400, json={"message": "invalid numericFilters"}))
    with pytest.raises(PlatformError, match="refused the query"):
        c.fetch(None)


def test_needs_no_credentials() -> None:
    assert HackerNewsConnector.credentials == ()
    assert HackerNewsConnector.optional_credentials == ()
    assert HackerNewsConnector.can_reply is False


def test_reply__not_supported_in_plain_words() -> None:
    target = ReplyTarget(platform="hackernews", mention_id="41000123",
                         url="https://news.ycombinator.com/item?id=41000123",
                         author_handle="tpaulsen")
    with pytest.raises(ReplyNotSupported) as caught:
        connector(pages([])).reply(target, "Sorry to hear that", "key-1")
    assert "open the post and answer there" in str(caught.value)


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "30"}, 30),
    ({"Retry-After": "Fri, 20 Nov 2026 10:42:00 GMT"}, 120),
    ({"X-RateLimit-Reset": "2026-11-20T10:41:00.000Z"}, 60),
    ({"ratelimit-reset": str(int(NOW) + 90)}, 90),
    ({"RateLimit-Reset": "15"}, 15),
    ({"Retry-After": "soon"}, None),
    ({}, None),
])
def test_retry_after__reads_every_header_form(headers: dict[str, str], wait: float | None) -> None:
    assert retry_after(headers, NOW) == wait
