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
