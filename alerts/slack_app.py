"""The Bolt app: one handler per action, each acknowledging first, then doing the work."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts import messages
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from monitor.casework import ActionResult
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


@dataclass
class Desk:
    """What every handler shares: the cases, the way to Slack, and who may publish."""

    runtime: Runtime
    delivery: SlackDelivery
    responders: Responders

    def refresh(self) -> None:
        """Send the updates the action queued, now, so the clicker sees them at once."""
        flush(self.runtime, self.delivery)

    def tell(self, body: dict[str, Any], text: str, channel: str | None = None) -> None:
        """Answer the person who clicked, privately."""
        where = channel or (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id")
        if where and text:
            self.delivery.ephemeral(where, body["user"]["id"], text)

    def may_publish(self, body: dict[str, Any], case_id: int) -> bool:
        """True for the brand's responders; anyone else is told, privately, who can."""
        brand = self.runtime.brand(self.runtime.store.case(case_id).brand_id)
        if self.responders.allowed(body["user"]["id"], brand.responders):
            return True
        self.tell(body, messages.not_allowed(brand.name, brand.responders), brand.slack.channel)
        return False

    def report(self, body: dict[str, Any], result: ActionResult) -> None:
        self.refresh()
        if not result.changed:
            self.tell(body, result.error or result.message)


def build_app(runtime: Runtime, client: WebClient, signing_secret: str | None = None,
              **app_options: Any) -> App:
    """Create the Bolt app wired to the runtime's cases."""
    from alerts import handlers_case, handlers_command, handlers_reply

    app = App(client=client, signing_secret=signing_secret, token_verification_enabled=False,
              **app_options)
    desk = Desk(runtime, SlackDelivery(client), Responders(client))
    handlers_reply.register(app, desk)
    handlers_case.register(app, desk)
    handlers_command.register(app, desk)
    return app
