"""The Bolt app: one handler per action, each acknowledging first, then doing the work."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts import messages
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from monitor.casework import ActionResult
from monitor.errors import PlatformError
from monitor.ports import Services as Runtime
from monitor.records import Case
from monitor.settings import BrandConfig

log = logging.getLogger(__name__)
GROUP_CACHE_SECONDS = 300


class Responders:
    """Who is on a list of ids: listed users, or members of listed user groups (cached 5 min)."""

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


Action = Literal["publish", "act"]
"""What a handler asks leave for: publishing (responders only), or any other change (the team)."""


@dataclass(frozen=True)
class Origin:
    """Who clicked (or typed a command), and in which channel, as Slack's signed payload says."""

    user: str
    channel: str | None = None
    channel_name: str | None = None


def origin(body: Mapping[str, Any]) -> Origin:
    """Read the clicker and the channel from a block action, shortcut, view or command payload."""
    user = (body.get("user") or {}).get("id") or body.get("user_id") or ""
    channel = body.get("channel") or {}
    where = channel.get("id") or (body.get("container") or {}).get("channel_id") or body.get("channel_id")
    name = channel.get("name") or body.get("channel_name")
    return Origin(str(user), str(where) if where else None, str(name) if name else None)


def _same_channel(configured: str, where: Origin) -> bool:
    """True when `configured` (an id, or a #name from brands.yaml) is the channel of `where`."""
    if configured.startswith("#"):
        return where.channel_name is not None and configured[1:].lower() == where.channel_name.lower()
    return where.channel is not None and configured == where.channel


def button_channels(brand: BrandConfig, case: Case) -> tuple[str, ...]:
    """The channels where a case's buttons are posted, hence the only ones its clicks come from.

    The alert, its updates, reminders and the follow-up question go to the case's channel (the
    brand's channel, or a wave's); escalations posted elsewhere carry no buttons (alerts.sender).
    """
    return tuple(dict.fromkeys(c for c in (case.slack_channel, brand.slack.channel) if c))


@dataclass(frozen=True)
class Refusal:
    """Why a click changes nothing, and where to tell the clicker privately."""

    text: str
    channel: str | None


@dataclass
class Desk:
    """What every handler shares: the cases, the way to Slack, and who may act on them."""

    runtime: Runtime
    delivery: SlackDelivery
    responders: Responders

    def refresh(self) -> None:
        """Send the updates the action queued, now, so the clicker sees them at once."""
        flush(self.runtime, self.delivery)

    def tell(self, body: dict[str, Any], text: str, channel: str | None = None) -> None:
        """Answer the person who clicked, privately."""
        where = channel or origin(body).channel
        if not (where and text):
            return
        try:
            self.delivery.ephemeral(where, origin(body).user, text)
        except PlatformError as exc:  # e.g. the clicker is not in that channel: nothing to undo
            log.warning("could not answer %s in %s privately: %s", origin(body).user, where, exc)

    def member(self, brand: BrandConfig, user: str, action: Action) -> bool:
        """May `user` do `action` for `brand`: publish (responders), act (responders or team)?"""
        allowed = brand.responders if action == "publish" else brand.acting
        return bool(user) and self.responders.allowed(user, allowed)

    def refusal(self, where: Origin, brand: BrandConfig, action: Action,
                case: Case | None = None) -> str | None:
        """The one rule: why `where.user` may not do `action` on `case` (or on `brand`), or None.

        A case's buttons work only in the channels they are posted in, so a value naming
        another brand's case fails here before anything of that case is said; then publishing
        needs a responder and every other action a responder or a team member.
        """
        on_team = self.member(brand, where.user, "act")
        if case is not None and not any(_same_channel(c, where) for c in button_channels(brand, case)):
            return messages.wrong_channel(case.reference if on_team else None)
        if action == "publish" and not self.member(brand, where.user, "publish"):
            return messages.not_allowed(brand.name, brand.responders)
        if not on_team:
            return messages.not_on_team(brand.name, [*brand.responders, *brand.team])
        return None

    def verdict(self, body: dict[str, Any], case_id: int, action: Action,
                channel: str | None = None) -> Case | Refusal:
        """The case, if the clicker may do `action` on it from where they clicked; else why not.

        `channel` stands in for the payload's channel (a modal's submission has none: pass the
        one its private_metadata recorded when it was opened).
        """
        where = origin(body)
        if channel is not None or body.get("type") == "view_submission":
            where = replace(where, channel=channel, channel_name=None)
        try:
            case = self.runtime.store.case(case_id)
            brand = self.runtime.brand(case.brand_id)
        except KeyError:
            return Refusal(messages.interaction_expired(), where.channel)
        text = self.refusal(where, brand, action, case)
        if text is None:
            return case
        log.warning("refused %s on case %d by %s in %s", action, case_id, where.user or "?",
                    where.channel or "no channel")
        return Refusal(text, where.channel or case.slack_channel or brand.slack.channel)

    def authorize(self, body: dict[str, Any], case_id: int, action: Action,
                  channel: str | None = None) -> Case | None:
        """The case, if the clicker may do `action` on it here; else tell them why, privately."""
        found = self.verdict(body, case_id, action, channel)
        if isinstance(found, Refusal):
            self.tell(body, found.text, found.channel)
            return None
        return found

    def brands_for(self, body: Mapping[str, Any], action: Action) -> list[BrandConfig] | str:
        """The brands a command may touch: the channel's brand, or outside brand channels every
        brand whose team the user is on; a refusal's text when there is none."""
        where = origin(body)
        here = [b for b in self.runtime.config.brands if _same_channel(b.slack.channel, where)]
        if here:
            mine = [b for b in here if self.member(b, where.user, action)]
            if mine:
                return mine
            if action == "publish":
                return messages.not_allowed(here[0].name, here[0].responders)
            return messages.not_on_team(here[0].name, [*here[0].responders, *here[0].team])
        mine = [b for b in self.runtime.config.brands if self.member(b, where.user, action)]
        return mine or messages.no_team_here()

    def report(self, body: dict[str, Any], result: ActionResult, channel: str | None = None) -> None:
        """Send the action's updates, and tell the clicker privately when it changed nothing."""
        self.refresh()
        if not result.changed:
            self.tell(body, messages.outcome_text(result), channel)


def build_app(runtime: Runtime, client: WebClient, signing_secret: str | None = None,
              **app_options: Any) -> App:
    """Create the Bolt app wired to the runtime's cases."""
    from alerts import (
        handlers_approval,
        handlers_case,
        handlers_command,
        handlers_reply,
        handlers_ticket,
        home_tab,
    )

    app = App(client=client, signing_secret=signing_secret, token_verification_enabled=False,
              **app_options)
    desk = Desk(runtime, SlackDelivery(client), Responders(client))
    handlers_reply.register(app, desk)
    handlers_approval.register(app, desk)
    handlers_case.register(app, desk)
    handlers_ticket.register(app, desk)
    handlers_command.register(app, desk)
    home_tab.register(app, desk)
    return app
