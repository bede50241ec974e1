"""Trustpilot connector against recorded Trustpilot API responses."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.trustpilot import TrustpilotConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected, TemporaryPlatformError
from tests.connectors._support import Handler, Recorded, mock_client, recorder

NOW = 1_795_300_000.0
UNIT = "5f0000000000000000000abc"
OLDER = json.dumps({"modified": "2026-11-10T00:00:00+00:00", "ids": []})
CREDENTIALS = {"api_key": "PLACEHOLDER_API_KEY", "api_secret": "PLACEHOLDER_API_SECRET",
               "username": "support@example.com", "password": "PLACEHOLDER_PASSWORD"}

RECORDED = Recorded("trustpilot")
fixture = RECORDED.json
ok = RECORDED.ok


def connector(handler: Handler, credentials: dict[str, str] | None = None,
              **options: object) -> TrustpilotConnector:
    spec = SourceSpec(brand_id="acme", name="tp", type="trustpilot", query="",
                      options={"business_unit_id": UNIT,
                               "business_user_id": "5f0000000000000000000def", **options},
                      credentials=CREDENTIALS if credentials is None else credentials)
    return TrustpilotConnector(spec, mock_client(handler),
                               clock=lambda: NOW)


def test_fetch__first_poll_reads_only_the_newest_page():
    seen: list[httpx.Request] = []

    result = connector(recorder(seen, ok("reviews_page1.json"))).fetch(None)

    assert len(seen) == 1
    assert seen[0].url.path == f"/v1/business-units/{UNIT}/reviews"
    assert seen[0].url.params["orderBy"] == "createdat.desc"
    assert seen[0].headers["apikey"] == "PLACEHOLDER_API_KEY"
    assert "Authorization" not in seen[0].headers
    assert [m.id for m in result.mentions] == [  # oldest change first
        "674000000000000000000002", "674000000000000000000004", "674000000000000000000001"]
    assert json.loads(result.cursor) == {"modified": "2026-11-21T09:12:44+00:00",
                                         "ids": ["674000000000000000000001"]}


def test_fetch__next_page_followed_until_the_edit_lookback():
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, ok("reviews_page1.json"), ok("reviews_page2.json")))

    result = c.fetch(OLDER)

    assert seen[1].url.params["page"] == "2"
    assert seen[1].headers["apikey"] == "PLACEHOLDER_API_KEY"
    # The review of October is older than the cursor: read (to end the look-back), not returned.
    assert "674000000000000000000005" not in [m.id for m in result.mentions]
    assert len(result.mentions) == 3
    assert result.blind_spot is None


def test_fetch__rating_and_edited_at_mapped():
    by_id = {m.id: m for m in connector(recorder([], ok("reviews_page1.json"))).fetch(None)
             .mentions}

    parcel = by_id["674000000000000000000001"]
    assert parcel.rating == 1
    assert parcel.title == "Parcel never arrived"
    assert parcel.edited_at is None
    assert parcel.published_at == datetime(2026, 11, 21, 9, 12, 44, tzinfo=UTC)
    assert parcel.author_id == "600000000000000000000001"
    assert parcel.author_handle == "Ola N."
    assert parcel.lang_hint == "en"
    assert parcel.url == "https://www.trustpilot.com/reviews/674000000000000000000001"
    assert parcel.extra == {"business_unit_id": UNIT, "review_id": parcel.id}
    refund = by_id["674000000000000000000004"]
    assert refund.rating == 2
    assert refund.edited_at == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert by_id["674000000000000000000002"].rating == 5


def test_fetch__edited_review_returned_again_unchanged_ones_not():
    cursor = connector(recorder([], ok("reviews_page1.json"))).fetch(None).cursor
    page = fixture("reviews_page1.json")
    page["reviews"][1]["updatedAt"] = "2026-11-21T11:30:00.000Z"
    page["reviews"][1]["stars"] = 1
    del page["links"]

    result = connector(recorder([], httpx.Response(200, json=page))).fetch(cursor)

    assert [(m.id, m.rating) for m in result.mentions] == [("674000000000000000000002", 1)]
    assert result.mentions[0].edited_at == datetime(2026, 11, 21, 11, 30, tzinfo=UTC)


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
    assert "malformed" in caplog.text


def test_fetch__rate_limited():
    limited = httpx.Response(429, json=fixture("error_429.json"), headers={"Retry-After": "42"})

    with pytest.raises(RateLimited) as err:
        connector(recorder([], limited)).fetch(None)
    assert err.value.retry_after == 42


def test_fetch__invalid_api_key_names_it():
    with pytest.raises(AuthError, match=r"Invalid ApiKey.*renew api_key"):
        connector(recorder([], ok("error_401_apikey.json", 401))).fetch(None)


def test_fetch__server_error_and_timeout_are_temporary():
    seen: list[httpx.Request] = []
    with pytest.raises(TemporaryPlatformError, match="502"):
        connector(recorder(seen, *[httpx.Response(502)] * 3)).fetch(None)
    assert len(seen) == 3  # a passing 5xx is tried again within the poll, then reported

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)
    with pytest.raises(TemporaryPlatformError, match="ConnectTimeout"):
        connector(timeout).fetch(None)


def target() -> ReplyTarget:
    return ReplyTarget(platform="trustpilot", mention_id="674000000000000000000001", url="",
                       author_handle="Ola N.",
                       extra={"business_unit_id": UNIT, "review_id": "674000000000000000000001"})


def test_reply__signs_in_then_lands_on_the_review():
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, ok("token.json"), httpx.Response(201),
                           httpx.Response(201)))
    text = "We are sorry, Ola. We have sent a replacement today; the new tracking link is in your mail."

    result = c.reply(target(), text, "key-1")
    c.reply(target(), text, "key-1")

    login, first, second = seen
    assert login.method == "POST"
    assert login.url.path == "/v1/oauth/oauth-business-users-for-applications/accesstoken"
    assert parse_qs(login.content.decode()) == {"grant_type": ["password"],
                                                "username": ["support@example.com"],
                                                "password": ["PLACEHOLDER_PASSWORD"]}
    basic = base64.b64encode(b"PLACEHOLDER_API_KEY:PLACEHOLDER_API_SECRET").decode()
    assert login.headers["Authorization"] == f"Basic {basic}"
    assert first.method == "POST"
    assert first.url == "https://api.trustpilot.com/v1/private/reviews/674000000000000000000001/reply"
    assert first.headers["Authorization"] == "Bearer PLACEHOLDER_ACCESS_TOKEN"
    assert json.loads(first.content) == {"authorBusinessUserId": "5f0000000000000000000def",
                                         "message": text}
    assert second.headers["Authorization"] == "Bearer PLACEHOLDER_ACCESS_TOKEN"  # token kept
    assert result.url == "https://www.trustpilot.com/reviews/674000000000000000000001"


def test_reply__client_credentials_without_username():
    seen: list[httpx.Request] = []
    creds = {"api_key": "PLACEHOLDER_API_KEY", "api_secret": "PLACEHOLDER_API_SECRET"}

    connector(recorder(seen, ok("token.json"), httpx.Response(201)), creds).reply(
        target(), "Thanks", "key-1")

    assert parse_qs(seen[0].content.decode()) == {"grant_type": ["client_credentials"]}


def test_reply__refusal_in_plain_words():
    c = connector(recorder([], ok("token.json"), ok("error_reply_400.json", 400)))

    with pytest.raises(ReplyRejected, match="refused the reply: The review cannot be replied"):
        c.reply(target(), "Thanks", "key-1")


def test_reply__deleted_review():
    c = connector(recorder([], ok("token.json"), httpx.Response(404)))

    with pytest.raises(ReplyRejected, match="no longer exists"):
        c.reply(target(), "Thanks", "key-1")


def test_reply__bad_login_names_the_credentials():
    refused = httpx.Response(401, json={"error": "invalid_grant",
                                        "error_description": "Invalid username or password"})
    c = connector(recorder([], refused))

    with pytest.raises(AuthError, match=r"Invalid username or password.*username and password"):
        c.reply(target(), "Thanks", "key-1")


def test_reply__without_business_login_says_what_to_set():
    seen: list[httpx.Request] = []

    with pytest.raises(AuthError, match="api_secret"):
        connector(recorder(seen), {"api_key": "PLACEHOLDER_API_KEY"}).reply(
            target(), "Thanks", "key-1")
    assert seen == []


def test_reply__without_business_user_id_says_where_to_set_it():
    spec = SourceSpec(brand_id="acme", name="tp", type="trustpilot", query="",
                      options={"business_unit_id": UNIT}, credentials=CREDENTIALS)
    c = TrustpilotConnector(spec, httpx.Client(transport=httpx.MockTransport(recorder([]))))

    with pytest.raises(ReplyRejected, match=r"options\.business_user_id"):
        c.reply(target(), "Thanks", "key-1")


def test_fetch__html_instead_of_json_is_temporary():
    proxy_page = httpx.Response(200, text="<html>Bad gateway</html>")

    with pytest.raises(TemporaryPlatformError, match="not a JSON page"):
        connector(recorder([], proxy_page)).fetch(None)
