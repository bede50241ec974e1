"""Waves at volume: bounded work per post, the same waves as before, across processes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, event

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor import case_engine, store_tx
from monitor.domain import Mention
from monitor.outbox import Outbox
from monitor.pipeline import process
from monitor.settings import BrandConfig, Environment
from monitor.store_tx import Tx
from tests.factories import T0, World, make_world
from tests.fake_slack import FakeSlack

VOCAB = [f"{a}{b}{c}" for a in "bdfgklmprstv" for b in "aeiou" for c in ("x", "nd", "rk", "mp", "st")]
OUTAGE = "acme app is broken again, cannot log in since the update"


def _mention(i: int, text: str) -> Mention:
    return Mention(platform="x", id=f"p{i}", text=text, url=f"https://x.com/u{i}/status/{i}",
                   author_id=f"u{i}", author_handle=f"user{i}", published_at=T0, lang_hint="en")


def _brand(world: World, **waves: Any) -> BrandConfig:
    brand = world.runtime.config.brands[0]
    return brand.model_copy(update={"waves": brand.waves.model_copy(update=waves)})


def _dissimilar(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [f"@acmecoffee {' '.join(rng.sample(VOCAB, 8))} arrived broken #{i}" for i in range(n)]


@pytest.fixture
def examined(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many candidate cases each new case was checked against."""
    seen: list[int] = []
    original = Tx.cases_sharing_keys

    def counting(self: Tx, *args: Any, **kwargs: Any) -> list[store_tx.WaveCandidate]:
        found = original(self, *args, **kwargs)
        seen.append(len(found))
        return found

    monkeypatch.setattr(Tx, "cases_sharing_keys", counting)
    return seen


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    issued: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        issued.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield issued
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _waves(world: World) -> set[int]:
    return {c.wave_id for c in world.runtime.store.cases(limit=10_000) if c.wave_id is not None}


def test_candidates_per_post_stay_bounded_as_volume_grows(tmp_path: Path, database_url: str,
                                                          examined: list[int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_engine, "MAX_CANDIDATES", 15)
    monkeypatch.setattr(store_tx, "PER_BUCKET", 5)
    world = make_world(tmp_path, database_url)
    brand = _brand(world, similarity=0.9)  # posts alike enough to share buckets, never a wave
    rng = random.Random(3)
    texts = [f"acme {' '.join(rng.sample(VOCAB[:12], 4))} broken" for _ in range(240)]
    per_post: list[int] = []
    for i, text in enumerate(texts):
        with statements(world.runtime.store.engine) as issued:
            process(world.runtime, brand, "posts", [_mention(i, text)], T0 + timedelta(seconds=i))
        per_post.append(len(issued))
    assert len(examined) == 240 and not _waves(world)
    assert max(examined) == 15  # the cap is reached, and holds
    assert max(examined[120:]) <= max(examined[:120])
    assert max(per_post[120:]) <= max(per_post[20:120])  # statements per post do not grow


def test_dissimilar_posts_make_no_wave_and_few_candidates(tmp_path: Path, database_url: str,
                                                          examined: list[int]) -> None:
    world = make_world(tmp_path, database_url)
    mentions = [_mention(i, t) for i, t in enumerate(_dissimilar(300))]
    for at in range(0, 300, 50):
        process(world.runtime, _brand(world), "posts", mentions[at:at + 50], T0 + timedelta(seconds=at))
    assert len(world.runtime.store.cases(limit=500)) == 300
    assert not _waves(world)
    assert max(examined) <= case_engine.MAX_CANDIDATES
    assert sum(examined[-100:]) / 100 < 60  # far from all 200+ recent cases


def test_similar_posts_still_make_one_wave(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    extra = ["today", "again", "please", "help", "why", "seriously"]
    mentions = [_mention(i, f"{OUTAGE} {extra[i % len(extra)]} #{i}") for i in range(40)]
    others = [_mention(100 + i, t) for i, t in enumerate(_dissimilar(20, seed=9))]
    process(world.runtime, _brand(world), "posts", others, T0)
    process(world.runtime, _brand(world), "posts", mentions, T0 + timedelta(minutes=1))
    cases = world.runtime.store.cases(limit=500)
    in_wave = [c for c in cases if c.wave_id is not None]
    assert len(_waves(world)) == 1
    assert len(in_wave) == 40  # all the similar ones, none of the 20 others
    due = world.runtime.outbox.due(world.clock() + timedelta(days=1), limit=500)
    assert sum(1 for i in due if i.kind == "alert" and i.payload["wave"]) == 36  # 4 before it formed


def test_two_processes_find_the_same_wave(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one, two = make_world(tmp_path / "one", database_url), make_world(tmp_path / "two", database_url)
    assert one.runtime.store.engine is not two.runtime.store.engine
    at = T0
    for i in range(20):
        world = one if i % 2 else two  # alternate: each store sees only what the other committed
        at += timedelta(seconds=5)
        process(world.runtime, _brand(world), "posts", [_mention(i, f"{OUTAGE} #{i}")], at)
    assert _waves(one) == _waves(two)
    assert len(_waves(one)) == 1
    assert sum(1 for c in one.runtime.store.cases(limit=100) if c.wave_id is not None) == 20


def test_wave_window__old_cases_and_quiet_waves_are_not_joined(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    brand = _brand(world)
    process(world.runtime, brand, "posts", [_mention(i, f"{OUTAGE} #{i}") for i in range(3)], T0)
    later = T0 + brand.waves.window + timedelta(seconds=1)
    process(world.runtime, brand, "posts", [_mention(10 + i, f"{OUTAGE} #{i}") for i in range(3)], later)
    assert not _waves(world)  # 3 + 3, never 5 within one window
    process(world.runtime, brand, "posts", [_mention(20 + i, f"{OUTAGE} #{i}") for i in range(2)], later)
    [wave] = _waves(world)
    much_later = later + brand.waves.window + timedelta(seconds=1)
    process(world.runtime, brand, "posts", [_mention(30, f"{OUTAGE} #30")], much_later)
    newest = max(world.runtime.store.cases(limit=100), key=lambda c: c.id)
    assert newest.wave_id is None  # the wave went quiet longer than the window
    assert wave in _waves(world)


def _slack_world(tmp_path: Path, database_url: str, slack: FakeSlack) -> tuple[World, SlackDelivery]:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      database_url=database_url)
    world = make_world(tmp_path, env=env)
    client = make_client(env)
    client.retry_handlers = []
    return world, SlackDelivery(client)


def _flush_all(world: World, delivery: SlackDelivery) -> int:
    sent = 0
    while batch := flush(world.runtime, delivery, batch=100, max_batches=100):
        sent += batch
    return sent


def test_send_wave__statements_do_not_grow_with_the_wave(tmp_path: Path, database_url: str) -> None:
    with FakeSlack() as slack:
        world, delivery = _slack_world(tmp_path, database_url, slack)
        brand = _brand(world)

        def one_more(i: int) -> int:
            process(world.runtime, brand, "posts", [_mention(i, f"{OUTAGE} #{i}")], T0)
            with statements(world.runtime.store.engine) as issued:
                assert _flush_all(world, delivery) == 2  # its alert in the thread, the wave's update
            return len(issued)

        process(world.runtime, brand, "posts", [_mention(i, f"{OUTAGE} #{i}") for i in range(10)], T0)
        _flush_all(world, delivery)
        small = one_more(10)
        process(world.runtime, brand, "posts", [_mention(i, f"{OUTAGE} #{i}") for i in range(11, 200)], T0)
        _flush_all(world, delivery)
        big = one_more(200)
        assert big <= small
        assert len(_waves(world)) == 1
        last = slack.of("chat.update")[-1]
        assert "201" in str(last.params)  # the count is the whole wave's, from one COUNT


def test_pending_edits_of_one_wave__one_slack_update(tmp_path: Path, database_url: str) -> None:
    with FakeSlack() as slack:
        world, delivery = _slack_world(tmp_path, database_url, slack)
        brand = _brand(world)
        process(world.runtime, brand, "posts", [_mention(i, f"{OUTAGE} #{i}") for i in range(10)], T0)
        _flush_all(world, delivery)
        [wave] = _waves(world)
        before = len(slack.of("chat.update"))
        process(world.runtime, brand, "posts",
                [_mention(i, f"{OUTAGE} #{i}") for i in range(10, 40)], T0)
        assert _flush_all(world, delivery) == 30 + 1  # each alert in the thread, one wave edit
        edits = slack.of("chat.update")[before:]
        assert len(edits) == 1, "thirty pending edits of the wave went out as one"
        assert "40" in str(edits[0].params), "the one edit carries the whole wave"
        counts = Outbox(world.runtime.store).counts()
        assert counts.get("pending", 0) == counts.get("sending", 0) == 0, counts
        assert _waves(world) == {wave}
