"""Only the team acts: every case action checks who clicked and where, and a refusal changes nothing.

The Bolt app is driven in-process (Slack's payloads, dispatched synchronously) against the local
fake Web API; two brands share the workspace, so a forged value can name the other brand's case.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from alerts import action_ids as ids
from alerts import messages
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.slack_app import Desk, Origin, Responders, build_app
from monitor import casework
from monitor.domain import CaseStatus
from monitor.helpdesk_types import TicketCreated, TicketRequest
from monitor.models import CaseRow, CustomerLinkRow, LabelRow, OutboxRow, TicketRow
from monitor.poller import poll_all
from monitor.settings import Helpdesk
from monitor.store import Store
from tests.factories import World, make_world, post
from tests.fake_slack import FakeSlack

ACME, BOLT, LOBBY = "C0ACME", "C0BOLT", "C0LOBBY"
RESPONDER, GROUPIE, HELPER, HELP_GROUPIE = "U0ALLOWED", "U0GROUPIE", "U0HELPER", "U0HELPGROUP"
STRANGER, BOLTER = "U0STRANGER", "U0BOLTER"
GROUPS = {"S0TEAM": [GROUPIE], "S0HELPERS": [HELP_GROUPIE]}

# Acme (from tests.factories) gets a team, and no waves: each test's complaint keeps an alert of
# its own. Bolt is a second brand with its own channel and responder.
EXTRA = f"""\
    team: [{HELPER}, S0HELPERS]
    waves:
      enabled: false
  - id: bolt
    name: Bolt Bikes
    keywords: [bolt]
    slack:
      channel: {BOLT}
    responders: [{BOLTER}]
    sources:
      - type: replay
        name: posts
        options:
          path: bolt-posts.jsonl
          reply_log: bolt-replies.jsonl
"""


@dataclass
class Workspace:
    """Two brands, their alerts posted, the app built; `acme` is this test's own fresh case."""

    world: World
    slack: FakeSlack
    app: App
    client: WebClient
    bolt: int  # the Bolt case's id (no test changes it)
    acme: int = 0
    pool: list[int] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.world.runtime.store

    def fresh(self) -> Workspace:
        """Give the next test a case no other test touched, and forget earlier calls to Slack."""
        if not self.pool:
            self.pool = _alert(self, 30)
        self.acme = self.pool.pop(0)
        self.marks = {m: len(self.slack.of(m)) for m in ("chat.postEphemeral", "response", "views.open",
                                                         "usergroups.users.list")}
        return self

    def since(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.slack.of(method)[self.marks.get(method, 0):]]

    def dispatch(self, payload: dict[str, Any]) -> int:
        request = BoltRequest(body=urlencode({"payload": json.dumps(payload)}),
                              headers={"content-type": ["application/x-www-form-urlencoded"]})
        return self.app.dispatch(request).status

    def click(self, user: str, channel: str, action: dict[str, Any]) -> int:
        return self.dispatch({
            "type": "block_actions", "api_app_id": "A0FAKE", "token": "unused",
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": "1.2.abc",
            "container": {"type": "message", "message_ts": "1700000001.000100", "channel_id": channel},
            "channel": {"id": channel, "name": channel.lower()},
            "message": {"ts": "1700000001.000100", "text": ""},
            "response_url": self.slack.url.replace("/api/", "/response"), "actions": [action],
        })

    def submit(self, user: str, metadata: str, text: str = "Sorry, we're on it. DM us?") -> int:
        return self.dispatch({
            "type": "view_submission", "api_app_id": "A0FAKE", "token": "unused",
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": "1.2.abc",
            "view": {"id": "V0FAKE", "type": "modal", "callback_id": ids.EDIT_MODAL,
                     "private_metadata": metadata,
                     "state": {"values": {ids.EDIT_INPUT_BLOCK: {ids.EDIT_INPUT: {
                         "type": "plain_text_input", "value": text}}}}},
        })

    def command(self, user: str, channel: str, text: str) -> int:
        request = BoltRequest(body=urlencode({
            "command": ids.SLASH_COMMAND, "text": text, "user_id": user, "channel_id": channel,
            "channel_name": channel.lower(), "team_id": "T0FAKE", "trigger_id": "1.2",
            "response_url": self.slack.url.replace("/api/", "/response")}),
            headers={"content-type": ["application/x-www-form-urlencoded"]})
        return self.app.dispatch(request).status

    def shortcut(self, user: str, channel: str, text: str) -> int:
        return self.dispatch({
            "type": "message_action", "callback_id": ids.FLAG_SHORTCUT, "api_app_id": "A0FAKE",
            "token": "unused", "trigger_id": "1.2.abc", "user": {"id": user}, "team": {"id": "T0FAKE"},
            "channel": {"id": channel, "name": channel.lower()}, "message_ts": "1.0",
            "message": {"type": "message", "text": text, "ts": "1.0"},
            "response_url": self.slack.url.replace("/api/", "/response"),
        })

    def notes(self) -> list[dict[str, Any]]:
        """The private answers sent in this test."""
        return self.since("chat.postEphemeral")

    def answers(self) -> list[dict[str, Any]]:
        """The answers to commands and shortcuts (through their response_url) in this test."""
        return self.since("response")

    def state(self, case_id: int) -> dict[str, Any]:
        """Everything an action could change, for one case and the tables it writes."""
        case = self.store.case(case_id)
        return {
            "status": case.status, "assignee": case.assignee, "replied_at": case.replied_at,
            "closed_at": case.closed_at, "followup": case.followup_outcome,
            "events": [(e.actor, e.kind) for e in self.store.events(case_id)],
            "labels": self.store.count(LabelRow), "outbox": self.store.count(OutboxRow),
            "links": self.store.count(CustomerLinkRow), "replies": len(self.world.reply_lines()),
            "modals": len(self.slack.of("views.open")), "tickets": self.store.count(TicketRow),
        }


_POST_IDS = itertools.count()


def _alert(ws: Workspace, count: int) -> list[int]:
    """Post `count` new Acme complaints (distinct customers), alert them; return their case ids."""
    numbers = [next(_POST_IDS) for _ in range(count)]
    ws.world.add_posts(*[post(f"a{i}", f"acme parcel {i} is late, refund please", author=f"c{i}",
                              minutes_ago=2) for i in numbers])
    known = {c.id for c in ws.store.cases(brand_id="acme", limit=10_000)}
    poll_all(ws.world.runtime)
    flush(ws.world.runtime, SlackDelivery(ws.client))
    new = sorted(c.id for c in ws.store.cases(brand_id="acme", limit=10_000) if c.id not in known)
    assert len(new) == count and all(ws.store.case(c).slack_channel == ACME for c in new)
    return new


class _Helpdesk:
    """A helpdesk that opens every ticket asked for (the hand-off itself is tests/alerts/test_tickets.py)."""

    system, title = "webhook", "Helpdesk"

    def create(self, ticket: TicketRequest) -> TicketCreated:
        return TicketCreated(id=ticket.reference, url="", status="open")


def _give_acme_a_helpdesk(world: World) -> None:
    config = world.runtime.config
    acme = config.brand("acme").model_copy(update={"helpdesk": Helpdesk(
        type="webhook", url="http://127.0.0.1:9/unused", secret_env="UNUSED")})
    world.runtime.config = config.model_copy(update={"brands": [acme, *config.brands[1:]]})
    world.runtime.helpdesk_overrides["acme"] = _Helpdesk()  # type: ignore[assignment]


def _build(tmp_path: Path, slack: FakeSlack) -> Workspace:
    world = make_world(tmp_path, "sqlite://", extra=EXTRA)  # in memory: no fsync per commit
    world.clock.now = datetime.now(UTC).replace(microsecond=0)
    (tmp_path / "bolt-posts.jsonl").write_text(
        json.dumps(post("b1", "bolt bike arrived broken, refund please", minutes_ago=2)) + "\n")
    _give_acme_a_helpdesk(world)
    client = WebClient(token="xoxb-test", base_url=slack.url)
    app = build_app(world.runtime, client, request_verification_enabled=False,
                    process_before_response=True)
    ws = Workspace(world, slack, app, client, bolt=0)
    ws.pool = _alert(ws, 1)
    [bolt] = world.runtime.store.cases(brand_id="bolt")
    assert bolt.slack_channel == BOLT
    ws.bolt = bolt.id
    return ws.fresh()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with FakeSlack(usergroups=GROUPS) as slack:
        yield _build(tmp_path_factory.mktemp("auth"), slack)


@pytest.fixture
def ws(shared: Workspace) -> Workspace:
    """The shared workspace, with a case of this test's own."""
    return shared.fresh()


# Each action: how the button names the case, what must hold before, what "it changed" means.

def _value(ws: Workspace, case_id: int, action_id: str) -> dict[str, Any]:
    if action_id == ids.ASSIGN_TO:  # a users_select: the case is in the block id
        return {"action_id": action_id, "type": "users_select", "selected_user": GROUPIE,
                "block_id": ids.case_block_id(case_id, "controls"), "action_ts": "1"}
    if action_id in (ids.PUBLISH, ids.EDIT):
        [first, *_] = ws.store.suggestions(case_id)
        value = ids.encode(case_id, first.id)
    else:
        value = ids.encode(case_id)
    return {"action_id": action_id, "type": "button", "value": value,
            "block_id": ids.case_block_id(case_id, "controls"), "action_ts": "1"}


def _prepare(ws: Workspace, action_id: str) -> None:
    """Put the Acme case where the button makes sense (as its responder would have)."""
    runtime = ws.world.runtime
    if action_id == ids.FLAG_COMPLAINT:
        assert casework.mark_not_complaint(runtime, ws.acme, RESPONDER).changed
    elif action_id in (ids.REOPEN, ids.FOLLOWUP_SATISFIED, ids.FOLLOWUP_NOT_SATISFIED):
        assert casework.set_status(runtime, ws.acme, CaseStatus.RESOLVED, RESPONDER).changed


Check = Callable[[dict[str, Any], dict[str, Any], str], bool]


def _published(before: dict[str, Any], after: dict[str, Any], _user: str) -> bool:
    return after["replied_at"] is not None and after["replies"] == before["replies"] + 1


CHANGED: dict[str, Check] = {
    ids.PUBLISH: _published,
    ids.EDIT: lambda before, after, _u: after["modals"] == before["modals"] + 1,
    "edit_submit": _published,
    ids.NOT_COMPLAINT: lambda before, after, _u: (after["status"] == CaseStatus.NOT_A_COMPLAINT
                                                  and after["labels"] == before["labels"] + 1),
    ids.FLAG_COMPLAINT: lambda before, after, _u: (after["status"] == CaseStatus.REOPENED
                                                   and after["labels"] == before["labels"] + 1),
    ids.ACKNOWLEDGE: lambda before, after, _u: after["status"] == CaseStatus.ACKNOWLEDGED,
    ids.ASSIGN_ME: lambda before, after, user: after["assignee"] == user,
    ids.ASSIGN_TO: lambda before, after, _u: after["assignee"] == GROUPIE,
    ids.RESOLVE: lambda before, after, _u: after["status"] == CaseStatus.RESOLVED,
    ids.REOPEN: lambda before, after, _u: after["status"] == CaseStatus.REOPENED,
    ids.FOLLOWUP_SATISFIED: lambda before, after, _u: after["followup"] == "satisfied",
    ids.CREATE_TICKET: lambda before, after, _u: after["tickets"] == before["tickets"] + 1,
    ids.FOLLOWUP_NOT_SATISFIED: lambda before, after, _u: (after["followup"] == "not satisfied"
                                                           and after["status"] == CaseStatus.REOPENED),
}
PUBLISHING = {ids.PUBLISH, ids.EDIT, "edit_submit"}
HANDLED = {a for a in ids.ALL_ACTIONS if a not in (ids.OPEN_THREAD, ids.OPEN_POST)}


def test_the_table_covers_every_action_that_does_something() -> None:
    assert set(CHANGED) == HANDLED | {"edit_submit"}


@dataclass(frozen=True)
class Role:
    name: str
    user: str
    channel: str
    forged: bool = False  # the value names Acme's case, clicked in Bolt's channel by Bolt's responder


ROLES = [
    Role("stranger", STRANGER, ACME),
    Role("other_brand_forged", BOLTER, BOLT, forged=True),
    Role("responder_wrong_channel", RESPONDER, LOBBY),
    Role("team_member", HELPER, ACME),
    Role("responder", RESPONDER, ACME),
]


def _allowed(role: Role, action_id: str) -> bool:
    if role.name == "responder":
        return True
    return role.name == "team_member" and action_id not in PUBLISHING


def _act(ws: Workspace, role: Role, action_id: str) -> int:
    if action_id == "edit_submit":
        return ws.submit(role.user, ids.encode_metadata(ws.acme, role.channel))
    return ws.click(role.user, role.channel, _value(ws, ws.acme, action_id))


def _expected_refusal(ws: Workspace, role: Role, action_id: str) -> str:
    acme = ws.world.runtime.brand("acme")
    if role.channel != ACME:
        on_team = role.user in (RESPONDER, HELPER)
        return messages.wrong_channel(ws.store.case(ws.acme).reference if on_team else None)
    if action_id in PUBLISHING:
        return messages.not_allowed(acme.name, acme.responders)
    return messages.not_on_team(acme.name, [*acme.responders, *acme.team])


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
@pytest.mark.parametrize("action_id", sorted(CHANGED))
def test_every_action__only_the_team_in_the_case_channel(ws: Workspace, action_id: str, role: Role) -> None:
    _prepare(ws, action_id)
    before, bolt_before = ws.state(ws.acme), ws.state(ws.bolt)

    assert _act(ws, role, action_id) == 200

    after = ws.state(ws.acme)
    assert ws.state(ws.bolt) == bolt_before | {k: after[k] for k in ("labels", "outbox", "replies",
                                                                     "modals", "links", "tickets")}
    if _allowed(role, action_id):
        assert CHANGED[action_id](before, after, role.user), (before, after)
        assert ws.notes() == []  # a change needs no private answer
        return
    assert after == before
    assert not CHANGED[action_id](before, after, role.user)
    [note] = ws.notes()
    assert note["user"] == role.user
    assert note["channel"] == role.channel
    assert note["text"] == _expected_refusal(ws, role, action_id)
    if role.forged or role.user == STRANGER:
        case = ws.store.case(ws.acme)
        assert case.reference not in note["text"] and case.mention.text not in note["text"]
    if role.forged:
        assert "Acme" not in note["text"]


def test_assign_to__someone_off_the_team_is_refused_privately(ws: Workspace) -> None:
    before = ws.state(ws.acme)
    action = dict(_value(ws, ws.acme, ids.ASSIGN_TO), selected_user="U0PICKED")
    assert ws.click(RESPONDER, ACME, action) == 200
    assert ws.state(ws.acme) == before
    [note] = ws.notes()
    assert note["user"] == RESPONDER
    assert note["text"] == messages.assignee_not_on_team("U0PICKED", "Acme Coffee")


def test_assign_to__a_cleared_picker_changes_nothing(ws: Workspace) -> None:
    before = ws.state(ws.acme)
    action = {k: v for k, v in _value(ws, ws.acme, ids.ASSIGN_TO).items() if k != "selected_user"}
    assert ws.click(RESPONDER, ACME, action) == 200
    assert ws.state(ws.acme) == before and ws.notes() == []


def test_forged_value__bolts_responder_cannot_resolve_acmes_case_even_in_acmes_channel(
        ws: Workspace) -> None:
    before, bolt_before = ws.state(ws.acme), ws.state(ws.bolt)
    assert ws.click(BOLTER, ACME, _value(ws, ws.acme, ids.RESOLVE)) == 200
    assert ws.click(RESPONDER, ACME, _value(ws, ws.bolt, ids.RESOLVE)) == 200  # Acme's, on Bolt's case
    assert ws.state(ws.acme) == before and ws.state(ws.bolt) == bolt_before
    assert ws.store.case(ws.bolt).status != CaseStatus.RESOLVED
    first, second = ws.notes()
    assert first["text"] == messages.not_on_team("Acme Coffee", [RESPONDER, "S0TEAM", HELPER, "S0HELPERS"])
    bolt = ws.store.case(ws.bolt)
    assert second["text"] == messages.wrong_channel(None)
    assert bolt.reference not in second["text"] and "Bolt" not in second["text"]


# The edit modal: the channel it was opened from travels in private_metadata.

def _open_modal(ws: Workspace, user: str = RESPONDER) -> str:
    assert ws.click(user, ACME, _value(ws, ws.acme, ids.EDIT)) == 200
    [opened] = ws.since("views.open")
    return str(opened["view"]["private_metadata"])


def test_modal__remembers_its_channel_and_publishes_on_submit(ws: Workspace) -> None:
    metadata = _open_modal(ws)
    assert ids.decode_modal(metadata) == (ws.acme, ACME)
    assert ws.submit(RESPONDER, metadata, "Edited by hand") == 200
    case = ws.store.case(ws.acme)
    assert case.replied_by == RESPONDER and case.reply_text == "Edited by hand"
    assert ws.notes() == []


@pytest.mark.parametrize("metadata", [
    lambda ws: ids.encode_metadata(ws.acme, BOLT),  # the channel tampered with: another brand's
    lambda ws: ids.encode_metadata(ws.acme, LOBBY),  # ... or any other
    lambda ws: ids.encode_metadata(ws.acme),  # no channel at all (an old or forged modal)
], ids=["other_brands_channel", "other_channel", "no_channel"])
def test_modal__tampered_channel_is_refused(ws: Workspace, metadata: Callable[[Workspace], str]) -> None:
    _open_modal(ws)
    before = ws.state(ws.acme)
    assert ws.submit(RESPONDER, metadata(ws)) == 200
    assert ws.state(ws.acme) == before and ws.store.case(ws.acme).replied_at is None
    [note] = ws.notes()
    assert note["user"] == RESPONDER
    assert note["text"] == messages.wrong_channel(ws.store.case(ws.acme).reference)


def test_modal__the_user_is_checked_again_at_submit(ws: Workspace) -> None:
    metadata = _open_modal(ws)
    before = ws.state(ws.acme)
    assert ws.submit(HELPER, metadata) == 200  # the right channel, but not a responder
    assert ws.state(ws.acme) == before
    [note] = ws.notes()
    assert note["user"] == HELPER and note["channel"] == ACME
    assert note["text"] == messages.not_allowed("Acme Coffee", [RESPONDER, "S0TEAM"])


# User groups: an S… id in responders (or team) counts its members, cached.

@pytest.mark.parametrize(("members", "published"), [([GROUPIE], True), ([], False)],
                         ids=["in_the_group", "left_the_group"])
def test_user_group_in_responders__grants_publish(tmp_path: Path, members: list[str],
                                                  published: bool) -> None:
    with FakeSlack(usergroups={"S0TEAM": members}) as slack:
        ws = _build(tmp_path, slack)
        assert ws.click(GROUPIE, ACME, _value(ws, ws.acme, ids.PUBLISH)) == 200
        assert (ws.store.case(ws.acme).replied_by == GROUPIE) is published
        assert any(c.params["usergroup"] == "S0TEAM" for c in slack.of("usergroups.users.list"))
        assert [n["text"] for n in ws.notes()] == (
            [] if published else [messages.not_allowed("Acme Coffee", [RESPONDER, "S0TEAM"])])


def test_user_group_in_team__acts_but_does_not_publish(ws: Workspace) -> None:
    assert ws.click(HELP_GROUPIE, ACME, _value(ws, ws.acme, ids.ACKNOWLEDGE)) == 200
    assert ws.store.case(ws.acme).status == CaseStatus.ACKNOWLEDGED
    assert ws.click(HELP_GROUPIE, ACME, _value(ws, ws.acme, ids.PUBLISH)) == 200
    assert ws.store.case(ws.acme).replied_at is None
    [note] = ws.notes()
    assert note["user"] == HELP_GROUPIE and "can publish replies" in note["text"]


def test_user_groups_are_cached_between_clicks(ws: Workspace) -> None:
    for action_id in (ids.ACKNOWLEDGE, ids.ASSIGN_ME, ids.RESOLVE):
        assert ws.click(GROUPIE, ACME, _value(ws, ws.acme, action_id)) == 200
    assert ws.store.case(ws.acme).status == CaseStatus.RESOLVED
    asked = [c for c in ws.since("usergroups.users.list") if c["usergroup"] == "S0TEAM"]
    assert len(asked) <= 1  # once at most (none when an earlier test filled the cache)


# The slash command and the message shortcut.

@pytest.mark.parametrize(("user", "channel", "linked"), [
    (STRANGER, ACME, None),
    (BOLTER, ACME, None),  # Bolt's responder in Acme's channel
    (HELPER, ACME, "acme"),
    (RESPONDER, ACME, "acme"),
    (RESPONDER, LOBBY, "acme"),  # outside brand channels: the one brand whose team they are on
    (BOLTER, BOLT, "bolt"),
    (STRANGER, LOBBY, None),
], ids=["stranger", "other_brand", "team_member", "responder", "responder_elsewhere",
        "other_brand_at_home", "stranger_elsewhere"])
def test_slash_link__only_the_team_links_its_brands_customers(ws: Workspace, user: str, channel: str,
                                                              linked: str | None) -> None:
    a, b = f"x:maya{ws.acme}", f"reddit:maya{ws.acme}"  # handles no other test links
    assert ws.command(user, channel, f"link {a} {b}") == 200
    assert ws.store.linked_keys("acme", {a}) == ({a, b} if linked == "acme" else {a})
    assert ws.store.linked_keys("bolt", {a}) == ({a, b} if linked == "bolt" else {a})
    [answer] = ws.answers()
    assert answer["response_type"] == "ephemeral"
    assert ("Linked" in answer["text"]) is (linked is not None)


def test_slash_queue__shows_only_the_askers_brands(ws: Workspace) -> None:
    runtime = ws.world.runtime
    assert casework.assign(runtime, ws.acme, RESPONDER, RESPONDER).changed
    assert casework.assign(runtime, ws.bolt, RESPONDER, BOLTER).changed  # not Acme's to see
    assert ws.command(RESPONDER, LOBBY, "mine") == 200
    assert ws.command(STRANGER, LOBBY, "open") == 200
    assert ws.command(STRANGER, ACME, "open") == 200
    mine, strangers, in_channel = ws.answers()
    listed = json.dumps(mine["blocks"])
    assert ws.store.case(ws.acme).reference in listed
    assert ws.store.case(ws.bolt).reference not in listed and "Bolt" not in listed
    assert strangers["text"] == messages.no_team_here() and "blocks" not in strangers
    assert in_channel["text"] == messages.not_on_team("Acme Coffee",
                                                      [RESPONDER, "S0TEAM", HELPER, "S0HELPERS"])


@pytest.mark.parametrize(("user", "labelled"), [(STRANGER, False), (BOLTER, False), (HELPER, True)])
def test_flag_shortcut__labels_come_only_from_the_team(ws: Workspace, user: str, labelled: bool) -> None:
    casework.mark_not_complaint(ws.world.runtime, ws.acme, RESPONDER)
    before = ws.state(ws.acme)
    url = ws.store.case(ws.acme).mention.url
    assert url
    assert ws.shortcut(user, LOBBY, f"look at this <{url}>") == 200
    after = ws.state(ws.acme)
    if labelled:
        assert after["labels"] == before["labels"] + 1 and after["status"] == CaseStatus.REOPENED
    else:
        assert after == before
        [answer] = ws.answers()
        assert answer["text"] == messages.no_team_here()


# The rule itself, for a brand whose channel is written as a #name in brands.yaml.

def test_refusal__a_channel_named_in_brands_yaml_matches_the_clicks_channel_name(ws: Workspace) -> None:
    acme = ws.world.runtime.brand("acme")
    named = acme.model_copy(update={"slack": acme.slack.model_copy(update={"channel": "#acme-care"})})
    desk = Desk(ws.world.runtime, SlackDelivery(WebClient(base_url=ws.slack.url)),
                Responders(WebClient(base_url=ws.slack.url)))
    unposted = CaseRow(reference="ACME-0009", brand_id="acme", slack_channel=None)
    assert desk.refusal(Origin(RESPONDER, "C0CARE", "acme-care"), named, "act", unposted) is None
    assert desk.refusal(Origin(RESPONDER, "C0CARE", "random"), named, "act", unposted) == (
        messages.wrong_channel("ACME-0009"))
    assert desk.refusal(Origin(STRANGER, "C0CARE", "acme-care"), named, "act", unposted) == (
        messages.not_on_team("Acme Coffee", [RESPONDER, "S0TEAM", HELPER, "S0HELPERS"]))
