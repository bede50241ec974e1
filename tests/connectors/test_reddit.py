"""Reddit connector against recorded API responses; the real praw client runs, HTTP is mocked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pydantic
import pytest
import requests
import responses
from prawcore.sessions import FiniteRetryStrategy
from responses import matchers

from connectors._query import keyword_terms
from connectors.reddit import API_PATH, QUERY_LIMIT, RedditConnector, _query_from_keywords
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    PlatformError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)
from tests.connectors._support import Recorded

RECORDED = Recorded("reddit", ".json")
TOKEN = "https://www.reddit.com/api/v1/access_token"
OAUTH = "https://oauth.reddit.com/"
T0 = 1_715_594_400  # created_utc of the fixtures' reference post, 2024-05-13 10:00 UTC
NOW = T0 + 1000.0
APP = {"client_id": "test-client-id", "client_secret": "test-client-secret"}
ACCOUNT = {"username": "AcmeParcel", "password": "test-password"}


fixture = RECORDED.json


def connector(query: str = "acme", credentials: dict[str, str] | None = None,
              **options: Any) -> RedditConnector:
    spec = SourceSpec(brand_id="acme", name="reddit", type="reddit", query=query,
                      keywords=("acme", "acme parcel"), own_handles=("acmeparcel",),
                      options={"include_comments": False, **options},
                      credentials=APP if credentials is None else credentials)
    return RedditConnector(spec, clock=lambda: NOW)


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock() as mock:
        mock.post(TOKEN, json=fixture("token"))
        yield mock


def params(**expected: str) -> Any:
    return matchers.query_param_matcher(expected, strict_match=False)


def form(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body).items()}


def test_fetch__first_page_signs_in_and_translates_posts(api: Any) -> None:
    search = api.get(OAUTH + API_PATH["search"].format(subreddits="all"),
                     json=fixture("search_page2"),
                     match=[params(q="acme", sort="new", type="link", limit="100")])

    result = connector(max_pages=1).fetch(None)

    assert search.call_count == 1
    assert form(api.calls[0].request) == {"grant_type": "client_credentials"}
    oldest, newest = result.mentions
    assert [m.id for m in result.mentions] == ["t3_1cr0c00", "t3_1cr0c01"]  # oldest first
    assert result.cursor == str(T0 - 1800)  # the deleted post is not kept, but was seen
    assert result.blind_spot is None  # a first poll reads only the newest pages, on purpose
    assert newest.platform == "reddit"
    assert newest.kind == "post"
    assert newest.title == "Acme tracking stuck at the border"
    assert newest.text == ("Acme tracking stuck at the border\n\n"
                           "Ten days, no update, no reply to email.")
    assert newest.url.startswith("https://www.reddit.com/r/shipping/comments/1cr0c01/")
    assert newest.author_handle == "hamid_t"
    assert newest.author_id == "t2_hami9x"
    assert newest.published_at == datetime(2024, 5, 13, 9, 0, tzinfo=UTC)
    assert newest.conversation_id == "t3_1cr0c01"
    assert dict(newest.extra) == {"fullname": "t3_1cr0c01", "subreddit": "shipping"}
    assert oldest.text == "Acme vs others for shipping to Poland?"  # a link post: title only


def test_fetch__pagination_stops_at_the_cursor_and_skips(api: Any) -> None:
    path = API_PATH["search"].format(subreddits="shipping+personalfinance")
    first = api.get(OAUTH + path, json=fixture("search_page1"),
                    match=[params(q="acme", restrict_sr="true")])
    second = api.get(OAUTH + path, json=fixture("search_page2"), match=[params(after="t3_1cr0c02")])
    # The last poll's newest post was a minute after c01: c01 is read again (the store drops
    # it), in case search indexed something late; c00 is older than the overlap.
    cursor = str(T0 - 3600 + 60)

    result = connector(subreddits=["r/shipping", "personalfinance"]).fetch(cursor)

    assert first.call_count == second.call_count == 1  # page 2 reached the cursor: no page 3
    # c05: the brand's own post; c03: no created_utc (malformed); c0z: deleted; c00: old.
    assert [m.id for m in result.mentions] == ["t3_1cr0c01", "t3_1cr0c02", "t3_1cr0c04"]
    assert result.skipped == 1
    assert result.cursor == str(T0 + 600)  # the own post still advances it
    assert result.blind_spot is None


def test_fetch__more_pages_than_max_pages_is_a_blind_spot(api: Any) -> None:
    api.get(OAUTH + API_PATH["search"].format(subreddits="all"), json=fixture("search_page1"))

    result = connector(max_pages=1).fetch(str(T0 - 86_400))

    assert len(api.calls) == 2  # token, one page
    assert result.blind_spot is not None
    assert "max_pages" in result.blind_spot


def test_fetch__empty_page_keeps_cursor(api: Any) -> None:
    api.get(OAUTH + API_PATH["search"].format(subreddits="all"), json=fixture("search_empty"))

    result = connector().fetch(str(T0))

    assert result.mentions == []
    assert result.cursor == str(T0)
    assert result.skipped == 0


def test_fetch__comments_matched_against_keywords(api: Any) -> None:
    api.get(OAUTH + API_PATH["search"].format(subreddits="shipping"), json=fixture("search_empty"),
            match=[params(q='"acme" OR "acme parcel"')])
    api.get(OAUTH + API_PATH["comments"].format(subreddits="shipping"), json=fixture("comments"))

    result = connector(query="", subreddits=["shipping"], include_comments=True).fetch(str(T0))

    [comment] = result.mentions  # "acmes", unrelated and removed comments are left out
    assert comment.id == "t1_l7xq002"
    assert comment.kind == "comment"
    assert comment.author_handle == "mira_s"
    assert comment.title == "Acme courier left my parcel in the rain"
    assert comment.conversation_id == "t3_1cr0c04"
    assert comment.in_reply_to_id == "t1_l7xq001"
    assert comment.url == ("https://www.reddit.com/r/shipping/comments/1cr0c04/"
                           "acme_courier_left_my_parcel_in_the_rain/l7xq002/")
    assert result.cursor == str(T0 + 400)


def test_fetch__rate_limited_reports_seconds_until_reset(api: Any) -> None:
    api.get(OAUTH + API_PATH["search"].format(subreddits="all"), status=429,
            json=fixture("error_429"),
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                     "x-ratelimit-reset": "420"})

    with pytest.raises(RateLimited) as caught:
        connector().fetch(str(T0))

    assert caught.value.retry_after == 420
    assert len(api.calls) == 2  # token, search: raised at once, no retry


def test_fetch__spent_quota_is_reported_instead_of_slept_off(api: Any) -> None:
    search = api.get(OAUTH + API_PATH["search"].format(subreddits="all"),
                     json=fixture("search_empty"),
                     headers={"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "100",
                              "x-ratelimit-reset": "300"})
    source = connector()
    source.fetch(str(T0))

    with pytest.raises(RateLimited) as caught:
        source.fetch(str(T0))

    assert caught.value.retry_after == 300
    assert search.call_count == 1


def test_fetch__outage_is_temporary(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[FiniteRetryStrategy] = []

    def no_sleep(strategy: FiniteRetryStrategy) -> None:
        waits.append(strategy)

    monkeypatch.setattr(FiniteRetryStrategy, "sleep", no_sleep)
    failing = api.get(OAUTH + API_PATH["search"].format(subreddits="all"), status=503,
                      json=fixture("error_503"))

    with pytest.raises(TemporaryPlatformError) as caught:
        connector().fetch(None)

    assert not isinstance(caught.value, RateLimited)
    assert failing.call_count == 3  # prawcore's own short retries come first
    assert len(waits) == 3  # each attempt asked to wait; none did


def test_fetch__private_subreddit_says_which_option(api: Any) -> None:
    api.get(OAUTH + API_PATH["search"].format(subreddits="acme_staff"), status=403,
            json=fixture("error_403"))

    with pytest.raises(PlatformError, match=r"options\.subreddits"):
        connector(subreddits=["acme_staff"]).fetch(None)


def test_fetch__wrong_app_credentials_name_them() -> None:
    with responses.RequestsMock() as api:
        api.post(TOKEN, status=401, json=fixture("error_401"))

        with pytest.raises(AuthError, match="client_id and client_secret"):
            connector().fetch(None)


def test_fetch__missing_app_credentials_name_them() -> None:
    with pytest.raises(AuthError, match="client_secret"):
        connector(credentials={"client_id": "x"}).fetch(None)


def target(fullname: str) -> ReplyTarget:
    return ReplyTarget(platform="reddit", mention_id=fullname, url="", author_handle="pawel_z",
                       extra={"fullname": fullname})


@pytest.mark.parametrize("fullname", ["t3_1cr0c04", "t1_l7xq002"])
def test_reply__lands_on_the_post_or_comment(api: Any, fullname: str) -> None:
    text = "Sorry about the soaked box. Please send us your order number in chat."
    api.post(OAUTH + API_PATH["reply"], json=fixture("reply_ok"))

    result = connector(credentials={**APP, **ACCOUNT}).reply(target(fullname), text, "case-7:s1")

    token, post = api.calls
    assert form(token.request) == {"grant_type": "password", "username": "AcmeParcel",
                                   "password": "test-password"}
    assert form(post.request) == {"api_type": "json", "thing_id": fullname, "text": text}
    assert post.request.headers["Authorization"] == "bearer test-access-token"
    assert result.id == "t1_l7xq100"
    assert result.url == ("https://www.reddit.com/r/shipping/comments/1cr0c04/"
                          "acme_courier_left_my_parcel_in_the_rain/l7xq100/")


def test_reply__locked_thread_in_plain_words(api: Any) -> None:
    api.post(OAUTH + API_PATH["reply"], json=fixture("reply_locked"))

    with pytest.raises(ReplyRejected, match="locked the thread"):
        connector(credentials={**APP, **ACCOUNT}).reply(target("t3_1cr0c04"), "Sorry!", "k")


def test_reply__reddit_ratelimit_says_how_long(api: Any) -> None:
    api.post(OAUTH + API_PATH["reply"], json=fixture("reply_ratelimit"))

    with pytest.raises(RateLimited) as caught:
        connector(credentials={**APP, **ACCOUNT}).reply(target("t3_1cr0c04"), "Sorry!", "k")

    assert caught.value.retry_after == 540


def test_reply__without_account_names_the_credentials() -> None:
    with responses.RequestsMock() as api, pytest.raises(AuthError) as caught:
        connector().reply(target("t3_1cr0c04"), "Sorry!", "k")

    assert "username and password" in str(caught.value)
    assert len(api.calls) == 0


def test_reply__wrong_password_is_an_auth_error() -> None:
    with responses.RequestsMock() as api:
        api.post(TOKEN, json=fixture("token_invalid_grant"))

        with pytest.raises(AuthError, match="username and password"):
            connector(credentials={**APP, **ACCOUNT}).reply(target("t3_1cr0c04"), "Sorry!", "k")


def test_reply__connection_lost_is_temporary(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FiniteRetryStrategy, "sleep", lambda self: None)
    api.post(OAUTH + API_PATH["reply"], body=requests.ConnectionError("reset by peer"))

    with pytest.raises(TemporaryPlatformError):
        connector(credentials={**APP, **ACCOUNT}).reply(target("t3_1cr0c04"), "Sorry!", "k")


def test_options__names_checked_and_unknown_keys_refused() -> None:
    assert RedditConnector.validate_options(
        {"subreddits": ["r/Acme", "/r/shipping"]}).subreddits == ["Acme", "shipping"]  # type: ignore[attr-defined]
    with pytest.raises(pydantic.ValidationError, match="subreddit name"):
        RedditConnector.validate_options({"subreddits": ["not a sub"]})
    with pytest.raises(pydantic.ValidationError):
        RedditConnector.validate_options({"subreddit": ["acme"]})


def comment(body: str, name: str) -> dict[str, Any]:
    [recorded] = [c for c in fixture("comments")["data"]["children"]
                  if c["data"]["name"] == "t1_l7xq002"]
    return {**recorded, "data": {**recorded["data"], "body": body, "name": name}}


def test_fetch__comments_matched_by_declined_and_arabic_forms_not_by_substrings(api: Any) -> None:
    spec = SourceSpec(brand_id="orbita", name="reddit", type="reddit", query="",
                      keywords=("Orbita", "أوربيتا"), own_handles=("orbita_care",),
                      options={"subreddits": ["polska"]}, credentials=APP)
    api.get(OAUTH + API_PATH["search"].format(subreddits="polska"), json=fixture("search_empty"))
    bodies = {"t1_a1": "Nigdy więcej nie zamówię w Orbicie", "t1_a2": "مشكلة مع للأوربيتا",
              "t1_a3": "ask @orbita_care", "t1_a4": "orbital mechanics is hard",
              "t1_a5": "mail jan@orbita.pl"}
    listing = {"kind": "Listing", "data": {"after": None, "children": [
        comment(body, name) for name, body in bodies.items()]}}
    api.get(OAUTH + API_PATH["comments"].format(subreddits="polska"), json=listing)

    result = RedditConnector(spec, clock=lambda: NOW).fetch(str(T0))

    assert sorted(m.id for m in result.mentions) == ["t1_a1", "t1_a2", "t1_a3"]


def test_fetch__query_from_keywords_adds_polish_declined_forms(api: Any) -> None:
    search = api.get(OAUTH + API_PATH["search"].format(subreddits="all"),
                     json=fixture("search_empty"))
    spec = SourceSpec(brand_id="orbita", name="reddit", type="reddit", query="",
                      keywords=("Nordvia",), options={"include_comments": False},
                      credentials=APP)

    RedditConnector(spec, clock=lambda: NOW).fetch(str(T0))

    assert search.calls[0].request.params["q"] == (
        '"Nordvia" OR "Nordvii" OR "Nordvię" OR "Nordvią" OR "Nordvio" OR "Nordvie"')


def test_query_from_keywords__languages_and_the_length_limit() -> None:
    assert _query_from_keywords(("Nordvia", "Orbita"), ("en", "fa")) == '"Nordvia" OR "Orbita"'
    keywords = tuple(f"Kasa{n:02d} Orbita" for n in range(20))

    query = _query_from_keywords(keywords)

    assert len(query) <= QUERY_LIMIT < len(" OR ".join(keyword_terms(keywords)))
    assert query.startswith(" OR ".join(f'"{k}"' for k in keywords) + ' OR "Kasa00 Orbity"')
    assert all(t.startswith('"') and t.endswith('"') for t in query.split(" OR "))
