"""Every text a person reads in Slack or the terminal, each saying what to do next.

Functions return mrkdwn. Ids become mentions (`<@U…>`, `<!subteam^S…>`); anything that came
from a post, a platform or a person is escaped here, so callers pass raw values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from alerts.text import (
    date_token,
    escape_mrkdwn,
    link,
    mention,
    quote,
    safe,
    safe_url,
    single_line,
    truncate,
)
from monitor.case_engine import Outcome, Result
from monitor.domain import (
    CaseEvent,
    CaseStatus,
    CaseView,
    Category,
    CustomerHistory,
    Kind,
    Severity,
    TicketLink,
)
from monitor.report_model import Approvals, Report
from monitor.tickets import TicketOutcome, TicketResult

LANGUAGE_NAMES = {"en": "English", "ar": "Arabic", "fa": "Persian", "pl": "Polish"}

SEVERITY_EMOJI = {
    Severity.BLAME: "🔴",
    Severity.ACCUSATION: "🟠",
    Severity.DISAPPROVAL: "🟡",
    Severity.NO_EXPLICIT_REPROACH: "🔵",
    Severity.NONE: "⚪",
}

STATUS_LABELS = {
    CaseStatus.NEW: "New",
    CaseStatus.ACKNOWLEDGED: "Acknowledged",
    CaseStatus.REPLIED: "Replied",
    CaseStatus.RESOLVED: "Resolved",
    CaseStatus.NOT_A_COMPLAINT: "Not a complaint",
    CaseStatus.REOPENED: "Reopened",
}


class Label:
    """Button and select labels (plain text, at most 75 characters)."""

    EDIT = "Edit & send"
    NOT_A_COMPLAINT = "Not a complaint"
    FLAG_COMPLAINT = "It is a complaint"
    ACKNOWLEDGE = "Acknowledge"
    ASSIGN_ME = "Assign to me"
    ASSIGN_TO = "Assign to…"
    RESOLVE = "Resolve"
    REOPEN = "Reopen"
    SATISFIED = "Satisfied"
    NOT_SATISFIED = "Not satisfied"
    MODAL_TITLE = "Edit & send reply"
    MODAL_SUBMIT = "Send"
    MODAL_CLOSE = "Cancel"
    MODAL_INPUT = "Reply"
    WRITE = "Write a reply"
    CREATE_TICKET = "Create ticket"

    @staticmethod
    def send_reply(number: int) -> str:
        return f"Send reply {number}"

    @staticmethod
    def open_on(platform_title: str) -> str:
        return f"Open on {platform_title}"


# Durations and moments --------------------------------------------------------------------


def duration(span: timedelta) -> str:
    """Say a span the way a person reads it at a glance: 47 min, 1 h 05 min, 2 d 3 h."""
    minutes = int(abs(span).total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def due(deadline: datetime, now: datetime) -> str:
    """Say how far the deadline is: "in 47 min", or "overdue by 5 min"."""
    left = deadline - now
    if left >= timedelta(0):
        return f"in {duration(left)}"
    return f"overdue by {duration(left)}"


def deadline_line(deadline: datetime, now: datetime) -> str:
    """Show a deadline in each reader's timezone, then how far it is."""
    icon = "⏰ " if deadline <= now else ""
    return f"{icon}{date_token(deadline)} ({due(deadline, now)})"


def people(ids: Sequence[str]) -> str:
    """List Slack users and user groups as mentions: "<@U1>, <!subteam^S2>"."""
    return ", ".join(mention(i) for i in ids)


def target_phrase(target: timedelta) -> str:
    """Name the response target as the team says it: "the hour" or "the 30 min target"."""
    return "the hour" if target == timedelta(hours=1) else f"the {duration(target)} target"


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, escape_mrkdwn(lang))


# The alert --------------------------------------------------------------------------------


def alert_header(severity: Severity, reference: str, brand_name: str, platform_title: str,
                 overdue: bool, kind: Kind = Kind.COMPLAINT) -> str:
    """Head the alert (plain text): severity, reference, brand and platform at a glance."""
    if kind is Kind.QUESTION:
        icon = "⏰" if overdue else "❓"
        return (f"{icon} {single_line(reference)} · Question for {single_line(brand_name)} "
                f"on {single_line(platform_title)} (lower priority)")
    icon = "⏰" if overdue else SEVERITY_EMOJI[severity]
    return (f"{icon} {single_line(reference)} · Complaint about {single_line(brand_name)} "
            f"on {single_line(platform_title)}")


def followers(count: int | None) -> str:
    """Say an author's reach: "12.3k followers"."""
    if count is None:
        return "reach unknown"
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if count >= size:
            return f"{count / size:.1f}".rstrip("0").rstrip(".") + f"{suffix} followers"
    return "1 follower" if count == 1 else f"{count} followers"


def author_line(name: str, handle: str, follower_count: int | None, high_reach: bool) -> str:
    """Say who wrote the post and how many people may read it."""
    shown_handle = "@" + single_line(handle).lstrip("@") if handle.strip() else ""
    parts = [f"*{safe(single_line(name), 200)}*" if name.strip() else ""]
    parts.append(safe(shown_handle, 200))
    who = " ".join(p for p in parts if p) or "Unknown author"
    reach = ("📣 " if high_reach else "") + followers(follower_count)
    return f"{who} · {reach}"


def why_line(why: str, score: float, cues: Sequence[str], severity: Severity,
             categories: Sequence[Category]) -> str:
    """Say why the post was flagged: the model's reason, score, cues, severity and the
    categories (a complaint may raise two problems)."""
    parts = [f"*Why:* {safe(single_line(why), 600)}" if why.strip() else "*Why:* flagged"]
    parts.append(f"score {score:.2f}")
    if cues:
        shown = ", ".join(f"“{safe(single_line(c), 60)}”" for c in cues[:8])
        parts.append(f"cues {shown}")
    if severity is not Severity.NONE:
        parts.append(f"severity: {severity.label}")
    named: list[Category] = [c for c in categories if c is not Category.OTHER]
    named = named or list(categories[:1])
    if named and severity is not Severity.NONE:
        parts.append(("categories: " if len(named) > 1 else "category: ")
                     + " and ".join(c.label for c in named))
    return " · ".join(parts)


def history_line(history: CustomerHistory) -> str:
    """Say what we already know about this customer, so nobody asks them twice."""
    if history.earlier_cases <= 0:
        return "👤 First case from this customer."
    count = "1 earlier case" if history.earlier_cases == 1 else (
        f"{history.earlier_cases} earlier cases")
    parts = [f"👤 {count}"]
    if history.last_category is not None:
        last = f"last: {history.last_category.label}"
        if history.last_reference:
            last += f" ({safe(single_line(history.last_reference), 80)})"
        parts.append(last)
    if history.last_outcome:
        parts.append(f"outcome: {safe(single_line(history.last_outcome), 120)}")
    return " · ".join(parts) + ". Don't ask them to repeat themselves."


def replied_line(by: str | None, response_time: timedelta | None, within: bool,
                 target: timedelta, reply_url: str | None) -> str:
    """Say who answered, how fast, and whether it met the target."""
    who = mention(by) if by else "someone"
    speed = f" in {duration(response_time)}" if response_time is not None else ""
    verdict = f"within {target_phrase(target)}" if within else f"over {target_phrase(target)}"
    line = f"✅ Replied by {who}{speed} ({verdict})"
    if reply_url:
        line += " · " + link(reply_url, "view reply")
    return line


def reply_failed(platform_title: str, reason: str) -> str:
    """Say in plain words that the platform refused the reply, and what to try."""
    why = safe(single_line(reason).rstrip(" ."), 600) or "no reason given"
    return (
        f"⚠️ {escape_mrkdwn(platform_title)} did not publish the reply: {why}. "
        "Nothing was posted. Try again, edit the text, or open the post and answer there."
    )


def cannot_reply(platform_title: str) -> str:
    """Say that this platform offers no API to reply, and how to answer anyway."""
    title = escape_mrkdwn(platform_title)
    return (
        f"{title} offers no way to reply from here: copy a suggestion, open the post "
        f"on {title}, answer there, then press Resolve."
    )


def who_can_reply(responders: Sequence[str]) -> str:
    return f"Replies can be published by {people(responders)}."


def suggestions_heading(lang: str, can_reply: bool) -> str:
    tail = "" if can_reply else " to copy"
    return f"*Suggested replies{tail}* ({language_name(lang)})"


def drafts_line(origin: str | None, note: str | None, model_failed: bool) -> str | None:
    """Say who drafted the suggested replies, when a chat model is in play (None: templates
    only, nothing to say)."""
    detail = safe(single_line(note or ""), 300)
    if origin and origin.startswith("model:"):
        name = safe(single_line(origin.removeprefix("model:")), 80)
        return f"Drafted by {name}, checked" + (f" ({detail})" if detail else "")
    if not detail:
        return None
    if model_failed:
        return f"Template replies: the model gave no drafts: {detail}"
    return f"Template replies: the model's drafts failed the check: {detail}"


def gloss_line(gloss: str, lang: str | None, limit: int) -> str:
    """Show a machine translation of the post or of a reply, marked as one."""
    into = f" into {language_name(lang)}" if lang else ""
    return f"_Machine translation{into}:_ {safe(single_line(gloss), limit)}"


def suggestion_text(number: int, text: str, limit: int) -> str:
    """Show a suggested reply, numbered, quoted, cut to `limit`."""
    head = f"*{number}.*\n"
    return head + quote(text, limit - len(head))


def status_line(status: CaseStatus) -> str:
    return STATUS_LABELS[status]


def assignee_line(assignee: str | None) -> str:
    return mention(assignee) if assignee else "nobody yet: press Assign to me"


def final_state(status: CaseStatus, actor: str | None, at: datetime | None) -> str:
    """Say how a case ended and how to bring it back."""
    who = f" by {mention(actor)}" if actor else ""
    when = f" {date_token(at)}" if at else ""
    if status is CaseStatus.NOT_A_COMPLAINT:
        return f"🚫 Marked not a complaint{who}{when}. Press Reopen if that was wrong."
    return f"☑️ Resolved{who}{when}. Press Reopen if the customer comes back."


def ack_notice(text: str, at: datetime | None) -> str:
    """Show the automatic out-of-hours acknowledgement posted on the customer's post."""
    when = f" {date_token(at)}" if at else ""
    return f"🌙 Acknowledged publicly out of hours{when}: “{safe(single_line(text), 1500)}”"


def fallback(brand_name: str, platform_title: str, reference: str, handle: str,
             text: str) -> str:
    """Write the notification text of an alert: short, escaped, no pings."""
    who = f"@{handle.lstrip('@')}" if handle.strip() else "someone"
    excerpt = truncate(single_line(text), 200)
    return escape_mrkdwn(
        f"Complaint about {brand_name} on {platform_title} from {who} ({reference}): {excerpt}"
    )


# The case's story -------------------------------------------------------------------------

class EventKind:
    """The `CaseEvent.kind` values the store records and the alerts know how to say."""

    OPENED = "opened"
    CUSTOMER_POSTED = "customer_posted"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    REPLIED = "replied"
    REPLY_FAILED = "reply_failed"
    RESOLVED = "resolved"
    NOT_A_COMPLAINT = "not_a_complaint"
    FLAGGED = "flagged"
    REOPENED = "reopened"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    ACKNOWLEDGED_OUT_OF_HOURS = "acknowledged_out_of_hours"
    ACK_FAILED = "ack_failed"
    FOLLOWUP_ASKED = "followup_asked"
    FOLLOWUP_SATISFIED = "followup_satisfied"
    FOLLOWUP_NOT_SATISFIED = "followup_not_satisfied"
    PROPOSED = "proposed"
    PROPOSAL_REPLACED = "proposal_replaced"
    PROPOSAL_NOT_NEEDED = "proposal_not_needed"
    APPROVED = "approved"
    REJECTED = "rejected"
    MODEL_DRAFTED = "model_drafted"
    MODEL_DRAFTS_REFUSED = "model_drafts_refused"
    MODEL_FAILED = "model_failed"
    GLOSSED = "glossed"
    TICKET = "ticket"
    TICKET_FAILED = "ticket_failed"
    TICKET_SOLVED = "ticket_solved"


# {detail}: the event's detail, escaped; {note}: " (detail)" when there is one;
# {to} and {from_}: the last and first Slack user named in the detail.
_EVENTS = {
    EventKind.OPENED: "opened the case",
    EventKind.CUSTOMER_POSTED: "posted again: “{detail}”",
    EventKind.ACKNOWLEDGED: "acknowledged the case{note}",
    EventKind.ASSIGNED: "assigned the case to {to}",
    EventKind.REASSIGNED: "reassigned the case from {from_} to {to}",
    EventKind.REPLIED: "replied",
    EventKind.REPLY_FAILED: "tried to reply; the platform refused: {detail}",
    EventKind.RESOLVED: "resolved the case{note}",
    EventKind.NOT_A_COMPLAINT: "marked it not a complaint{note}",
    EventKind.FLAGGED: "flagged it as a complaint",
    EventKind.REOPENED: "reopened the case{note}",
    EventKind.REMINDED: "sent a reminder",
    EventKind.ESCALATED: "escalated the case{note}",
    EventKind.ACKNOWLEDGED_OUT_OF_HOURS: "posted the out-of-hours acknowledgement",
    EventKind.ACK_FAILED: "could not post the out-of-hours acknowledgement: {detail}",
    EventKind.FOLLOWUP_ASKED: "asked whether the customer is satisfied",
    EventKind.FOLLOWUP_SATISFIED: "recorded the customer as satisfied",
    EventKind.FOLLOWUP_NOT_SATISFIED: "recorded the customer as not satisfied",
    EventKind.PROPOSED: "proposed a reply for a responder to approve",
    EventKind.PROPOSAL_REPLACED: "replaced the waiting proposal with a newer one",
    EventKind.PROPOSAL_NOT_NEEDED: "answered or closed the case, so the waiting proposal was not needed",
    EventKind.APPROVED: "approved the proposed reply{note}",
    EventKind.REJECTED: "rejected the proposed reply{note}",
    EventKind.MODEL_DRAFTED: "replaced the suggested replies with drafts by {detail}, checked",
    EventKind.MODEL_DRAFTS_REFUSED: "kept the template replies: the model's drafts failed the "
                                    "check ({detail})",
    EventKind.MODEL_FAILED: "kept the template replies: the model gave none ({detail})",
    EventKind.GLOSSED: "added machine translations for the team",
    EventKind.TICKET: "handed the case to the helpdesk: {detail}",
    EventKind.TICKET_FAILED: "tried to open a helpdesk ticket: {detail}",
    EventKind.TICKET_SOLVED: "reported the ticket {detail}",
}
_USER_ID = re.compile(r"(?<![A-Za-z0-9])[UW][A-Z0-9]{2,}(?![A-Za-z0-9])")

SYSTEM_ACTORS = {"", "system", "bot", "brand-monitor", "scheduler"}


def actor(who: str) -> str:
    return "brand-monitor" if who in SYSTEM_ACTORS else mention(who)


def event_line(event: CaseEvent) -> str:
    """Say one change in a case's life: when, who, what."""
    detail = safe(single_line(event.detail), 300)
    users = _USER_ID.findall(event.detail)
    template = _EVENTS.get(event.kind)
    if template is None:
        what = escape_mrkdwn(event.kind.replace("_", " ")) + (f": {detail}" if detail else "")
    else:
        what = template.format(
            detail=detail,
            note=f" ({detail})" if detail else "",
            to=mention(users[-1]) if users else "someone",
            from_=mention(users[0]) if len(users) > 1 else "nobody",
        )
    return f"{date_token(event.at)} {actor(event.actor)} {what}"


def events_hidden(count: int) -> str:
    return f"…{count} earlier in the thread"


# Answers to clicks (ephemeral) ------------------------------------------------------------


def not_allowed(brand_name: str, responders: Sequence[str]) -> str:
    """Tell someone who may not publish who can, and how to become one."""
    return (
        f"Only {people(responders)} can publish replies for {escape_mrkdwn(brand_name)}. "
        "Ask one of them, or ask an admin to add you to responders in brands.yaml."
    )


def already_replied(by: str | None, ago: timedelta) -> str:
    """Tell a late clicker that the case is answered and nothing went out twice."""
    who = mention(by) if by else "Someone"
    return (
        f"{who} already replied {duration(ago)} ago, so nothing was sent again. "
        "Open the alert's thread to see the reply."
    )


def reply_in_progress() -> str:
    return "A reply to this case is being published right now; nothing was sent twice."


def interaction_expired() -> str:
    """Tell someone their click belongs to an old or unknown alert."""
    return (
        "This button belongs to an alert that has changed or expired, so nothing happened. "
        "Use the latest alert in the channel, or run /brand-monitor open to find the case."
    )


def not_on_team(brand_name: str, team: Sequence[str]) -> str:
    """Tell someone who is not on the brand's team that only the team changes its cases."""
    who = f" ({people(team)})" if team else ""
    return (
        f"Only {escape_mrkdwn(brand_name)}'s team{who} can change its cases, so nothing happened. "
        "Ask one of them, or ask an admin to add you to team or responders in brands.yaml."
    )


def wrong_channel(reference: str | None = None) -> str:
    """Refuse a click that came from a channel the case's alert is not in.

    `reference` is given only to someone on the case's team: anyone else learns nothing of it.
    """
    which = f"{escape_mrkdwn(reference)}'s buttons" if reference else "These buttons"
    return (
        f"{which} work only in the channel where the case's alert was posted, so nothing happened. "
        "Use the alert there, or run /brand-monitor open in the brand's channel."
    )


def assignee_not_on_team(assignee: str, brand_name: str) -> str:
    """Refuse to assign a case to someone who is not on the brand's team."""
    return (
        f"{mention(assignee)} is not on {escape_mrkdwn(brand_name)}'s team, so the case was not "
        "assigned. Pick one of the responders or the team, or ask an admin to add them in brands.yaml."
    )


def no_team_here() -> str:
    """Answer /brand-monitor from someone on no brand's team (or outside their brand's channel)."""
    return (
        "Only a brand's team can see or change its cases, and you are not on the team of a brand "
        "here. Run /brand-monitor in your brand's channel, or ask an admin to add you to team or "
        "responders in brands.yaml."
    )


def one_brand_only() -> str:
    """Ask for a per-brand command (stats, link) in the brand's channel, for someone on several teams."""
    return ("That works for one brand at a time, and you are on several brands' teams: "
            "run it in the brand's channel.")


def case_closed(reference: str, status: CaseStatus) -> str:
    return (
        f"{escape_mrkdwn(reference)} is {STATUS_LABELS[status].lower()}, so nothing was sent. "
        "Press Reopen on the alert first if the customer needs another answer."
    )


_COUNTING = {
    "x": "X counts every link as 23 characters and emoji and CJK characters as 2",
}


def length_hint(platform: str, platform_title: str, limit: int | None) -> str:
    """Say how long a reply may be, as the platform counts it (plain text, for a hint)."""
    if limit is None:
        return f"{platform_title} sets no length limit."
    note = _COUNTING.get(platform, f"{platform_title} counts characters")
    return f"Up to {limit} characters. {note}."


def edit_too_long(length: int, limit: int, platform_title: str) -> str:
    """Refuse an over-long edited reply and say by how much to cut it (plain text)."""
    return (
        f"This reply is {length} characters as {platform_title} counts them; "
        f"the limit is {limit}. Cut {length - limit} and press Send again."
    )


def edit_empty() -> str:
    return "The reply is empty. Write something, or press Cancel."


def assigned(to: str, by: str) -> str:
    return f"{mention(to)} now owns this case (assigned by {mention(by)})."


# Thread posts -----------------------------------------------------------------------------


def reminder(reference: str, mention_ids: Sequence[str], minutes_left: int,
             deadline: datetime) -> str:
    """Nudge the assignee or responders before the deadline."""
    who = people(mention_ids) + " " if mention_ids else ""
    return (
        f"⏳ {who}{escape_mrkdwn(reference)} is due in {minutes_left} min "
        f"({date_token(deadline)}) and has no reply yet. Send a suggestion or assign it."
    )


def escalation(reference: str, brand_name: str, level: int, target: str,
               deadline: datetime) -> str:
    """Escalate a case whose deadline has passed without a reply."""
    who = mention(target) + " " if target else ""
    return (
        f"🚨 {who}Escalation level {level}: {escape_mrkdwn(reference)} for "
        f"{escape_mrkdwn(brand_name)} was due {date_token(deadline)} and has no reply. "
        "Please take it now: reply from the alert or assign it."
    )


def wave_header(brand_name: str, count: int) -> str:
    return f"🌊 {count} similar complaints about {single_line(brand_name)}"


def wave_summary(count: int, first: datetime | None, now: datetime) -> str:
    since = f" since {date_token(first)} ({duration(now - first)})" if first else ""
    return (
        f"*{count}* similar complaints arrived{since}; the count updates as more come in. "
        "Each is its own case in this thread: answer them there, or fix the cause "
        "and post one update for everyone."
    )


def wave_more(count: int) -> str:
    return f"…and {count} more in the thread."


def followup_question(reference: str, name: str, url_link: str) -> str:
    """Ask whether the customer of a resolved case is satisfied."""
    who = safe(single_line(name), 100) or "the customer"
    return (
        f"🔁 Follow-up on {escape_mrkdwn(reference)}: is {who} satisfied with how it "
        f"ended? Check the conversation ({url_link}) and record the outcome."
    )


def followup_recorded(satisfied: bool, by: str) -> str:
    if satisfied:
        return f"😊 {mention(by)} recorded the customer as satisfied."
    return f"😟 {mention(by)} recorded the customer as not satisfied; the case is reopened."


# Sources ----------------------------------------------------------------------------------


def source_down(source_name: str, since: datetime, error: str) -> str:
    return (
        f"⚠️ Source *{safe(single_line(source_name), 200)}* has been failing since "
        f"{date_token(since)}: {safe(single_line(error), 800)}. The other sources go on. "
        "Check its credentials and query, then run `brand-monitor status`."
    )


def source_recovered(source_name: str, since: datetime) -> str:
    return (
        f"✅ Source *{safe(single_line(source_name), 200)}* is back (failing since "
        f"{date_token(since)}). Posts it missed are fetched from where it stopped."
    )


# The /brand-monitor command ---------------------------------------------------------------

QUEUE_TITLES = {
    "open": "Open cases",
    "overdue": "Overdue cases",
    "mine": "Your cases",
    "stats": "Today's response times",
}


def queue_empty(kind: str) -> str:
    return {
        "open": "No open cases. 🎉",
        "overdue": "Nothing is overdue. 🎉",
        "mine": "Nobody has assigned you a case. Press Assign to me on an alert to take one.",
    }.get(kind, "Nothing to show.")


def queue_more(count: int) -> str:
    return f"…and {count} more. Narrow it with /brand-monitor overdue or /brand-monitor mine."


def slash_usage() -> str:
    return (
        "Use /brand-monitor open, /brand-monitor overdue, /brand-monitor mine "
        "or /brand-monitor stats; /brand-monitor link x:maya reddit:maya_r tells me two "
        "handles are one customer."
    )


def flag_not_found() -> str:
    return (
        "I have not seen that post. Share the post's link in a message, then use "
        "Flag as complaint on that message; only posts from configured sources can be flagged."
    )


def customer_posted_again(handle: str, text: str, url: str) -> str:
    """A customer's new post in the same conversation, for the case's thread."""
    who = escape_mrkdwn("@" + single_line(handle).lstrip("@"))
    link = f" <{url}|open>" if safe_url(url) else ""
    return f"💬 {who} wrote again in the same conversation{link}:\n{quote(text, 1500)}"


def reply_published(by: str, platform_title: str, url: str | None, text: str) -> str:
    """Record in the thread what was published, by whom, with a link where there is one."""
    where = f" (<{url}|view it>)" if safe_url(url) else ""
    return f"✅ {mention(by)} replied on {escape_mrkdwn(platform_title)}{where}:\n{quote(text, 2000)}"


# Approval: proposals waiting for a responder (monitor.approvals) -----------------------------

class ProposalLabel:
    """Labels of the proposal's buttons and modals (plain text; modal titles at most 24)."""

    APPROVE = "Approve & send"
    EDIT = "Edit & send"
    REJECT = "Reject"
    PROPOSE = "Propose"
    PROPOSE_TITLE = "Propose a reply"
    EDIT_TITLE = "Edit & approve"
    REJECT_TITLE = "Reject the proposal"
    REASON = "Why (the proposer sees it)"


def proposal_heading(proposer: str, reference: str) -> str:
    return (f"📝 {mention(proposer)} proposes this reply to {escape_mrkdwn(reference)}; "
            "a responder approves, edits or rejects it:")


def proposal_text(text: str) -> str:
    return quote(text, 2000)


def proposal_who_decides(responders: Sequence[str]) -> str:
    return f"Only {people(responders)} can approve, edit or reject it."


def proposal_approved(by: str | None, edited: bool) -> str:
    if edited:
        return f"✅ Approved with edits by {actor(by or '')}; the published reply is in the thread."
    return f"✅ Approved by {actor(by or '')} and published."


def proposal_rejected(by: str | None, reason: str) -> str:
    why = f": “{safe(single_line(reason), 500)}”" if reason.strip() else "."
    return f"❌ Rejected by {actor(by or '')}{why}"


def proposal_answered(by: str | None) -> str:
    return f"↩️ Not needed: {actor(by or '')} answered or closed the case, so this was not sent."


def proposal_replaced() -> str:
    return "↩️ Replaced by a newer proposal (further down this thread); only that one can be approved."


def proposal_rejected_note(proposer: str, by: str, reference: str, reason: str) -> str:
    """Tell the proposer, in the thread, that their reply will not go out, and what to do next."""
    why = f": “{safe(single_line(reason), 500)}”" if reason.strip() else "."
    return (f"{mention(proposer)}, {mention(by)} rejected your reply to {escape_mrkdwn(reference)}"
            f"{why} Nothing was published. Propose another from the alert, or leave it to a responder.")


def proposal_filed(reference: str, responders: Sequence[str]) -> str:
    """Tell a proposer, privately, that their reply waits for a responder and nothing went out."""
    return (f"Your reply to {escape_mrkdwn(reference)} is proposed, not published: it waits in the "
            f"alert's thread for {people(responders)} to approve, edit or reject it.")


def proposals_waiting(count: int) -> str:
    what = "1 proposal" if count == 1 else f"{count} proposals"
    return f"📝 {what} waiting for a responder: Approve, Edit or Reject it in the thread."


_APPROVAL_RESULTS = frozenset({Result.PROPOSED, Result.APPROVED, Result.REJECTED,
                               Result.PROPOSAL_DECIDED})
_DECIDED = {
    "approved": "was already approved by {who}; nothing was sent again",
    "rejected": "was already rejected by {who}, so nothing was sent",
    "replaced": "was replaced by a newer one, so nothing was sent; use the newest proposal in the thread",
    "answered": "was not needed: {who} answered or closed the case, so nothing was sent",
}


def approval_outcome(outcome: Outcome) -> str:
    """Say what an approval step did (or why it did nothing), to the person who clicked."""
    ref = escape_mrkdwn(outcome.reference)
    who = mention(outcome.who) if outcome.who else "someone"
    if outcome.result is Result.PROPOSED:
        return f"Your reply to {ref} is proposed; it waits for a responder in the alert's thread."
    if outcome.result is Result.APPROVED:
        return f"Proposal approved: the reply to {ref} is published."
    if outcome.result is Result.REJECTED:
        return f"Proposal for {ref} rejected; its proposer is told in the thread."
    said = _DECIDED.get(outcome.detail, "was already decided, so nothing was sent")
    return f"This proposal for {ref} {said.format(who=who)}."


# What a case action came to (the engine's outcomes, worded) ----------------------------------

def _state(status: CaseStatus | None) -> str:
    return status.value.replace("_", " ") if status else "closed"


_MOVE_VERBS = {"acknowledge": "acknowledged", "reply": "answered", "resolve": "resolved",
               "not_complaint": "marked as not a complaint", "reopen": "reopened",
               "flag": "flagged as a complaint"}


def outcome_text(outcome: Outcome) -> str:
    """Say, to the person who acted, what their action did (or why it did nothing)."""
    r, ref = outcome.result, escape_mrkdwn(outcome.reference)
    if r in _APPROVAL_RESULTS:
        return approval_outcome(outcome)
    who = mention(outcome.who) if outcome.who else "Someone"
    if r is Result.MOVED:
        return f"{ref} is now {_state(outcome.status)}."
    if r is Result.ALREADY:
        if outcome.status is CaseStatus.NOT_A_COMPLAINT:
            return "Already marked as not a complaint."
        return f"{ref} is already {_state(outcome.status)}."
    if r is Result.NOT_FROM_HERE:
        if outcome.detail == "reopen" and outcome.status and outcome.status.is_open:
            return f"{ref} is already open."
        verb = _MOVE_VERBS.get(outcome.detail, outcome.detail)
        return f"{ref} is {_state(outcome.status)}, so it cannot be {verb} now."
    if r is Result.CLOSED and outcome.status is not None:
        return case_closed(outcome.reference, outcome.status)
    if r is Result.PUBLISHED:
        return f"Reply to {ref} published."
    if r is Result.ALREADY_ANSWERED:
        return already_replied(outcome.who, outcome.ago or timedelta(0))
    if r is Result.REPLY_IN_PROGRESS:
        if not outcome.who:
            return reply_in_progress()
        return f"{who} is already publishing the reply to {ref}; nothing was sent twice."
    if r is Result.PLATFORM_REFUSED:
        return f"{outcome.who} did not publish the reply: {outcome.detail}"
    if r is Result.NOT_COMPLAINT:
        return (f"{ref} closed as not a complaint; the example will teach the next "
                "`brand-monitor train`.")
    if r is Result.ASSIGNED:
        return f"{ref} assigned {_assignment(outcome.who or '', outcome.previous)}."
    if r is Result.ALREADY_ASSIGNED:
        return f"{ref} is already assigned to {who}."
    if r is Result.FOLLOWUP_RECORDED:
        return f"Recorded: the customer of {ref} is {outcome.detail}."
    if r is Result.FOLLOWUP_ALREADY:
        return f"{ref} is already recorded as {outcome.detail}."
    if r is Result.FLAGGED_OPENED:
        return f"Case {ref} opened; thanks, the example will teach the next `brand-monitor train`."
    if r is Result.ALREADY_A_CASE:
        return f"That post already has case {ref}."
    if r is Result.ALREADY_COMPLAINT:
        return f"{ref} is already treated as a complaint."
    if r is Result.LINKED:
        a, b = outcome.items
        return f"Linked {a} and {b}: their cases now show as one customer's history."
    if r is Result.ALREADY_LINKED:
        a, b = outcome.items
        return f"{a} and {b} were already linked."
    return f"{outcome.detail!r} is not platform:handle, e.g. x:maya or reddit:maya_r"


def _assignment(assignee: str, previous: str | None) -> str:
    return f"from {mention(previous)} to {mention(assignee)}" if previous else f"to {mention(assignee)}"


_REASONS = {
    "edited_review": "The customer edited the review after we replied; the case is open again.",
    "not_satisfied": "The customer is not satisfied; the case is open again.",
}


def status_changed(actor_id: str, reference: str, status: CaseStatus, reason: str = "") -> str:
    """The thread line for a case moved along its life."""
    if reason in _REASONS:
        return _REASONS[reason]
    by = "brand-monitor" if actor_id == "brand-monitor" else mention(actor_id)
    return f"{by} marked {escape_mrkdwn(reference)} as {_state(status)}."


def assigned_note(actor_id: str, reference: str, assignee: str, previous: str | None) -> str:
    return f"{mention(actor_id)} assigned {escape_mrkdwn(reference)} {_assignment(assignee, previous)}."


def dead_letter(what: str, reference: str | None, error: str) -> str:
    """Tell the channel, once, that a message could not be delivered after many tries."""
    about = f" about {escape_mrkdwn(reference)}" if reference else ""
    return (f"⚠️ brand-monitor gave up sending a Slack message{about} ({what}) after repeated "
            f"failures: {safe(single_line(error), 300)}. Check `brand-monitor status`; "
            "the case itself is safe in the database.")


# Reports ----------------------------------------------------------------------------------
# (report summaries in Slack and the terminal; the HTML report's headings)

def report_summary(report: Report, *, mrkdwn: bool = False) -> str:
    """The report as text: the Slack summary above its charts (`mrkdwn`), or the terminal's."""
    bold = (lambda s: f"*{s}*") if mrkdwn else (lambda s: s)
    own = (lambda s: escape_mrkdwn(single_line(s))) if mrkdwn else single_line
    first, last = report.days[0].day, report.days[-1].day
    period = report_period(first, last, report.period.zone)
    lines = [bold(f"{report_page_title(report.brand_name)}, {period}"),
             f"{report.mentions} mentions, {report.complaints} complaints; {report.open_now} open now, "
             f"{report.overdue_now} overdue.",
             report_response_times(report.response_times.answered, report.response_times.median,
                                   report.response_times.p90)]
    platforms = report.table("platform")
    if platforms and platforms.rows:
        due = sum(r.due for r in platforms.rows)
        within = sum(r.within for r in platforms.rows)
        shares = ", ".join(f"{report_key('platform', r.key)} {report_share(r.share_within)}"
                           for r in platforms.rows if r.due)
        lines.append(f"Answered within the deadline: {report_bar_label(within, due)}"
                     + (f" — {shares}." if shares else "."))
    lines += ["", bold(REPORT_HEADINGS["days"])]
    busy = [d for d in report.days if d.mentions or d.complaints]
    lines += [f"  {report_weekday(d.day)}: {_count(d.mentions, 'mention')}, "
              f"{_count(d.complaints, 'complaint')}" for d in busy]
    lines += report_days_left_out(len(report.days) - len(busy), "with no mention")
    if report.backlog:
        lines += ["", bold(REPORT_HEADINGS["backlog"])]
        held = [b for b in report.backlog if b.open or b.overdue]
        lines += [f"  {report_weekday(b.day)}: {b.open} open, {b.overdue} overdue" for b in held]
        lines += report_days_left_out(len(report.backlog) - len(held), "with no case open")
    for table in report.compliance:
        if not table.rows:
            continue
        by = REPORT_DIMENSIONS[table.dimension].lower()
        lines += ["", bold(f"{REPORT_HEADINGS['compliance']}, by {by}")]
        lines += [f"  {_report_who(table.dimension, r.key, mrkdwn)}: "
                  f"{report_bar_label(r.within, r.due)}, {r.answered} answered, {r.complaints} new"
                  for r in table.rows]
    lines += ["", bold(REPORT_HEADINGS["causes"])]
    if not report.causes:
        lines.append(report_no_causes())
    for cause in report.causes:
        lines.append(f"  {bold(own(report_cause_title(cause.words)))}: "
                     f"{report_cause_count(cause.count, cause.previous)}; "
                     f"{report_cause_category(cause.category).lower()}")
        lines += [f"    “{safe(single_line(s.text), 200) if mrkdwn else truncate(single_line(s.text), 200)}”"
                  f" ({s.reference})" for s in cause.samples]
    if report.causes_from and report.causes_from < report.complaints:
        lines.append("  " + report_causes_from(report.causes_from, report.complaints))
    lines += ["", bold(REPORT_HEADINGS["followups"]),
              report_followups(report.followups.asked, report.followups.satisfied,
                               report.followups.unsatisfied),
              "", bold(REPORT_HEADINGS["feedback"]),
              report_feedback(report.feedback.alerted, report.feedback.not_complaint,
                              report.feedback.flagged, report.feedback.precision)]
    if report.approvals is not None:
        lines += ["", bold(REPORT_APPROVALS_HEADING), report_approvals(report.approvals)]
    return "\n".join(lines)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _report_who(dimension: str, key: str, mrkdwn: bool) -> str:
    """A group's name in a summary; a responder is a Slack mention there."""
    if dimension == "responder" and key and mrkdwn:
        return mention(key)
    name = report_key(dimension, key) or NO_VALUE
    return escape_mrkdwn(single_line(name)) if mrkdwn else single_line(name)


def report_charts_comment(brand_name: str) -> str:
    return f"Charts of the report for {single_line(brand_name)}"


def report_days_left_out(count: int, why: str) -> list[str]:
    """The summary lists only the days with something to say; the others are counted."""
    return [f"  ({_count(count, 'other day')} {why})"] if count else []


def report_grouping_progress() -> str:
    return "grouping complaints by cause"


def report_bad_date(value: str) -> str:
    return f"{value!r} is not a date; write it as 2026-11-30"


def report_bad_since(value: str) -> str:
    return f"--since {value!r} is not a length of time; write it as 7d, 30d or 12h"


def report_since_and_dates() -> str:
    return "give either --since or --from/--to, not both"


def report_to_without_from() -> str:
    return "--to needs --from: write --from 2026-11-01 --to 2026-11-30"


def report_dates_reversed() -> str:
    return "--from must be on or before --to"


def report_unknown_brand(brand_id: str, known: Sequence[str]) -> str:
    return f"no brand {brand_id!r} in the brands file; its brands are: {', '.join(known)}"


def report_html_written(path: str, charts: int) -> str:
    return f"Report written to {path} ({charts} chart(s) inside)."


# Reports: the page -----------------------------------------------------------------------
# (the HTML report and its charts: plain text, escaped by alerts.report_html; no mrkdwn)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_VALUE = "–"

REPORT_HEADINGS = {
    "summary": "At a glance",
    "charts": "Charts",
    "days": "Mentions and complaints per day",
    "compliance": "Answered within the deadline",
    "response": "Time to first reply",
    "backlog": "Open and overdue cases at the end of each day",
    "categories": "Complaints per category",
    "causes": "Recurring causes",
    "followups": "Follow-ups",
    "feedback": "How well the bot did",
}
REPORT_FIGURES = {
    "mentions": "Mentions",
    "complaints": "Complaints",
    "open_now": "Open now",
    "overdue_now": "Overdue now",
    "median": "Median first reply",
    "p90": "9 in 10 answered within",
}
REPORT_DIMENSIONS = {"platform": "Platform", "language": "Language", "category": "Category",
                     "severity": "Severity", "responder": "Responder"}
REPORT_COLUMNS = {
    "day": "Day", "mentions": "Mentions", "complaints": "Complaints", "due": "Due",
    "answered": "Answered", "within": "Within deadline", "share": "Share within",
    "open": "Open", "overdue": "Overdue", "total": "Total",
}
CHART_TITLES = {
    "volume": "Mentions and complaints per day",
    "within-platform": "Answered within the deadline, by platform",
    "within-category": "Answered within the deadline, by category",
    "backlog": "Open and overdue cases, end of each day",
    "categories": "Complaints per category per day",
}
CHART_SERIES = {
    "mentions": "Mentions", "complaints": "Complaints", "within": "In time", "late": "Late",
    "unanswered": "No reply", "open": "Open", "overdue": "Overdue",
}
CHART_AXES = {"cases": "Cases"}


def report_day(day: date) -> str:
    """Name a day briefly for a chart's axis: "2 Dec"."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


def report_weekday(day: date) -> str:
    """Name a day for a table row: "Wed 2 Dec"."""
    return f"{_WEEKDAYS[day.weekday()]} {report_day(day)}"


def report_page_title(brand_name: str) -> str:
    return f"{single_line(brand_name)}: complaints report"


def report_heading() -> str:
    return "Complaints report"


def report_period(first: date, last: date, zone: str) -> str:
    """Say the days a report covers, both included, and whose calendar counts them."""
    if first == last:
        return f"{report_weekday(first)} {first.year} ({zone})"
    return f"{report_weekday(first)} {first.year} to {report_weekday(last)} {last.year} ({zone})"


def report_generated(at: datetime, zone: str) -> str:
    return f"Made on {report_day(at.date())} {at.year} at {at:%H:%M} ({zone}) by brand-monitor."


def report_share(share: float | None) -> str:
    """A share as a whole percentage, or a dash when nothing was due."""
    return NO_VALUE if share is None else f"{round(share * 100)}%"


def report_duration(span: timedelta | None) -> str:
    return NO_VALUE if span is None else duration(span)


def report_bar_label(within: int, due: int) -> str:
    """Label one compliance bar: "87% (13 of 15)"."""
    return f"{report_share(within / due if due else None)} ({within} of {due})"


def report_key(dimension: str, key: str) -> str:
    """Name a platform, language, category or severity as the team reads it."""
    if dimension == "category":
        label = Category(key).label if key in set(Category) else key or "uncategorised"
        return label[:1].upper() + label[1:]
    if dimension == "language":
        return LANGUAGE_NAMES.get(key, key or "unknown")
    if dimension == "severity":
        by_name = {s.name.lower(): s for s in Severity} | {s.label: s for s in Severity}
        found = Severity(int(key)) if key.isdigit() and int(key) in set(Severity) else by_name.get(key)
        return found.label.capitalize() if found is not None else key
    if dimension == "platform" and key.islower():
        return key.replace("_", " ").title()
    return key


def report_response_times(answered: int, median: timedelta | None, p90: timedelta | None) -> str:
    if not answered:
        return "No complaint was answered in this period."
    replies = "1 answered complaint" if answered == 1 else f"{answered} answered complaints"
    return (f"Over {replies}: half were answered within {report_duration(median)}, "
            f"9 in 10 within {report_duration(p90)}.")


def report_no_days() -> str:
    return "No mentions in this period."


def report_no_rows() -> str:
    return "Nothing was due in this period."


def report_no_complaints() -> str:
    return "No complaints in this period."


def report_no_causes() -> str:
    return "Too few complaints in this period to group them by cause."


def report_no_charts() -> str:
    return "No charts: there is nothing to draw for this period."


def report_causes_from(used: int, total: int) -> str:
    return f"Grouped from the {used} most recent of the period's {total} complaints."


def report_cause_title(words: Sequence[str]) -> str:
    return ", ".join(words) or NO_VALUE


def report_cause_count(count: int, previous: int) -> str:
    """Say a cause's size and its trend against the period just before."""
    now = "1 complaint" if count == 1 else f"{count} complaints"
    if previous == 0:
        return f"{now}, new in this period"
    if count == previous:
        return f"{now}, as many as in the period before"
    way = "up" if count > previous else "down"
    return f"{now}, {way} {abs(count - previous)} from {previous} in the period before"


def report_cause_category(category: str) -> str:
    return f"Mostly {report_key('category', category)}"


def report_open_post() -> str:
    return "Open the post"


def report_followups(asked: int, satisfied: int, unsatisfied: int) -> str:
    if not asked:
        return "No follow-up question was asked in this period."
    silent = max(asked - satisfied - unsatisfied, 0)
    customers = "1 customer" if asked == 1 else f"{asked} customers"
    return (f"Asked {customers} after a reply whether they were satisfied: {satisfied} said yes, "
            f"{unsatisfied} said no, {silent} did not answer.")


def report_feedback(alerted: int, not_complaint: int, flagged: int, precision: float | None) -> str:
    if not alerted and not flagged:
        return "The bot opened no case and the team flagged no post in this period."
    missed = ("no post it had missed" if not flagged
              else "1 post it had missed" if flagged == 1 else f"{flagged} posts it had missed")
    return (f"The bot opened {alerted} cases; the team closed {not_complaint} of them as not a "
            f"complaint (right {report_share(precision)} of the time) and flagged {missed}.")


def report_approvals(a: Approvals) -> str:
    """What became of the period's proposed replies (the report shows it only when there were any)."""
    waiting = f", {a.pending} still waiting" if a.pending else ""
    replaced = (f", {a.replaced} not needed (a newer proposal or a direct reply)"
                if a.replaced else "")
    decided = (f" A responder decided in {report_duration(a.median_decision)} (median)."
               if a.median_decision is not None else "")
    replies = "1 reply" if a.proposed == 1 else f"{a.proposed} replies"
    return (f"{replies} proposed for approval: {a.approved} approved "
            f"({a.edited} with edits), {a.rejected} rejected{replaced}{waiting}.{decided}")


# Not among REPORT_HEADINGS: a report shows it only when replies were proposed for approval.
REPORT_APPROVALS_HEADING = "Approval of proposed replies"
REPORT_APPROVALS_COLUMN = "Proposals"
REPORT_APPROVAL_ROWS = {"proposed": "Proposed", "approved": "Approved as written",
                        "edited": "Approved with edits", "rejected": "Rejected",
                        "replaced": "Not needed (a newer proposal or a direct reply)",
                        "pending": "Still waiting",
                        "median_decision": "Median time to a decision"}


def report_files_saved(directory: str) -> str:
    """Tell the terminal where a report's charts went, when there is no Slack to upload to."""
    return f"Charts saved in {directory}:"


# Spikes and quiet sources -----------------------------------------------------------------

SPIKE_KINDS = {"volume": "complaints", "share": "share of complaints"}


def _spike_figure(kind: str, value: float) -> str:
    return f"{100 * value:.0f}%" if kind == "share" else f"{value:.0f}"


def spike_header(brand_name: str, kind: str, ended: bool) -> str:
    what = "Complaint share" if kind == "share" else "Complaints"
    about = single_line(brand_name)
    return f"📉 {what} about {about} back to usual" if ended else f"📈 {what} about {about} spiking"


def spike_summary(kind: str, value: float, usual: float, hours: int, complaints: int,
                  mentions: int, method: str) -> str:
    """How many against how many usually, for the window the spike is counted over."""
    span = "the last hour" if hours == 1 else f"the last {hours} hours"
    basis = ("the same hour of the week in past weeks" if method == "seasonal"
             else "the brand's recent hours (too few weeks yet for a weekly baseline)")
    if kind == "share":
        return (f"*{_spike_figure(kind, value)}* of mentions in {span} are complaints "
                f"({complaints} of {mentions}), against *{_spike_figure(kind, usual)}* usually ({basis}).")
    return (f"*{complaints}* complaints in {span}, against *{usual:.1f}* usually ({basis}). "
            "The cases are in the channel as usual: answer them there, or fix the cause and "
            "post one update for everyone.")


def spike_facts(category: str | None, category_n: int, platform: str | None, platform_n: int,
                words: Sequence[str]) -> list[str]:
    """The fields of a spike alert: what most of it is about, where, and in which words."""
    out = []
    if category:
        out.append(f"*Mostly*\n{escape_mrkdwn(category)} ({category_n})")
    if platform:
        out.append(f"*Mostly on*\n{escape_mrkdwn(platform)} ({platform_n})")
    if words:
        out.append(f"*Telling words*\n{safe(', '.join(words), 300)}")
    return out


def spike_wave(topic: str, cases: int, url: str | None) -> str:
    where = link(url, "see the wave's alert") if url else "see the wave's alert in this channel"
    return f"🌊 A wave formed: {cases} similar complaints ({safe(single_line(topic), 200)}); {where}."


def spike_ended(started: datetime, ended: datetime, peak: float, kind: str) -> str:
    return (f"Ended {date_token(ended)} after {duration(ended - started)}; "
            f"at its peak {_spike_figure(kind, peak)} {SPIKE_KINDS.get(kind, kind)}.")


def spike_since(started: datetime, now: datetime) -> str:
    return f"Since {date_token(started)} ({duration(now - started)}); this alert updates while it lasts."


def source_quiet(source_name: str, since: datetime, hours: int, observed: int,
                 expected: float) -> str:
    return (f"🔇 Source *{safe(single_line(source_name), 200)}* has been quieter than usual since "
            f"{date_token(since)}: {observed} post(s) in {hours} h, usually {expected:.0f}. It "
            "answers without errors, so check its query, its account's access and the platform's "
            "blind spots, then run `brand-monitor status`.")


def source_quiet_over(source_name: str, since: datetime) -> str:
    return (f"🔊 Source *{safe(single_line(source_name), 200)}* is fetching posts as usual again "
            f"(quiet since {date_token(since)}).")


# The Home tab -----------------------------------------------------------------------------

HOME_TITLE = "Your complaint queue"
HOME_COUNTS = ("*Open*", "*Overdue*", "*Yours*")
HOME_LISTS = {"overdue": "⏰ *Overdue*", "mine": "🙋 *Yours*", "next": "📥 *Due next*"}


def home_updated(at: datetime) -> str:
    return f"Updated {date_token(at)}. Each alert's buttons work in its channel."


def home_not_on_team() -> str:
    """What a stranger's Home tab says: no brand's data, and how to get some."""
    return ("You are not on any brand's team, so there is no queue to show you. Ask whoever runs "
            "brand-monitor to add your Slack user (or a user group you are in) to a brand's "
            "`responders` or `team` in the brands file.")


def home_count(label: str, count: int) -> str:
    return f"{label}\n{count}"


def home_case_line(reference: str, url: str | None, handle: str, platform: str, deadline: datetime,
                   now: datetime, overdue: bool) -> str:
    """One case in a Home list: its reference (linked to the alert), who, where, and when due."""
    ref = link(url, reference) if url else f"*{escape_mrkdwn(reference)}*"
    who = escape_mrkdwn("@" + single_line(handle).lstrip("@")) if handle.strip() else "someone"
    icon = "⏰ " if overdue else ""
    return f"{icon}{ref} · {who} on {escape_mrkdwn(platform)} · {due(deadline, now)}"


def home_more_cases(count: int) -> str:
    return f"…and {count} more."


def home_nothing(kind: str) -> str:
    return {"overdue": "Nothing is overdue. 🎉", "mine": "Nobody has assigned you a case here.",
            "next": "No open cases. 🎉"}.get(kind, "Nothing to show.")


def home_week(start: datetime, opened: int, answered: int, share: float | None,
              median: timedelta | None) -> list[str]:
    """This week's figures as Home fields: since Monday in the brand's timezone."""
    return [f"*Complaints this week*\n{opened} (since {date_token(start, '{date_short}')})",
            f"*Answered this week*\n{answered}",
            f"*Answered within deadline*\n{report_share(share)}",
            f"*Median first reply*\n{report_duration(median)}"]


def home_more_brands(names: Sequence[str]) -> str:
    """The brands the Home tab had no room for."""
    shown = ", ".join(escape_mrkdwn(n) for n in names)
    return (f"…and {len(names)} more brands: {shown}. Use /brand-monitor open in a brand's "
            "channel to see its queue.")


# The helpdesk hand-off (monitor.tickets) ----------------------------------------------------


def ticket_subject(view: CaseView) -> str:
    """A ticket's subject: the brand first, then the reference, what it is about and where."""
    c, m = view.classification, view.mention
    who = "@" + single_line(m.author_handle).lstrip("@") if m.author_handle.strip() else "a customer"
    platform = view.platform_title or m.platform
    return single_line(f"[{view.brand_name}] {view.reference}: {c.category.label} complaint from "
                       f"{who} on {platform}")[:250]


def ticket_body(view: CaseView, alert_link: str) -> str:
    """A ticket's text, for the helpdesk's agent: the post, the customer, the case, the way back."""
    c, m = view.classification, view.mention
    name = single_line(m.author_name)
    handle = "@" + single_line(m.author_handle).lstrip("@") if m.author_handle.strip() else ""
    author = f"{name} ({handle})" if name and handle else (name or handle or "someone")
    platform = view.platform_title or m.platform
    posted = m.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    deadline = view.deadline_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    post = "\n".join(f"> {line}" for line in (m.text or "").splitlines() or [""])
    lines = [f"{platform} post by {author}, {posted}:", post, f"Post: {m.url}", "",
             f"Case: {view.reference} ({view.brand_name})",
             f"About: {', '.join(x.label for x in c.all_categories)}",
             f"Severity: {c.severity.label}",
             f"Public reply due: {deadline}",
             f"Customer history: {_ticket_history(view.history)}",
             f"Slack alert: {alert_link}", "",
             f"The social team answers the public post from the Slack alert. Solving this ticket "
             f"resolves {view.reference} there."]
    return "\n".join(lines)


def _ticket_history(history: CustomerHistory) -> str:
    if history.earlier_cases <= 0:
        return "first case from this customer"
    parts = [f"{history.earlier_cases} earlier case{'s' if history.earlier_cases != 1 else ''}"]
    if history.last_category is not None:
        parts.append(f"last about {history.last_category.label}"
                     + (f" ({history.last_reference})" if history.last_reference else ""))
    if history.last_outcome:
        parts.append(f"outcome: {single_line(history.last_outcome)}")
    return ", ".join(parts)


def ticket_line(ticket: TicketLink) -> str:
    """What the alert says of its ticket: a link once it exists, else where its creation stands."""
    title = escape_mrkdwn(ticket.system_title)
    if ticket.external_id is not None:
        label = f"Ticket #{single_line(ticket.external_id)} ({ticket.system_title})"
        shown = link(ticket.url, label) if ticket.url else escape_mrkdwn(label)
        status = f" · {escape_mrkdwn(single_line(ticket.status))}" if ticket.status else ""
        return f"🎫 {shown}{status}"
    if ticket.status == "creating":
        return f"🎫 Opening the {title} ticket…"
    error = safe(single_line(ticket.last_error or "no answer"), 300)
    return f"🎫 No {title} ticket yet: {error}. Click {Label.CREATE_TICKET} to try again."


def ticket_outcome(outcome: TicketOutcome) -> str:
    """Say, to whoever clicked "Create ticket", what came of it and what to do next."""
    ref, title = escape_mrkdwn(outcome.reference), escape_mrkdwn(outcome.system_title)
    number = f"#{single_line(outcome.external_id or '')}"
    where = f": {link(outcome.url, outcome.url or '')}" if outcome.url else "."
    r = outcome.result
    if r is TicketResult.CREATED:
        return f"Ticket {number} opened in {title} for {ref}{where}"
    if r is TicketResult.EXISTS:
        who = f" by {mention(outcome.who)}" if outcome.who else ""
        return (f"{ref} already has {title} ticket {number}, opened{who}; nothing was opened twice"
                f"{where}")
    if r is TicketResult.IN_PROGRESS:
        who = mention(outcome.who) if outcome.who else "Someone"
        return f"{who} is opening the {title} ticket of {ref} right now; nothing was opened twice."
    if r is TicketResult.FAILED:
        return (f"{title} opened no ticket for {ref}: {safe(single_line(outcome.detail), 300)}. "
                f"Click {Label.CREATE_TICKET} again in a minute; if it keeps failing, ask whoever "
                "runs brand-monitor to check helpdesk: in brands.yaml and its environment variables.")
    if r is TicketResult.NO_HELPDESK:
        return (f"{ref} cannot be handed to a helpdesk: its brand has none. Whoever runs "
                "brand-monitor adds one under helpdesk: in brands.yaml.")
    return f"{ref}: nothing to do ({escape_mrkdwn(r.value)})."
