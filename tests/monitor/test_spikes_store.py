"""Hourly counts from the database (SQLite and PostgreSQL), and a spike's life in Slack:
one alert posted, edited while it lasts, closed when it ends, never a flood."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import insert

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor.models import MentionRow
from monitor.settings import Environment
from monitor.spike_watch import check
from monitor.store_spikes import SpikeStore
from tests.factories import make_world
from tests.fake_slack import FakeSlack

_SEQ = iter(range(10**9))


def row(brand: str, at: datetime, complaint: bool, *, source: str = "posts",
        text: str = "acme order", category: str = "delivery") -> dict[str, Any]:
    n = next(_SEQ)
    return {"brand_id": brand, "source": source, "platform": "x", "external_id": f"m{n}",
            "text": f"{text} {n}", "url": f"https://x.com/u/status/{n}", "author_id": f"a{n}",
            "author_handle": f"user{n}", "author_name": "", "published_at": at, "fetched_at": at,
            "kind": "post", "title": "", "extra": {}, "cues": {}, "why": "", "model": "",
            "is_complaint": complaint, "category": category if complaint else None}


def add(world: Any, rows: list[dict[str, Any]]) -> None:
    with world.runtime.store.session() as s:
        s.execute(insert(MentionRow), rows)


def test_hourly_counts__grouped_by_hours_before_now(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    now = world.clock()
    add(world, [
        row("acme", now - timedelta(minutes=10), True), row("acme", now - timedelta(minutes=59), True),
        row("acme", now - timedelta(minutes=30), False),
        row("acme", now - timedelta(hours=1, seconds=1), True, source="rss"),
        row("acme", now - timedelta(hours=167, minutes=30), False),
        row("acme", now - timedelta(hours=169), True),  # before the span read
        row("acme", now + timedelta(minutes=1), True),  # not yet
        row("other", now - timedelta(minutes=5), True),  # another brand
    ])
    hourly = SpikeStore(world.runtime.store).hourly("acme", now, 168)
    assert len(hourly.mentions) == 168
    assert (hourly.mentions[0], hourly.complaints[0]) == (3, 2)
    assert (hourly.mentions[1], hourly.complaints[1]) == (1, 1)
    assert (hourly.mentions[167], hourly.complaints[167]) == (1, 0)
    assert sum(hourly.mentions) == 5 and hourly.history == 168
    by_source = SpikeStore(world.runtime.store).hourly_by_source("acme", now, 168)
    assert set(by_source) == {"posts", "rss"}
    assert by_source["posts"][0] == 3 and by_source["rss"][1] == 1 and sum(by_source["rss"]) == 1


def _history(brand: str, now: datetime, weeks: int = 4) -> list[dict[str, Any]]:
    """Two complaints and four other mentions every hour, for `weeks` weeks before the last hour."""
    rows = []
    for hour in range(1, weeks * 168 + 2):
        at = now - timedelta(hours=hour, minutes=20)
        rows += [row(brand, at, True, text="acme parcel late") for _ in range(2)]
        rows += [row(brand, at, False) for _ in range(4)]
    return rows


def test_spike_life__one_alert_edited_then_closed(tmp_path: Path, database_url: str) -> None:
    with FakeSlack() as slack:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          database_url=database_url)
        world = make_world(tmp_path, database_url, env=env)
        client = make_client(env)
        client.retry_handlers = []
        delivery = SlackDelivery(client)
        start = world.clock()
        add(world, _history("acme", start))
        add(world, [row("acme", start - timedelta(minutes=m), True, category="product",
                        text="acme app crashes at checkout <!channel>") for m in range(1, 31)])
        # As many more mentions as usual: the complaints' share rises too little to alert.
        add(world, [row("acme", start - timedelta(minutes=m), False) for m in range(1, 51)])

        assert check(world.runtime) == 1  # the volume spike: 30 against 2 usually
        [spike] = SpikeStore(world.runtime.store).spikes("acme")
        assert spike.kind == "volume" and spike.ended_at is None
        assert spike.facts["complaints"] == 30 and spike.facts["usual"] == 2
        assert spike.facts["category"] == "product" and spike.facts["platform"] == "x"
        assert {"app", "crashes", "checkout"} <= set(spike.facts["words"])
        assert "acme" not in spike.facts["words"]
        assert flush(world.runtime, delivery) >= 1
        [post] = slack.of("chat.postMessage")
        assert post.params["channel"] == "C0ACME"
        posted = str(post.params["blocks"])
        assert "spiking" in posted and "*30* complaints" in posted
        assert "&lt;!channel&gt;" in posted and "<!channel>" not in posted  # their words, escaped

        assert check(world.runtime) == 0  # the same spike: nothing new
        world.clock.advance(minutes=5)
        add(world, [row("acme", world.clock() - timedelta(minutes=1), True) for _ in range(15)])
        assert check(world.runtime) == 0  # changed, but updates wait `update_every`
        world.clock.advance(minutes=15)
        assert check(world.runtime) == 1
        flush(world.runtime, delivery)
        [edit] = slack.of("chat.update")
        assert edit.params["ts"] == post.params.get("ts", edit.params["ts"])
        assert "*45* complaints" in str(edit.params["blocks"])

        world.clock.advance(hours=2)  # the posts stopped: the last hour is back to nothing
        assert check(world.runtime) == 1
        flush(world.runtime, delivery)
        closing = slack.of("chat.update")[-1]
        assert "back to usual" in str(closing.params["blocks"])
        [ended] = SpikeStore(world.runtime.store).spikes("acme")
        assert ended.ended_at == world.clock() and ended.peak == 45
        assert check(world.runtime) == 0
        assert len(slack.of("chat.postMessage")) == 1 and len(slack.of("chat.update")) == 2


def test_two_processes_checking_at_once__open_one_spike(tmp_path: Path, database_url: str) -> None:
    import threading

    from monitor.store import Store
    from monitor.wiring import build_runtime

    world = make_world(tmp_path, database_url)
    start = world.clock()
    add(world, _history("acme", start))
    add(world, [row("acme", start - timedelta(minutes=m), True) for m in range(1, 31)])
    add(world, [row("acme", start - timedelta(minutes=m), False) for m in range(1, 51)])
    others = [build_runtime(world.runtime.config, world.config_path, env=world.runtime.env,
                            environ={}, clock=world.clock, store=Store.from_url(database_url))
              for _ in range(3)]
    barrier = threading.Barrier(len(others))
    queued: list[int] = []

    def run(runtime: Any) -> None:
        barrier.wait()
        queued.append(check(runtime))

    threads = [threading.Thread(target=run, args=(r,)) for r in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(queued) == [0, 0, 1]
    assert len(SpikeStore(world.runtime.store).spikes("acme")) == 1
    assert [i.kind for i in world.runtime.outbox.due(start)] == ["spike"]
