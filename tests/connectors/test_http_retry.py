"""Short retries inside one poll, in the shared httpx helper (connectors._http)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
import stamina

from connectors import _http
from connectors.hackernews import HackerNewsConnector
from connectors.rss import RssConnector
from monitor.domain import SourceSpec
from monitor.errors import PlatformError, RateLimited, TemporaryPlatformError
from tests.connectors._support import FIXTURES, Recorded, mock_client, recorder

RECORDED = Recorded("hackernews")
NOW = 1_795_171_200.0


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    """stamina's testing mode: no backoff sleeps; cap=True keeps the policy's own attempts."""
    with stamina.set_testing(True, attempts=10, cap=True):
        yield


def hackernews(handler: Callable[[httpx.Request], httpx.Response]) -> HackerNewsConnector:
    spec = SourceSpec(brand_id="acme", name="hn", type="hackernews", query="acme",
                      keywords=("Acme",), own_handles=("acme_support",))
    return HackerNewsConnector(spec, mock_client(handler), clock=lambda: NOW)


def page() -> httpx.Response:
    return RECORDED.ok("search_page0.json")


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def dropped(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection reset by peer", request=request)


def test_a_503_then_200_succeeds_in_one_fetch() -> None:
    seen: list[httpx.Request] = []

    result = hackernews(recorder(seen, httpx.Response(503, text="unavailable"), page())).fetch(None)

    assert len(seen) == 2
    assert [m.id for m in result.mentions] == ["41000050", "41000123"]


def test_a_timeout_and_a_dropped_connection_then_200_succeed_in_one_fetch() -> None:
    seen: list[httpx.Request] = []
    answers: list[Callable[[httpx.Request], httpx.Response]] = [
        timed_out, dropped, lambda r: page()]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)(request)

    result = hackernews(handler).fetch(None)

    assert len(seen) == 3
    assert len(result.mentions) == 2


def test_three_503_raise_temporary_platform_error() -> None:
    seen: list[httpx.Request] = []
    failing = [httpx.Response(503, text="unavailable") for _ in range(3)]

    with pytest.raises(TemporaryPlatformError, match="HTTP 503") as caught:
        hackernews(recorder(seen, *failing)).fetch(None)

    assert not isinstance(caught.value, RateLimited)
    assert len(seen) == 3  # the policy's three attempts, no more


def test_three_timeouts_raise_temporary_platform_error() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return timed_out(request)

    with pytest.raises(TemporaryPlatformError, match="did not answer in time"):
        hackernews(handler).fetch(None)
    assert len(seen) == 3


def test_a_400_is_not_retried() -> None:
    seen: list[httpx.Request] = []
    refused = httpx.Response(400, json={"message": "invalid numericFilters"})

    with pytest.raises(PlatformError) as caught:
        hackernews(recorder(seen, refused, page())).fetch(None)

    assert not isinstance(caught.value, TemporaryPlatformError)
    assert len(seen) == 1


def test_a_429_is_not_retried_and_keeps_the_platform_reset() -> None:
    seen: list[httpx.Request] = []
    limited = httpx.Response(429, headers={"Retry-After": "30"}, json={"message": "slow down"})

    with pytest.raises(RateLimited) as caught:
        hackernews(recorder(seen, limited, page())).fetch(None)

    assert caught.value.retry_after == 30
    assert len(seen) == 1


def test_feeds_are_retried_too() -> None:
    seen: list[httpx.Request] = []
    news = httpx.Response(200, content=(FIXTURES / "rss" / "news_next.xml").read_bytes(),
                          headers={"Content-Type": "application/xml"})
    spec = SourceSpec(brand_id="acme", name="news", type="rss", query="",
                      options={"urls": ["https://news.example.com/business/rss"]})
    connector = RssConnector(spec, mock_client(recorder(seen, httpx.Response(502), news)),
                             clock=lambda: NOW)

    result = connector.fetch(None)

    assert len(seen) == 2
    assert result.blind_spot == RssConnector.blind_spot  # the feed was read, not reported
    assert len(result.mentions) == 2


def test_the_policy_sets_attempts_and_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside testing mode: the configured policy is what runs (here, no waits at all)."""
    monkeypatch.setattr(_http, "RETRY", _http.RetryPolicy(attempts=2, wait_initial=0,
                                                          wait_max=0, wait_jitter=0))
    seen: list[httpx.Request] = []
    with stamina.set_testing(False), pytest.raises(TemporaryPlatformError):
        hackernews(recorder(seen, *[httpx.Response(500) for _ in range(3)])).fetch(None)
    assert len(seen) == 2

    monkeypatch.setattr(_http, "RETRY", _http.RetryPolicy(attempts=1))
    seen.clear()
    with stamina.set_testing(False), pytest.raises(TemporaryPlatformError):
        hackernews(recorder(seen, httpx.Response(500), page())).fetch(None)
    assert len(seen) == 1

    with pytest.raises(ValueError, match="at least once"):
        _http.RetryPolicy(attempts=0)


def test_send_tries_a_reply_once_but_retries_a_read_when_asked() -> None:
    seen: list[httpx.Request] = []
    client = mock_client(recorder(seen, httpx.Response(503), httpx.Response(201)))

    posted = _http.send(client, "trustpilot", "Trustpilot", "POST", "https://api.example/r",
                        json={"message": "Sorry"})

    assert posted.status_code == 503  # handed back as it came: it may have been published
    assert len(seen) == 1

    seen.clear()
    client = mock_client(recorder(seen, httpx.Response(503), httpx.Response(200, json={})))
    read = _http.send(client, "trustpilot", "Trustpilot", "GET", "https://api.example/r",
                      retry=_http.RETRY)
    assert read.status_code == 200
    assert len(seen) == 2

    seen.clear()
    client = mock_client(recorder(seen, *[httpx.Response(502) for _ in range(3)]))
    last = _http.send(client, "trustpilot", "Trustpilot", "GET", "https://api.example/r",
                      retry=_http.RETRY)
    assert last.status_code == 502  # the last answer comes back for the caller to explain
    assert len(seen) == 3
