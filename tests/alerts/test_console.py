"""Alerts printed to the terminal when no Slack token is configured."""

from __future__ import annotations

from datetime import timedelta

from alerts.console import render_alert, render_event
from monitor.domain import (
    CaseEvent,
    CaseStatus,
    Category,
    CustomerHistory,
    Suggestion,
    TicketLink,
)
from tests.alerts.test_blocks import NOW, PUBLISHED, make_view


def test_render_alert__shows_every_fact_readably() -> None:
    view = make_view(history=CustomerHistory(2, Category.REFUND, "satisfied", "ACME-0007"),
                     events=(CaseEvent(NOW, "U0LEAD", "assigned", "U0OWNER"),),
                     assignee="U0OWNER")
    out = render_alert(view, NOW)
    lines = out.splitlines()
    assert lines[1] == "🟠 ACME-0042 · Complaint about Acme on X"
    assert "Author:    Sara K @sara_k · 📣 15.4k followers" in lines
    assert "Link:      https://x.com/sara/status/1790000000000000001" in lines
    assert "  @AcmeSupport my order #4411 never arrived and nobody answers. Again." in lines
    assert "Deadline:  2026-05-01 12:47 UTC (in 47 min)" in lines
    assert "Status:    New · assignee: @U0OWNER" in lines
    assert any(line.startswith("Why:       late delivery, no answer from support · score 0.91")
               for line in lines)
    assert any("2 earlier cases · last: refund, return or cancellation (ACME-0007)" in line
               for line in lines)
    assert "Suggested replies (English)" in lines
    assert "  1. Hi Sara, sorry your order is late. DM us with ACME-0042." in lines
    assert "  3. Sara, we're sorry. DM us quoting ACME-0042." in lines
    assert "  · 2026-05-01 12:00 UTC @U0LEAD assigned the case to @U0OWNER" in lines
    assert "\033" not in out
    assert "<!date" not in out and "<@" not in out


def test_render_alert__overdue_and_colour_on_request() -> None:
    late = PUBLISHED + timedelta(minutes=65)
    plain = render_alert(make_view(), late)
    assert "Deadline:  ⏰ 2026-05-01 12:47 UTC (overdue by 5 min)" in plain.splitlines()
    coloured = render_alert(make_view(), late, color=True)
    assert "\033[31mDeadline:" in coloured
    assert "\033[1m⏰ ACME-0042" in coloured


def test_render_alert__replied_and_error_states() -> None:
    replied = make_view(status=CaseStatus.REPLIED, replied_by="U0REPLIER",
                        replied_at=PUBLISHED + timedelta(minutes=23))
    out = render_alert(replied, NOW)
    assert "✅ Replied by @U0REPLIER in 23 min (within the hour)" in out
    assert "Suggested replies" not in out
    failed = render_alert(make_view(last_error="Status is a duplicate."), NOW)
    assert "X did not publish the reply: Status is a duplicate. Nothing was posted." in failed


def test_render_alert__a_post_cannot_drive_the_terminal() -> None:
    view = make_view(mention={"text": "boom\x1b[2J\x1b]0;pwned\x07\x9b31m <!channel> done",
                              "author_name": "\x1b[31mEve"})
    out = render_alert(view, NOW)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "  boom[2J]0;pwned31m <!channel> done" in out.splitlines()


def test_render_alert__right_to_left_post_stays_whole() -> None:
    view = make_view(mention={"text": "سفارشم بعد از دو هفته نرسید!"},
                     classification={"lang": "fa"})
    assert "  سفارشم بعد از دو هفته نرسید!" in render_alert(view, NOW).splitlines()


def test_render_event__plain_and_indented() -> None:
    assert render_event("<@U0ANA> replied *fast* &lt;ok&gt;") == "↳ @U0ANA replied fast <ok>"
    assert render_event("x\x1b[2Jy", color=True) == "\033[2m↳ x[2Jy\033[0m"


def _suggestions_with_glosses() -> tuple[Suggestion, ...]:
    return (Suggestion(101, "سلام سارا عزیز، از تأخیر سفارش شما متأسفیم. ACME-0042", "fa",
                       origin="model", gloss="Dear Sara, we are sorry your order is late."),
            Suggestion(102, "سارا عزیز، پوزش می‌خواهیم. ACME-0042", "fa", origin="model"))


def test_render_alert__machine_translations_of_the_post_and_each_reply() -> None:
    view = make_view(mention={"text": "سفارشم بعد از دو هفته نرسید!"},
                     classification={"lang": "fa"}, gloss="My order has not come after two weeks!",
                     gloss_lang="en", suggestions=_suggestions_with_glosses(),
                     drafts_origin="model:fake-llm:8b")
    lines = render_alert(view, NOW).splitlines()
    post_at = lines.index("  سفارشم بعد از دو هفته نرسید!")
    assert lines[post_at + 1] == ("  Machine translation into English: My order has not come "
                                  "after two weeks!")
    first = lines.index("  1. سلام سارا عزیز، از تأخیر سفارش شما متأسفیم. ACME-0042")
    assert lines[first + 1] == ("     Machine translation into English: Dear Sara, we are sorry "
                                "your order is late.")
    second = lines.index("  2. سارا عزیز، پوزش می‌خواهیم. ACME-0042")
    assert not lines[second + 1].lstrip().startswith("Machine translation")  # it has none


def test_render_alert__says_who_drafted_the_replies() -> None:
    drafted = make_view(drafts_origin="model:fake-llm:8b", drafts_note="1 of 3 dropped: too long")
    lines = render_alert(drafted, NOW).splitlines()
    heading = lines.index("Suggested replies (English)")
    assert lines[heading + 1] == "Drafted by fake-llm:8b, checked (1 of 3 dropped: too long)"

    refused = make_view(drafts_origin="template", drafts_note="wrong language (pl, not en)",
                        events=(CaseEvent(NOW, "", "model_drafts_refused", ""),))
    assert ("Template replies: the model's drafts failed the check: wrong language (pl, not en)"
            in render_alert(refused, NOW).splitlines())
    failed = make_view(drafts_origin="template", drafts_note="timed out after 0.5 s",
                       events=(CaseEvent(NOW, "", "model_failed", "timed out after 0.5 s"),))
    assert ("Template replies: the model gave no drafts: timed out after 0.5 s"
            in render_alert(failed, NOW).splitlines())
    plain = render_alert(make_view(), NOW)  # templates only: nothing to say
    assert "Drafted by" not in plain and "Template replies" not in plain


def test_render_alert__the_ticket_line() -> None:
    opened = make_view(helpdesk_title="Zendesk",
                       ticket=TicketLink("Zendesk", "812", "https://acme.zendesk.com/tickets/812",
                                         "open"))
    assert ("🎫 Ticket #812 (Zendesk) (https://acme.zendesk.com/tickets/812) · open"
            in render_alert(opened, NOW).splitlines())
    failing = make_view(helpdesk_title="Zendesk",
                        ticket=TicketLink("Zendesk", None, status="failed",
                                          last_error="Zendesk answered HTTP 503"))
    assert ("🎫 No Zendesk ticket yet: Zendesk answered HTTP 503. Click Create ticket to try "
            "again." in render_alert(failing, NOW).splitlines())
    assert "🎫" not in render_alert(make_view(), NOW)


def test_render_alert__a_proposal_waiting_while_it_waits() -> None:
    proposed = (CaseEvent(NOW, "U0JUNIOR", "proposed", ""),)
    waiting = render_alert(make_view(events=proposed), NOW).splitlines()
    line = "📝 1 proposal waiting for a responder: Approve, Edit or Reject it in the thread."
    assert line in waiting
    assert waiting.index(line) < waiting.index("Suggested replies (English)")
    approved = (*proposed, CaseEvent(NOW, "U0LEAD", "approved", ""))
    assert "proposal waiting" not in render_alert(make_view(events=approved), NOW)
    replied = make_view(events=proposed, status=CaseStatus.REPLIED, replied_by="U0REPLIER",
                        replied_at=PUBLISHED + timedelta(minutes=23))
    assert "proposal waiting" not in render_alert(replied, NOW)
