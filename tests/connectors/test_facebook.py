"""Facebook Page connector against recorded Graph API responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from connectors._graph import GRAPH_URL
from connectors.facebook import FacebookConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected, TemporaryPlatformError
from tests.connectors._support import Recorded, mock_client

NOW = 1_795_300_000.0
PAGE = "104000000000001"
POST = f"{PAGE}_500000000000002"
RECORDED = Recorded("facebook")
ok = RECORDED.ok


def router(routes: dict[str, list[httpx.Response]], seen: list[httpx.Request]
           ) -> Callable[[httpx.Request], httpx.Response]:
    """Answer by path (the page link, for a next page, by its `after`), in order per route."""
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


def connector(routes: dict[str, list[httpx.Response]], seen: list[httpx.Request] | None = None,
              **options: object) -> FacebookConnector:
    spec = SourceSpec(brand_id="acme", name="fb", type="facebook", query="",
                      options={"page_id": PAGE, "max_posts": 2, **options},
                      credentials={"page_access_token": "PLACEHOLDER_PAGE_TOKEN"})
    return FacebookConnector(spec, mock_client(router(routes, [] if seen is None else seen)),
                             clock=lambda: NOW)


def standard() -> dict[str, list[httpx.Response]]:
    return {f"{PAGE}/posts": [ok("posts.json")],
            f"{POST}/comments": [ok("comments_page1.json")],
            f"{PAGE}/visitor_posts": [ok("visitor_posts.json")],
            f"{PAGE}/tagged": [ok("tagged.json")]}


def test_fetch__first_page_oldest_first_without_the_pages_own():
    seen: list[httpx.Request] = []

    result = connector(standard(), seen).fetch(None)

    assert [m.id for m in result.mentions] == [
        "7100000000000006_610000000000001", f"{PAGE}_600000000000001",
        "500000000000002_900000000000002", "500000000000002_900000000000003"]
    first = seen[0]
    assert str(first.url).startswith(GRAPH_URL + f"{PAGE}/posts")
    assert first.headers["Authorization"] == "Bearer PLACEHOLDER_PAGE_TOKEN"
    assert "access_token" not in str(first.url)
    comments = next(r for r in seen if r.url.path.endswith(f"{POST}/comments"))
    assert comments.url.params["filter"] == "stream"
    assert comments.url.params["order"] == "reverse_chronological"
    state = json.loads(result.cursor or "")
    assert state["comments"] == {"modified": "2026-11-21T09:30:00+00:00",
                                 "ids": ["500000000000002_900000000000004"]}
    assert set(state) == {"comments", "visitor_posts", "tagged"}


def test_fetch__mapped_fields():
    by_id = {m.id: m for m in connector(standard()).fetch(None).mentions}

    comment = by_id["500000000000002_900000000000003"]
    assert comment.text == "Still no refund after three weeks, this is a joke"
    assert comment.author_id == "7100000000000003" and comment.author_name == "Ola Nowak"
    assert comment.kind == "comment" and comment.title == "Our winter blend is back!"
    assert comment.extra["post_id"] == POST and comment.conversation_id == POST
    reply = by_id["500000000000002_900000000000002"]
    assert reply.extra["parent_id"] == "500000000000002_900000000000001"
    visitor = by_id[f"{PAGE}_600000000000001"]
    assert visitor.kind == "post" and visitor.extra["feed"] == "visitor_posts"
    assert visitor.edited_at is not None
    tagged = by_id["7100000000000006_610000000000001"]
    assert tagged.author_id == ""  # Facebook hides `from` on others' posts


def test_fetch__next_page_followed_without_the_token_in_the_link():
    seen: list[httpx.Request] = []
    older = json.dumps({"comments": {"modified": "2026-11-20T00:00:00+00:00", "ids": []}})
    routes = standard()
    routes[f"{POST}/comments?after"] = [ok("comments_page2.json")]

    result = connector(routes, seen).fetch(older)

    paged = [r for r in seen if "after" in r.url.params]
    assert len(paged) == 1
    assert "access_token" not in str(paged[0].url)
    assert paged[0].headers["Authorization"] == "Bearer PLACEHOLDER_PAGE_TOKEN"
    assert "500000000000002_900000000000001" in [m.id for m in result.mentions]


def test_fetch__cursor_only_moves_forward():
    cursor = connector(standard()).fetch(None).cursor

    again = connector(standard()).fetch(cursor)

    assert again.mentions == []
    assert json.loads(again.cursor or "") == json.loads(cursor or "")


def test_fetch__empty_keeps_the_cursor():
    older = json.dumps({"tagged": {"ids": [], "modified": "2026-11-20T00:00:00+00:00"}},
                       sort_keys=True)
    result = connector({f"{PAGE}/posts": [ok("empty.json")]}).fetch(older)

    assert result.mentions == []
    assert json.loads(result.cursor or "") == json.loads(older)


def test_fetch__malformed_item_skipped_and_counted(caplog):
    result = connector(standard()).fetch(None)

    assert result.skipped == 1
    assert "malformed" in caplog.text


def test_fetch__rate_limited_honours_the_usage_header():
    usage = json.dumps({PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 25,
                                "total_time": 25, "estimated_time_to_regain_access": 7}]})
    limited = httpx.Response(400, json=RECORDED.json("error_rate_limit.json"),
                             headers={"X-Business-Use-Case-Usage": usage})

    with pytest.raises(RateLimited) as err:
        connector({f"{PAGE}/posts": [limited]}).fetch(None)
    assert err.value.retry_after == 7 * 60


def test_fetch__http_429_without_headers_is_rate_limited():
    with pytest.raises(RateLimited) as err:
        connector({f"{PAGE}/posts": [httpx.Response(429)]}).fetch(None)
    assert err.value.retry_after is None


def test_fetch__expired_token_says_what_to_do():
    expired = ok("error_token_expired.json", 400)

    with pytest.raises(AuthError, match=r"expired or was revoked.*Session has expired.*"
                       r"long-lived token.*credentials\.page_access_token"):
        connector({f"{PAGE}/posts": [expired]}).fetch(None)


def test_fetch__missing_permission_named():
    with pytest.raises(AuthError, match="pages_read_engagement permission"):
        connector({f"{PAGE}/posts": [ok("error_permission.json", 403)]}).fetch(None)


def test_fetch__server_error_is_temporary():
    with pytest.raises(TemporaryPlatformError, match="unexpected error"):
        connector({f"{PAGE}/posts": [ok("error_server.json", 500)]}).fetch(None)


def target(**extra: str) -> ReplyTarget:
    return ReplyTarget(platform="facebook", mention_id="500000000000002_900000000000003",
                       url="https://www.facebook.com/x", author_handle="Ola Nowak",
                       extra={"feed": "comment", "object_id": "500000000000002_900000000000003",
                              **extra})


def test_reply__lands_on_the_comment():
    seen: list[httpx.Request] = []
    c = connector({"500000000000002_900000000000003/comments": [ok("comment_posted.json")]}, seen)

    result = c.reply(target(), "Sorry Ola, we have refunded you today.", "key-1")

    assert seen[0].method == "POST"
    assert seen[0].url.path == "/v21.0/500000000000002_900000000000003/comments"
    assert parse_qs(seen[0].content.decode()) == {
        "message": ["Sorry Ola, we have refunded you today."]}
    assert result.id == "500000000000002_900000000000010"


def test_reply__to_a_reply_goes_under_its_parent():
    seen: list[httpx.Request] = []
    c = connector({"500000000000002_900000000000001/comments": [ok("comment_posted.json")]}, seen)

    c.reply(target(parent_id="500000000000002_900000000000001"), "Thanks", "key-1")

    assert seen[0].url.path == "/v21.0/500000000000002_900000000000001/comments"


def test_reply__deleted_comment_in_plain_words():
    c = connector({"500000000000002_900000000000003/comments": [ok("error_deleted.json", 400)]})

    with pytest.raises(ReplyRejected, match=r"deleted.*nothing was published"):
        c.reply(target(), "Thanks", "key-1")


def test_reply__too_long_refused_before_sending():
    seen: list[httpx.Request] = []

    with pytest.raises(ReplyRejected, match="8000"):
        connector({}, seen).reply(target(), "x" * 8001, "key-1")
    assert seen == []


def test_hide__hides_the_comment():
    seen: list[httpx.Request] = []
    c = connector({"500000000000002_900000000000003": [ok("hide_ok.json")]}, seen)

    c.hide(target())

    assert seen[0].method == "POST"
    assert seen[0].url.path == "/v21.0/500000000000002_900000000000003"
    assert parse_qs(seen[0].content.decode()) == {"is_hidden": ["true"]}


def test_hide__a_post_is_refused_in_plain_words():
    with pytest.raises(ReplyRejected, match="only comments can be hidden"):
        connector({}).hide(target(feed="visitor_posts"))
