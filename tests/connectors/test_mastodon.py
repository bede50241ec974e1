"""Mastodon connector: the real Mastodon.py client over recorded API responses."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from responses import matchers

import connectors.mastodon as mastodon_module
from connectors.mastodon import MastodonConnector
from monitor.domain import Mention, ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)
from tests.connectors._support import Recorded

RECORDED = Recorded("mastodon")
FIXTURES = RECORDED.folder
HOME = "https://mastodon.social"
OTHER = "https://fosstodon.org"
SEARCH = f"{HOME}/api/v2/search"
TOKEN = "PLACEHOLDER-ACCESS-TOKEN"


fixture = RECORDED.json


def connector(token: str | None = TOKEN, **options: Any) -> MastodonConnector:
    spec = SourceSpec(brand_id="acme", name="mastodon", type="mastodon", query="acme",
                      keywords=("Acme",), own_handles=("acme",),
                      options={"servers": [HOME, OTHER], "hashtags": ["acme"], **options},
                      credentials={"access_token": token} if token else {})
    return MastodonConnector(spec)


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three statuses make a full page, so the recorded pages can be short."""
    monkeypatch.setattr(mastodon_module, "PAGE", 3)


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(call.request.url.partition("?")[2])


@pytest.mark.usefixtures("small_pages")
def test_fetch__first_poll_reads_one_page_of_each_feed(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_page1.json"))
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])
    api.get(f"{OTHER}/api/v1/timelines/tag/acme", json=fixture("hashtag_fosstodon.json"))

    result = connector().fetch(None)

    search = next(c for c in api.calls if c.request.url.startswith(SEARCH))
    assert query(search) == {"q": ["acme"], "type": ["statuses"], "limit": ["3"]}
    assert search.request.headers["Authorization"] == f"Bearer {TOKEN}"
    other = next(c for c in api.calls if c.request.url.startswith(OTHER))
    assert "Authorization" not in other.request.headers  # the token stays on its home server
    assert "min_id" not in query(other)
    assert [m.author_handle for m in result.mentions] == [
        "jan@fosstodon.org", "omar@mastodon.social", "ewa@mastodon.social", "marta@fosstodon.org"]
    jan, omar, ewa, marta = result.mentions
    assert ewa.id == "https://mastodon.social/users/ewa/statuses/113500000000000030"
    assert ewa.text == ("Still no refund from @acme after three weeks.\n\n"
                        "Order 4411 & counting.\nAnyone else?")
    assert ewa.url == "https://mastodon.social/@ewa/113500000000000030"
    assert ewa.author_followers == 143
    assert ewa.extra == {"server": HOME, "id": "113500000000000030", "uri": ewa.id}
    assert omar.kind == "reply"
    assert omar.edited_at is not None
    assert jan.title == "product rant"
    assert jan.extra["server"] == OTHER  # the hashtag copy and the search copy are one mention
    assert marta.lang_hint == "pl"
    assert result.blind_spot == MastodonConnector.blind_spot
    assert json.loads(result.cursor or "") == {
        HOME: {"search": "113500000000000030"},
        OTHER: {"#acme": "113499000000000790"},
    }


@pytest.mark.usefixtures("small_pages")
def test_fetch__next_poll_pages_from_the_cursor_and_skips_malformed(api: Any) -> None:
    cursor = json.dumps({HOME: {"search": "113500000000000010", "#acme": "113500000000000010"},
                         OTHER: {"#acme": "113499000000000700"}})
    api.get(SEARCH, match=[matchers.query_param_matcher(
        {"q": "acme", "type": "statuses", "limit": "3", "min_id": "113500000000000010"})],
        json=fixture("search_page1.json"))
    api.get(SEARCH, match=[matchers.query_param_matcher(
        {"q": "acme", "type": "statuses", "limit": "3", "min_id": "113500000000000010",
         "offset": "3"})], json=fixture("search_page2.json"))
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])
    api.get(f"{OTHER}/api/v1/timelines/tag/acme", json=fixture("hashtag_fosstodon.json"))

    result = connector().fetch(cursor)

    assert len([c for c in api.calls if c.request.url.startswith(SEARCH)]) == 2
    assert query(api.calls[-1])["min_id"] == ["113499000000000700"]
    assert [m.author_handle for m in result.mentions] == [
        "jan@fosstodon.org", "omar@mastodon.social", "ewa@mastodon.social", "marta@fosstodon.org"]
    assert result.skipped == 1
    state = json.loads(result.cursor or "")
    assert state[HOME] == {"search": "113500000000000030", "#acme": "113500000000000010"}


@pytest.mark.usefixtures("small_pages")
def test_fetch__hashtag_pages_climb_from_the_cursor(api: Any) -> None:
    tag = f"{HOME}/api/v1/timelines/tag/acme"
    api.get(tag, match=[matchers.query_param_matcher({"min_id": "113500000000000010",
                                                      "limit": "3"})],
            json=fixture("search_page1.json")["statuses"])
    api.get(tag, match=[matchers.query_param_matcher({"min_id": "113500000000000030",
                                                      "limit": "3"})], json=[])
    api.get(f"{OTHER}/api/v1/timelines/tag/acme", json=[])

    result = connector(token=None).fetch(json.dumps({HOME: {"#acme": "113500000000000010"}}))

    assert len([c for c in api.calls if c.request.url.startswith(tag)]) == 2
    assert json.loads(result.cursor or "")[HOME] == {"#acme": "113500000000000030"}


@pytest.mark.usefixtures("small_pages")
def test_fetch__search_beyond_max_pages_is_reported(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_page1.json"))
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])
    api.get(f"{OTHER}/api/v1/timelines/tag/acme", json=[])

    result = connector(max_pages=1).fetch(json.dumps({HOME: {"search": "1"}}))

    assert "max_pages" in (result.blind_spot or "")


def test_fetch__empty_keeps_the_cursor(api: Any) -> None:
    cursor = json.dumps({HOME: {"#acme": "113500000000000030", "search": "113500000000000030"},
                         OTHER: {"#acme": "113499000000000790"}}, sort_keys=True)
    api.get(SEARCH, json=fixture("search_empty.json"))
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])
    api.get(f"{OTHER}/api/v1/timelines/tag/acme", json=[])

    result = connector().fetch(cursor)

    assert result.mentions == []
    assert result.skipped == 0
    assert result.cursor == cursor


def test_fetch__without_token_reads_hashtags_only_and_says_so(api: Any) -> None:
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])
    api.get(f"{OTHER}/api/v1/timelines/tag/acme", json=fixture("hashtag_fosstodon.json"))

    result = connector(token=None).fetch(None)

    assert not [c for c in api.calls if c.request.url.startswith(SEARCH)]
    assert len(result.mentions) == 2
    assert "search is off" in (result.blind_spot or "")


def test_fetch__rate_limited(api: Any) -> None:
    api.get(SEARCH, status=429, json={"error": "Too many requests"}, headers={
        "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-11-20T10:35:00.000Z", "Date": "Fri, 20 Nov 2026 10:33:00 GMT"})
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])

    with pytest.raises(RateLimited) as caught:
        connector().fetch(None)
    assert caught.value.retry_after == pytest.approx(120, abs=5)


def test_fetch__expired_token_names_the_credential(api: Any) -> None:
    api.get(f"{HOME}/api/v1/timelines/tag/acme", json=[])
    api.get(SEARCH, status=401, json={"error": "The access token is invalid"})

    with pytest.raises(AuthError) as caught:
        connector().fetch(None)
    message = str(caught.value)
    assert "The access token is invalid" in message
    assert "credentials.access_token" in message
    assert HOME in message


def test_fetch__server_error_is_temporary(api: Any) -> None:
    api.get(f"{HOME}/api/v1/timelines/tag/acme", status=503, body="Service Unavailable")

    with pytest.raises(TemporaryPlatformError, match="will try again"):
        connector().fetch(None)


def target(server: str = HOME, **extra: str) -> ReplyTarget:
    uri = "https://mastodon.social/users/ewa/statuses/113500000000000030"
    return ReplyTarget(platform="mastodon", mention_id=uri,
                       url="https://mastodon.social/@ewa/113500000000000030",
                       author_handle="ewa@mastodon.social",
                       extra={"server": server, "id": "113500000000000030", "uri": uri, **extra})


def test_reply__lands_on_the_post_with_the_idempotency_key(api: Any) -> None:
    api.post(f"{HOME}/api/v1/statuses", json=fixture("status_posted.json"))

    result = connector().reply(target(), "We are sorry. Please send us your order number.",
                               "case-17-reply-1")

    sent = api.calls[-1].request
    assert sent.headers["Idempotency-Key"] == "case-17-reply-1"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    body = parse_qs(sent.body if isinstance(sent.body, str) else sent.body.decode())
    assert body["in_reply_to_id"] == ["113500000000000030"]
    assert body["status"] == ["@ewa@mastodon.social We are sorry. Please send us your order number."]
    assert result.id == "https://mastodon.social/users/acme/statuses/113500000000000044"
    assert result.url == "https://mastodon.social/@acme/113500000000000044"


def test_reply__keeps_a_text_that_already_names_the_author(api: Any) -> None:
    api.post(f"{HOME}/api/v1/statuses", json=fixture("status_posted.json"))

    connector().reply(target(), "@ewa@mastodon.social Sorry!", "k")

    assert parse_qs(api.calls[-1].request.body)["status"] == ["@ewa@mastodon.social Sorry!"]


def test_reply__to_a_post_read_on_another_server_finds_it_at_home_first(api: Any) -> None:
    uri = "https://fosstodon.org/users/jan/statuses/113499000000000777"
    api.get(SEARCH, match=[matchers.query_param_matcher(
        {"q": uri, "type": "statuses", "resolve": "1"})], json=fixture("resolve_remote.json"))
    api.post(f"{HOME}/api/v1/statuses", json=fixture("status_posted.json"))
    remote = ReplyTarget(platform="mastodon", mention_id=uri, url=uri,
                         author_handle="jan@fosstodon.org",
                         extra={"server": OTHER, "id": "113499000000000777", "uri": uri})

    connector().reply(remote, "Sorry about the lid.", "k")

    body = parse_qs(api.calls[-1].request.body)
    assert body["in_reply_to_id"] == ["113500000000000015"]
    assert body["status"] == ["@jan@fosstodon.org Sorry about the lid."]


def test_reply__refused_in_plain_words(api: Any) -> None:
    api.post(f"{HOME}/api/v1/statuses", status=422,
             json={"error": "Validation failed: Text character limit of 500 exceeded"})

    with pytest.raises(ReplyRejected) as caught:
        connector().reply(target(), "x" * 600, "k")
    assert str(caught.value) == ("mastodon: Mastodon would not publish the reply: "
                                 "Validation failed: Text character limit of 500 exceeded")


def test_reply__to_a_deleted_post(api: Any) -> None:
    api.post(f"{HOME}/api/v1/statuses", status=404, json={"error": "Record not found"})

    with pytest.raises(ReplyRejected, match="deleted"):
        connector().reply(target(), "Sorry", "k")


def test_reply__without_token_says_which_credential_to_set() -> None:
    with pytest.raises(AuthError, match=r"credentials\.access_token"):
        connector(token=None).reply(target(), "Sorry", "k")


class RecordedStream:
    """A streaming response that plays back recorded server-sent events."""

    def __init__(self, name: str) -> None:
        self.body = (FIXTURES / name).read_bytes()

    def iter_content(self, chunk_size: int = 1) -> Any:
        for i in range(0, len(self.body), chunk_size):
            yield self.body[i:i + chunk_size]


def test_stream__recorded_updates_become_mentions() -> None:
    got: list[Mention] = []
    listener = connector()._listener(HOME, got.append)

    listener.handle_stream(RecordedStream("stream_hashtag.txt"))

    # the brand's own post and the status without an account are left out; deletes ignored
    assert [m.id for m in got] == ["https://mastodon.social/users/omar/statuses/113500000000000050"]
    assert got[0].text == "Third failed payment on #acme checkout today."
    assert got[0].extra["server"] == HOME


def test_stream__without_hashtags_filters_the_public_stream_by_keyword() -> None:
    got: list[Mention] = []
    listener = connector(hashtags=[])._listener(HOME, got.append)
    complaint, _, other = fixture("search_page1.json")["statuses"]
    listener.on_update({**other, "content": "<p>Lovely weather in Gdańsk today</p>"})
    listener.on_update(complaint)

    assert [m.author_handle for m in got] == ["ewa@mastodon.social"]


class FakeStreamingApi:
    """Stands in for Mastodon.py's streaming calls, which need a live server."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, Any]] = []
        self.closed = 0

    def stream_hashtag(self, tag: str, listener: Any, **kwargs: Any) -> Any:
        assert kwargs == {"run_async": True, "reconnect_async": True}
        self.opened.append((tag, listener))
        return self

    def close(self) -> None:
        self.closed += 1


def test_stream__opens_each_hashtag_stream_and_closes_them_on_stop() -> None:
    home, other = FakeStreamingApi(), FakeStreamingApi()
    spec = connector().spec
    c = MastodonConnector(spec, {HOME: home, OTHER: other})  # type: ignore[dict-item]
    stop = threading.Event()
    stop.set()

    c.stream(lambda m: None, stop)

    assert [tag for tag, _ in home.opened + other.opened] == ["acme", "acme"]
    assert home.closed == other.closed == 1


def test_options__normalise_servers_and_hashtags() -> None:
    options = MastodonConnector.validate_options({"servers": ["mastodon.social/"],
                                                  "hashtags": ["#Acme"]})
    assert options.servers == ["https://mastodon.social"]  # type: ignore[attr-defined]
    assert options.hashtags == ["Acme"]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="not a hashtag"):
        MastodonConnector.validate_options({"hashtags": ["acme support"]})


@pytest.mark.parametrize(("content", "kept"), [
    ("<p>Znowu nie działa płatność w Orbicie</p>", True),
    ("<p>مشكلة مع للأوربيتا اليوم</p>", True),
    ("<p>سفارشم از اوربیتا‌ها نرسید</p>", True),
    ("<p>Help <a href=\"https://mastodon.social/@orbita_care\">@orbita_care</a></p>", True),
    ("<p>#OrbitaFail again</p>", True),
    ("<p>orbital mechanics lecture today</p>", False),
    ("<p>write to jan@orbita.pl</p>", False),
])
def test_stream__public_stream_filter_matches_names_as_written(content: str, kept: bool) -> None:
    spec = SourceSpec(brand_id="orbita", name="mastodon", type="mastodon", query="",
                      keywords=("Orbita", "أوربيتا"), own_handles=("orbita_care",),
                      options={"servers": [HOME]})
    got: list[Mention] = []
    listener = MastodonConnector(spec)._listener(HOME, got.append)
    complaint, _, _ = fixture("search_page1.json")["statuses"]

    listener.on_update({**complaint, "content": content})

    assert bool(got) is kept


def test_stream__hashtag_streams_are_not_filtered_by_name() -> None:
    got: list[Mention] = []
    listener = connector()._listener(HOME, got.append)
    complaint, _, _ = fixture("search_page1.json")["statuses"]

    listener.on_update({**complaint, "content": "<p>no brand named here</p>"})

    assert len(got) == 1
