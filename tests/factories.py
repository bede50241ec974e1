"""Builders for tests: a brands file, replay posts, a runtime on SQLite or PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from monitor.config_loader import load_config
from monitor.domain import BrandContext, Category, Classification, Kind, Severity
from monitor.settings import Environment, Thresholds
from monitor.store import Store
from monitor.wiring import Runtime, build_runtime

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

BRANDS_YAML = """\
version: 1
brands:
  - id: acme
    name: Acme Coffee
    keywords: [acme]
    handles: {{replay: acmecoffee}}
    exclude: [acme anvil]
    languages: [en, pl]
    timezone: Europe/Warsaw
    response_time: 1h
    reminder_before: 15m
    slack:
      channel: C0ACME
      escalation_channel: C0ESCAL
    responders: [U0ALLOWED, S0TEAM]
    signature: "— Acme"
    sources:
      - type: replay
        name: posts
        options:
          path: {posts}
          reply_log: {replies}
{extra}"""


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class KeywordClassifier:
    """A stand-in classifier: a post is a complaint when it holds a word of complaint."""

    name = "keywords-for-tests"
    words = ("broken", "late", "never", "refund", "worst", "rude", "zepsut", "nie działa")

    def warm_up(self) -> None:
        """Keyword lists need no loading."""

    def meanings(self, texts: Sequence[str], langs: Sequence[str],
                 brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        """No vectors: waves group these posts by their words."""
        return [None] * len(texts)

    def classify(self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None,
                 thresholds: Sequence[Thresholds] | None = None,
                 brands: Sequence[BrandContext | None] | None = None) -> list[Classification]:
        self.brands_seen = list(brands or [])
        out = []
        for i, text in enumerate(texts):
            hits = tuple(w for w in self.words if w in text.lower())
            lang = (lang_hints[i] if lang_hints else None) or "en"
            question = not hits and text.rstrip().endswith("?")
            out.append(Classification(
                is_complaint=bool(hits), score=0.95 if hits else 0.05, lang=lang,
                severity=Severity.ACCUSATION if hits else Severity.NONE,
                category=Category.DELIVERY if "late" in hits else Category.PRODUCT,
                anger=0.5 if hits else 0.0, why=", ".join(hits), cues=hits, model=self.name,
                kind=Kind.COMPLAINT if hits else Kind.QUESTION if question else Kind.OTHER,
                reason="" if hits else "question" if question else "no_blame",
                categories=((Category.DELIVERY, Category.SERVICE) if {"late", "rude"} <= set(hits)
                            else ())))
        return out


def post(pid: str, text: str, *, author: str = "jan", minutes_ago: float | None = None,
         published_at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": pid, "text": text, "author": author, "author_name": author.title(),
                              "followers": 120, "lang": "en", "platform": "x"}
    if published_at is not None:
        record["published_at"] = published_at.isoformat()
    elif minutes_ago is not None:
        record["minutes_ago"] = minutes_ago
    else:
        record["published_at"] = T0.isoformat()
    record.update(extra)
    return record


@dataclass
class World:
    """A test's brands file, replay posts, runtime and clock."""

    dir: Path
    config_path: Path
    runtime: Runtime
    clock: Clock

    @property
    def posts(self) -> Path:
        return self.dir / "posts.jsonl"

    @property
    def replies(self) -> Path:
        return self.dir / "replies.jsonl"

    def add_posts(self, *records: dict[str, Any]) -> None:
        with self.posts.open("a", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def reply_lines(self) -> list[dict[str, Any]]:
        if not self.replies.exists():
            return []
        return [json.loads(x) for x in self.replies.read_text(encoding="utf-8").splitlines()]


def write_brands(tmp: Path, extra: str = "") -> Path:
    path = tmp / "brands.yaml"
    path.write_text(BRANDS_YAML.format(posts="posts.jsonl", replies="replies.jsonl", extra=extra),
                    encoding="utf-8")
    (tmp / "posts.jsonl").touch()
    return path


def make_world(tmp: Path, database_url: str | None = None, extra: str = "",
               classifier: Any = None, env: Environment | None = None) -> World:
    path = write_brands(tmp, extra)
    config = load_config(path, env={})
    clock = Clock()
    env = env or Environment(database_url=database_url or f"sqlite:///{tmp / 'test.db'}")
    store = Store.from_url(env.database_url)
    runtime = build_runtime(config, path, env=env, environ={}, clock=clock, store=store)
    runtime._classifier = classifier if classifier is not None else KeywordClassifier()
    return World(tmp, path, runtime, clock)


def empty_database(url: str, migrate_schema: bool = False) -> None:
    """Empty brand-monitor's tables (and the scheduler's jobs) at `url`, so a run starts on
    an empty database; `migrate_schema` creates the tables first if need be."""
    from monitor.models import Base

    store = Store.from_url(url, migrate_schema=migrate_schema)
    with store.engine.begin() as conn:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if store.engine.dialect.has_table(conn, "apscheduler_jobs"):
            tables.append("apscheduler_jobs")
        if store.engine.dialect.name == "postgresql":
            # One TRUNCATE leaves no dead rows behind: a DELETE's stay until a vacuum, and on
            # a server without autovacuum they slow every run that follows.
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            for name in tables:
                conn.exec_driver_sql(f"DELETE FROM {name}")
    store.engine.dispose()
