"""Google Play connector against recorded Android Publisher API responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

from connectors.google_play import GooglePlayConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected, TemporaryPlatformError
from tests.connectors._support import Recorded

RECORDED = Recorded("google_play")
PACKAGE = "com.example.shop"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


fixture = RECORDED.text
ok = RECORDED.google_ok


def make(*responses: tuple[dict[str, str], str],
         **options: object) -> tuple[GooglePlayConnector, HttpMockSequence]:
    http = HttpMockSequence(list(responses))
    client = build("androidpublisher", "v3", http=http, static_discovery=True)
    spec = SourceSpec(brand_id="acme", name="play", type="google_play", query="",
                      options={"package_names": [PACKAGE], **options},
                      credentials={"service_account_json": "PLACEHOLDER"})
    return GooglePlayConnector(spec, client, clock=NOW.timestamp), http


def query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


OLDER = json.dumps({"modified": "2026-11-01T00:00:00+00:00", "ids": []})


def test_fetch__first_poll_reads_only_the_newest_page():
    connector, http = make(ok("reviews_page1.json"))

    result = connector.fetch(None)

    assert len(http.request_sequence) == 1
    assert [m.id for m in result.mentions] == [
        "gp:AOqpTOH-placeholder-0002", "gp:AOqpTOH-placeholder-0001"]  # oldest first
    assert result.blind_spot is None


def test_fetch__next_page_followed_oldest_first():
    connector, http = make(ok("reviews_page1.json"), ok("reviews_page2.json"))

    result = connector.fetch(OLDER)

    assert [m.id for m in result.mentions] == [
        "gp:AOqpTOH-placeholder-0004", "gp:AOqpTOH-placeholder-0002", "gp:AOqpTOH-placeholder-0001"]
    assert urlsplit(http.request_sequence[0][0]).path == (
        f"/androidpublisher/v3/applications/{PACKAGE}/reviews")
    assert "token" not in query(http.request_sequence[0][0])
    assert query(http.request_sequence[1][0])["token"] == ["PLACEHOLDER_NEXT_PAGE_TOKEN"]
    assert json.loads(result.cursor)["ids"] == ["gp:AOqpTOH-placeholder-0001"]


def test_fetch__rating_title_and_edited_at_mapped():
    connector, _ = make(ok("reviews_page1.json"), ok("reviews_page2.json"))

    by_id = {m.id: m for m in connector.fetch(OLDER).mentions}

    crash = by_id["gp:AOqpTOH-placeholder-0001"]
    assert crash.rating == 1
    assert crash.title == "Checkout broken"
    assert crash.text.startswith("The app crashes")
    assert crash.edited_at == datetime(2026, 11, 21, 9, 30, 0, 250000, tzinfo=UTC)
    assert crash.lang_hint is None  # reviewerLanguage is the device's locale, not the review's
    assert crash.extra["device_locale"].startswith("pl")
    assert crash.kind == "review"
    assert crash.extra["package_name"] == PACKAGE
    assert crash.url == f"https://play.google.com/store/apps/details?id={PACKAGE}&reviewId={crash.id}"
    love = by_id["gp:AOqpTOH-placeholder-0002"]
    assert (love.rating, love.title) == (5, "")
    assert love.text == "Love it, the new search finds everything."


def test_fetch__edited_review_returned_again_unchanged_ones_not():
    connector, _ = make(ok("reviews_page1.json"), ok("reviews_page2.json"))
    cursor = connector.fetch(OLDER).cursor
    edited = json.loads(fixture("reviews_page1.json"))
    changed = edited["reviews"][1]["comments"][0]["userComment"]
    later = datetime(2026, 11, 21, 10, tzinfo=UTC)
    changed["lastModified"] = {"seconds": str(int(later.timestamp()))}
    changed["starRating"] = 2
    edited["reviews"].reverse()  # the API lists the most recent change first
    connector, _ = make(({"status": "200"}, json.dumps(edited)), ok("reviews_page2.json"))

    result = connector.fetch(cursor)

    assert [(m.id, m.rating) for m in result.mentions] == [("gp:AOqpTOH-placeholder-0002", 2)]
    assert result.mentions[0].edited_at == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_fetch__empty_keeps_position():
    connector, _ = make(ok("reviews_page1.json"))
    cursor = connector.fetch(None).cursor
    connector, _ = make(ok("reviews_empty.json"))

    result = connector.fetch(cursor)

    assert result.mentions == []
    assert json.loads(result.cursor)["modified"] == json.loads(cursor)["modified"]
    assert result.blind_spot is None


def test_fetch__gap_longer_than_a_week_is_reported():
    connector, _ = make(ok("reviews_empty.json"))
    cursor = json.dumps({"polled": "2026-11-10T08:00:00+00:00"})

    result = connector.fetch(cursor)

    assert "2026-11-10T08:00" in result.blind_spot
    assert "missed" in result.blind_spot
    assert "seven days" in GooglePlayConnector.blind_spot


def test_fetch__stops_at_max_pages_and_says_so():
    connector, http = make(ok("reviews_page1.json"), max_pages=1)

    result = connector.fetch(OLDER)

    assert len(http.request_sequence) == 1
    assert "max_pages" in result.blind_spot


def test_fetch__malformed_item_skipped_and_counted(caplog):
    connector, _ = make(ok("reviews_page1.json"))

    result = connector.fetch(None)

    assert result.skipped == 1
    assert "malformed" in caplog.text


def test_fetch__rate_limited():
    connector, _ = make(({"status": "429", "retry-after": "30"}, fixture("error_429.json")))

    with pytest.raises(RateLimited) as err:
        connector.fetch(None)
    assert err.value.retry_after == 30


def test_fetch__expired_credentials_name_the_credential():
    connector, _ = make(({"status": "401"}, fixture("error_401.json")))

    with pytest.raises(AuthError, match="service_account_json"):
        connector.fetch(None)


def test_fetch__server_error_is_temporary():
    connector, _ = make(({"status": "503"}, '{"error": {"code": 503, "message": "Backend Error"}}'))

    with pytest.raises(TemporaryPlatformError, match="503"):
        connector.fetch(None)


def target() -> ReplyTarget:
    return ReplyTarget(platform="google_play", mention_id="gp:AOqpTOH-placeholder-0001", url="",
                       author_handle="Marta K.",
                       extra={"package_name": PACKAGE, "review_id": "gp:AOqpTOH-placeholder-0001"})


def test_reply__lands_on_the_review():
    connector, http = make(ok("reply.json"))
    text = "Thank you, Marta. We fixed the Pay button in 4.1.1; please update."

    result = connector.reply(target(), text, "key-1")

    uri, method, body, _ = http.request_sequence[0]
    assert method == "POST"
    assert unquote(urlsplit(uri).path) == (
        f"/androidpublisher/v3/applications/{PACKAGE}/reviews/gp:AOqpTOH-placeholder-0001:reply")
    assert json.loads(body) == {"replyText": text}
    assert result.id == "gp:AOqpTOH-placeholder-0001"


def test_reply__refusal_in_plain_words():
    connector, _ = make(({"status": "400"}, fixture("error_reply_400.json")))

    with pytest.raises(ReplyRejected, match="refused the reply: The review cannot be replied to"):
        connector.reply(target(), "Thanks", "key-1")


def test_reply__too_long_refused_before_calling():
    connector, http = make()

    with pytest.raises(ReplyRejected, match="at most 350"):
        connector.reply(target(), "x" * 351, "key-1")
    assert http.request_sequence == []


def test_service_account_json__path_or_content(tmp_path):
    from connectors.google_play import _service_account_info

    key = {"type": "service_account", "client_email": "bot@example.iam.gserviceaccount.com"}
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key))
    assert _service_account_info(str(path)) == key
    assert _service_account_info(json.dumps(key)) == key
    with pytest.raises(AuthError, match="cannot read the key file"):
        _service_account_info(str(tmp_path / "missing.json"))


def test_options__unknown_field_rejected():
    with pytest.raises(ValueError, match="package_name"):
        GooglePlayConnector.validate_options({"package_name": "com.example.shop"})


def test_fetch__html_instead_of_json_is_temporary():
    connector, _ = make(({"status": "200", "content-type": "text/html"}, "<html>oops</html>"))

    with pytest.raises(TemporaryPlatformError, match="not JSON"):
        connector.fetch(None)
