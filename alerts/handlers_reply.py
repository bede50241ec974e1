"""Publishing a reply: a suggestion's button, or the edit modal.

Only the brand's responders publish, from the case's channel; the modal is checked again at submit.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from alerts import action_ids as ids
from alerts import blocks, handlers_approval, messages
from alerts.slack_app import Desk, Refusal, origin
from monitor import casework
from monitor.case_view import case_view


def register(app: App, desk: Desk) -> None:
    runtime = desk.runtime

    def ids_of(body: dict[str, Any], action: dict[str, Any]) -> tuple[int, int | None] | None:
        """Read the case and suggestion a button names, if the clicker may publish on it here."""
        try:
            case_id, suggestion_id = ids.decode(action["value"])
        except (ValueError, KeyError):
            desk.tell(body, messages.interaction_expired())
            return None
        if desk.authorize(body, case_id, "publish") is None:
            return None
        return case_id, suggestion_id

    @app.action(ids.PUBLISH)
    def publish(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        # A proposer's Send files a proposal instead (approval:), and is done there.
        found = None if handlers_approval.proposer_send(desk, body, action) else ids_of(body, action)
        if found is None:
            return
        case_id, suggestion_id = found
        suggestion = runtime.store.suggestion(suggestion_id) if suggestion_id else None
        if suggestion is None or suggestion.case_id != case_id:
            desk.tell(body, messages.interaction_expired())
            return
        desk.report(body, casework.publish_reply(runtime, case_id, suggestion.text, body["user"]["id"]))

    @app.action(ids.EDIT)
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        # A proposer's modal proposes instead of sending (approval:).
        found = (None if handlers_approval.proposer_edit(desk, body, action, client)
                 else ids_of(body, action))
        if found is None:
            return
        case_id, suggestion_id = found
        view = case_view(runtime, case_id)
        suggestion = runtime.store.suggestion(suggestion_id) if suggestion_id else None
        if suggestion is not None and suggestion.case_id != case_id:
            suggestion = None  # another case's suggestion: never show its text here
        text = suggestion.text if suggestion else (view.suggestions[0].text if view.suggestions else "")
        # The submission carries no channel: the modal remembers the one it was opened from.
        modal = blocks.build_edit_modal(view, text, view.reply_limit, view.platform_title,
                                        origin(body).channel)
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view(ids.EDIT_MODAL)
    def edit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            case_id, channel = ids.decode_modal(view["private_metadata"])
        except (ValueError, KeyError):
            ack()
            return
        # Asked again at submit: the user may have left the responders since the modal opened,
        # and the channel recorded at opening must still be one of the case's.
        found = desk.verdict(body, case_id, "publish", channel)
        if isinstance(found, Refusal):
            ack()
            desk.tell(body, found.text, found.channel)
            return
        current = case_view(runtime, case_id)
        text = ids.modal_text(view).strip()
        if not text:
            ack(response_action="errors", errors=blocks.edit_empty_error()["errors"])
            return
        connector = runtime.connector(current.brand_id, found.mention.source)
        length = connector.count_length(text)
        if current.reply_limit and length > current.reply_limit:
            error = blocks.edit_too_long_error(length, current.reply_limit, current.platform_title)
            ack(response_action="errors", errors=error["errors"])
            return
        ack()
        desk.report(body, casework.publish_reply(runtime, case_id, text, body["user"]["id"]), channel)
