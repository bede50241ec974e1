"""The /brand-monitor slash command and the "Flag as complaint" message shortcut."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from alerts import action_ids as ids
from alerts import blocks, messages
from alerts.blocks_kit import Message
from alerts.blocks_queue import MAX_LISTED
from alerts.slack_app import Desk, origin
from monitor import casework
from monitor.case_view import listed_view
from monitor.ports import Services as Runtime
from monitor.reports import day_stats

_URL = re.compile(r"https?://[^\s|>]+")


def register(app: App, desk: Desk) -> None:
    runtime = desk.runtime

    @app.command(ids.SLASH_COMMAND)
    def slash(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        words = (command.get("text") or "").split()
        kind = words[0].lower() if words else "open"
        user = command["user_id"]
        # Only a brand's team sees or changes its cases: the channel's brand, or outside brand
        # channels the brands whose team the user is on.
        brands = desk.brands_for(command, "act")
        if isinstance(brands, str):
            respond(text=brands, response_type="ephemeral")
            return
        if kind == "link" and len(words) == 3:
            if len(brands) != 1:
                respond(text=messages.one_brand_only(), response_type="ephemeral")
                return
            result = casework.link_customers(runtime, brands[0].id, words[1], words[2], user)
            respond(text=messages.outcome_text(result), response_type="ephemeral")
            return
        if kind == "stats" and len(brands) != 1:
            respond(text=messages.one_brand_only(), response_type="ephemeral")
            return
        message = queue_message(runtime, [b.id for b in brands], kind, user)
        respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral")

    @app.shortcut(ids.FLAG_SHORTCUT)
    def flag(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        text = (body.get("message") or {}).get("text", "")
        user = body["user"]["id"]
        for url in _URL.findall(text):
            row = runtime.store.mention_by_url(url)
            if row is not None:
                # A flag writes a training label and may open or reopen a case: the team only.
                # The message may be anywhere, so there is no channel to check; the refusal
                # names no brand, since the post may be another brand's.
                if desk.refusal(origin(body), runtime.brand(row.brand_id), "act") is not None:
                    respond(text=messages.no_team_here(), response_type="ephemeral")
                    return
                result = casework.flag_mention(runtime, row.id, user)
                desk.refresh()
                respond(text=messages.outcome_text(result), response_type="ephemeral")
                return
        respond(text=messages.flag_not_found(), response_type="ephemeral")


def queue_message(runtime: Runtime, brand_ids: list[str], kind: str, user: str) -> Message:
    """The answer to `/brand-monitor open|overdue|mine|stats`: counted by the database, and
    views built only for the cases shown (stats: of the first brand)."""
    now = runtime.clock()
    stats = day_stats(runtime, now, brand_ids[0]) if kind == "stats" else None
    overdue_at = now if kind == "overdue" else None
    mine = user if kind == "mine" else None
    total = 0 if kind == "stats" else runtime.store.count_cases(
        brand_ids=brand_ids, overdue_at=overdue_at, assignee=mine)
    cases = [] if kind == "stats" else runtime.store.cases(
        brand_ids=brand_ids, overdue_at=overdue_at, assignee=mine, limit=MAX_LISTED)
    views = [listed_view(runtime, c) for c in cases]  # only the ones shown, no query each
    return blocks.build_queue(kind, views, stats, now, total=total)  # type: ignore[arg-type]
