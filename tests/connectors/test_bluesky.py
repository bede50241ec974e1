"""Bluesky connector: the real atproto Client over recorded XRPC responses."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from typing import Any

import httpx
import pytest
from atproto_client import Client
from atproto_client.client.session import Session
from atproto_client.request import Request

from connectors.bluesky import BlueskyConnector
from monitor.domain import ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)
from tests.connectors._support import Recorded

RECORDED = Recorded("bluesky")
NOW = 1_795_171_200.0
EWA_POST = "at://did:plc:ewacustomer234567abcdefg/app.bsky.feed.post/3lbx7q2k4xs2a"
LENA_POST = "at://did:plc:lenathreadstarter2345abc/app.bsky.feed.post/3lbx2lena222a"


fixture = RECORDED.json


class Xrpc:
    """A recorded XRPC server: answers per method, in order, and keeps every request."""

    def __init__(self) -> None:
        self.answers: dict[str, list[httpx.Response]] = defaultdict(list)
        self.requests: list[httpx.Request] = []

    def on(self, method: str, *answers: httpx.Response) -> Xrpc:
        self.answers[method] += answers
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        method = request.url.path.removeprefix("/xrpc/")
        queue = self.answers[method]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def calls(self, method: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == f"/xrpc/{method}"]


ok = RECORDED.ok


def error(status: int, name: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": name, "message": message}, headers=headers)


class MemoryStore:
    def __init__(self, session: str | None = None) -> None:
        self.session = session
        self.saved: list[str] = []

    def load(self) -> str | None:
        return self.session

    def save(self, session: str) -> None:
        self.saved.append(session)
        self.session = session


def connector(xrpc: Xrpc, store: MemoryStore | None = None, **options: Any) -> BlueskyConnector:
    spec = SourceSpec(brand_id="acme", name="bluesky", type="bluesky", query="acme",
                      keywords=("Acme",), own_handles=("acmeshop.bsky.social",), options=options,
                      credentials={"handle": "acmeshop.bsky.social",
                                   "app_password": "PLACEHOLDER-APP-PASSWORD"})
    client = Client(request=Request(transport=httpx.MockTransport(xrpc)))
    return BlueskyConnector(spec, client, clock=lambda: NOW, session_store=store)


def test_fetch__first_poll_logs_in_and_reads_the_newest_page() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", ok("searchPosts_page1.json"))

    result = connector(xrpc).fetch(None)

    login = json.loads(xrpc.calls("com.atproto.server.createSession")[0].content)
    assert login == {"identifier": "acmeshop.bsky.social",
                     "password": "PLACEHOLDER-APP-PASSWORD"}
    (search,) = xrpc.calls("app.bsky.feed.searchPosts")
    assert search.url.host == "pds.example.host.bsky.network"  # the account's own PDS
    assert dict(search.url.params) == {"q": "acme", "sort": "latest", "limit": "100"}
    assert search.headers["Authorization"].startswith("Bearer ")
    assert [m.author_handle for m in result.mentions] == ["ola.example.com", "ewa.bsky.social"]
    ola, ewa = result.mentions
    assert ola.lang_hint == "pl"
    assert ola.kind == "post"
    assert ola.conversation_id == ola.id
    assert ewa.id == EWA_POST
    assert ewa.url == "https://bsky.app/profile/ewa.bsky.social/post/3lbx7q2k4xs2a"
    assert ewa.text == 'Same here, my Acme order has been "out for delivery" for 9 days 😡'
    assert ewa.kind == "reply"
    assert ewa.author_id == "did:plc:ewacustomer234567abcdefg"
    assert ewa.conversation_id == "at://did:plc:lenathreadstarter2345abc/app.bsky.feed.post/3lbwroot2222a"
    assert ewa.extra["cid"] == "bafyreiewa22222222222222222222222222222222222222222222222"
    assert ewa.extra["root_cid"] == "bafyreiroot2222222222222222222222222222222222222222222222"
    assert json.loads(result.cursor or "") == {"since": "2026-11-20T10:31:05.120Z",
                                               "seen": [EWA_POST]}


def test_fetch__next_poll_follows_pages_skips_seen_and_malformed() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", ok("searchPosts_page1.json"),
                     ok("searchPosts_page2.json"))
    cursor = json.dumps({"since": "2026-11-20T10:02:11.000Z", "seen": [LENA_POST]})

    result = connector(xrpc).fetch(cursor)

    first, second = xrpc.calls("app.bsky.feed.searchPosts")
    assert first.url.params["since"] == "2026-11-20T10:02:11.000Z"
    assert "cursor" not in first.url.params
    assert second.url.params["cursor"] == "3"
    assert [m.author_handle for m in result.mentions] == ["ola.example.com", "ewa.bsky.social"]
    assert result.skipped == 1
    assert json.loads(result.cursor or "")["since"] == "2026-11-20T10:31:05.120Z"


def test_fetch__empty_keeps_the_cursor() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", ok("searchPosts_empty.json"))
    cursor = json.dumps({"since": "2026-11-20T10:31:05.120Z", "seen": [EWA_POST]})

    result = connector(xrpc).fetch(cursor)

    assert result.mentions == []
    assert json.loads(result.cursor or "") == json.loads(cursor)


def test_fetch__session_is_kept_across_polls() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", ok("searchPosts_empty.json"))
    store = MemoryStore()
    c = connector(xrpc, store)

    c.fetch(None)
    c.fetch(None)

    assert len(xrpc.calls("com.atproto.server.createSession")) == 1
    assert len(xrpc.calls("app.bsky.feed.searchPosts")) == 2
    assert len(store.saved) == 1  # handed over once, for the next start


def test_fetch__a_stored_session_is_refreshed_instead_of_logging_in() -> None:
    saved = Session.decode(_session_string())
    expired = Session(saved.handle, saved.did, _jwt(exp=1_600_000_000), saved.refresh_jwt,
                      saved.pds_endpoint)
    store = MemoryStore(expired.export())
    xrpc = Xrpc().on("com.atproto.server.refreshSession", ok("refreshSession.json")) \
                 .on("app.bsky.feed.searchPosts", ok("searchPosts_empty.json"))

    connector(xrpc, store).fetch(None)

    assert xrpc.calls("com.atproto.server.createSession") == []
    assert len(xrpc.calls("com.atproto.server.refreshSession")) == 1
    assert Session.decode(store.saved[-1]).access_jwt == fixture("refreshSession.json")["accessJwt"]


def test_fetch__an_expired_stored_session_falls_back_to_the_app_password() -> None:
    saved = Session.decode(_session_string())
    expired = Session(saved.handle, saved.did, _jwt(exp=1_600_000_000), saved.refresh_jwt,
                      saved.pds_endpoint)
    xrpc = Xrpc().on("com.atproto.server.refreshSession",
                     error(400, "ExpiredToken", "Token has expired")) \
                 .on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", ok("searchPosts_empty.json"))

    connector(xrpc, MemoryStore(expired.export())).fetch(None)

    assert len(xrpc.calls("com.atproto.server.createSession")) == 1
    assert len(xrpc.calls("app.bsky.feed.searchPosts")) == 1


def test_fetch__refused_app_password_names_the_credential() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession",
                     error(401, "AuthenticationRequired", "Invalid identifier or password"))

    with pytest.raises(AuthError) as caught:
        connector(xrpc).fetch(None)
    assert "Invalid identifier or password" in str(caught.value)
    assert "credentials.app_password" in str(caught.value)


def test_fetch__rate_limited() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", error(
                     429, "RateLimitExceeded", "Rate Limit Exceeded",
                     **{"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                        "ratelimit-reset": str(int(NOW) + 60), "ratelimit-policy": "3000;w=300"}))

    with pytest.raises(RateLimited) as caught:
        connector(xrpc).fetch(None)
    assert caught.value.retry_after == 60


def test_fetch__server_error_is_temporary() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("app.bsky.feed.searchPosts", error(502, "UpstreamFailure", "Bad Gateway"))

    with pytest.raises(TemporaryPlatformError, match="will try again"):
        connector(xrpc).fetch(None)


def reply_target(**extra: str) -> ReplyTarget:
    return ReplyTarget(
        platform="bluesky", mention_id=EWA_POST,
        url="https://bsky.app/profile/ewa.bsky.social/post/3lbx7q2k4xs2a",
        author_handle="ewa.bsky.social",
        extra={"cid": "bafyreiewa22222222222222222222222222222222222222222222222", **extra})


def strong_ref(ref: dict[str, str]) -> tuple[str, str]:
    return ref["uri"], ref["cid"]


def test_reply__to_a_reply_threads_under_the_root_and_the_post() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("com.atproto.repo.createRecord", ok("createRecord.json"))
    root = "at://did:plc:lenathreadstarter2345abc/app.bsky.feed.post/3lbwroot2222a"

    result = connector(xrpc).reply(
        reply_target(root_uri=root, root_cid="bafyreiroot2222222222222222222222222222222222222222222222"),
        "We are sorry, Ewa. Please DM us your order number: https://acme.example/help", "k1")

    body = json.loads(xrpc.calls("com.atproto.repo.createRecord")[0].content)
    assert body["repo"] == "did:plc:acmebrandaccount2345abcd"
    assert body["collection"] == "app.bsky.feed.post"
    reply = body["record"]["reply"]
    assert strong_ref(reply["root"]) == (
        root, "bafyreiroot2222222222222222222222222222222222222222222222")
    assert strong_ref(reply["parent"]) == (
        EWA_POST, "bafyreiewa22222222222222222222222222222222222222222222222")
    assert body["record"]["facets"][0]["features"][0]["uri"] == "https://acme.example/help"
    assert result.id == "at://did:plc:acmebrandaccount2345abcd/app.bsky.feed.post/3lbx9reply22a"
    assert result.url == "https://bsky.app/profile/acmeshop.bsky.social/post/3lbx9reply22a"


def test_reply__to_a_top_level_post_uses_it_as_root() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("com.atproto.repo.createRecord", ok("createRecord.json"))

    connector(xrpc).reply(reply_target(), "Sorry!", "k1")

    reply = json.loads(xrpc.calls("com.atproto.repo.createRecord")[0].content)["record"]["reply"]
    assert strong_ref(reply["root"]) == strong_ref(reply["parent"]) == (
        EWA_POST, "bafyreiewa22222222222222222222222222222222222222222222222")


def test_reply__same_idempotency_key_publishes_once() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("com.atproto.repo.createRecord", ok("createRecord.json"))
    c = connector(xrpc)

    first = c.reply(reply_target(), "Sorry!", "k1")
    second = c.reply(reply_target(), "Sorry!", "k1")

    assert first == second
    assert len(xrpc.calls("com.atproto.repo.createRecord")) == 1


def test_reply__refused_in_plain_words() -> None:
    xrpc = Xrpc().on("com.atproto.server.createSession", ok("createSession.json")) \
                 .on("com.atproto.repo.createRecord", error(
                     400, "InvalidRequest", "Could not locate record: " + EWA_POST))

    with pytest.raises(ReplyRejected) as caught:
        connector(xrpc).reply(reply_target(), "Sorry!", "k1")
    assert str(caught.value) == ("bluesky: Bluesky would not publish the reply: InvalidRequest: "
                                 f"Could not locate record: {EWA_POST}")


def test_reply__too_long_is_refused_before_sending() -> None:
    xrpc = Xrpc()
    with pytest.raises(ReplyRejected, match="301 characters long; Bluesky takes at most 300"):
        connector(xrpc).reply(reply_target(), "a" * 301, "k1")
    assert xrpc.requests == []


def test_count_length__counts_graphemes() -> None:
    c = connector(Xrpc())
    assert c.count_length("👍🏽") == 1  # emoji with skin tone: two code points, one grapheme
    assert c.count_length("👨‍👩‍👧") == 1
    assert c.count_length("e\u0301") == 1
    assert c.count_length("ﻻ") == 1


def _jwt(exp: int) -> str:
    access = fixture("createSession.json")["accessJwt"]
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["exp"] = exp
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def _session_string() -> str:
    s = fixture("createSession.json")
    return Session(s["handle"], s["did"], s["accessJwt"], s["refreshJwt"],
                   "https://pds.example.host.bsky.network").export()
