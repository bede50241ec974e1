"""The Home tab at scale: 15 brands of 500 open cases each, counted by the database, and a
view within Slack's limits (100 blocks, 3,000 characters a section, 150 a header)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from alerts.blocks_home import BrandHome, build_home
from alerts.home_tab import home_view
from alerts.text import CONTEXT_TEXT, FIELD_TEXT, HEADER_TEXT, SECTION_TEXT, slack_len
from monitor.models import CaseRow, MentionRow
from monitor.store_home import QueueCounts, WeekFigures, queue_counts, week_figures
from tests.factories import T0, make_world

BRANDS, PER_BRAND = 15, 500
USER = "U0ALLOWED"
LONG_NAME = "Acme " + "Very Long Brand Name " * 12


def _extra(count: int) -> str:
    return "".join(f"""\
  - id: b{i:02d}
    name: "{LONG_NAME if i == 0 else f'Brand {i}'}"
    keywords: [b{i:02d}]
    slack:
      channel: C0B{i:02d}
    responders: [{USER}]
    sources:
      - type: replay
        name: posts
        options:
          path: posts.jsonl
""" for i in range(count))


def _fill(store: Any, brand_ids: list[str], per_brand: int) -> None:
    """Open `per_brand` cases per brand: every third overdue, every fifth assigned to USER."""
    mentions, cases = [], []
    n = 0
    for brand in brand_ids:
        for i in range(per_brand):
            n += 1
            at = T0 - timedelta(hours=3 if i % 3 == 0 else 0, minutes=i % 50)
            mentions.append({"id": n, "brand_id": brand, "source": "posts", "platform": "x",
                             "external_id": str(n), "text": "late " * 50, "url": f"https://x.com/{n}",
                             "author_id": f"a{n}", "author_handle": "h" * 200, "author_name": "",
                             "published_at": at, "fetched_at": at, "kind": "post", "title": "",
                             "extra": {}, "is_complaint": True, "why": "", "cues": {}, "model": ""})
            cases.append({"id": n, "reference": f"{brand.upper()}-{i:04d}", "brand_id": brand,
                          "mention_id": n, "customer_key": f"x:{n}", "status": "new", "priority": 0,
                          "opened_at": at, "deadline_at": at + timedelta(hours=1),
                          "assignee": USER if i % 5 == 0 else None, "slack_channel": "C0B00",
                          "slack_ts": f"{1_700_000_000 + n}.000100"})
    with store.session() as s:
        s.execute(insert(MentionRow), mentions)
        s.execute(insert(CaseRow), cases)


def _texts(block: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if "text" in block:
        out.append((block["type"], block["text"]["text"]))
    out += [("field", f["text"]) for f in block.get("fields") or []]
    out += [("context", e["text"]) for e in block.get("elements") or [] if "text" in e]
    return out


def _assert_within_limits(view: dict[str, Any]) -> None:
    limits = {"section": SECTION_TEXT, "header": HEADER_TEXT, "field": FIELD_TEXT,
              "context": CONTEXT_TEXT}
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        assert len(block.get("fields") or []) <= 10
        for kind, text in _texts(block):
            assert 0 < slack_len(text) <= limits[kind], (kind, len(text))


def test_home_view__many_brands_many_cases__counted_and_within_limits(tmp_path: Path,
                                                                      database_url: str) -> None:
    world = make_world(tmp_path, database_url, extra=_extra(BRANDS))
    store = world.runtime.store
    ids = [f"b{i:02d}" for i in range(BRANDS)]
    _fill(store, ids, PER_BRAND)
    now = world.clock()

    counts = queue_counts(store, ids, USER, now)
    assert counts["b03"] == QueueCounts(open=PER_BRAND, overdue=167, mine=100)
    for brand in ("b00", "b14"):  # the same figures as the slash command's queries
        assert counts[brand] == QueueCounts(store.count_cases(brand_id=brand),
                                            store.count_cases(brand_id=brand, overdue_at=now),
                                            store.count_cases(brand_id=brand, assignee=USER))

    view = home_view(world.runtime, USER, lambda b: b.id in ids, now)
    _assert_within_limits(view)
    text = "\n".join(t for b in view["blocks"] for _, t in _texts(b))
    assert f"*Open*\n{PER_BRAND}" in text and "*Overdue*\n167" in text and "*Yours*\n100" in text
    assert "…and 162 more." in text  # 167 overdue, 5 shown
    assert "more brands: " in text  # 15 brands of 7 blocks do not fit in 100
    assert view["blocks"][-1]["type"] == "context"
    shown = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"][1:]
    assert len(shown) == 13 and shown[0].startswith("Acme Very Long") and len(shown[0]) <= 150


def test_week_figures__counted_in_the_brands_week(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url, extra=_extra(1))
    store = world.runtime.store
    _fill(store, ["b00"], 9)
    with store.session() as s:  # two answered: in 20 and 40 minutes, the second late
        rows = list(s.scalars(select(CaseRow).where(CaseRow.brand_id == "b00").order_by(CaseRow.id)))
        rows[1].replied_at = rows[1].mention.published_at + timedelta(minutes=20)
        rows[2].replied_at = rows[2].deadline_at + timedelta(minutes=5)
    brand = world.runtime.brand("b00")
    world.clock.advance(hours=2)  # both replies are in the past now
    week = week_figures(store, "b00", brand.zone, world.clock())
    assert (week.opened, week.answered) == (9, 2)
    assert week.median_first_reply == timedelta(minutes=(20 + 65) / 2)
    # The brand's week began on Monday 2 November, 00:00 UTC (the brand's zone is UTC).
    assert week.start == T0.replace(hour=0)
    assert week.within == 1 and week.due == 9  # each deadline fell in the week so far


def test_build_home__stranger_and_empty_lists() -> None:
    view = build_home([], T0)
    assert [b["type"] for b in view["blocks"]] == ["header", "context", "section"]
    week = WeekFigures(T0, 0, 0, 0, 0, None)
    calm = build_home([BrandHome("Calm", QueueCounts(), [], [], [], week)], T0)
    _assert_within_limits(calm)
    text = "\n".join(t for b in calm["blocks"] for _, t in _texts(b))
    assert "Nothing is overdue" in text and "*Answered within deadline*\n–" in text
