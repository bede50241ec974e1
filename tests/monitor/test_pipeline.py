from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor import case_engine, casework, deadlines
from monitor.domain import CaseStatus, Classification, Mention, Severity
from monitor.models import OutboxRow
from monitor.pipeline import apply_rating, process
from monitor.poller import poll_all, poll_source
from tests.factories import T0, KeywordClassifier, make_world, post


def test_poll__complaint_opens_case_with_deadline_and_alert(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late again", published_at=T0 - timedelta(minutes=10)),
                    post("2", "acme coffee is lovely"))
    [result] = poll_all(world.runtime)
    assert result.ok and result.fetched == 2 and result.outcome.complaints == 1
    [case] = world.runtime.store.cases()
    assert case.reference == "ACME-0001"
    assert case.deadline_at == T0 + timedelta(minutes=50)
    assert len(world.runtime.store.suggestions(case.id)) >= 2
    assert [i.kind for i in world.runtime.outbox.due(T0)] == ["alert"]


def test_poll__same_posts_twice_open_no_second_case(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late"))
    poll_all(world.runtime)
    world.runtime.sources.succeeded("acme", "posts", "replay", "0", 0, 0, None, T0, T0)  # rewind
    [again] = poll_all(world.runtime)
    assert again.outcome.duplicates == 1 and again.outcome.complaints == 0
    assert len(world.runtime.store.cases()) == 1
    assert world.runtime.store.count(OutboxRow) == 1


def test_poll__own_posts_and_excluded_terms_are_skipped(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme late deliveries? not ours!", author="acmecoffee"),
                    post("2", "my acme anvil arrived broken"))
    [result] = poll_all(world.runtime)
    assert result.fetched == 1  # the connector drops the brand's own post
    assert result.outcome.filtered == 1
    assert world.runtime.store.cases() == []


def test_is_filtered__own_handle_on_the_mentions_platform(tmp_path: Path, database_url: str) -> None:
    from monitor.pipeline import is_filtered

    brand = make_world(tmp_path, database_url).runtime.brand("acme")
    own = Mention(platform="replay", id="1", text="acme news", url="u", author_id="1",
                  author_handle="@AcmeCoffee", published_at=T0)
    assert is_filtered(brand, own)
    assert not is_filtered(brand, Mention(**{**own.__dict__, "author_handle": "jan"}))


class Exploding(KeywordClassifier):
    def classify(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")


def test_poll__our_failure_keeps_cursor_loses_nothing_and_does_not_blame_the_source(
        tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url, classifier=Exploding())
    world.add_posts(post("1", "acme parcel is late"))
    [result] = poll_all(world.runtime)
    assert not result.ok and "disk full" in (result.error or "")
    state = world.runtime.sources.get("acme", "posts")
    assert state is not None and state.cursor is None
    assert state.consecutive_failures == 0 and state.healthy, "the platform did nothing wrong"
    assert "classifier failed" in (state.pipeline_error or "")
    from monitor.status_report import render_status

    assert "OUR ERROR" in render_status(world.runtime)
    world.runtime._classifier = KeywordClassifier()
    world.clock.advance(hours=1)
    [retry] = poll_all(world.runtime)
    assert retry.ok and retry.outcome.complaints == 1


def test_poll__failing_source_does_not_stop_others_and_backs_off(tmp_path: Path, database_url: str) -> None:
    extra = """\
  - id: other
    name: Other
    keywords: [other]
    slack: {channel: C0OTHER}
    responders: [U0OTHER]
    sources:
      - type: replay
        options: {path: missing.jsonl}
"""
    world = make_world(tmp_path, database_url, extra=extra)
    world.add_posts(post("1", "acme parcel is late"))
    results = {r.brand_id: r for r in poll_all(world.runtime)}
    assert results["acme"].ok and not results["other"].ok
    assert "missing.jsonl does not exist" in (results["other"].error or "")
    second = poll_source(world.runtime, "other", "replay")
    assert second.next_poll_in > results["other"].next_poll_in


def test_source_down_for_long__one_notice_then_one_recovery(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.posts.unlink()
    for _ in range(5):
        poll_source(world.runtime, "acme", "posts")
        world.clock.advance(minutes=20)
    notices = [i for i in world.runtime.outbox.due(world.clock()) if i.kind == "source_notice"]
    assert len(notices) == 1 and not notices[0].payload["recovered"]
    world.posts.touch()
    poll_source(world.runtime, "acme", "posts")
    poll_source(world.runtime, "acme", "posts")
    notices = [i for i in world.runtime.outbox.due(world.clock()) if i.kind == "source_notice"]
    assert [n.payload["recovered"] for n in notices] == [False, True]


def test_old_post_found_late__overdue_and_escalated_at_once(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late", published_at=T0 - timedelta(hours=3)))
    poll_all(world.runtime)
    reminded, escalated = deadlines.sweep(world.runtime)
    assert (reminded, escalated) == (0, 1)
    assert deadlines.sweep(world.runtime) == (0, 0)


def test_deadlines__reminder_then_escalation_each_once(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late", published_at=T0))
    poll_all(world.runtime)
    assert deadlines.sweep(world.runtime) == (0, 0)
    world.clock.advance(minutes=45)
    assert deadlines.sweep(world.runtime) == (1, 0)
    assert deadlines.sweep(world.runtime) == (0, 0)
    world.clock.advance(minutes=15)
    assert deadlines.sweep(world.runtime) == (0, 1)
    kinds = [i.kind for i in world.runtime.outbox.due(world.clock())]
    assert kinds.count("reminder") == 1 and kinds.count("escalation") == 1


def test_deadlines__answered_case_is_not_reminded(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late", published_at=T0))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    casework.set_status(world.runtime, case.id, CaseStatus.RESOLVED, "U1")
    world.clock.advance(hours=2)
    assert deadlines.sweep(world.runtime) == (0, 0)


def test_rating__low_stars_are_complaints_high_stars_are_not() -> None:
    [calm] = KeywordClassifier().classify(["it is fine"])
    assert apply_rating(calm, 1).is_complaint
    assert "2-star review" in apply_rating(calm, 2).why
    [angry] = KeywordClassifier().classify(["worst ever"])
    assert not apply_rating(angry, 5).is_complaint
    assert apply_rating(angry, 3) == angry


def test_edited_review_after_reply__reopens_case(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    rt = world.runtime
    brand = rt.brand("acme")
    m = Mention(platform="google_play", id="r1", text="broken after update", url="u", author_id="a",
                author_handle="a", published_at=T0, rating=1, edited_at=T0)
    [case_id] = process(rt, brand, "posts", [m], T0).cases
    with rt.store.transaction() as tx:
        case_engine.replied(tx, tx.case(case_id), actor="U1", text="Sorry!", url=None,
                            external_id=None, platform_title="Google Play", now=T0)
    edited = Mention(**{**m.__dict__, "text": "still broken, worse now", "edited_at": T0 + timedelta(days=1)})
    outcome = process(rt, brand, "posts", [edited], T0 + timedelta(days=1))
    assert outcome.reopened == (case_id,)
    assert rt.store.case(case_id).status == CaseStatus.REOPENED.value
    assert [e.detail for e in rt.store.events(case_id)][-1] == "review edited"
    notes = [i.notice for i in rt.outbox.due(T0 + timedelta(days=1), limit=100)
             if i.kind == "status_note"]
    assert [(n.status, n.reason) for n in notes] == [(CaseStatus.REOPENED, "edited_review")]


def test_remind__never_after_the_deadline(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late", published_at=T0 - timedelta(hours=2)))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    assert not deadlines.remind(world.runtime, case.id)
    assert deadlines.escalate(world.runtime, case.id)


ASKS_QUESTIONS = ("    alert_on: [complaint, question]\n    question_response_time: 3h\n"
                  "    competitors: [Northwind]\n")


def test_poll__questions_alert_only_where_the_brand_asks(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "quiet").mkdir()
    (tmp_path / "asks").mkdir()
    quiet = make_world(tmp_path / "quiet")  # a database of its own
    quiet.add_posts(post("1", "acme do you open on sundays?"))
    [result] = poll_all(quiet.runtime)
    assert result.outcome.complaints == 0 and quiet.runtime.store.cases() == []

    world = make_world(tmp_path / "asks", database_url, extra=ASKS_QUESTIONS)
    world.add_posts(post("1", "acme do you open on sundays?", published_at=T0),
                    post("2", "acme parcel is late again", published_at=T0))
    poll_all(world.runtime)
    question, complaint = sorted(world.runtime.store.cases(), key=lambda c: c.id)
    assert question.deadline_at == T0 + timedelta(hours=3)
    assert complaint.deadline_at == T0 + timedelta(hours=1)
    assert question.priority <= 5 < complaint.priority
    texts = [s.text for s in world.runtime.store.suggestions(question.id)]
    assert texts and all("question" in t.lower() or "asking" in t.lower() for t in texts)


def test_poll__classifier_reads_the_brand(tmp_path: Path, database_url: str) -> None:
    classifier = KeywordClassifier()
    world = make_world(tmp_path, database_url, extra=ASKS_QUESTIONS, classifier=classifier)
    world.add_posts(post("1", "acme parcel is late"), post("2", "acme is fine"))
    poll_all(world.runtime)
    assert [b.id for b in classifier.brands_seen] == ["acme", "acme"]
    assert classifier.brands_seen[0].competitors == ("Northwind",)
    assert "Acme Coffee" in classifier.brands_seen[0].names


def test_poll__two_problems_get_replies_that_answer_both(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme order late and the driver was rude"))
    poll_all(world.runtime)
    [case] = world.runtime.store.cases()
    texts = [s.text for s in world.runtime.store.suggestions(case.id)]
    assert texts and all("also sorry about how our team treated you" in t for t in texts)
    assert all("order" in t.lower() for t in texts)


def test_is_filtered__excluded_terms_match_declined_forms(tmp_path: Path, database_url: str) -> None:
    from monitor.pipeline import is_filtered

    brand = make_world(tmp_path, database_url).runtime.brand("acme")
    mention = Mention(platform="x", id="1", text="zepsuty młotek z Acme Anvila", url="u",
                      author_id="1", author_handle="jan", published_at=T0)
    assert is_filtered(brand, mention)
    assert not is_filtered(brand, Mention(**{**mention.__dict__, "text": "acme anvilx is late"}))


class _Calm(KeywordClassifier):
    """The keyword classifier, but every complaint only disapproves."""

    def classify(self, *args: Any, **kwargs: Any) -> list[Classification]:
        return [dataclasses.replace(c, severity=Severity.DISAPPROVAL) if c.is_complaint else c
                for c in super().classify(*args, **kwargs)]


def test_poll__no_thanks_for_patience_to_a_post_that_accuses(tmp_path: Path, database_url: str) -> None:
    world = make_world(tmp_path, database_url, classifier=_Calm())

    def drafts(pid: str) -> list[str]:
        world.add_posts(post(pid, "acme parcel is late again"))
        poll_all(world.runtime)
        case = max(world.runtime.store.cases(), key=lambda c: c.id)
        return [s.text.casefold() for s in world.runtime.store.suggestions(case.id)]

    assert any("thank you for your patience" in t for t in drafts("1"))
    world.runtime._classifier = KeywordClassifier()  # severity: accusation
    accusing = drafts("2")
    assert len(accusing) >= 2 and not any("patience" in t for t in accusing)
    assert any("we understand how frustrating this is" in t for t in accusing)


def test_poll__a_repeat_complaint_gets_replies_sorry_it_happened_again(tmp_path: Path,
                                                                        database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late"), post("2", "acme parcel is late AGAIN", author="ola"))
    poll_all(world.runtime)
    first, again = sorted(world.runtime.store.cases(), key=lambda c: c.id)
    assert not any("happened again" in s.text for s in world.runtime.store.suggestions(first.id))
    texts = [s.text for s in world.runtime.store.suggestions(again.id)]
    assert len(texts) >= 2 and all("We're sorry this has happened again." in t for t in texts)


def test_poll__the_customers_earlier_case_about_the_same_thing_makes_a_repeat(tmp_path: Path,
                                                                              database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late"))
    poll_all(world.runtime)
    world.clock.now += timedelta(days=3)
    world.add_posts(post("2", "acme parcel is late, where is it"),  # the same customer, jan
                    post("3", "acme grinder arrived broken"),  # jan, but about something else
                    post("4", "acme parcel is late", author="ola"))  # someone else
    poll_all(world.runtime)
    drafts = {c.reference: " ".join(s.text for s in world.runtime.store.suggestions(c.id))
              for c in world.runtime.store.cases()}
    assert len(drafts) == 4
    said = {ref for ref, text in drafts.items() if "happened again" in text}
    assert said == {"ACME-0002"}
