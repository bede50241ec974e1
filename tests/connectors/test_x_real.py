"""X connector fed real API v2 answers recorded by other projects, the way test_x.py feeds it.

The files live outside the checkout, in shared/real-responses/x/ next to it (their README says
where each came from); they are read from there, never copied. The real tweepy.Client runs and
`responses` answers its HTTP. Expected values are taken from the files themselves, so the tests
say what the connector must make of X's answers, not what one post happens to say.
"""

from __future__ import annotations

import copy
import html
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml

from connectors.x import API_PATH, XConnector, _language
from monitor.domain import FetchResult, Mention, ReplyTarget, SourceSpec
from monitor.errors import AuthError

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-responses" / "x"
pytestmark = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"no recorded X answers at {REAL} (shared/real-responses is not "
    "next to this checkout on this machine)")

HOST = "https://api.twitter.com"
SEARCH = HOST + API_PATH["search"]
BRAND_ID = "1400000000000000001"  # the brand account, numeric: no user lookup
MENTIONS = HOST + API_PATH["mentions"].format(id=BRAND_ID)
CREATE = HOST + API_PATH["create_tweet"]
READ_ONLY = {"bearer_token": "test-bearer"}
USER_TOKENS = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
               "access_token_secret": "ats"}
PAGES = ("search_recent_brexit", "search_recent_kpop")
ENTITIES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#")
#: X's 403 when the app is not attached to a Project or its tier lacks the endpoint, as X
#: documents it (the ClientForbiddenProblem of its OpenAPI spec).
NOT_ENROLLED = {
    "client_id": "27416580",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
              "and tokens from a Twitter developer App that is attached to a Project. You can "
              "create a project via the developer portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
WHAT_TO_DO = ("attach the app to a Project in the developer portal and use a tier that includes "
              "this endpoint")


def page(name: str) -> dict[str, Any]:
    """One recorded page as X sent it (the recorders' `_` notes left out)."""
    body = json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))
    return {key: value for key, value in body.items() if not key.startswith("_")}


def connector(credentials: dict[str, str] | None = None, **options: Any) -> XConnector:
    spec = SourceSpec(brand_id="acme", name="x", type="x", query="#brexit OR #kpop",
                      own_handles=("acmeparcel",), options={"max_pages": 1, **options},
                      credentials=credentials or READ_ONLY)
    return XConnector(spec, clock=lambda: 1_632_329_000.0)


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def fetch(api: Any, body: dict[str, Any]) -> FetchResult:
    api.get(SEARCH, json=body)
    return connector().fetch(None)


def by_id(result: FetchResult) -> dict[str, Mention]:
    return {m.id: m for m in result.mentions}


def reposts(body: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each repost of the page with the original X included for it."""
    included = {t["id"]: t for t in body["includes"].get("tweets", [])}
    return [(post, included[ref["id"]]) for post in body["data"]
            for ref in post.get("referenced_tweets", ()) if ref["type"] == "retweeted"]


def users(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in body["includes"]["users"]}


@pytest.mark.parametrize("name", PAGES)
def test_real_page__html_entities_are_unescaped(api: Any, name: str) -> None:
    body = page(name)
    escaped = [p for p in body["data"] if "&amp;" in p["text"]]
    assert escaped, f"{name} has a post with &amp; (the reason it was recorded)"

    result = fetch(api, body)

    for mention in result.mentions:
        shown = [mention.text, mention.title, str(mention.extra.get("quoted_text", ""))]
        assert not [e for e in ENTITIES for text in shown if e in text], mention.id
    found = by_id(result)
    for post in escaped:
        assert found[post["id"]].text == post["text"].replace("&amp;", "&")


def test_real_search__repost_reads_as_the_whole_original(api: Any) -> None:
    body = page("search_recent_brexit")
    pairs = reposts(body)
    assert len(pairs) == 2
    authors = users(body)

    result = fetch(api, body)

    found = by_id(result)
    assert not [m for m in result.mentions if m.text.startswith("RT @")]
    for repost, original in pairs:
        assert repost["text"].startswith("RT @")  # what X puts in the repost itself: cut
        assert repost["id"] not in found
        mention = found[original["id"]]
        assert mention.text == html.unescape(original["text"])
        assert mention.author_handle == authors[original["author_id"]]["username"]
        assert mention.url.endswith(f"/{mention.author_handle}/status/{original['id']}")
        assert mention.extra["repost_ids"] == [repost["id"]]
        assert mention.extra["reposted_by"] == [authors[repost["author_id"]]["username"]]
        kind = "reply" if any(r["type"] == "replied_to"
                              for r in original.get("referenced_tweets", ())) else "post"
        assert mention.kind == kind
    assert result.cursor == body["meta"]["newest_id"]
    assert result.skipped == 0


def test_real_search__original_reached_through_two_reposts_is_one_mention(api: Any) -> None:
    search = page("search_recent_brexit")
    repost, original = reposts(search)[0]
    # The mentions timeline (which cannot leave reposts out) brings a second repost of the
    # same post, by another account, and the original itself: a page built from the real one.
    other = next(u for u in search["includes"]["users"]
                 if u["id"] not in (repost["author_id"], original["author_id"]))
    second = {**copy.deepcopy(repost), "id": str(int(search["meta"]["newest_id"]) + 1),
              "author_id": other["id"], "conversation_id": str(int(search["meta"]["newest_id"]) + 1)}
    timeline = {"data": [second, copy.deepcopy(original)],
                "includes": {"users": search["includes"]["users"], "tweets": [original]},
                "meta": {"newest_id": second["id"], "oldest_id": original["id"],
                         "result_count": 2}}
    api.get(SEARCH, json=search)
    api.get(MENTIONS, json=timeline)

    result = connector(mentions_of=BRAND_ID).fetch(None)

    same = [m for m in result.mentions if m.id == original["id"]]
    assert len(same) == 1
    assert same[0].extra["repost_ids"] == [repost["id"], second["id"]]
    assert same[0].extra["reposted_by"] == [users(search)[repost["author_id"]]["username"],
                                            other["username"]]
    assert not {repost["id"], second["id"]} & set(by_id(result))
    assert result.cursor == second["id"]


def test_real_search__quote_post_keeps_its_text_and_carries_the_quoted_one(api: Any) -> None:
    body = page("search_recent_brexit")
    quote = next(p for p in body["data"]
                 if any(r["type"] == "quoted" for r in p.get("referenced_tweets", ())))
    quoted_id = next(r["id"] for r in quote["referenced_tweets"] if r["type"] == "quoted")
    quoted = next(t for t in body["includes"]["tweets"] if t["id"] == quoted_id)
    quoted_by = users(body)[quoted["author_id"]]["username"]

    mention = by_id(fetch(api, body))[quote["id"]]

    assert mention.text == html.unescape(quote["text"])  # the quoting author's own words
    assert mention.extra["quoted_id"] == quoted_id
    assert mention.extra["quoted_text"] == html.unescape(quoted["text"])
    assert mention.extra["quoted_author"] == quoted_by
    assert mention.title == f"Quoting @{quoted_by}: {html.unescape(quoted['text'])}"


def test_real_kpop__indonesian_in_becomes_id(api: Any) -> None:
    body = page("search_recent_kpop")
    langs = {p["id"]: p["lang"] for p in body["data"]}
    assert "in" in langs.values()

    found = by_id(fetch(api, body))

    for post_id, lang in langs.items():
        assert found[post_id].lang_hint == {"in": "id"}.get(lang, lang)


@pytest.mark.parametrize(("code", "iso"), [
    ("in", "id"), ("iw", "he"), ("ji", "yi"), ("en", "en"), ("pt", "pt"), ("zh-CN", "zh"),
    ("und", None), ("qme", None), ("qht", None), ("zxx", None), ("qam", None), ("art", None),
    ("", None), (None, None),
])
def test_language__x_codes_become_iso_639_1_or_no_hint(code: str | None, iso: str | None) -> None:
    assert _language(code) == iso


def without_included_posts(name: str) -> dict[str, Any]:
    """The page as X answers when the referenced posts are gone (deleted, protected)."""
    body = page(name)
    body["includes"].pop("tweets", None)
    return body


@pytest.mark.parametrize("body", [
    *(pytest.param(page(n), id=n) for n in PAGES if (REAL / f"{n}.json").is_file()),
    *(pytest.param(without_included_posts(n), id=f"{n}-without-includes.tweets")
      for n in PAGES[:1] if (REAL / f"{n}.json").is_file()),  # the page with reposts
])
def test_real_page__every_post_is_a_mention_or_skipped_with_a_reason(
        api: Any, body: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="connectors.x")

    result = fetch(api, body)

    read = {m.id for m in result.mentions}
    read |= {r for m in result.mentions for r in m.extra.get("repost_ids", ())}
    posts = [p["id"] for p in body["data"]]
    unread = [p for p in posts if p not in read]
    assert len(unread) == result.skipped
    reasons = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(reasons) == result.skipped
    for post_id in unread:
        assert [r for r in reasons if post_id in r and "did not include" in r], post_id
    if "tweets" not in body["includes"]:
        assert result.skipped == len([p for p in body["data"] if any(
            r["type"] == "retweeted" for r in p.get("referenced_tweets", ()))])


def test_fetch__asks_x_for_the_referenced_posts(api: Any) -> None:
    seen = api.get(SEARCH, json=page("search_recent_kpop"))

    connector().fetch(None)

    params = seen.calls[0].request.params
    assert {"author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"} <= set(
        params["expansions"].split(","))
    assert {"author_id", "referenced_tweets", "note_tweet"} <= set(
        params["tweet.fields"].split(","))


def test_fetch__client_not_enrolled_says_to_attach_the_app_to_a_project(api: Any) -> None:
    api.get(SEARCH, status=403, json=NOT_ENROLLED)

    with pytest.raises(AuthError) as caught:
        connector().fetch(None)

    assert WHAT_TO_DO in caught.value.message
    assert "client-not-enrolled" in caught.value.message
    assert f"{API_PATH['search']} needs Basic or above" in caught.value.message


def test_fetch__client_not_enrolled_on_the_mentions_timeline_names_it(api: Any) -> None:
    api.get(SEARCH, json=page("search_recent_kpop"))
    api.get(MENTIONS, status=403, json=NOT_ENROLLED)

    with pytest.raises(AuthError) as caught:
        connector(mentions_of=BRAND_ID).fetch(None)

    assert WHAT_TO_DO in caught.value.message
    assert f"/2/users/{BRAND_ID}/mentions needs Basic or above" in caught.value.message


def target() -> ReplyTarget:
    return ReplyTarget(platform="x", mention_id="1440716983960363017",
                       url="https://x.com/KpopNewsViews/status/1440716983960363017",
                       author_handle="KpopNewsViews")


def test_reply__client_not_enrolled_is_an_auth_error_not_a_refused_reply(api: Any) -> None:
    api.post(CREATE, status=403, json=NOT_ENROLLED)

    with pytest.raises(AuthError) as caught:
        connector(credentials={**READ_ONLY, **USER_TOKENS}).reply(target(), "Sorry!", "k")

    assert WHAT_TO_DO in caught.value.message
    assert f"{API_PATH['create_tweet']} needs" in caught.value.message


def test_reply__tweepy_recorded_create_tweet_answer(api: Any) -> None:
    cassette = yaml.safe_load((REAL / "tweepy_create_tweet.yaml").read_text(encoding="utf-8"))
    answer = cassette["interactions"][0]["response"]
    created = json.loads(answer["body"]["string"])
    api.post(CREATE, status=answer["status"]["code"], json=created)

    result = connector(credentials={**READ_ONLY, **USER_TOKENS}).reply(target(), "Sorry!", "k")

    assert result.id == created["data"]["id"]
    assert result.url == f"https://x.com/acmeparcel/status/{created['data']['id']}"
