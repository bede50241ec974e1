"""YouTube connector against recorded YouTube Data API v3 responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

from connectors.youtube import YouTubeConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected, TemporaryPlatformError
from tests.connectors._support import Recorded

RECORDED = Recorded("youtube")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CHANNEL = "UCPLACEHOLDERbrandchannel0"
OLDER = json.dumps({"modified": "2026-11-15T00:00:00+00:00", "ids": []})
CREDENTIALS = {"api_key": "PLACEHOLDER_API_KEY", "oauth_token": "PLACEHOLDER_OAUTH_TOKEN"}


fixture = RECORDED.text
ok = RECORDED.google_ok


def fail(status: int, name: str, **headers: str) -> tuple[dict[str, str], str]:
    return {"status": str(status), **headers}, fixture(name)


def make(*responses: tuple[dict[str, str], str], credentials: dict[str, str] | None = None,
         **options: object) -> tuple[YouTubeConnector, HttpMockSequence]:
    http = HttpMockSequence(list(responses))
    client = build("youtube", "v3", http=http, developerKey="PLACEHOLDER_API_KEY",
                   static_discovery=True)
    spec = SourceSpec(brand_id="acme", name="yt", type="youtube", query="",
                      options=options or {"channel_id": CHANNEL},
                      credentials=CREDENTIALS if credentials is None else credentials)
    return YouTubeConnector(spec, client, clock=NOW.timestamp), http


def sent(http: HttpMockSequence, index: int) -> tuple[str, str, dict[str, list[str]], str]:
    uri, method, body, _ = http.request_sequence[index]
    parts = urlsplit(uri)
    return method, parts.path, parse_qs(parts.query), body


def test_fetch__first_poll_reads_only_the_newest_page():
    connector, http = make(ok("threads_page1.json"))

    result = connector.fetch(None)

    method, path, query, _ = sent(http, 0)
    assert (method, path) == ("GET", "/youtube/v3/commentThreads")
    assert query["allThreadsRelatedToChannelId"] == [CHANNEL]
    assert query["order"] == ["time"]
    assert query["key"] == ["PLACEHOLDER_API_KEY"]
    assert len(http.request_sequence) == 1
    # Oldest change first; the brand's own pinned comment is not a mention.
    assert [m.id for m in result.mentions] == [
        "UgzPLACEHOLDER0003", "UgzPLACEHOLDER0004", "UgzPLACEHOLDER0001"]


def test_fetch__next_page_followed_with_page_token():
    connector, http = make(ok("threads_page1.json"), ok("threads_page2.json"))

    result = connector.fetch(OLDER)

    assert sent(http, 1)[2]["pageToken"] == ["PLACEHOLDER_PAGE_TOKEN"]
    assert "UgzPLACEHOLDER0006" not in [m.id for m in result.mentions]  # older than the cursor
    assert result.blind_spot is None


def test_fetch__videos_read_one_by_one():
    connector, http = make(ok("threads_empty.json"), ok("threads_empty.json"),
                           video_ids=["vidPLACEHOLD", "vidPLACEHOL2"])

    connector.fetch(None)

    assert [sent(http, i)[2]["videoId"] for i in (0, 1)] == [["vidPLACEHOLD"], ["vidPLACEHOL2"]]


def test_fetch__fields_and_edited_at_mapped():
    connector, _ = make(ok("threads_page1.json"))

    by_id = {m.id: m for m in connector.fetch(None).mentions}

    blender = by_id["UgzPLACEHOLDER0001"]
    assert blender.kind == "comment"
    assert blender.rating is None
    assert blender.author_id == "UCPLACEHOLDERviewer00001"
    assert blender.author_handle == "@mina.reviews"
    assert blender.url == "https://www.youtube.com/watch?v=vidPLACEHOLD&lc=UgzPLACEHOLDER0001"
    assert blender.conversation_id == "vidPLACEHOLD"
    assert blender.extra["parent_id"] == "UgzPLACEHOLDER0001"
    edited = by_id["UgzPLACEHOLDER0004"]
    assert edited.published_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert edited.edited_at == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def test_fetch__edited_comment_returned_again_unchanged_ones_not():
    connector, _ = make(ok("threads_page1.json"))
    cursor = connector.fetch(None).cursor
    page = json.loads(fixture("threads_page1.json"))
    snippet = page["items"][2]["snippet"]["topLevelComment"]["snippet"]
    snippet.update(textOriginal="Changed my mind: the soup recipe burns the pan.",
                   updatedAt="2026-11-21T11:00:00Z")
    connector, _ = make(({"status": "200"}, json.dumps(page)))

    result = connector.fetch(cursor)

    assert [m.id for m in result.mentions] == ["UgzPLACEHOLDER0003"]
    assert result.mentions[0].edited_at == datetime(2026, 11, 21, 11, 0, tzinfo=UTC)


def test_fetch__empty_keeps_the_cursor():
    connector, _ = make(ok("threads_empty.json"))

    result = connector.fetch(OLDER)

    assert result.mentions == []
    assert result.cursor == OLDER


def test_fetch__truncated_at_max_pages_says_so():
    connector, _ = make(ok("threads_page1.json"), channel_id=CHANNEL, max_pages=1)

    assert "max_pages" in connector.fetch(OLDER).blind_spot


def test_fetch__malformed_item_skipped_and_counted(caplog):
    connector, _ = make(ok("threads_page1.json"))

    result = connector.fetch(None)

    assert result.skipped == 1
    assert "malformed" in caplog.text


def test_fetch__rate_limited():
    connector, _ = make(fail(429, "error_429.json", **{"retry-after": "20"}))

    with pytest.raises(RateLimited) as err:
        connector.fetch(None)
    assert err.value.retry_after == 20


def test_fetch__daily_quota_waits_until_midnight_pacific():
    connector, _ = make(fail(403, "error_403_quota.json"))

    with pytest.raises(RateLimited) as err:
        connector.fetch(None)
    assert err.value.retry_after == 20 * 3600  # 04:00 PST, 20 hours before midnight


def test_fetch__invalid_api_key_names_it_without_showing_it():
    connector, _ = make(fail(400, "error_400_api_key.json"))

    with pytest.raises(AuthError, match="renew api_key") as err:
        connector.fetch(None)
    assert "PLACEHOLDER_API_KEY" not in str(err.value)
    assert err.value.__cause__ is None  # the HttpError's text carries the key in its URL


def test_fetch__brand_handle_skipped_when_watching_videos():
    http = HttpMockSequence([ok("threads_page1.json")])
    client = build("youtube", "v3", http=http, developerKey="PLACEHOLDER_API_KEY",
                   static_discovery=True)
    spec = SourceSpec(brand_id="acme", name="yt", type="youtube", query="",
                      own_handles=("ExampleBrand",), options={"video_ids": ["vidPLACEHOLD"]},
                      credentials=CREDENTIALS)

    result = YouTubeConnector(spec, client, clock=NOW.timestamp).fetch(None)

    assert "UgzPLACEHOLDER0002" not in [m.id for m in result.mentions]
    assert len(result.mentions) == 3


def test_fetch__server_error_is_temporary():
    connector, _ = make(({"status": "503"}, '{"error": {"code": 503, "message": "Backend Error"}}'))

    with pytest.raises(TemporaryPlatformError, match="503"):
        connector.fetch(None)


def target(**extra: object) -> ReplyTarget:
    return ReplyTarget(platform="youtube", mention_id="UgzPLACEHOLDER0001", url="",
                       author_handle="@mina.reviews",
                       extra={"video_id": "vidPLACEHOLD", "channel_id": CHANNEL,
                              "parent_id": "UgzPLACEHOLDER0001", "can_reply": True, **extra})


REPLY = json.loads(fixture("comment_inserted.json"))["snippet"]["textOriginal"]


def test_reply__lands_in_the_thread():
    connector, http = make(ok("replies_empty.json"), ok("comment_inserted.json"))

    result = connector.reply(target(), REPLY, "key-1")

    method, path, query, _ = sent(http, 0)
    assert (method, path, query["parentId"]) == ("GET", "/youtube/v3/comments",
                                                 ["UgzPLACEHOLDER0001"])
    method, path, query, body = sent(http, 1)
    assert (method, path, query["part"]) == ("POST", "/youtube/v3/comments", ["snippet"])
    assert json.loads(body) == {"snippet": {"parentId": "UgzPLACEHOLDER0001",
                                            "textOriginal": REPLY}}
    assert result.id == "UgzPLACEHOLDER0001.9xPLACEHOLDERreply1"
    assert result.url == ("https://www.youtube.com/watch?v=vidPLACEHOLD"
                          "&lc=UgzPLACEHOLDER0001.9xPLACEHOLDERreply1")


def test_reply__same_answer_already_there_is_not_posted_twice():
    connector, http = make(ok("replies_with_ours.json"))

    result = connector.reply(target(), REPLY, "key-1")

    assert len(http.request_sequence) == 1
    assert result.id == "UgzPLACEHOLDER0001.9xPLACEHOLDERreply1"


def test_reply__refusal_in_plain_words():
    connector, _ = make(ok("replies_empty.json"), fail(403, "error_403_comments_disabled.json"))

    with pytest.raises(ReplyRejected, match="comments are turned off"):
        connector.reply(target(), "Thanks", "key-1")


def test_reply__deleted_comment():
    connector, _ = make(fail(404, "error_404_parent.json"))

    with pytest.raises(ReplyRejected, match="no longer exists"):
        connector.reply(target(), "Thanks", "key-1")


def test_reply__platform_message_passed_on():
    connector, _ = make(ok("replies_empty.json"), fail(400, "error_400_too_long.json"))

    with pytest.raises(ReplyRejected, match="refused the reply: The comment is too long"):
        connector.reply(target(), "Thanks", "key-1")


def test_reply__expired_oauth_token_names_it():
    connector, _ = make(fail(401, "error_401_oauth.json"))

    with pytest.raises(AuthError, match="renew oauth_token"):
        connector.reply(target(), "Thanks", "key-1")


def test_reply__without_oauth_says_what_to_map():
    connector, http = make(credentials={"api_key": "PLACEHOLDER_API_KEY"})

    with pytest.raises(AuthError, match="oauth_token"):
        connector.reply(target(), "Thanks", "key-1")
    assert http.request_sequence == []


def test_reply__turned_off_thread_refused_before_calling():
    connector, http = make()

    with pytest.raises(ReplyRejected, match="turned off"):
        connector.reply(target(can_reply=False), "Thanks", "key-1")
    assert http.request_sequence == []


def test_options__channel_or_videos():
    with pytest.raises(ValueError, match="either channel_id"):
        YouTubeConnector.validate_options({})
    with pytest.raises(ValueError, match="either channel_id"):
        YouTubeConnector.validate_options({"channel_id": CHANNEL, "video_ids": ["v"]})
