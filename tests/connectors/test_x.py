"""X connector against recorded API v2 responses; the real tweepy.Client runs, HTTP is mocked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest
import requests
import responses
from responses import matchers

from connectors.x import API_PATH, QUERY_LIMIT, XConnector, _query_from_keywords
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    PlatformError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)
from monitor.names import NameMatcher
from tests.connectors._support import Recorded

RECORDED = Recorded("x", ".json")
HOST = "https://api.twitter.com"
SEARCH = HOST + API_PATH["search"]
NOW = 1_715_600_000.0
READ_ONLY = {"bearer_token": "test-bearer"}
USER_TOKENS = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
               "access_token_secret": "ats"}


fixture = RECORDED.json


def connector(query: str = "acme -is:retweet", credentials: dict[str, str] | None = None,
              **options: Any) -> XConnector:
    spec = SourceSpec(brand_id="acme", name="x", type="x", query=query,
                      keywords=("acme", "acme parcel"), own_handles=("acmeparcel",),
                      options=options, credentials=credentials or READ_ONLY)
    return XConnector(spec, clock=lambda: NOW)


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def params(**extra: str) -> Any:
    return matchers.query_param_matcher(extra, strict_match=False)


def test_fetch__first_page_translates_posts_oldest_first(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_page2"),
            match=[params(query="acme -is:retweet", max_results="100",
                          expansions="author_id,referenced_tweets.id,referenced_tweets.id.author_id")])

    result = connector().fetch(None)

    assert [m.id for m in result.mentions] == ["1790000000000000100", "1790000000000000101"]
    assert result.cursor == "1790000000000000101"
    post = result.mentions[1]
    assert post.platform == "x"
    assert post.author_handle == "kasia_w"
    assert post.author_name == "Kasia"
    assert post.author_followers == 15
    assert post.url == "https://x.com/kasia_w/status/1790000000000000101"
    assert post.published_at == datetime(2024, 5, 13, 8, 2, 45, tzinfo=UTC)
    assert post.lang_hint == "pl"
    assert post.kind == "post"
    assert post.conversation_id == "1790000000000000101"
    long_post = result.mentions[0]
    assert long_post.text.startswith("acme 📦📦📦 three parcels")  # note_tweet, not the cut text
    assert long_post.lang_hint is None  # "qme": media only, no language


def test_fetch__pagination_follows_next_token_and_skips(api: Any) -> None:
    first = api.get(SEARCH, json=fixture("search_page1"),
                    match=[params(since_id="1790000000000000050")])
    second = api.get(SEARCH, json=fixture("search_page2"),
                     match=[params(since_id="1790000000000000050",
                                   next_token="b26v89c19zqg8o3fr5t3nr1h2d9p8mdbv9l62cpx3zjy5")])

    result = connector().fetch("1790000000000000050")

    assert first.call_count == second.call_count == 1
    # 103 has no author (malformed): skipped and counted; 104 is the brand's own post.
    assert [m.id for m in result.mentions] == ["1790000000000000100", "1790000000000000101",
                                               "1790000000000000102"]
    assert result.skipped == 1
    assert result.cursor == "1790000000000000104"  # own and malformed posts still advance it
    assert result.blind_spot is None
    reply = result.mentions[-1]
    assert reply.kind == "reply"
    assert reply.in_reply_to_id == "1790000000000000101"
    assert reply.author_followers == 1234
    assert reply.author_name == "Marta K."


def test_fetch__stops_at_max_pages_and_says_so(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_page1"))

    result = connector(max_pages=1).fetch("1790000000000000050")

    assert len(api.calls) == 1
    assert result.blind_spot is not None
    assert "max_pages" in result.blind_spot


def test_fetch__first_poll_reads_only_the_newest_pages(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_page1"))

    result = connector(max_pages=1).fetch(None)

    assert len(api.calls) == 1
    assert result.blind_spot is None


def test_fetch__empty_page_keeps_cursor(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_empty"), match=[params(since_id="1790000000000000104")])

    result = connector().fetch("1790000000000000104")

    assert result.mentions == []
    assert result.cursor == "1790000000000000104"
    assert result.skipped == 0


def test_fetch__query_built_from_keywords_without_reposts(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_empty"),
            match=[params(query='("acme" OR "acme parcel") -is:retweet')])

    connector(query="").fetch(None)


def test_fetch__mentions_of_handle_merges_the_mentions_timeline(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_page2"))
    api.get(HOST + API_PATH["user_by_username"].format(username="AcmeParcel"),
            json=fixture("user_by_username"))
    mentions_url = HOST + API_PATH["mentions"].format(id="1400000000000000001")
    api.get(mentions_url, json=fixture("mentions"), match=[params(since_id="1790000000000000050")])

    result = connector(mentions_of="@AcmeParcel").fetch("1790000000000000050")

    assert [m.id for m in result.mentions] == ["1790000000000000100", "1790000000000000101",
                                               "1790000000000000102", "1790000000000000106"]
    assert result.cursor == "1790000000000000106"
    assert result.mentions[-1].author_followers == 87


def test_fetch__rate_limited_reports_seconds_until_reset(api: Any) -> None:
    api.get(SEARCH, status=429, json=fixture("error_429"),
            headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                     "x-rate-limit-reset": str(int(NOW) + 840)})
    source = connector()

    with pytest.raises(RateLimited) as caught:
        source.fetch("1790000000000000104")

    assert caught.value.retry_after == 840
    assert caught.value.platform == "x"
    assert source.client.wait_on_rate_limit is False
    assert len(api.calls) == 1  # raised at once: no sleeping, no retry


def test_fetch__cursor_older_than_search_window_reads_last_week(api: Any) -> None:
    api.get(SEARCH, status=400, json=fixture("error_since_id"),
            match=[params(since_id="1690000000000000000")])
    fresh = api.get(SEARCH, json=fixture("search_page2"),
                    match=[matchers.query_param_matcher(
                        {"query": "acme -is:retweet", "max_results": "100",
                         "expansions": "author_id,referenced_tweets.id,"
                                       "referenced_tweets.id.author_id",
                         "tweet.fields": "author_id,created_at,lang,conversation_id,"
                                         "referenced_tweets,note_tweet",
                         "user.fields": "username,name,public_metrics"})])

    result = connector().fetch("1690000000000000000")

    assert fresh.call_count == 1
    assert result.cursor == "1790000000000000101"


def test_fetch__bad_bearer_token_is_an_auth_error(api: Any) -> None:
    api.get(SEARCH, status=401, json=fixture("error_401"))

    with pytest.raises(AuthError, match="bearer_token"):
        connector().fetch(None)


def test_fetch__missing_bearer_token_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="bearer_token"):
        connector(credentials={"consumer_key": "ck"}).fetch(None)


@pytest.mark.parametrize("failure", [
    {"status": 503, "json": fixture("error_503")},
    {"body": requests.ConnectionError("connection reset by peer")},
])
def test_fetch__outage_is_temporary(api: Any, failure: dict[str, Any]) -> None:
    api.get(SEARCH, **failure)

    with pytest.raises(TemporaryPlatformError) as caught:
        connector().fetch(None)

    assert not isinstance(caught.value, RateLimited)


def test_reply__lands_on_the_target_post_with_user_auth(api: Any) -> None:
    text = "@marta_k We're sorry about the damaged box."
    post = api.post(HOST + API_PATH["create_tweet"], status=201, json=fixture("create_tweet"),
                    match=[matchers.json_params_matcher(
                        {"text": text, "reply": {"in_reply_to_tweet_id": "1790000000000000102"}})])
    target = ReplyTarget(platform="x", mention_id="1790000000000000102",
                         url="https://x.com/marta_k/status/1790000000000000102",
                         author_handle="marta_k")

    result = connector(credentials={**READ_ONLY, **USER_TOKENS}).reply(target, text, "case-1:s1")

    assert post.call_count == 1
    assert api.calls[0].request.headers["Authorization"].startswith("OAuth ")
    assert result.id == "1790000000000000200"
    assert result.url == "https://x.com/acmeparcel/status/1790000000000000200"


@pytest.mark.parametrize(("name", "words"), [
    ("error_duplicate", "duplicate"),
    ("error_deleted", "deleted or is no longer visible"),
])
def test_reply__refusal_in_plain_words(api: Any, name: str, words: str) -> None:
    api.post(HOST + API_PATH["create_tweet"], status=403, json=fixture(name))
    target = ReplyTarget(platform="x", mention_id="1790000000000000102", url="", author_handle="m")

    with pytest.raises(ReplyRejected, match=words):
        connector(credentials={**READ_ONLY, **USER_TOKENS}).reply(target, "Sorry!", "k")


def test_reply__without_user_tokens_names_them(api: Any) -> None:
    target = ReplyTarget(platform="x", mention_id="1790000000000000102", url="", author_handle="m")

    with pytest.raises(AuthError) as caught:
        connector(credentials={**READ_ONLY, "consumer_key": "ck"}).reply(target, "Sorry!", "k")

    for name in ("consumer_key", "consumer_secret", "access_token", "access_token_secret"):
        assert name in str(caught.value)
    assert len(api.calls) == 0


def test_reply__revoked_user_tokens_is_an_auth_error(api: Any) -> None:
    api.post(HOST + API_PATH["create_tweet"], status=401, json=fixture("error_401"))
    target = ReplyTarget(platform="x", mention_id="1790000000000000102", url="", author_handle="m")

    with pytest.raises(AuthError, match="access_token_secret"):
        connector(credentials={**READ_ONLY, **USER_TOKENS}).reply(target, "Sorry!", "k")


@pytest.mark.parametrize(("text", "length"), [
    ("a" * 280, 280),
    ("Przepraszamy, już sprawdzamy — ąęśćż", 36),
    ("ご迷惑をおかけしました", 22),
    ("see https://example.com/orders/55121/track?ref=support-reply-template-long.", 28),
    ("👍", 2),
    ("👨‍👩‍👧", 2),
    ("❤️", 2),
])
def test_count_length__weighs_like_x(text: str, length: int) -> None:
    assert connector().count_length(text) == length


def test_options__unknown_key_and_bad_account_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        XConnector.validate_options({"max_page": 2})
    with pytest.raises(pydantic.ValidationError, match="handle"):
        XConnector.validate_options({"mentions_of": "not a handle!"})
    assert XConnector.validate_options({"mentions_of": "@acme"}).mentions_of == "acme"  # type: ignore[attr-defined]


def test_fetch__unknown_mentions_account_is_reported(api: Any) -> None:
    api.get(SEARCH, json=fixture("search_empty"))
    api.get(HOST + API_PATH["user_by_username"].format(username="nobody_here"),
            json={"errors": [{"value": "nobody_here", "detail": "Could not find user with "
                              "username: [nobody_here].", "title": "Not Found Error",
                              "resource_type": "user", "parameter": "username",
                              "resource_id": "nobody_here",
                              "type": "https://api.twitter.com/2/problems/resource-not-found"}]})

    with pytest.raises(PlatformError, match="mentions_of"):
        connector(mentions_of="nobody_here").fetch(None)


def brand(*keywords: str) -> XConnector:
    spec = SourceSpec(brand_id="orbita", name="x", type="x", query="", keywords=keywords,
                      credentials=READ_ONLY)
    return XConnector(spec, clock=lambda: NOW)


def terms(query: str) -> list[str]:
    """Return the quoted terms of a query made from keywords, checking its shape."""
    assert query.endswith(" -is:retweet")
    body = query.removesuffix(" -is:retweet").removeprefix("(").removesuffix(")")
    return [t.removeprefix('"').removesuffix('"') for t in body.split(" OR ")]


def test_fetch__query_from_keywords_adds_polish_declined_forms(api: Any) -> None:
    seen = api.get(SEARCH, json=fixture("search_empty"))

    brand("Orbita", "SkyLark").fetch(None)

    query = terms(seen.calls[0].request.params["query"])
    assert query[:2] == ["Orbita", "SkyLark"]
    assert {"Orbity", "Orbicie", "Orbitę", "Orbitą", "SkyLarka", "SkyLarkiem", "SkyLarku",
            "Orbite"} <= set(query)


def test_query_from_keywords__languages_without_polish_search_the_names_only() -> None:
    assert _query_from_keywords(("Orbita", "أوربيتا"), ("en", "ar")) == (
        '("Orbita" OR "أوربيتا") -is:retweet')
    assert "Orbity" in _query_from_keywords(("Orbita",), ("pl",))


def test_query_from_keywords__declined_forms_of_a_phrase_are_found_by_its_first_word() -> None:
    # "acme parcela" finds nothing "acme" does not; "Lumen Banku" has no keyword inside it
    query = terms(_query_from_keywords(("acme", "acme parcel", "Lumen Bank")))

    assert not [t for t in query if t.startswith("acme parcel") and t != "acme parcel"]
    assert "Lumen Banku" in query


def test_query_from_keywords__fits_512_characters_dropping_forms_before_names() -> None:
    keywords = tuple(f"Orbita{n:02d} Kasa" for n in range(20))

    query = _query_from_keywords(keywords)

    assert len(query) <= QUERY_LIMIT
    kept = terms(query)
    assert kept[:20] == list(keywords)  # every name, whole
    assert all(t in NameMatcher(keywords).variants() for t in kept)  # no term cut short
    assert len(_query_from_keywords(keywords, ("en",))) < len(query)


def test_query_from_keywords__too_many_names_keeps_the_first_ones_whole() -> None:
    keywords = tuple(f"Kestrel Air Service Number {n:03d}" for n in range(40))

    kept = terms(_query_from_keywords(keywords))

    assert len(_query_from_keywords(keywords)) <= QUERY_LIMIT
    assert kept == list(keywords[:len(kept)])
    assert 5 < len(kept) < 40
