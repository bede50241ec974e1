"""Block Kit builders: what each state of a case shows, Slack's limits, and that no post pings."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts import action_ids as ids
from alerts import blocks
from alerts import messages as msg
from alerts import text as limits
from alerts.text import slack_len
from monitor.domain import (
    CaseEvent,
    CaseStatus,
    CaseView,
    Category,
    Classification,
    CustomerHistory,
    Mention,
    Severity,
    Suggestion,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PUBLISHED = NOW - timedelta(minutes=13)
RESPONDERS = ["U0RESP1", "S0GROUP1"]
HOSTILE = "<!channel> <!here> <!everyone> <@U0EVIL> <#C0EVIL> <https://evil.example|click>"
# The only tokens we write: responders, users, groups, dates and links.
OUR_TOKEN = re.compile(
    r"<(@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+|#C[A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+"
    r"|https?://[^|<>\s]+\|[^<>]*)>"
)
QUOTE_MARK = re.compile(r"(?m)^>(?: |$)")


def make_view(**changes: Any) -> CaseView:
    """A new complaint on X, 13 minutes old, with three suggestions."""
    mention_changes = changes.pop("mention", {})
    class_changes = changes.pop("classification", {})
    mention = Mention(
        platform="x",
        id="1790000000000000001",
        text="@AcmeSupport my order #4411 never arrived and nobody answers. Again.",
        url="https://x.com/sara/status/1790000000000000001",
        author_id="42",
        author_handle="sara_k",
        published_at=PUBLISHED,
        author_name="Sara K",
        author_followers=15_400,
    )
    classification = Classification(
        is_complaint=True,
        score=0.91,
        lang="en",
        severity=Severity.ACCUSATION,
        category=Category.DELIVERY,
        why="late delivery, no answer from support",
        cues=("never arrived", "nobody answers"),
    )
    view = CaseView(
        case_id=12,
        reference="ACME-0042",
        brand_id="acme",
        brand_name="Acme",
        mention=dataclasses.replace(mention, **mention_changes),
        classification=dataclasses.replace(classification, **class_changes),
        status=CaseStatus.NEW,
        opened_at=PUBLISHED + timedelta(minutes=1),
        deadline_at=PUBLISHED + timedelta(hours=1),
        suggestions=(
            Suggestion(101, "Hi Sara, sorry your order is late. DM us with ACME-0042.", "en"),
            Suggestion(102, "Thanks for flagging this, Sara. Send us ACME-0042.", "en"),
            Suggestion(103, "Sara, we're sorry. DM us quoting ACME-0042.", "en"),
        ),
        reply_limit=280,
        platform_title="X",
    )
    return dataclasses.replace(view, **changes)


def iter_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from iter_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_strings(value)


def all_blocks(node: Any) -> Iterator[dict[str, Any]]:
    yield from (node["blocks"] if isinstance(node, dict) else node)


def text_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text"):
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


def check_limits(message: Any, max_blocks: int = limits.MESSAGE_BLOCKS) -> None:
    """Assert every Block Kit limit we rely on."""
    block_list = list(all_blocks(message))
    assert 0 < len(block_list) <= max_blocks
    block_ids = [b["block_id"] for b in block_list if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for block in block_list:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert slack_len(block["text"]["text"]) <= limits.HEADER_TEXT
        elif kind == "section":
            if "text" in block:
                assert 1 <= slack_len(block["text"]["text"]) <= limits.SECTION_TEXT
            for field in block.get("fields", []):
                assert slack_len(field["text"]) <= limits.FIELD_TEXT
            assert len(block.get("fields", [])) <= limits.MAX_FIELDS
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= limits.CONTEXT_ELEMENTS
            for element in block["elements"]:
                assert slack_len(element["text"]) <= limits.CONTEXT_TEXT
        elif kind == "actions":
            elements = block["elements"]
            assert 1 <= len(elements) <= limits.ACTIONS_ELEMENTS
            action_ids = [e["action_id"] for e in elements]
            assert len(action_ids) == len(set(action_ids))
            for element in elements:
                if element["type"] == "button":
                    assert slack_len(element["text"]["text"]) <= limits.BUTTON_TEXT
                    assert len(element.get("value", "")) <= limits.BUTTON_VALUE
                    assert len(element.get("url", "")) <= limits.BUTTON_URL
        if "accessory" in block:
            assert slack_len(block["accessory"]["text"]["text"]) <= limits.BUTTON_TEXT
    for obj in text_objects(block_list):
        if obj["type"] == "mrkdwn":
            assert obj["verbatim"] is True


def assert_no_pings(message: Any) -> None:
    """No token but ours survives anywhere, and none of the post's."""
    for obj in text_objects(list(all_blocks(message))):
        if obj["type"] != "mrkdwn":
            continue
        leftover = OUR_TOKEN.sub("", QUOTE_MARK.sub("", obj["text"]))
        assert "<" not in leftover and ">" not in leftover, obj["text"]
        raw = obj["text"]
        assert "<!channel>" not in raw and "<!here>" not in raw and "<!everyone>" not in raw
        assert "<@U0EVIL>" not in raw and "<#C0EVIL>" not in raw
        assert "<https://evil.example" not in raw
        for bang in re.findall(r"<!\w+", raw):
            assert bang in ("<!date", "<!subteam"), raw


def texts(message: Any) -> str:
    return "\n".join(o["text"] for o in text_objects(list(all_blocks(message))))


def elements(message: Any, action_id: str) -> list[dict[str, Any]]:
    found = []
    for block in all_blocks(message):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                found.append(element)
        if block.get("accessory", {}).get("action_id") == action_id:
            found.append(block["accessory"])
    return found


def action_ids_of(message: Any) -> set[str]:
    return {e["action_id"] for b in all_blocks(message) for e in b.get("elements", [])
            if "action_id" in e}


# The alert, state by state -------------------------------------------------------------------


def test_alert__new_case_shows_facts_suggestions_and_buttons() -> None:
    alert = blocks.build_alert(make_view(), NOW, RESPONDERS)
    check_limits(alert)
    shown = texts(alert)
    assert alert[0]["text"]["text"] == "🟠 ACME-0042 · Complaint about Acme on X"
    assert "*Sara K* @sara_k · 📣 15.4k followers" in shown
    assert "> @AcmeSupport my order #4411 never arrived and nobody answers. Again." in shown
    assert "<https://x.com/sara/status/1790000000000000001|Open on X>" in shown
    assert "score 0.91" in shown and "“never arrived”" in shown
    assert "severity: accusation" in shown and "category: late or missing delivery" in shown
    assert "(in 47 min)" in shown
    assert "*Reference*\nACME-0042" in shown
    assert "Replies can be published by <@U0RESP1>, <!subteam^S0GROUP1>." in shown
    publish = elements(alert, ids.PUBLISH)
    assert [b["text"]["text"] for b in publish] == ["Send reply 1", "Send reply 2", "Send reply 3"]
    assert [b["value"] for b in publish] == ["12:101", "12:102", "12:103"]
    assert [b["value"] for b in elements(alert, ids.EDIT)] == ["12:101", "12:102", "12:103"]
    assert {ids.NOT_COMPLAINT, ids.ASSIGN_ME, ids.ASSIGN_TO, ids.RESOLVE, ids.ACKNOWLEDGE} <= (
        action_ids_of(alert))
    assert ids.REOPEN not in action_ids_of(alert)


def test_alert__deadline_is_a_date_token_for_each_reader() -> None:
    alert = blocks.build_alert(make_view(), NOW, RESPONDERS)
    deadline = int((PUBLISHED + timedelta(hours=1)).timestamp())
    assert (f"*Deadline*\n<!date^{deadline}^{{date_short_pretty}} {{time}}|2026-05-01 12:47 UTC>"
            " (in 47 min)") in texts(alert)


def test_alert__overdue() -> None:
    alert = blocks.build_alert(make_view(), PUBLISHED + timedelta(minutes=65), RESPONDERS)
    assert alert[0]["text"]["text"].startswith("⏰ ACME-0042")
    assert "(overdue by 5 min)" in texts(alert)
    assert len(elements(alert, ids.PUBLISH)) == 3


def test_alert__replied_within_the_hour() -> None:
    view = make_view(status=CaseStatus.REPLIED, replied_by="U0REPLIER",
                     replied_at=PUBLISHED + timedelta(minutes=23),
                     reply_url="https://x.com/acme/status/2")
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    check_limits(alert)
    assert ("✅ Replied by <@U0REPLIER> in 23 min (within the hour) · "
            "<https://x.com/acme/status/2|view reply>") in texts(alert)
    assert not elements(alert, ids.PUBLISH)
    assert not elements(alert, ids.EDIT)
    assert ids.RESOLVE in action_ids_of(alert)
    assert "in 47 min" not in texts(alert)


def test_alert__reopened_after_a_reply_can_be_answered_again() -> None:
    view = make_view(status=CaseStatus.REOPENED, replied_by="U0REPLIER",
                     replied_at=PUBLISHED + timedelta(minutes=23))
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    assert "Replied by <@U0REPLIER> in 23 min (within the hour)" in texts(alert)
    assert len(elements(alert, ids.PUBLISH)) == 3
    assert "*Status*\nReopened" in texts(alert)


def test_alert__replied_over_the_hour() -> None:
    view = make_view(status=CaseStatus.REPLIED, replied_by="U0REPLIER",
                     replied_at=PUBLISHED + timedelta(minutes=75))
    assert "Replied by <@U0REPLIER> in 1 h 15 min (over the hour)" in texts(
        blocks.build_alert(view, NOW, RESPONDERS))


def test_alert__replied_against_a_shorter_target() -> None:
    view = make_view(status=CaseStatus.REPLIED, replied_by="U0REPLIER",
                     deadline_at=PUBLISHED + timedelta(minutes=30),
                     replied_at=PUBLISHED + timedelta(minutes=20))
    assert "in 20 min (within the 30 min target)" in texts(
        blocks.build_alert(view, NOW, RESPONDERS))


def test_alert__platform_error_keeps_the_buttons() -> None:
    view = make_view(last_error="Status is a duplicate.")
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    assert ("⚠️ X did not publish the reply: Status is a duplicate. Nothing was posted. "
            "Try again, edit the text, or open the post and answer there.") in texts(alert)
    assert len(elements(alert, ids.PUBLISH)) == 3


def test_alert__platform_that_cannot_reply_gets_an_open_button() -> None:
    view = make_view(can_reply=False, platform_title="Trustpilot", reply_limit=None,
                     mention={"platform": "trustpilot", "url": "https://trustpilot.com/r/1"})
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    check_limits(alert)
    assert not elements(alert, ids.PUBLISH)
    assert not elements(alert, ids.EDIT)
    [open_button] = elements(alert, ids.OPEN_THREAD)
    assert open_button["url"] == "https://trustpilot.com/r/1"
    assert open_button["text"]["text"] == "Open on Trustpilot"
    assert "Trustpilot offers no way to reply from here" in texts(alert)
    assert "*Suggested replies to copy* (English)" in texts(alert)


@pytest.mark.parametrize(
    ("status", "kind", "line"),
    [
        (CaseStatus.RESOLVED, "resolved", "☑️ Resolved by <@U0CLOSER>"),
        (CaseStatus.NOT_A_COMPLAINT, "not_a_complaint", "🚫 Marked not a complaint by <@U0CLOSER>"),
    ],
)
def test_alert__closed_case_offers_reopen_only(status: CaseStatus, kind: str, line: str) -> None:
    event = CaseEvent(at=NOW, actor="U0CLOSER", kind=kind)
    alert = blocks.build_alert(make_view(status=status, events=(event,)), NOW, RESPONDERS)
    check_limits(alert)
    assert line in texts(alert)
    assert action_ids_of(alert) == {ids.REOPEN}
    assert "Send reply" not in json.dumps(alert)


def test_alert__without_suggestions_offers_to_write_one() -> None:
    alert = blocks.build_alert(make_view(suggestions=()), NOW, RESPONDERS)
    [write] = elements(alert, ids.EDIT)
    assert write["value"] == "12"
    assert ids.decode(write["value"]) == (12, None)


def test_alert__assignee_history_and_events() -> None:
    reminders = [CaseEvent(at=NOW - timedelta(minutes=20 - i), actor="U0TEAM", kind="reminded")
                 for i in range(8)]
    events = (*reminders, CaseEvent(at=NOW, actor="U0LEAD", kind="assigned", detail="U0OWNER"))
    view = make_view(
        assignee="U0OWNER",
        status=CaseStatus.ACKNOWLEDGED,
        history=CustomerHistory(3, Category.REFUND, "satisfied", "ACME-0007"),
        events=events,
    )
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    shown = texts(alert)
    assert "*Assignee*\n<@U0OWNER>" in shown
    assert ("👤 3 earlier cases · last: refund, return or cancellation (ACME-0007) · "
            "outcome: satisfied") in shown
    assert "<@U0LEAD> assigned the case to <@U0OWNER>" in shown
    assert "…3 earlier in the thread" in shown
    assert ids.ACKNOWLEDGE not in action_ids_of(alert)
    [select] = elements(alert, ids.ASSIGN_TO)
    assert select["initial_user"] == "U0OWNER"


def test_alert__first_case_and_ack_notice() -> None:
    view = make_view(acknowledgement="Hi Sara, we're offline; back tomorrow at 09:00.",
                     events=(CaseEvent(at=NOW, actor="brand-monitor",
                                       kind="acknowledged_out_of_hours", detail="Hi Sara"),))
    shown = texts(blocks.build_alert(view, NOW, RESPONDERS))
    assert "👤 First case from this customer." in shown
    assert "🌙 Acknowledged publicly out of hours <!date^" in shown
    assert "“Hi Sara, we're offline; back tomorrow at 09:00.”" in shown
    assert "brand-monitor posted the out-of-hours acknowledgement" in shown


def test_alert__assign_select_names_the_case_in_its_block() -> None:
    alert = blocks.build_alert(make_view(), NOW, RESPONDERS)
    [block] = [b for b in alert if any(e.get("action_id") == ids.ASSIGN_TO
                                       for e in b.get("elements", []))]
    assert ids.case_id_from_block_id(block["block_id"]) == 12


def test_alert__button_values_carry_ids_only() -> None:
    alert = blocks.build_alert(make_view(), NOW, RESPONDERS)
    values = [e["value"] for b in alert for e in b.get("elements", []) if "value" in e]
    assert values
    assert all(re.fullmatch(r"\d+(:\d+)?", v) for v in values)


# Hostile and huge posts ----------------------------------------------------------------------


def hostile_view(**changes: Any) -> CaseView:
    return make_view(
        mention={"text": f"{HOSTILE}\n> fake quote\n```code", "author_name": HOSTILE,
                 "author_handle": "<@U0EVIL>", "title": HOSTILE,
                 "url": "https://x.com/a?b=<!channel>|x>"},
        classification={"why": HOSTILE, "cues": (HOSTILE, "<!here>")},
        history=CustomerHistory(1, Category.APP, HOSTILE, HOSTILE),
        acknowledgement=HOSTILE,
        events=(CaseEvent(at=NOW, actor="<!channel>", kind="<!here>", detail=HOSTILE),
                CaseEvent(at=NOW, actor="U0OK", kind="assigned", detail="<!channel>")),
        suggestions=(Suggestion(1, HOSTILE, "en"),),
        **changes,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"last_error": HOSTILE},
        {"status": CaseStatus.REPLIED, "replied_by": "<!channel>", "replied_at": NOW,
         "reply_url": "javascript:alert(1)"},
        {"status": CaseStatus.RESOLVED},
        {"can_reply": False},
    ],
    ids=["new", "error", "replied", "resolved", "cannot-reply"],
)
def test_alert__a_hostile_post_pings_nobody(changes: dict[str, Any]) -> None:
    view = hostile_view(**changes)
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    check_limits(alert)
    assert_no_pings(alert)
    assert "&lt;!channel&gt;" in texts(alert)
    assert "javascript:" not in json.dumps(alert)
    fallback = blocks.alert_fallback_text(view)
    assert "<" not in fallback and ">" not in fallback
    assert "ACME-0042" in fallback


def test_alert__huge_post_stays_within_every_limit() -> None:
    long_line = "😀 word " * 400
    view = make_view(
        mention={"text": "\n".join([long_line] * 60), "author_name": "N" * 500,
                 "author_handle": "h" * 500, "title": "T" * 5000, "url": "https://x.com/" + "a" * 4000},
        classification={"why": "w" * 5000, "cues": tuple("cue" * 100 for _ in range(50))},
        suggestions=tuple(Suggestion(i, "s " * 6000, "en") for i in range(10)),
        events=tuple(CaseEvent(at=NOW, actor="U0TEAM", kind="joined", detail="d" * 3000)
                     for _ in range(100)),
        history=CustomerHistory(9, Category.PRICE, "o" * 5000, "r" * 5000),
        acknowledgement="a" * 5000,
        last_error="e" * 5000,
        brand_name="B" * 500,
        reference="R" * 300,
    )
    alert = blocks.build_alert(view, NOW, RESPONDERS)
    check_limits(alert)
    assert len(elements(alert, ids.PUBLISH)) == 3
    assert sum(slack_len(s) for s in iter_strings(alert)) < 12_000
    assert len(blocks.alert_fallback_text(view)) <= limits.FALLBACK_TEXT


def test_alert__right_to_left_post_is_isolated_in_the_quote() -> None:
    view = make_view(mention={"text": "طلبي لم يصل منذ أسبوعين!"},
                     classification={"lang": "ar"})
    assert f"> {limits.RLI}طلبي لم يصل منذ أسبوعين!{limits.PDI}" in texts(
        blocks.build_alert(view, NOW, RESPONDERS))


# The edit modal -----------------------------------------------------------------------------


def test_edit_modal__prefilled_and_capped_at_the_platform_limit() -> None:
    modal = blocks.build_edit_modal(make_view(), "Hi Sara, DM us with ACME-0042.", 280, "X")
    check_limits(modal, limits.MODAL_BLOCKS)
    assert modal["type"] == "modal"
    assert modal["callback_id"] == ids.EDIT_MODAL
    assert modal["private_metadata"] == "12"
    assert ids.decode_metadata(modal["private_metadata"]) == 12
    assert slack_len(modal["title"]["text"]) <= limits.MODAL_TITLE
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["block_id"] == ids.EDIT_INPUT_BLOCK
    element = field["element"]
    assert element["action_id"] == ids.EDIT_INPUT
    assert element["max_length"] == 280
    assert element["initial_value"] == "Hi Sara, DM us with ACME-0042."
    assert field["hint"]["text"] == (
        "Up to 280 characters. X counts every link as 23 characters and emoji and CJK "
        "characters as 2."
    )
    assert_no_pings(modal)


@pytest.mark.parametrize(("limit", "expected"), [(10_000, 3000), (None, 3000), (500, 500)])
def test_edit_modal__max_length_never_exceeds_slack(limit: int | None, expected: int) -> None:
    view = make_view(platform_title="Reddit", mention={"platform": "reddit"})
    modal = blocks.build_edit_modal(view, "x" * 4000, limit, "Reddit")
    element = modal["blocks"][-1]["element"]
    assert element["max_length"] == expected
    assert slack_len(element["initial_value"]) <= expected


def test_edit_modal__hostile_post_in_context_pings_nobody() -> None:
    assert_no_pings(blocks.build_edit_modal(hostile_view(), "text", 280, "X"))


def test_edit_too_long_error__points_at_the_input() -> None:
    assert blocks.edit_too_long_error(312, 280, "X") == {
        "response_action": "errors",
        "errors": {
            ids.EDIT_INPUT_BLOCK: "This reply is 312 characters as X counts them; the limit is "
                                  "280. Cut 32 and press Send again.",
        },
    }


# Thread posts, waves, queues and notices ----------------------------------------------------


def test_reminder__mentions_and_deadline() -> None:
    message = blocks.build_reminder(make_view(), 15, ["U0OWNER", "S0GROUP1"])
    check_limits(message)
    assert message["text"].startswith(
        "⏳ <@U0OWNER>, <!subteam^S0GROUP1> ACME-0042 is due in 15 min (<!date^")
    assert "<!date^" in message["text"]


def test_escalation__mentions_a_group_but_not_a_channel() -> None:
    view = make_view(alert_url="https://acme.slack.com/archives/C0ALERTS/p1")
    to_group = blocks.build_escalation(view, 1, "S0ESCAL")
    assert "🚨 <!subteam^S0ESCAL> Escalation level 1: ACME-0042 for Acme" in texts(to_group)
    assert "<https://acme.slack.com/archives/C0ALERTS/p1|open the alert>" in texts(to_group)
    to_channel = blocks.build_escalation(view, 2, "C0ESCAL")
    assert "🚨 Escalation level 2" in texts(to_channel)
    assert "C0ESCAL" not in texts(to_channel)
    assert_no_pings(blocks.build_escalation(hostile_view(), 1, "S0ESCAL"))


@pytest.mark.parametrize(
    ("event", "said"),
    [
        (CaseEvent(NOW, "U0LEAD", "reassigned", "from <@U0ANA> to <@U0BOB>"),
         "<@U0LEAD> reassigned the case from <@U0ANA> to <@U0BOB>"),
        (CaseEvent(NOW, "U0LEAD", "assigned", "to <@U0BOB>"),
         "<@U0LEAD> assigned the case to <@U0BOB>"),
        (CaseEvent(NOW, "brand-monitor", "escalated", "second level"),
         "brand-monitor escalated the case (second level)"),
        (CaseEvent(NOW, "@sara_k", "customer_posted", "still nothing <!here>"),
         "@sara_k posted again: “still nothing &lt;!here&gt;”"),
        (CaseEvent(NOW, "U0LEAD", "acknowledged", "by assignment"),
         "<@U0LEAD> acknowledged the case (by assignment)"),
        (CaseEvent(NOW, "U0LEAD", "something_new", ""), "<@U0LEAD> something new"),
    ],
)
def test_event_line__kinds_the_store_records(event: CaseEvent, said: str) -> None:
    assert msg.event_line(event).endswith("UTC> " + said)


def test_thread_event__who_did_what() -> None:
    message = blocks.build_thread_event(CaseEvent(NOW, "U0LEAD", "assigned", "U0OWNER"))
    assert message["text"] == (
        "<!date^1777636800^{date_short_pretty} {time}|2026-05-01 12:00 UTC> "
        "<@U0LEAD> assigned the case to <@U0OWNER>"
    )


def test_wave__one_alert_with_count_and_three_samples() -> None:
    samples = [make_view(case_id=i, reference=f"ACME-{i:04d}") for i in range(1, 6)]
    message = blocks.build_wave_alert("Acme", 50, samples, NOW)
    check_limits(message)
    shown = texts(message)
    assert message["blocks"][0]["text"]["text"] == "🌊 50 similar complaints about Acme"
    assert [s in shown for s in ("ACME-0001", "ACME-0002", "ACME-0003", "ACME-0004")] == [
        True, True, True, False]
    assert "…and 47 more in the thread." in shown
    assert len(elements(message, ids.OPEN_POST)) == 3
    assert_no_pings(blocks.build_wave_alert("<!channel>", 2, [hostile_view()], NOW))


def test_queue__open_lists_soonest_first_and_caps_the_list() -> None:
    views = [make_view(case_id=i, reference=f"ACME-{i:04d}",
                       deadline_at=NOW + timedelta(minutes=20 - i)) for i in range(1, 26)]
    message = blocks.build_queue("open", views, None, NOW)
    check_limits(message)
    shown = texts(message)
    assert message["blocks"][0]["text"]["text"] == "Open cases (25)"
    assert shown.index("ACME-0025") < shown.index("ACME-0024")
    assert "ACME-0005" not in shown
    assert "…and 5 more." in shown
    assert "overdue by 2 min" in shown


def test_queue__empty_and_stats() -> None:
    empty = blocks.build_queue("overdue", [], None, NOW)
    assert "Nothing is overdue." in texts(empty)
    stats = blocks.QueueStats(opened=8, replied=4, replied_within_target=3, open_now=4,
                              overdue_now=1, median_response=timedelta(minutes=23),
                              slowest_response=timedelta(minutes=95))
    shown = texts(blocks.build_queue("stats", [], stats, NOW))
    assert "*Within target*\n75%" in shown
    assert "*Median response*\n23 min" in shown
    assert "*Slowest response*\n1 h 35 min" in shown
    assert "Use /brand-monitor open" in texts(blocks.build_queue("nope", [], None, NOW))  # type: ignore[arg-type]


def test_source_notice__down_and_back() -> None:
    down = blocks.build_source_notice("x-mentions", NOW, "401 <!channel>", recovered=False)
    assert "⚠️ Source *x-mentions* has been failing since <!date^" in texts(down)
    assert_no_pings(down)
    back = blocks.build_source_notice("x-mentions", NOW, "", recovered=True)
    assert "✅ Source *x-mentions* is back" in texts(back)


def test_followup__two_outcome_buttons() -> None:
    message = blocks.build_followup(make_view(status=CaseStatus.RESOLVED))
    check_limits(message)
    assert "🔁 Follow-up on ACME-0042: is Sara K satisfied" in texts(message)
    assert [e["value"] for e in elements(message, ids.FOLLOWUP_SATISFIED)] == ["12"]
    assert [e["value"] for e in elements(message, ids.FOLLOWUP_NOT_SATISFIED)] == ["12"]


# Ids ----------------------------------------------------------------------------------------


def test_action_ids__unique_and_short() -> None:
    every = (*ids.ALL_ACTIONS, *ids.APPROVAL_ACTIONS)
    assert len(set(every)) == len(every)
    assert all(len(a) <= limits.ID_LENGTH for a in every)


def test_values__round_trip() -> None:
    assert ids.decode(ids.encode(12, 345)) == (12, 345)
    assert ids.decode(ids.encode(12)) == (12, None)


@pytest.mark.parametrize("value", ["", "12:abc", "1:2:3", "-1", "12;DROP", "1" * 40])
def test_values__reject_anything_else(value: str) -> None:
    with pytest.raises(ValueError, match="not a brand-monitor"):
        ids.decode(value)


def test_modal_text__reads_the_input_or_nothing() -> None:
    view = {"state": {"values": {ids.EDIT_INPUT_BLOCK: {ids.EDIT_INPUT: {"value": "hi"}}}}}
    assert ids.modal_text(view) == "hi"
    assert ids.modal_text({"state": {"values": {}}}) == ""


# Answers to clicks --------------------------------------------------------------------------


def test_messages__say_who_can_publish_and_how_to_become_one() -> None:
    assert msg.not_allowed("Acme & Co", ["U0ANA", "S0TEAM"]) == (
        "Only <@U0ANA>, <!subteam^S0TEAM> can publish replies for Acme &amp; Co. Ask one of "
        "them, or ask an admin to add you to responders in brands.yaml."
    )


def test_messages__second_click_and_expired_click() -> None:
    assert msg.already_replied("U0ANA", timedelta(minutes=3)) == (
        "<@U0ANA> already replied 3 min ago, so nothing was sent again. "
        "Open the alert's thread to see the reply."
    )
    assert "nothing happened" in msg.interaction_expired()
    assert "/brand-monitor open" in msg.interaction_expired()
    assert msg.case_closed("ACME-1", CaseStatus.RESOLVED).startswith(
        "ACME-1 is resolved, so nothing was sent. Press Reopen")
    assert msg.followup_recorded(False, "U0ANA") == (
        "😟 <@U0ANA> recorded the customer as not satisfied; the case is reopened.")


@pytest.mark.parametrize(
    ("span", "said"),
    [(timedelta(seconds=59), "under a minute"), (timedelta(minutes=47, seconds=59), "47 min"),
     (timedelta(hours=1), "1 h"), (timedelta(minutes=65), "1 h 05 min"),
     (timedelta(days=2, hours=3, minutes=9), "2 d 3 h")],
)
def test_messages__durations(span: timedelta, said: str) -> None:
    assert msg.duration(span) == said
    assert msg.due(NOW + span, NOW) == f"in {said}"
    assert msg.due(NOW - span, NOW) == f"overdue by {said}"


@pytest.mark.parametrize(("count", "said"), [(None, "reach unknown"), (1, "1 follower"),
                                              (999, "999 followers"), (1000, "1k followers"),
                                              (2_345_678, "2.3M followers")])
def test_messages__followers(count: int | None, said: str) -> None:
    assert msg.followers(count) == said
