"""The Bolt app: one handler per action, each acknowledging first, then doing the work."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts import action_ids as ids
from alerts import blocks, messages
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from monitor import casework
from monitor.case_view import case_view
from monitor.domain import CaseStatus
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
GROUP_CACHE_SECONDS = 300


class Responders:
    """Who may publish for a brand: listed users, or members of listed user groups."""

    def __init__(self, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._groups: dict[str, tuple[float, set[str]]] = {}

    def members(self, group: str) -> set[str]:
        cached = self._groups.get(group)
        if cached and self.clock() - cached[0] < GROUP_CACHE_SECONDS:
            return cached[1]
        try:
            users = set(self.client.usergroups_users_list(usergroup=group)["users"])
        except SlackApiError as exc:
            log.warning("cannot list members of user group %s: %s", group, exc)
            users = set()
        self._groups[group] = (self.clock(), users)
        return users

    def allowed(self, user: str, responders: list[str]) -> bool:
        if user in responders:
            return True
        return any(user in self.members(g) for g in responders if g.startswith("S"))


def build_app(runtime: Runtime, client: WebClient, signing_secret: str | None = None,
              **app_options: Any) -> App:
    """Create the Bolt app wired to the runtime's cases."""
    app = App(client=client, signing_secret=signing_secret,
              token_verification_enabled=False, **app_options)
    delivery = SlackDelivery(client)
    responders = Responders(client)

    def after(case_id: int) -> None:
        flush(runtime, delivery)

    def allowed_or_explain(body: dict[str, Any], case_id: int) -> bool:
        user = body["user"]["id"]
        brand = runtime.brand(runtime.store.case(case_id).brand_id)
        if responders.allowed(user, brand.responders):
            return True
        channel = (body.get("channel") or {}).get("id") or brand.slack.channel
        delivery.ephemeral(channel, user, messages.not_allowed(brand.name, brand.responders))
        return False

    def tell(body: dict[str, Any], text: str) -> None:
        channel = (body.get("channel") or {}).get("id")
        if channel and text:
            delivery.ephemeral(channel, body["user"]["id"], text)

    @app.action(ids.PUBLISH)
    def publish(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        case_id, suggestion_id = ids.decode(action["value"])
        if not allowed_or_explain(body, case_id):
            return
        suggestion = runtime.store.suggestion(suggestion_id) if suggestion_id else None
        if suggestion is None or suggestion.case_id != case_id:
            tell(body, messages.interaction_expired())
            return
        result = casework.publish_reply(runtime, case_id, suggestion.text, body["user"]["id"])
        after(case_id)
        if not result.changed:
            tell(body, result.error or result.message)

    @app.action(ids.EDIT)
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        case_id, suggestion_id = ids.decode(action["value"])
        if not allowed_or_explain(body, case_id):
            return
        view = case_view(runtime, case_id)
        suggestion = runtime.store.suggestion(suggestion_id) if suggestion_id else None
        text = suggestion.text if suggestion else (view.suggestions[0].text if view.suggestions else "")
        client.views_open(trigger_id=body["trigger_id"],
                          view=blocks.build_edit_modal(view, text, view.reply_limit, view.platform_title))

    @app.view(ids.EDIT_MODAL)
    def edit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        case_id = int(view["private_metadata"])
        text = ids.modal_text(view)
        current = case_view(runtime, case_id)
        connector = runtime.connector(current.brand_id, runtime.store.case(case_id).mention.source)
        length = connector.count_length(text)
        if current.reply_limit and length > current.reply_limit:
            ack(response_action="errors",
                errors=blocks.edit_too_long_error(length, current.reply_limit, current.platform_title)["errors"])
            return
        ack()
        user = body["user"]["id"]
        brand = runtime.brand(current.brand_id)
        if not responders.allowed(user, brand.responders):
            delivery.ephemeral(brand.slack.channel, user, messages.not_allowed(brand.name, brand.responders))
            return
        result = casework.publish_reply(runtime, case_id, text, user)
        after(case_id)
        if not result.changed:
            delivery.ephemeral(brand.slack.channel, user, result.error or result.message)

    @app.action(ids.NOT_COMPLAINT)
    def not_complaint(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        case_id, _ = ids.decode(action["value"])
        result = casework.mark_not_complaint(runtime, case_id, body["user"]["id"])
        after(case_id)
        if not result.changed:
            tell(body, result.message)

    def status_action(action_id: str, status: CaseStatus) -> None:
        @app.action(action_id)
        def handler(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            case_id, _ = ids.decode(action["value"])
            result = casework.set_status(runtime, case_id, status, body["user"]["id"])
            after(case_id)
            if not result.changed:
                tell(body, result.message)

    status_action(ids.RESOLVE, CaseStatus.RESOLVED)
    status_action(ids.REOPEN, CaseStatus.REOPENED)
    status_action(ids.ACKNOWLEDGE, CaseStatus.ACKNOWLEDGED)

    @app.action(ids.ASSIGN_ME)
    def assign_me(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        case_id, _ = ids.decode(action["value"])
        user = body["user"]["id"]
        result = casework.assign(runtime, case_id, user, user)
        after(case_id)
        if not result.changed:
            tell(body, result.message)

    @app.action(ids.ASSIGN_TO)
    def assign_to(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        case_id = ids.decode(action["block_id"].rpartition(":")[2] + ":0")[0] \
            if "block_id" in action and ":" in action["block_id"] else None
        if case_id is None:
            tell(body, messages.interaction_expired())
            return
        result = casework.assign(runtime, case_id, action["selected_user"], body["user"]["id"])
        after(case_id)
        if not result.changed:
            tell(body, result.message)

    @app.action(ids.OPEN_THREAD)
    def open_thread(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL; we only acknowledge

    return app
