"""Connectors against responses recorded from the live platforms by other projects.

The recordings live outside this checkout, in shared/real-responses/ beside it (its README
says where each came from); they are read from there, never copied in. Without that folder
these tests are skipped. Where a recording lacks a shape a platform is known to send, a test
changes one field of a real item in memory and says so.
"""

from __future__ import annotations

import copy
import json
import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import responses

from connectors.reddit import API_PATH, RedditConnector
from connectors.rss import RssConnector
from monitor.domain import ReplyTarget, SourceSpec
from tests.connectors import test_bluesky as bluesky_tests
from tests.connectors import test_google_play as play_tests
from tests.connectors._support import mock_client

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-responses"

pytestmark = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"no recorded platform responses at {REAL} (shared/real-responses "
    "beside the checkout); these tests read them from there")

NOW = 1_795_171_200.0  # 2026-11-21 UTC, after every recording


def real(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return path


def real_json(name: str) -> Any:
    return json.loads(real(name).read_text(encoding="utf-8"))


# -- Reddit -------------------------------------------------------------------------------

OAUTH = "https://oauth.reddit.com/"
TOKEN = "https://www.reddit.com/api/v1/access_token"
APP = {"client_id": "test-client-id", "client_secret": "test-client-secret"}
ACCOUNT = {"username": "AcmeParcel", "password": "test-password"}


def cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of a recorded praw cassette: method, path, status and body."""
    return [{"method": i["request"]["method"], "path": urlsplit(i["request"]["uri"]).path,
             "status": i["response"]["status"]["code"], "body": i["response"]["body"]}
            for i in real_json(f"reddit/{name}")["interactions"]]


def answers(name: str, path: str) -> list[str]:
    return [i["body"] for i in cassette(name) if i["path"].rstrip("/").endswith(path)]


def reddit(credentials: dict[str, str] | None = None, **options: Any) -> RedditConnector:
    spec = SourceSpec(brand_id="acme", name="reddit", type="reddit", query="praw",
                      keywords=("VettedBot", "reply from bot", "work"), own_handles=("acmeparcel",),
                      options={"subreddits": ["test"], **options},
                      credentials=credentials or APP)
    return RedditConnector(spec, clock=lambda: NOW)


def listing(body: str) -> list[dict[str, Any]]:
    children: list[dict[str, Any]] = json.loads(body)["data"]["children"]
    return children


@pytest.fixture
def reddit_api() -> Any:
    with responses.RequestsMock() as mock:
        mock.post(TOKEN, body=answers("subreddit_search.json", "access_token")[0],
                  content_type="application/json")
        yield mock


def test_reddit_reply__accepted_with_no_things_is_published_without_id(reddit_api: Any) -> None:
    """Reddit answered the comment with `"things": []` (praw's reply() returns None)."""
    [answer] = [i for i in cassette("submission_reply_none.json") if i["method"] == "POST"
                and i["path"].endswith("/api/comment/")]
    reddit_api.post(OAUTH + API_PATH["reply"], body=answer["body"], status=answer["status"],
                    content_type="application/json")
    target = ReplyTarget(platform="reddit", mention_id="t3_ah19vv", url="", author_handle="x",
                         extra={"fullname": "t3_ah19vv"})

    result = reddit({**APP, **ACCOUNT}).reply(target, "TEST", "case-1:s1")

    assert result.id == ""  # published; Reddit did not say under which id
    assert result.url is None
    sent = parse_qs(reddit_api.calls[-1].request.body)
    assert sent["thing_id"] == ["t3_ah19vv"]


def test_reddit_reply__a_2016_answer_without_permalink_still_gives_the_id(reddit_api: Any) -> None:
    [answer] = [i for i in cassette("submission_reply.json") if i["method"] == "POST"
                and i["path"].endswith("/api/comment/")]
    reddit_api.post(OAUTH + API_PATH["reply"], body=answer["body"], status=answer["status"],
                    content_type="application/json")
    target = ReplyTarget(platform="reddit", mention_id="t3_4b1tfm", url="", author_handle="x")

    result = reddit({**APP, **ACCOUNT}).reply(target, "Test reply", "case-2:s1")

    assert result.id == "t1_d162ara"
    assert result.url is None  # that answer carries no permalink


def test_reddit_fetch__real_search_and_comment_listings(reddit_api: Any) -> None:
    search = answers("subreddit_search.json", "/search")
    comments = answers("subreddit_comments_2023.json", "/comments")
    reddit_api.get(OAUTH + API_PATH["search"].format(subreddits="test"), body=search[0],
                   content_type="application/json")
    for page in comments:  # served in turn: page 1 (with `after`), then page 2
        reddit_api.get(OAUTH + API_PATH["comments"].format(subreddits="test"), body=page,
                       content_type="application/json")
    children = listing(search[0]) + [c for page in comments for c in listing(page)]

    result = reddit(include_comments=True).fetch(None)

    names = {c["data"]["name"] for c in children}
    assert len(names) == 9  # 3 posts, 6 comments (the second page repeats the first)
    assert {m.id for m in result.mentions} == names  # every child is a Mention...
    assert result.skipped == 0  # ...none was malformed
    by_id = {m.id: m for m in result.mentions}
    post = by_id["t3_4at068"]
    assert post.title == "たびたび話題になるサイドバーの閲覧中ユーザ数について（また）調べた"
    assert post.published_at == datetime.fromtimestamp(1458221634, UTC)
    assert post.url.startswith("https://www.reddit.com/r/p18s/comments/4at068/")
    comment = by_id["t1_k3yrfii"]
    assert comment.kind == "comment"
    assert comment.text == "Did it work?"
    assert comment.in_reply_to_id == "t1_k3u4rtt"
    assert comment.conversation_id == "t3_agi5zf"
    assert comment.author_id == "t2_puq6r71y"
    assert result.cursor == "1696754768"


def test_reddit_fetch__a_deleted_comment_is_left_out_with_its_reason(
        reddit_api: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A `[deleted]` comment, as /api/info listed it (no permalink, no link_title).

    It is served as the search page: the listing is the same shape, and on the comments path
    the keyword filter would drop a `[deleted]` body before it was read at all.
    """
    [body] = answers("deleted_comment_info.json", "/api/info")
    reddit_api.get(OAUTH + API_PATH["search"].format(subreddits="test"), body=body,
                   content_type="application/json")
    caplog.set_level(logging.INFO, logger="connectors.reddit")

    result = reddit(include_comments=False).fetch(None)

    assert result.mentions == []
    assert result.skipped == 0  # not malformed: deleted, and said so
    assert "t1_d7ltvl0" in caplog.text
    assert "the comment was deleted" in caplog.text
    assert "malformed" not in caplog.text
    assert result.cursor == "1473815863"  # seen all the same


# -- Bluesky ------------------------------------------------------------------------------

POST = "at://did:plc:{}/app.bsky.feed.post/{}"


def bluesky_posts() -> list[dict[str, Any]]:
    views: list[dict[str, Any]] = real_json("bluesky/postviews_twitwi.json")
    thread = real_json("bluesky/thread_view_post_with_embed_media.json")
    return [*views, thread["thread"]["post"]]


def bluesky_fetch(posts: list[dict[str, Any]]) -> Any:
    xrpc = bluesky_tests.Xrpc() \
        .on("com.atproto.server.createSession", bluesky_tests.ok("createSession.json")) \
        .on("app.bsky.feed.searchPosts", httpx.Response(200, json={"posts": posts}))
    return bluesky_tests.connector(xrpc).fetch(None)


def test_bluesky_fetch__every_real_post_view_becomes_a_mention() -> None:
    posts = bluesky_posts()

    result = bluesky_fetch(posts)

    assert result.skipped == 0
    assert {m.id for m in result.mentions} == {p["uri"] for p in posts}
    by_id = {m.id: m for m in result.mentions}
    # The legacy image blob ({"cid", "mimeType"}) in the embed is not read: the post is kept.
    legacy = by_id[POST.format("rfbpq5qtn3qt3yxjlqjzs5tw", "3kd7xdb24cq27")]
    assert legacy.text.startswith("🇫🇷 Abattoir de Rodez")
    assert legacy.published_at == datetime(2023, 11, 2, 18, 11, 51, tzinfo=UTC)
    # A tag facet written with "text" instead of "tag", and a "+00:00" creation time.
    odd = by_id[POST.format("jrodn6nnfuwzm2zxbxbpzgot", "3lhwag3mzoo2k")]
    assert odd.text == "#falsed #faussair #falsedat #datadataa"
    assert odd.published_at == datetime(2025, 2, 11, 18, 0, 2, tzinfo=UTC)
    # The image-and-quote post from a thread view: no text of its own, kept all the same.
    assert by_id[POST.format("kvwvcn5iqfooopmyzvb4qzba", "3kaheyt6vpc22")].text == ""


def test_bluesky_fetch__year_0000_is_dated_by_the_record_key() -> None:
    """createdAt and indexedAt both say year 0000; the record key (a TID) holds the time."""
    posts = bluesky_posts()

    result = bluesky_fetch(posts)

    [dateless] = [m for m in result.mentions if m.id.endswith("/3kbpuogc6fz2o")]
    assert dateless.text == "le post il daaaaaaate"
    assert dateless.published_at == datetime(2023, 10, 14, 15, 16, 37, 389695, tzinfo=UTC)
    assert dateless.lang_hint == "fr"
    # It does not move the cursor: the newest real sortAt does.
    assert json.loads(result.cursor)["since"] == "2026-01-08T22:22:50.705Z"


def test_bluesky_fetch__shortened_links_get_their_full_address_back() -> None:
    result = bluesky_fetch(bluesky_posts())
    by_rkey = {m.id.rsplit("/", 1)[-1]: m for m in result.mentions}

    quote = by_rkey["3llw5g6h6ps2j"].text  # shows "bsky.app/profile/boog..."
    assert "bsky.app/profile/boog..." not in quote
    assert ("Let's first quote a post manually\n"
            "https://bsky.app/profile/boogheta.bsky.social/post/3ljfbuxbsvs2u\n"
            "Then detach the quote") in quote
    video = by_rkey["3lkbdabzzoc2l"].text  # shows "youtu.be/k8zZUYV_yl4?..."
    assert video.endswith("\n https://youtu.be/k8zZUYV_yl4?si=lcWb8RDHXrrGbswj")
    # Byte offsets, not characters: "démarrage" and the emoji come before these links.
    guide = by_rkey["3k64t2gki5i2v"].text
    assert "Guide de démarrage\nhttps://www.mwyann.fr/posts/908\n" in guide
    assert "https://bsky.app/profile/did:plc:tenurhgjptubkk5zf5qhi3og/feed/only-posts" in guide
    welcome = by_rkey["3kcoegjbnp525"].text
    assert welcome.startswith("@maskedduck69.bsky.social\nBienvenue! 😃")
    assert "https://bsky.app/profile/enfeetamine.bsky.social/post/3k64t2gki5i2v" in welcome
    # Words the author chose to link are kept, not replaced by the address.
    snippet = by_rkey["3mbwzgrymow2o"].text
    assert "\n\nThis is a code snippet facet\n\n" in snippet
    assert "atsky.app" not in snippet


def test_bluesky_fetch__main_type_and_out_of_range_facets_are_tolerated() -> None:
    """Shapes seen in the wild that these recordings lack, made from one real post each."""
    posts = {p["uri"].rsplit("/", 1)[-1]: p for p in bluesky_posts()}
    main = copy.deepcopy(posts["3kbg7jgtddn2w"])
    main["record"]["$type"] = "app.bsky.feed.post#main"
    out_of_range = copy.deepcopy(posts["3llw5g6h6ps2j"])
    out_of_range["record"]["facets"] = [
        {"index": {"byteStart": 120, "byteEnd": 9000},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/"}]},
        {"index": {"byteStart": "0", "byteEnd": None}, "features": "nope"},
        {"index": {"byteStart": 0, "byteEnd": 13},
         "features": [{"$type": "app.bsky.richtext.facet#sparkle", "colour": "pink"}]},
    ]
    not_a_post = copy.deepcopy(posts["3kbg7jgtddn2w"])
    not_a_post["uri"] = not_a_post["uri"].replace("3kbg7jgtddn2w", "3kbg7jgtddn2x")
    not_a_post["record"]["$type"] = "app.bsky.feed.like"

    result = bluesky_fetch([main, out_of_range, not_a_post])

    texts = {m.id.rsplit("/", 1)[-1]: m.text for m in result.mentions}
    assert texts == {"3kbg7jgtddn2w": "This here is a test.",
                     "3llw5g6h6ps2j": out_of_range["record"]["text"]}
    assert result.skipped == 1  # the like is not a post


# -- RSS and Atom -------------------------------------------------------------------------

FEEDS = ["Permalinks.xml", "TechCrunch.xml", "google_alerts_atom.xml", "HuffPostCanada.xml",
         "TrotterCashionHome.xml", "youtube_atom.xml"]
FEED_URL = "https://feeds.example.net/{}"


def entries_in(name: str) -> int:
    """Count the items or entries of a feed file, without feedparser."""
    # Some files have a blank line before their XML declaration; feedparser copes, ET not.
    root = ET.fromstring(real(f"rss/{name}").read_bytes().lstrip())
    return len(root.findall("./channel/item")) + len(root.findall("{http://www.w3.org/2005/Atom}entry"))


def rss_fetch(names: list[str], cursor: str | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        name = str(request.url).rsplit("/", 1)[-1]
        return httpx.Response(200, content=real(f"rss/{name}").read_bytes(),
                              headers={"Content-Type": "application/xml"})
    spec = SourceSpec(brand_id="acme", name="news", type="rss", query="", keywords=("Acme",),
                      options={"urls": [FEED_URL.format(n) for n in names]})
    return RssConnector(spec, mock_client(handler), clock=lambda: NOW).fetch(cursor)


@pytest.mark.parametrize("name", FEEDS)
def test_rss_fetch__every_real_entry_becomes_a_mention(name: str) -> None:
    result = rss_fetch([name])

    assert result.skipped == 0
    assert len(result.mentions) == entries_in(name) > 0
    assert len({m.id for m in result.mentions}) == len(result.mentions)


def test_rss_fetch__items_without_pubdate_are_dated_by_the_fetch_with_stable_ids() -> None:
    first = rss_fetch(["Permalinks.xml"])

    by_id = {m.id: m for m in first.mentions}
    # guid first, whatever isPermaLink says; item 4's guid (…/5) wins over its link (…/4).
    assert sorted(by_id) == [f"http://example.com/{n}" for n in (1, 2, 3, 5)]
    assert {m.published_at for m in first.mentions} == {datetime.fromtimestamp(NOW, UTC)}
    assert {m.extra["dated_by"] for m in first.mentions} == {"fetch"}  # no channel date either
    assert by_id["http://example.com/5"].url == "http://example.com/4"
    assert by_id["http://example.com/2"].url == "http://example.com/2"  # a permalink guid
    # Undated entries do not move the cursor; the next poll gives the same ids (the store
    # keeps each once).
    again = rss_fetch(["Permalinks.xml"], first.cursor)
    assert sorted(m.id for m in again.mentions) == sorted(by_id)


def test_rss_fetch__feedburner_entries_link_to_the_original_article() -> None:
    result = rss_fetch(["TechCrunch.xml", "TrotterCashionHome.xml"])

    hosts = {urlsplit(m.url).hostname for m in result.mentions}
    assert hosts == {"techcrunch.com", "trottercashion.com"}
    by_id = {m.id: m for m in result.mentions}
    assert by_id["http://techcrunch.com/?p=446154"].url == (
        "http://techcrunch.com/2011/11/02/angies-list-prices-ipo-at-11-to-13-per-share-valued-at-"
        "over-600m/")
    assert by_id["http://techcrunch.com/?p=446154"].author_handle == "techcrunch.com"
    trotter = by_id["tag:trottercashion.com,2008-12-13:53"]
    assert trotter.url == "http://trottercashion.com/2008/12/13/data-urls-and-document-domain"
    assert trotter.lang_hint == "en"  # xml:lang="en-US"


def test_rss_fetch__google_alerts_links_give_the_real_article() -> None:
    result = rss_fetch(["google_alerts_atom.xml"])

    assert all(urlsplit(m.url).hostname and not urlsplit(m.url).hostname.endswith("google.com")
               for m in result.mentions)
    urls = {m.url for m in result.mentions}
    assert "https://www.vox.com/2019/7/10/20688476/recode-daily-slack-has-a-snap-problem" in urls


def test_rss_fetch__huffpost_item_without_guid_uses_its_link() -> None:
    result = rss_fetch(["HuffPostCanada.xml"])

    ids = {m.id for m in result.mentions}
    assert "23246627" in ids  # its guid
    assert ("http://www.huffingtonpost.ca/adrian-sutherland/the-once-in-a-lifetime-thrill-of-"
            "opening-for-tom-petty_a_23234370/") in ids
    assert {m.extra["dated_by"] for m in result.mentions} == {"entry"}


def test_rss_fetch__an_item_with_neither_guid_nor_link_gets_a_stable_hash_id() -> None:
    """No recording has such an item (RSS 2.0 allows it): a two-line feed, written here."""
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<pubDate>Fri, 20 Nov 2026 09:45:00 GMT</pubDate>"
            b"<item><title>Acme lost my parcel</title></item></channel></rss>")
    spec = SourceSpec(brand_id="acme", name="news", type="rss", query="",
                      options={"urls": ["https://feeds.example.net/bare"]})

    def fetch() -> Any:
        client = mock_client(lambda r: httpx.Response(200, content=feed))
        return RssConnector(spec, client, clock=lambda: NOW).fetch(None)

    [first], [second] = fetch().mentions, fetch().mentions
    assert first.id == second.id
    assert first.id.startswith("sha256:")
    assert first.published_at == datetime(2026, 11, 20, 9, 45, tzinfo=UTC)
    assert first.extra["dated_by"] == "feed"


# -- Google Play --------------------------------------------------------------------------


def play_fetch(body: dict[str, Any]) -> Any:
    connector, _ = play_tests.make(({"status": "200", "content-type": "application/json"},
                                    json.dumps(body)))
    return connector.fetch(None)


def test_google_play_fetch__device_locale_is_not_the_review_language() -> None:
    body = real_json("google_play/reviews_list_id.json")

    result = play_fetch(body)

    assert result.skipped == 0
    assert {m.id for m in result.mentions} == {r["reviewId"] for r in body["reviews"]}
    for mention in result.mentions:
        assert mention.lang_hint is None
    by_id = {m.id: m for m in result.mentions}
    nur = by_id[body["reviews"][0]["reviewId"]]
    assert nur.text == "Belum bisa login nih, tampilan udah bagus. Lanjutkannnnn"  # Indonesian
    assert nur.extra["device_locale"] == "en_ID"  # an English-language phone in Indonesia
    assert {m.extra["device_locale"] for m in result.mentions} == {"en_ID", "id_ID"}


def test_google_play_fetch__urbandroid_review_with_a_developer_reply() -> None:
    review = real_json("google_play/review_urbandroid.json")

    result = play_fetch({"reviews": [review]})

    [mention] = result.mentions
    assert mention.lang_hint is None
    assert mention.extra["device_locale"] == "en_US"
    assert mention.rating == 3
    assert mention.text.startswith("WHAT KIND OF ALARM TIMES OUT")
    assert mention.published_at == datetime(2017, 2, 7, 15, 55, 36, 525000, tzinfo=UTC)
