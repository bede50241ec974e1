"""Issue-4 behaviour below Slack: conversations, waves, deadline rules, follow-ups, stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import casework, deadlines
from monitor.case_view import case_view
from monitor.domain import CaseStatus
from monitor.poller import poll_all
from monitor.reports import day_stats
from tests.factories import T0, make_world, post

RULES = """\
    deadline_rules:
      - severity: accusation
        response_time: 30m
      - min_followers: 100000
        response_time: 20m
    escalation:
      second_level_after: 30m
      second_level_group: S0BOSSES
    followup:
      after: 24h
    linked_customers:
      - [x:jan, reddit:jan_on_reddit]
"""


def _world(tmp_path: Path, database_url: str, brand_extra: str = ""):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path, database_url)
    if brand_extra:
        text = world.config_path.read_text().replace("    sources:\n", brand_extra + "    sources:\n")
        world.config_path.write_text(text)
        from monitor.config_loader import load_config

        world.runtime.config = load_config(world.config_path, env={})
    return world


def test_same_conversation__joins_open_case_and_keeps_deadline(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url)
    world.add_posts(post("1", "acme order is late", conversation_id="c1"))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    world.clock.advance(minutes=10)
    world.add_posts(post("2", "still late, hello??", conversation_id="c1"),
                    post("3", "acme refund never came", author="ola", conversation_id="c9"))
    [result] = poll_all(world.runtime)
    assert result.outcome.joined == 1 and result.outcome.complaints == 1
    cases = world.runtime.store.cases()
    assert len(cases) == 2
    assert world.runtime.store.case(case.id).deadline_at == case.deadline_at
    threads = [i for i in world.runtime.outbox.due(world.clock()) if i.kind == "customer_posted"]
    assert [t.case_id for t in threads] == [case.id]
    assert "customer_posted" in [e.kind for e in world.runtime.store.events(case.id)]
    # Read again after a crash before the cursor moved: still no second case.
    world.runtime.sources.succeeded("acme", "posts", "replay", "0", 0, 0, None, T0, T0)
    poll_all(world.runtime)
    assert len(world.runtime.store.cases()) == 2


def test_deadline_rules__severity_shortens_the_hour(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url, RULES)
    world.add_posts(post("1", "acme parcel is late", published_at=T0))  # test classifier: accusation
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    assert case.deadline_at == T0 + timedelta(minutes=30)


def test_second_level_escalation__after_the_first(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url, RULES)
    world.add_posts(post("1", "acme parcel is late", published_at=T0))
    poll_all(world.runtime)
    world.clock.advance(minutes=31)
    assert deadlines.sweep(world.runtime) == (0, 1)
    world.clock.advance(minutes=29)
    assert deadlines.sweep(world.runtime) == (0, 0)
    world.clock.advance(minutes=2)
    assert deadlines.sweep(world.runtime) == (0, 1)
    levels = [i.payload["level"] for i in world.runtime.outbox.due(world.clock()) if i.kind == "escalation"]
    assert levels == [1, 2]


def test_followup__asked_once_a_day_after_resolution(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url, RULES)
    world.add_posts(post("1", "acme parcel is late"))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    casework.set_status(world.runtime, case.id, CaseStatus.RESOLVED, "U0ALLOWED")
    world.clock.advance(hours=23)
    deadlines.sweep(world.runtime)
    world.clock.advance(hours=2)
    deadlines.sweep(world.runtime)
    deadlines.sweep(world.runtime)
    followups = [i for i in world.runtime.outbox.due(world.clock()) if i.kind == "followup"]
    assert len(followups) == 1
    result = casework.record_followup(world.runtime, case.id, satisfied=False, user="U0ALLOWED")
    assert result.changed
    assert world.runtime.store.case(case.id).followup_outcome == "not satisfied"
    assert world.runtime.store.case(case.id).status == CaseStatus.REOPENED.value


def test_wave__fifty_similar_complaints_make_one_grouped_alert(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url)
    world.add_posts(*[post(str(i), f"acme app is broken again, cannot log in since the update #{i}",
                           author=f"user{i}", minutes_ago=1) for i in range(50)])
    poll_all(world.runtime)
    cases = world.runtime.store.cases(limit=500)
    assert len(cases) == 50
    due = world.runtime.outbox.due(world.clock() + timedelta(days=1), limit=500)
    alone = [i for i in due if i.kind == "alert" and not i.payload["wave"]]
    in_wave = [i for i in due if i.kind == "alert" and i.payload["wave"]]
    waves = {i.payload["wave"] for i in due if i.kind == "wave"}
    assert len(waves) == 1
    assert len(alone) == 4 and len(in_wave) == 46  # the first four came before the wave formed
    assert all(c.wave_id is not None for c in world.runtime.store.cases(limit=500))


def test_wave__different_complaints_stay_separate(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url)
    texts = ["acme parcel late by a week", "acme refund never arrived", "barista was rude at acme",
             "acme cup was broken", "acme charged me twice, refund", "worst acme latte ever"]
    world.add_posts(*[post(str(i), t, author=f"u{i}") for i, t in enumerate(texts)])
    poll_all(world.runtime)
    due = world.runtime.outbox.due(world.clock())
    assert not [i for i in due if i.kind == "wave"]


def test_history__linked_handles_show_earlier_cases(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url, RULES)
    world.add_posts(post("1", "acme parcel is late", author="jan_on_reddit", platform="reddit"))
    poll_all(world.runtime)
    world.add_posts(post("2", "acme refund never came", author="jan", conversation_id="other"))
    poll_all(world.runtime)
    newest = max(c.id for c in world.runtime.store.cases())
    view = case_view(world.runtime, newest)
    assert view.history.earlier_cases == 1
    assert view.history.last_reference == "ACME-0001"


def test_link_customers__by_the_team(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late", author="maya", platform="x"))
    poll_all(world.runtime)
    world.add_posts(post("2", "acme refund never came", author="maya_r", platform="reddit"))
    poll_all(world.runtime)
    newest = max(c.id for c in world.runtime.store.cases())
    assert case_view(world.runtime, newest).history.earlier_cases == 0
    assert casework.link_customers(world.runtime, "acme", "x:maya", "reddit:maya_r", "U0ALLOWED").changed
    assert case_view(world.runtime, newest).history.earlier_cases == 1


HOURS = """\
    business_hours:
      opening: {mon: "08:00-18:00", tue: "08:00-18:00", wed: "08:00-18:00",
                thu: "08:00-18:00", fri: "08:00-18:00"}
      out_of_hours_ack: true
"""


def test_out_of_hours__acknowledged_publicly_once(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url, HOURS)
    world.clock.now = datetime(2026, 11, 7, 21, 0, tzinfo=UTC)  # Saturday 22:00 in Warsaw
    world.add_posts(post("1", "acme parcel is late", published_at=world.clock.now))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    [reply] = world.reply_lines()
    assert case.reference in reply["text"] and reply["idempotency_key"].endswith("-ack")
    assert world.runtime.store.case(case.id).acknowledgement == reply["text"]
    from monitor.acknowledge import acknowledge_out_of_hours

    assert not acknowledge_out_of_hours(world.runtime, world.runtime.brand("acme"), case.id, world.clock())
    assert len(world.reply_lines()) == 1
    assert case_view(world.runtime, case.id).acknowledgement == reply["text"]
    # The team's own reply is still possible: the acknowledgement is not the answer.
    suggestion = world.runtime.store.suggestions(case.id)[0]
    assert casework.publish_reply(world.runtime, case.id, suggestion.text, "U0ALLOWED").changed
    assert len(world.reply_lines()) == 2


def test_in_hours__no_acknowledgement(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url, HOURS)
    world.clock.now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday 11:00 in Warsaw
    world.add_posts(post("1", "acme parcel is late", published_at=world.clock.now))
    poll_all(world.runtime)
    assert world.reply_lines() == []


def test_day_stats__response_times_today(tmp_path: Path, database_url: str) -> None:
    world = _world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late", published_at=T0),
                    post("2", "acme refund never came", author="ola", published_at=T0))
    poll_all(world.runtime)
    first, _second = world.runtime.store.cases()
    world.clock.advance(minutes=20)
    casework.publish_reply(world.runtime, first.id, "Sorry!", "U0ALLOWED")
    world.clock.advance(minutes=70)
    stats = day_stats(world.runtime, world.clock())
    assert stats.opened == 2 and stats.replied == 1 and stats.replied_within_target == 1
    assert stats.median_response == timedelta(minutes=20)
    assert stats.open_now == 1 and stats.overdue_now == 1
    assert json.dumps(stats.opened)
