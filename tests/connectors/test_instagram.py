"""Instagram connector against recorded Graph API responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.instagram import InstagramConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected
from tests.connectors._support import Recorded, mock_client

NOW = 1_795_300_000.0
IG = "17841400000000001"
MEDIA = "17900000000000002"
RECORDED = Recorded("instagram")
ok = RECORDED.ok


def router(routes: dict[str, list[httpx.Response]], seen: list[httpx.Request]
           ) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = request.url.path.removeprefix("/v21.0/")
        if "after" in request.url.params:
            key += "?after"
        queue = routes.get(key)
        if not queue:
            return ok("empty.json")
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return handler


def connector(routes: dict[str, list[httpx.Response]],
              seen: list[httpx.Request] | None = None) -> InstagramConnector:
    spec = SourceSpec(brand_id="acme", name="ig", type="instagram", query="",
                      own_handles=("acmecoffee",), options={"ig_user_id": IG, "max_media": 1},
                      credentials={"access_token": "PLACEHOLDER_IG_TOKEN"})
    return InstagramConnector(spec, mock_client(router(routes, [] if seen is None else seen)),
                              clock=lambda: NOW)


def standard() -> dict[str, list[httpx.Response]]:
    return {f"{IG}/media": [ok("media.json")], f"{MEDIA}/comments": [ok("comments_page1.json")],
            f"{IG}/tags": [ok("tags.json")]}


def test_fetch__first_page_with_nested_replies_oldest_first():
    seen: list[httpx.Request] = []

    result = connector(standard(), seen).fetch(None)

    assert [m.id for m in result.mentions] == [
        "17910000000000001", "17950000000000002", "17950000000000003", "17950000000000005"]
    assert seen[0].headers["Authorization"] == "Bearer PLACEHOLDER_IG_TOKEN"
    assert seen[0].url.params["limit"] == "1"
    state = json.loads(result.cursor or "")
    assert state["comments"]["modified"] == "2026-11-21T09:50:00+00:00"  # own reply: seen, not alerted
    by_id = {m.id: m for m in result.mentions}
    reply = by_id["17950000000000005"]
    assert reply.extra["parent_id"] == "17950000000000003" and "replies" not in reply.extra
    assert reply.author_handle == "sam.lee" and reply.url == "https://www.instagram.com/p/DAcme0002/"
    assert "replies" not in by_id["17950000000000003"].extra
    assert by_id["17910000000000001"].extra["feed"] == "tags"


def test_fetch__next_page_followed():
    seen: list[httpx.Request] = []
    older = json.dumps({"comments": {"modified": "2026-11-20T00:00:00+00:00", "ids": []}})
    routes = standard()
    routes[f"{MEDIA}/comments?after"] = [ok("comments_page2.json")]

    result = connector(routes, seen).fetch(older)

    assert any("after" in r.url.params for r in seen)
    assert "17950000000000001" in [m.id for m in result.mentions]


def test_fetch__empty_keeps_the_cursor():
    older = json.dumps({"tags": {"ids": [], "modified": "2026-11-20T00:00:00+00:00"}})
    result = connector({f"{IG}/media": [ok("empty.json")]}).fetch(older)

    assert result.mentions == [] and json.loads(result.cursor or "") == json.loads(older)


def test_fetch__malformed_item_skipped_and_counted(caplog):
    assert connector(standard()).fetch(None).skipped == 1
    assert "malformed" in caplog.text


def test_fetch__rate_limited_honours_the_app_usage_header():
    limited = httpx.Response(400, json=RECORDED.json("error_rate_limit.json"), headers={
        "X-App-Usage": json.dumps({"call_count": 100, "total_time": 40, "total_cputime": 30,
                                   "estimated_time_to_regain_access": 2})})

    with pytest.raises(RateLimited) as err:
        connector({f"{IG}/media": [limited]}).fetch(None)
    assert err.value.retry_after == 120


def test_fetch__expired_token_says_what_to_do():
    with pytest.raises(AuthError, match=r"expired or was revoked.*credentials\.access_token"):
        connector({f"{IG}/media": [ok("error_token_expired.json", 400)]}).fetch(None)


def target(**extra: str) -> ReplyTarget:
    return ReplyTarget(platform="instagram", mention_id="17950000000000003",
                       url="https://www.instagram.com/p/DAcme0002/", author_handle="ola.nowak",
                       extra={"feed": "comments", "comment_id": "17950000000000003", **extra})


def test_reply__lands_on_the_comment():
    seen: list[httpx.Request] = []
    c = connector({"17950000000000003/replies": [ok("reply_posted.json")]}, seen)

    result = c.reply(target(), "Sorry Ola, please DM us your order number.", "key-1")

    assert seen[0].method == "POST" and seen[0].url.path == "/v21.0/17950000000000003/replies"
    assert parse_qs(seen[0].content.decode()) == {
        "message": ["Sorry Ola, please DM us your order number."]}
    assert result.id == "17950000000000010"


def test_reply__to_a_reply_goes_under_the_top_level_comment():
    seen: list[httpx.Request] = []
    c = connector({"17950000000000003/replies": [ok("reply_posted.json")]}, seen)

    c.reply(target(comment_id="17950000000000005", parent_id="17950000000000003"), "Hi", "k")

    assert seen[0].url.path == "/v21.0/17950000000000003/replies"


def test_reply__deleted_comment_in_plain_words():
    c = connector({"17950000000000003/replies": [ok("error_deleted.json", 400)]})

    with pytest.raises(ReplyRejected, match="deleted"):
        c.reply(target(), "Hi", "key-1")


def test_reply__tagged_media_refused_in_plain_words():
    with pytest.raises(ReplyRejected, match="open it on Instagram"):
        connector({}).reply(target(feed="tags"), "Hi", "key-1")


# @mentions elsewhere: pushed by the `mentions` webhook, read with the Mentions API.

def mentions_change(**value: str) -> dict[str, object]:
    """A change as alerts.meta_webhook hands it on."""
    return {"field": "mentions", "value": value, "entry_id": IG}


def test_mentioned__comment_mention_becomes_a_comment():
    seen: list[httpx.Request] = []
    c = connector({IG: [ok("mentioned_comment.json")]}, seen)

    [mention] = c.mentioned(mentions_change(comment_id="17960000000000021",
                                            media_id="17920000000000020"))

    assert seen[0].method == "GET" and seen[0].url.path == f"/v21.0/{IG}"
    assert seen[0].url.params["fields"] == (
        "mentioned_comment.comment_id(17960000000000021)"
        "{id,text,timestamp,username,like_count,media{id,permalink,username}}")
    assert seen[0].headers["Authorization"] == "Bearer PLACEHOLDER_IG_TOKEN"
    assert mention.kind == "comment" and mention.id == "17960000000000021"
    assert mention.text.startswith("@acmecoffee my grinder arrived broken")
    assert mention.url == "https://www.instagram.com/p/DKasia020/"
    assert mention.conversation_id == "17920000000000020"
    assert mention.author_handle == "kasia.w"
    assert mention.published_at.isoformat() == "2026-11-21T10:05:00+00:00"
    assert mention.extra == {"feed": "mentions", "mention": True, "own_media": False,
                             "comment_id": "17960000000000021", "media_id": "17920000000000020"}


def test_mentioned__caption_mention_becomes_a_post():
    seen: list[httpx.Request] = []
    c = connector({IG: [ok("mentioned_media.json")]}, seen)

    [mention] = c.mentioned(mentions_change(media_id="17920000000000030"))

    assert seen[0].url.params["fields"] == (
        "mentioned_media.media_id(17920000000000030)"
        "{id,caption,timestamp,username,permalink,media_type}")
    assert mention.kind == "post" and mention.id == "17920000000000030"
    assert mention.text == "Morning flat white with acmecoffee beans"
    assert mention.url == "https://www.instagram.com/p/DPiotr030/"
    assert mention.conversation_id == "17920000000000030"
    assert mention.extra["mention"] is True and mention.extra["media_id"] == "17920000000000030"
    assert "comment_id" not in mention.extra


def test_mentioned__other_fields_and_bad_ids_read_nothing():
    seen: list[httpx.Request] = []
    c = connector({}, seen)

    assert c.mentioned({"field": "comments", "value": {"id": "1"}, "entry_id": IG}) == []
    assert c.mentioned(mentions_change(comment_id="17960000000000021")) == []
    assert c.mentioned(mentions_change(media_id="../me")) == []
    assert seen == []


def test_mentioned__own_words_and_malformed_answers_are_dropped(caplog):
    own = RECORDED.json("mentioned_comment.json")
    own["mentioned_comment"]["username"] = "AcmeCoffee"
    broken = {"mentioned_comment": {"id": "17960000000000021"}, "id": IG}
    change = mentions_change(comment_id="17960000000000021", media_id="17920000000000020")

    assert connector({IG: [httpx.Response(200, json=own)]}).mentioned(change) == []
    assert connector({IG: [httpx.Response(200, json=broken)]}).mentioned(change) == []
    assert "malformed" in caplog.text


def test_mentioned__expired_token_is_an_auth_error():
    c = connector({IG: [ok("error_token_expired.json", 400)]})

    with pytest.raises(AuthError, match="expired or was revoked"):
        c.mentioned(mentions_change(media_id="17920000000000030"))


def test_mentioned__rate_limit_is_raised():
    with pytest.raises(RateLimited):
        connector({IG: [ok("error_rate_limit.json", 400)]}).mentioned(
            mentions_change(media_id="17920000000000030"))


def mention_target(**extra: object) -> ReplyTarget:
    return ReplyTarget(platform="instagram", mention_id="17960000000000021",
                       url="https://www.instagram.com/p/DKasia020/", author_handle="kasia.w",
                       conversation_id="17920000000000020",
                       extra={"feed": "mentions", "mention": True, "own_media": False,
                              "comment_id": "17960000000000021",
                              "media_id": "17920000000000020", **extra})


def test_reply__to_a_comment_mention_goes_to_mentions_with_both_ids():
    seen: list[httpx.Request] = []
    c = connector({f"{IG}/mentions": [ok("mention_reply_posted.json")]}, seen)

    result = c.reply(mention_target(), "Sorry Kasia, please DM us your order number.", "key-1")

    assert seen[0].method == "POST" and seen[0].url.path == f"/v21.0/{IG}/mentions"
    assert parse_qs(seen[0].content.decode()) == {
        "comment_id": ["17960000000000021"], "media_id": ["17920000000000020"],
        "message": ["Sorry Kasia, please DM us your order number."]}
    assert result.id == "17960000000000040"


def test_reply__to_a_caption_mention_sends_the_media_id_alone():
    seen: list[httpx.Request] = []
    c = connector({f"{IG}/mentions": [ok("mention_reply_posted.json")]}, seen)
    target = ReplyTarget(platform="instagram", mention_id="17920000000000030", url="",
                         author_handle="piotr.z",
                         extra={"feed": "mentions", "mention": True, "own_media": False,
                                "media_id": "17920000000000030"})

    c.reply(target, "Thanks Piotr!", "key-1")

    assert parse_qs(seen[0].content.decode()) == {
        "media_id": ["17920000000000030"], "message": ["Thanks Piotr!"]}


def test_reply__to_a_mention_on_our_own_media_uses_replies():
    seen: list[httpx.Request] = []
    c = connector({"17960000000000021/replies": [ok("reply_posted.json")]}, seen)

    c.reply(mention_target(own_media=True), "Hi", "key-1")

    assert seen[0].url.path == "/v21.0/17960000000000021/replies"


def test_reply__deleted_mention_in_plain_words():
    c = connector({f"{IG}/mentions": [ok("error_deleted.json", 400)]})

    with pytest.raises(ReplyRejected, match="deleted"):
        c.reply(mention_target(), "Hi", "key-1")
