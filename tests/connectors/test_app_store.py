"""App Store connector against recorded App Store Connect API responses."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from connectors.app_store import AppStoreConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected, TemporaryPlatformError
from tests.connectors._support import Handler, Recorded, mock_client, recorder

NOW = 1_795_300_000.0
APP = "1234567890"
OLDER = json.dumps({"modified": "2026-11-01T00:00:00+00:00", "ids": []})
PST = timezone(timedelta(hours=-8))

RECORDED = Recorded("app_store")
fixture = RECORDED.json
ok = RECORDED.ok


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    """A throwaway P-256 key, like the .p8 file App Store Connect hands out."""
    return ec.generate_private_key(ec.SECP256R1())


def pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def connector(handler: Handler, key: ec.EllipticCurvePrivateKey, private_key: str | None = None,
              **options: object) -> AppStoreConnector:
    spec = SourceSpec(brand_id="acme", name="ios", type="app_store", query="",
                      options={"app_ids": [APP], **options},
                      credentials={"key_id": "PLACEHOLDER_KEY_ID",
                                   "issuer_id": "00000000-placeholder-issuer",
                                   "private_key": private_key or pem(key)})
    return AppStoreConnector(spec, mock_client(handler), clock=lambda: NOW)


def test_fetch__first_poll_reads_only_the_newest_page(key):
    seen: list[httpx.Request] = []

    result = connector(recorder(seen, ok("reviews_page1.json")), key).fetch(None)

    assert len(seen) == 1
    assert seen[0].url.path == f"/v1/apps/{APP}/customerReviews"
    assert seen[0].url.params["sort"] == "-createdDate"
    assert [m.id for m in result.mentions] == [
        "00000002-placeholder-review", "00000001-placeholder-review"]  # oldest first
    assert json.loads(result.cursor) == {"modified": "2026-11-21T01:20:31-08:00",
                                         "ids": ["00000001-placeholder-review"]}


def test_fetch__next_page_followed_through_links_next(key):
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, ok("reviews_page1.json"), ok("reviews_page2.json")), key)

    result = c.fetch(OLDER)

    assert seen[1].url.params["cursor"] == "PLACEHOLDER_CURSOR"
    assert [m.id for m in result.mentions] == [
        "00000004-placeholder-review", "00000002-placeholder-review",
        "00000001-placeholder-review"]
    assert result.blind_spot is None


def test_fetch__stops_at_reviews_older_than_the_cursor(key):
    seen: list[httpx.Request] = []
    cursor = json.dumps({"modified": "2026-11-20T16:02:10-08:00",
                         "ids": ["00000002-placeholder-review"]})

    result = connector(recorder(seen, ok("reviews_page1.json")), key).fetch(cursor)

    assert len(seen) == 1
    assert [m.id for m in result.mentions] == ["00000001-placeholder-review"]


def test_fetch__rating_and_fields_mapped(key):
    result = connector(recorder([], ok("reviews_page1.json")), key).fetch(None)

    lost, love = result.mentions[1], result.mentions[0]
    assert lost.rating == 1
    assert lost.title == "Lost my order history"
    assert lost.text.startswith("Since 4.2 the orders tab is blank")
    assert lost.author_handle == "night_owl_77"
    assert lost.published_at == datetime(2026, 11, 21, 1, 20, 31, tzinfo=PST)
    assert lost.edited_at is None  # Apple reports no time of change
    assert lost.extra == {"app_id": APP, "review_id": lost.id, "territory": "USA"}
    assert lost.url == f"https://apps.apple.com/app/id{APP}?see-all=reviews"
    assert love.rating == 5


def test_fetch__empty_keeps_the_cursor(key):
    result = connector(recorder([], ok("reviews_empty.json")), key).fetch(OLDER)

    assert result.mentions == []
    assert result.cursor == OLDER


def test_fetch__truncated_at_max_pages_says_so(key):
    result = connector(recorder([], ok("reviews_page1.json")), key, max_pages=1).fetch(OLDER)

    assert "max_pages" in result.blind_spot


def test_fetch__malformed_item_skipped_and_counted(key, caplog):
    result = connector(recorder([], ok("reviews_page1.json")), key).fetch(None)

    assert result.skipped == 1
    assert "00000003" not in [m.id for m in result.mentions]
    assert "malformed" in caplog.text


def test_fetch__rate_limited(key):
    limited = httpx.Response(429, json=fixture("error_429.json"), headers={"Retry-After": "60"})

    with pytest.raises(RateLimited) as err:
        connector(recorder([], limited), key).fetch(None)
    assert err.value.retry_after == 60


def test_fetch__expired_credentials_name_what_to_renew(key):
    c = connector(recorder([], ok("error_401.json", 401)), key)

    with pytest.raises(AuthError, match=r"key_id and issuer_id.*private_key"):
        c.fetch(None)


def test_fetch__server_error_and_timeout_are_temporary(key):
    seen: list[httpx.Request] = []
    with pytest.raises(TemporaryPlatformError, match="503"):
        connector(recorder(seen, *[httpx.Response(503)] * 3), key).fetch(None)
    assert len(seen) == 3  # a passing 5xx is tried again within the poll, then reported

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)
    with pytest.raises(TemporaryPlatformError, match="ReadTimeout"):
        connector(timeout, key).fetch(None)


def test_token__es256_signed_with_the_team_key(key, tmp_path):
    seen: list[httpx.Request] = []
    path = tmp_path / "AuthKey_PLACEHOLDER.p8"
    path.write_text(pem(key))

    connector(recorder(seen, ok("reviews_empty.json")), key, private_key=str(path)).fetch(None)

    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "PLACEHOLDER_KEY_ID",
                                                "typ": "JWT"}
    claims = jwt.decode(token, key.public_key(), algorithms=["ES256"],
                        audience="appstoreconnect-v1", options={"verify_exp": False})
    assert claims == {"iss": "00000000-placeholder-issuer", "iat": int(NOW),
                      "exp": int(NOW) + 20 * 60, "aud": "appstoreconnect-v1"}


def test_token__reused_until_nearly_expired(key):
    now = [NOW]
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, *[ok("reviews_empty.json")] * 3), key)
    c._clock = lambda: now[0]

    c.fetch(None)
    now[0] += 10 * 60
    c.fetch(None)
    now[0] += 9 * 60 + 30
    c.fetch(None)

    tokens = [r.headers["Authorization"] for r in seen]
    assert tokens[0] == tokens[1] != tokens[2]


def test_token__unusable_key_names_the_credential(key):
    c = connector(recorder([]), key, private_key="-----BEGIN PRIVATE KEY-----\nnot a key\n")

    with pytest.raises(AuthError, match="private_key"):
        c.fetch(None)


def target() -> ReplyTarget:
    return ReplyTarget(platform="app_store", mention_id="00000001-placeholder-review", url="",
                       author_handle="night_owl_77",
                       extra={"app_id": APP, "review_id": "00000001-placeholder-review"})


def test_reply__lands_on_the_review(key):
    seen: list[httpx.Request] = []
    c = connector(recorder(seen, ok("response_created.json", 201)), key)
    text = "We are sorry about the missing history. Version 4.2.1 restores it; please update."

    result = c.reply(target(), text, "key-1")

    assert seen[0].method == "POST"
    assert seen[0].url == "https://api.appstoreconnect.apple.com/v1/customerReviewResponses"
    assert json.loads(seen[0].content) == {"data": {
        "type": "customerReviewResponses",
        "attributes": {"responseBody": text},
        "relationships": {"review": {"data": {"type": "customerReviews",
                                              "id": "00000001-placeholder-review"}}},
    }}
    assert result.id == "00000009-placeholder-response"


def test_reply__refusal_in_plain_words(key):
    c = connector(recorder([], ok("error_reply_409.json", 409)), key)

    with pytest.raises(ReplyRejected, match="refused the reply: The response body contains"):
        c.reply(target(), "Thanks", "key-1")


def test_reply__deleted_review(key):
    c = connector(recorder([], httpx.Response(404, json={"errors": [{"status": "404"}]})), key)

    with pytest.raises(ReplyRejected, match="no longer exists"):
        c.reply(target(), "Thanks", "key-1")


def test_reply__too_long_refused_before_calling(key):
    seen: list[httpx.Request] = []

    with pytest.raises(ReplyRejected, match="at most 5970"):
        connector(recorder(seen), key).reply(target(), "x" * 5971, "key-1")
    assert seen == []
