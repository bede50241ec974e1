""""Create ticket": hand a case to the brand's helpdesk, once, from the alert.

Anyone on the brand's team may (the "act" leave, in the case's channel). The alert's permalink
goes in the ticket as the way back; when Slack cannot give it, the ticket links the channel.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts import action_ids as ids
from alerts import messages
from alerts.slack_app import Desk
from monitor import tickets
from monitor.records import Case

log = logging.getLogger(__name__)


def alert_permalink(client: WebClient, case: Case) -> str | None:
    """The alert's permalink (chat.getPermalink), or None when Slack cannot say."""
    if not (case.slack_channel and case.slack_ts):
        return None
    try:
        answer = client.chat_getPermalink(channel=case.slack_channel, message_ts=case.slack_ts)
    except (SlackApiError, OSError) as exc:
        log.warning("no permalink for the alert of %s: %s", case.reference, type(exc).__name__)
        return None
    permalink = answer.get("permalink")
    return permalink if isinstance(permalink, str) and permalink.startswith("https://") else None


def register(app: App, desk: Desk) -> None:
    runtime = desk.runtime

    @app.action(ids.CREATE_TICKET)
    def create_ticket(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            case_id, _ = ids.decode(action.get("value", ""))
        except ValueError:
            desk.tell(body, messages.interaction_expired())
            return
        case = desk.authorize(body, case_id, "act")
        if case is None:
            return
        outcome = tickets.create_ticket(runtime, case_id, body["user"]["id"],  # type: ignore[arg-type]
                                        alert_permalink(client, case))
        desk.refresh()
        if not outcome.changed:  # a new ticket shows on the alert; anything else is told privately
            desk.tell(body, messages.ticket_outcome(outcome))
