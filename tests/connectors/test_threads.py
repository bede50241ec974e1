"""Threads connector against recorded Threads API responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.threads import ThreadsConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import AuthError, RateLimited, ReplyRejected
from tests.connectors._support import Recorded, mock_client

NOW = 1_795_300_000.0
RECORDED = Recorded("threads")
ok = RECORDED.ok


def router(routes: dict[str, list[httpx.Response]], seen: list[httpx.Request]
           ) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.url.host == "graph.threads.net"
        key = request.url.path.removeprefix("/v1.0/")
        if "after" in request.url.params:
            key += "?after"
        queue = routes.get(key)
        if not queue:
            return ok("empty.json")
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return handler


def connector(routes: dict[str, list[httpx.Response]],
              seen: list[httpx.Request] | None = None) -> ThreadsConnector:
    spec = SourceSpec(brand_id="acme", name="th", type="threads", query="acme coffee",
                      own_handles=("acmecoffee",), options={"user_id": "me", "max_threads": 1},
                      credentials={"access_token": "PLACEHOLDER_THREADS_TOKEN"})
    return ThreadsConnector(spec, mock_client(router(routes, [] if seen is None else seen)),
                            clock=lambda: NOW)


def standard() -> dict[str, list[httpx.Response]]:
    return {"keyword_search": [ok("search_page1.json")], "me/threads": [ok("own_threads.json")],
            "18060000000000001/conversation": [ok("conversation.json")]}


def test_fetch__first_page_search_and_replies_oldest_first():
    seen: list[httpx.Request] = []

    result = connector(standard(), seen).fetch(None)

    assert [m.id for m in result.mentions] == [
        "18050000000000002", "18070000000000002", "18050000000000003"]
    search = seen[0]
    assert search.url.params["q"] == "acme coffee"
    assert search.url.params["search_type"] == "RECENT"
    assert "since" not in search.url.params
    assert search.headers["Authorization"] == "Bearer PLACEHOLDER_THREADS_TOKEN"
    reply = {m.id: m for m in result.mentions}["18070000000000002"]
    assert reply.kind == "reply" and reply.conversation_id == "18060000000000001"
    assert reply.in_reply_to_id == "18060000000000001"
    state = json.loads(result.cursor or "")
    assert state["replies"]["modified"] == "2026-11-21T09:30:00+00:00"  # own reply: seen only


def test_fetch__next_page_followed_since_the_cursor():
    seen: list[httpx.Request] = []
    older = json.dumps({"search": {"modified": "2026-11-20T00:00:00+00:00", "ids": []}})
    routes = standard()
    routes["keyword_search?after"] = [ok("search_page2.json")]

    result = connector(routes, seen).fetch(older)

    assert seen[0].url.params["since"] == "1795132800"
    paged = [r for r in seen if "after" in r.url.params]
    assert paged and "access_token" not in str(paged[0].url)
    assert "18050000000000001" in [m.id for m in result.mentions]


def test_fetch__empty_keeps_the_cursor():
    older = json.dumps({"search": {"ids": [], "modified": "2026-11-20T00:00:00+00:00"}})
    result = connector({"keyword_search": [ok("empty.json")],
                        "me/threads": [ok("empty.json")]}).fetch(older)

    assert result.mentions == [] and json.loads(result.cursor or "") == json.loads(older)


def test_fetch__malformed_item_skipped_and_counted(caplog):
    assert connector(standard()).fetch(None).skipped == 1
    assert "malformed" in caplog.text


def test_fetch__rate_limited():
    usage = json.dumps({"1": [{"type": "threads", "estimated_time_to_regain_access": 10}]})
    limited = httpx.Response(400, json=RECORDED.json("error_rate_limit.json"),
                             headers={"X-Business-Use-Case-Usage": usage})
    with pytest.raises(RateLimited) as err:
        connector({"keyword_search": [limited]}).fetch(None)
    assert err.value.retry_after == 600


def test_fetch__expired_token_says_what_to_do():
    with pytest.raises(AuthError, match=r"expired or was revoked.*long-lived token"):
        connector({"keyword_search": [ok("error_token_expired.json", 400)]}).fetch(None)


def test_fetch__search_without_permission_names_it():
    with pytest.raises(AuthError, match="threads_keyword_search permission"):
        connector({"keyword_search": [ok("error_permission.json", 403)]}).fetch(None)


def target() -> ReplyTarget:
    return ReplyTarget(platform="threads", mention_id="18050000000000003",
                       url="https://www.threads.net/@ola.nowak/post/DAcme03",
                       author_handle="ola.nowak", extra={"media_id": "18050000000000003"})


def test_reply__two_step_publish_lands_on_the_post():
    seen: list[httpx.Request] = []
    c = connector({"me/threads": [ok("container.json")],
                   "me/threads_publish": [ok("published.json")]}, seen)

    result = c.reply(target(), "Sorry Ola, we have refunded the second charge.", "key-1")

    create, publish = seen
    assert create.method == "POST" and create.url.path == "/v1.0/me/threads"
    assert parse_qs(create.content.decode()) == {
        "media_type": ["TEXT"], "text": ["Sorry Ola, we have refunded the second charge."],
        "reply_to_id": ["18050000000000003"]}
    assert publish.url.path == "/v1.0/me/threads_publish"
    assert parse_qs(publish.content.decode()) == {"creation_id": ["18080000000000001"]}
    assert result.id == "18080000000000002"


def test_reply__deleted_post_in_plain_words():
    c = connector({"me/threads": [ok("error_deleted.json", 400)]})

    with pytest.raises(ReplyRejected, match="deleted"):
        c.reply(target(), "Hi", "key-1")


def test_reply__too_long_refused_before_sending():
    seen: list[httpx.Request] = []
    with pytest.raises(ReplyRejected, match="500"):
        connector({}, seen).reply(target(), "x" * 501, "key-1")
    assert seen == []
