"""Google Business Profile connector against recorded My Business v4 API responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.google_business import GoogleBusinessConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected, TemporaryPlatformError
from tests.connectors._support import Handler, Recorded, mock_client, recorder

NOW = 1_795_300_000.0
LOCATION = "accounts/111111111111111111111/locations/2222222222222222222"
OLDER = json.dumps({"modified": "2026-11-01T00:00:00+00:00", "ids": []})
REFRESH = {"refresh_token": "PLACEHOLDER_REFRESH_TOKEN", "client_id": "PLACEHOLDER_CLIENT_ID",
           "client_secret": "PLACEHOLDER_CLIENT_SECRET"}
STATIC = {"access_token": "PLACEHOLDER_ACCESS_TOKEN"}

RECORDED = Recorded("google_business")
fixture = RECORDED.json
ok = RECORDED.ok


def connector(handler: Handler, credentials: dict[str, str] | None = None,
              **options: object) -> GoogleBusinessConnector:
    spec = SourceSpec(brand_id="acme", name="maps", type="google_business", query="",
                      options={"locations": [LOCATION], **options},
                      credentials=STATIC if credentials is None else credentials)
    return GoogleBusinessConnector(spec, mock_client(handler),
                                   clock=lambda: NOW)


def test_fetch__first_poll_reads_only_the_newest_page():
    seen: list[httpx.Request] = []

    result = connector(recorder(seen, ok("reviews_page1.json"))).fetch(None)

    assert len(seen) == 1
    assert seen[0].url.path == f"/v4/{LOCATION}/reviews"
    assert seen[0].url.params["orderBy"] == "updateTime desc"
    assert seen[0].headers["Authorization"] == "Bearer PLACEHOLDER_ACCESS_TOKEN"
    assert [m.id for m in result.mentions] == [  # oldest change first
        "AbFvOqPLACEHOLDER0002", "AbFvOqPLACEHOLDER0003", "AbFvOqPLACEHOLDER0001"]
    assert json.loads(result.cursor) == {"modified": "2026-11-21T08:55:12.345678+00:00",
                                         "ids": ["AbFvOqPLACEHOLDER0001"]}


def test_fetch__next_page_followed_with_page_token():
    seen: list[httpx.Request] = []

    result = connector(recorder(seen, ok("reviews_page1.json"), ok("reviews_page2.json"))
                       ).fetch(OLDER)

    assert seen[1].url.params["pageToken"] == "PLACEHOLDER_PAGE_TOKEN"
    assert seen[1].url.params["pageSize"] == "50"
    assert result.mentions[0].id == "AbFvOqPLACEHOLDER0002"  # October's review is too old
    assert len(result.mentions) == 3
    assert result.blind_spot is None


def test_fetch__rating_and_edited_at_mapped():
    by_id = {m.id: m for m in connector(recorder([], ok("reviews_page1.json"))).fetch(None)
             .mentions}

    wait = by_id["AbFvOqPLACEHOLDER0001"]
    assert wait.rating == 1
    assert wait.text.startswith("Waited 40 minutes")
    assert wait.author_handle == "Leila M."
    assert wait.extra == {"location": LOCATION,
                          "review_name": f"{LOCATION}/reviews/AbFvOqPLACEHOLDER0001"}
    kettle = by_id["AbFvOqPLACEHOLDER0003"]
    assert kettle.rating == 2
    assert kettle.published_at == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert kettle.edited_at == datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    stars_only = by_id["AbFvOqPLACEHOLDER0002"]
    assert (stars_only.rating, stars_only.text, stars_only.author_handle) == (5, "", "")


def test_fetch__edited_review_returned_again_unchanged_ones_not():
    cursor = connector(recorder([], ok("reviews_page1.json"))).fetch(None).cursor
    page = fixture("reviews_page1.json")
    edited = page["reviews"].pop(2)
    edited.update(starRating="ONE", comment="Went back: the card reader still fails.",
                  updateTime="2026-11-21T11:00:00Z")
    page["reviews"].insert(0, edited)

    result = connector(recorder([], httpx.Response(200, json=page))).fetch(cursor)

    assert [(m.id, m.rating) for m in result.mentions] == [("AbFvOqPLACEHOLDER0002", 1)]
    assert result.mentions[0].edited_at == datetime(2026, 11, 21, 11, 0, tzinfo=UTC)


def test_fetch__empty_keeps_the_cursor():
    result = connector(recorder([], ok("reviews_empty.json"))).fetch(OLDER)

    assert result.mentions == []
    assert result.cursor == OLDER


def test_fetch__truncated_at_max_pages_says_so():
    result = connector(recorder([], ok("reviews_page1.json")), max_pages=1).fetch(OLDER)

    assert "max_pages" in result.blind_spot


def test_fetch__malformed_item_skipped_and_counted(caplog):
    result = connector(recorder([], ok("reviews_page1.json"))).fetch(None)

    assert result.skipped == 1
    assert "STAR_RATING_UNSPECIFIED" in caplog.text


def test_fetch__rate_limited():
    limited = httpx.Response(429, json=fixture("error_429.json"), headers={"Retry-After": "30"})

    with pytest.raises(RateLimited) as err:
        connector(recorder([], limited)).fetch(None)
    assert err.value.retry_after == 30


def test_fetch__expired_access_token_says_to_renew_it():
    with pytest.raises(AuthError, match=r"renew access_token.*refresh_token"):
        connector(recorder([], ok("error_401.json", 401))).fetch(None)


def test_fetch__refresh_token_renews_the_access_token_once_then_keeps_it():
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, ok("token.json"), ok("reviews_empty.json"),
                           ok("reviews_empty.json")), REFRESH)

    c.fetch(None)
    c.fetch(None)

    login, first, second = seen
    assert login.url == "https://oauth2.googleapis.com/token"
    assert parse_qs(login.content.decode()) == {
        "grant_type": ["refresh_token"], "refresh_token": ["PLACEHOLDER_REFRESH_TOKEN"],
        "client_id": ["PLACEHOLDER_CLIENT_ID"], "client_secret": ["PLACEHOLDER_CLIENT_SECRET"]}
    assert first.headers["Authorization"] == second.headers["Authorization"] == (
        "Bearer PLACEHOLDER_ACCESS_TOKEN")


def test_fetch__revoked_refresh_token_names_it():
    c = connector(recorder([], ok("token_invalid_grant.json", 400)), REFRESH)

    with pytest.raises(AuthError, match=r"expired or revoked.*renew refresh_token"):
        c.fetch(None)


def test_fetch__token_rejected_early_is_renewed_and_retried():
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, ok("token.json"), ok("error_401.json", 401), ok("token.json"),
                           ok("reviews_empty.json")), REFRESH)

    assert c.fetch(None).mentions == []
    assert [r.url.host for r in seen] == ["oauth2.googleapis.com", "mybusiness.googleapis.com",
                                          "oauth2.googleapis.com", "mybusiness.googleapis.com"]


def test_fetch__without_credentials_says_what_to_map():
    with pytest.raises(AuthError, match="refresh_token"):
        connector(recorder([]), {}).fetch(None)


def test_fetch__server_error_and_timeout_are_temporary():
    seen: list[httpx.Request] = []
    with pytest.raises(TemporaryPlatformError, match="503"):
        connector(recorder(seen, *[httpx.Response(503)] * 3)).fetch(None)
    assert len(seen) == 3  # a passing 5xx is tried again within the poll, then reported

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)
    with pytest.raises(TemporaryPlatformError, match="ReadTimeout"):
        connector(timeout).fetch(None)


def target() -> ReplyTarget:
    return ReplyTarget(platform="google_business", mention_id="AbFvOqPLACEHOLDER0001", url="",
                       author_handle="Leila M.",
                       extra={"location": LOCATION,
                              "review_name": f"{LOCATION}/reviews/AbFvOqPLACEHOLDER0001"})


def test_reply__lands_on_the_review():
    seen: list[httpx.Request] = []
    text = fixture("reply.json")["comment"]

    result = connector(recorder(seen, ok("reply.json"))).reply(target(), text, "key-1")

    assert seen[0].method == "PUT"
    assert seen[0].url.path == f"/v4/{LOCATION}/reviews/AbFvOqPLACEHOLDER0001/reply"
    assert json.loads(seen[0].content) == {"comment": text}
    assert result.id == "AbFvOqPLACEHOLDER0001"


def test_reply__refusal_in_plain_words():
    with pytest.raises(ReplyRejected, match="refused the reply: Request contains an invalid"):
        connector(recorder([], ok("error_reply_400.json", 400))).reply(target(), "Hi", "k")


def test_reply__deleted_review():
    with pytest.raises(ReplyRejected, match="no longer exists"):
        connector(recorder([], httpx.Response(404))).reply(target(), "Hi", "k")


def test_reply__limit_counts_bytes():
    seen: list[httpx.Request] = []
    c = connector(recorder(seen))

    assert c.count_length("ż") == 2
    with pytest.raises(ReplyRejected, match="4096"):
        c.reply(target(), "ż" * 2049, "k")
    assert seen == []


def test_options__location_must_be_a_resource_name():
    with pytest.raises(ValueError, match="locations"):
        GoogleBusinessConnector.validate_options({"locations": ["456"]})
