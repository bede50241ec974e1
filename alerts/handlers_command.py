"""The /brand-monitor slash command and the "Flag as complaint" message shortcut."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from alerts import action_ids as ids
from alerts import blocks, messages
from alerts.slack_app import Desk
from monitor import casework
from monitor.case_view import case_view
from monitor.reports import day_stats

_URL = re.compile(r"https?://[^\s|>]+")


def register(app: App, desk: Desk) -> None:
    runtime = desk.runtime

    def brand_for_channel(channel: str | None) -> str | None:
        for brand in runtime.config.brands:
            if channel and brand.slack.channel == channel:
                return brand.id
        return None

    @app.command(ids.SLASH_COMMAND)
    def slash(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        words = (command.get("text") or "").split()
        kind = words[0].lower() if words else "open"
        user = command["user_id"]
        brand_id = brand_for_channel(command.get("channel_id"))
        if kind == "link" and len(words) == 3:
            target = brand_id or runtime.config.brands[0].id
            result = casework.link_customers(runtime, target, words[1], words[2], user)
            respond(text=result.error or result.message, response_type="ephemeral")
            return
        now = runtime.clock()
        cases = runtime.store.cases(brand_id=brand_id, open_only=True,
                                    overdue_at=now if kind == "overdue" else None,
                                    assignee=user if kind == "mine" else None, limit=200)
        if kind == "overdue":
            cases = [c for c in cases if c.replied_at is None]
        stats = day_stats(runtime, now, brand_id) if kind == "stats" else None
        views = [case_view(runtime, c.id) for c in cases] if kind != "stats" else []
        message = blocks.build_queue(kind, views, stats, now)  # type: ignore[arg-type]
        respond(text=message["text"], blocks=message["blocks"], response_type="ephemeral")

    @app.shortcut(ids.FLAG_SHORTCUT)
    def flag(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        text = (body.get("message") or {}).get("text", "")
        user = body["user"]["id"]
        for url in _URL.findall(text):
            row = runtime.store.mention_by_url(url)
            if row is not None:
                result = casework.flag_mention(runtime, row.id, user)
                desk.refresh()
                respond(text=result.error or result.message, response_type="ephemeral")
                return
        respond(text=messages.flag_not_found(), response_type="ephemeral")
