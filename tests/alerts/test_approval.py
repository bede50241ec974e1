"""Approval of replies, as Slack sends the clicks: signed payloads over HTTP to the Bolt app,
against the local fake Web API. A proposer's Send files a proposal in the alert's thread;
only a responder, in the case's channel, approves, edits or rejects it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from alerts import action_ids as ids
from alerts import messages
from alerts.delivery import SlackDelivery
from alerts.http_server import serve_slack
from alerts.sender import flush
from alerts.slack_app import build_app
from monitor.outbox import LEASE
from monitor.poller import poll_all
from monitor.settings import Environment
from monitor.store_proposals import Proposal, Proposals
from tests.factories import World, make_world, post
from tests.fake_slack import FakeSlack
from tests.test_story import buttons

SECRET = "approval-signing-secret"
ACME, LOBBY = "C0ACME", "C0LOBBY"
RESPONDER, GROUPIE = "U0ALLOWED", "U0GROUPIE"  # a responder, and one through the S0TEAM group
PROPOSER, JUNIOR = "U0PROPOSER", "U0JUNIOR"  # may only propose (JUNIOR through S0JUNIORS)
HELPER, STRANGER = "U0HELPER", "U0STRANGER"  # on the team without proposing; on no team
EXTRA = f"""\
    team: [{HELPER}]
    approval:
      propose_only: [{PROPOSER}, S0JUNIORS]
    waves:
      enabled: false
"""
ALERT_TS = "1700000001.000100"


@dataclass
class Desk:
    world: World
    slack: FakeSlack
    port: int
    delivery: SlackDelivery

    @property
    def proposals(self) -> Proposals:
        return Proposals(self.world.runtime.store)

    def complaint(self, pid: str = "1") -> int:
        """A new complaint, alerted; its case id."""
        known = {c.id for c in self.world.runtime.store.cases(limit=1000)}
        self.world.add_posts(post(pid, f"acme parcel {pid} is late, refund please", author=f"c{pid}",
                                  minutes_ago=2))
        poll_all(self.world.runtime)
        flush(self.world.runtime, self.delivery)
        [case] = [c for c in self.world.runtime.store.cases(limit=1000) if c.id not in known]
        return case.id

    def send(self, user: str, case_id: int, number: int = 0, channel: str = ACME) -> int:
        """Click "Send reply" on suggestion `number` of the case's alert."""
        suggestion = self.world.runtime.store.suggestions(case_id)[number]
        return self.click(user, {"action_id": ids.PUBLISH, "type": "button",
                                 "value": ids.encode(case_id, suggestion.id),
                                 "block_id": ids.case_block_id(case_id, "reply_1"), "action_ts": "1"},
                          channel)

    def on_proposal(self, user: str, action_id: str, proposal: Proposal, channel: str = ACME) -> int:
        """Click a button of the proposal's message in the thread, as it was posted."""
        [button] = buttons(self.proposal_posts(proposal)[0]["blocks"], action_id)
        return self.click(user, button, channel)

    def click(self, user: str, action: dict[str, Any], channel: str = ACME) -> int:
        return self.signed({
            "type": "block_actions", "api_app_id": "A0FAKE", "token": "unused",
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": "1.2.abc",
            "container": {"type": "message", "message_ts": ALERT_TS, "channel_id": channel},
            "channel": {"id": channel, "name": channel.lower()},
            "message": {"ts": ALERT_TS, "text": ""},
            "response_url": f"http://127.0.0.1:{self.port}/unused", "actions": [action]})

    def submit(self, user: str, modal: dict[str, Any], values: dict[str, Any]) -> int:
        """Submit a modal as it was opened, with `values` typed into its inputs."""
        return self.signed({
            "type": "view_submission", "api_app_id": "A0FAKE", "token": "unused",
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": "1.2.abc",
            "view": {"id": "V0FAKE", "type": "modal", "callback_id": modal["callback_id"],
                     "private_metadata": modal["private_metadata"], "state": {"values": values}}})

    def signed(self, payload: dict[str, Any]) -> int:
        """POST a payload signed with the app's secret, as Slack does."""
        body = urlencode({"payload": json.dumps(payload)})
        timestamp = str(int(time.time()))
        signature = str(SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body))
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    # What Slack was asked to show ------------------------------------------------------------

    def notes(self, user: str) -> list[str]:
        return [c.params["text"] for c in self.slack.of("chat.postEphemeral") if c.params["user"] == user]

    def thread(self, case_id: int) -> list[dict[str, Any]]:
        ts = self.world.runtime.store.case(case_id).slack_ts
        return [c.params for c in self.slack.of("chat.postMessage") if c.params.get("thread_ts") == ts]

    def proposal_posts(self, proposal: Proposal) -> list[dict[str, Any]]:
        return [p for p in self.thread(proposal.case_id)
                if buttons(p.get("blocks") or [], ids.APPROVE)
                and ids.decode(buttons(p["blocks"], ids.APPROVE)[0]["value"])[1] == proposal.id]

    def edits_of(self, ts: str | None) -> list[dict[str, Any]]:
        return [c.params for c in self.slack.of("chat.update") if c.params.get("ts") == ts]

    def alert_edits(self, case_id: int) -> list[dict[str, Any]]:
        return self.edits_of(self.world.runtime.store.case(case_id).slack_ts)

    def modals(self) -> list[dict[str, Any]]:
        return [c.params["view"] for c in self.slack.of("views.open")]

    def published(self) -> list[dict[str, Any]]:
        return self.world.reply_lines()

    def only_proposal(self, case_id: int) -> Proposal:
        [proposal] = self.proposals.of_case(case_id)
        return proposal


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    groups = {"S0TEAM": [GROUPIE], "S0JUNIORS": [JUNIOR]}
    # Slack's clock is ours: a post is looked up after a crash from shortly before its queueing.
    with FakeSlack(usergroups=groups, start_ts=time.time()) as slack:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          slack_signing_secret=SecretStr(SECRET),
                          database_url=f"sqlite:///{tmp_path / 'bm.db'}")
        world = make_world(tmp_path, env=env, extra=EXTRA)
        world.clock.now = datetime.now(UTC).replace(microsecond=0)
        client = WebClient(token="xoxb-test", base_url=slack.url)
        # Each click is answered after its handler ran, so a test reads its effects at once.
        app = build_app(world.runtime, client, SECRET, process_before_response=True)
        server = serve_slack(app, SECRET, host="127.0.0.1", port=0)
        try:
            yield Desk(world, slack, server.port or 0, SlackDelivery(client))
        finally:
            server.close()


def _propose(desk: Desk, case_id: int, user: str = PROPOSER, number: int = 0) -> Proposal:
    known = {p.id for p in desk.proposals.of_case(case_id)}
    assert desk.send(user, case_id, number) == 200
    [new] = [p for p in desk.proposals.of_case(case_id) if p.id not in known]
    return new


# Proposing ---------------------------------------------------------------------------------

def test_proposer_clicks_send__proposal_in_the_thread_nothing_published(desk: Desk) -> None:
    case_id = desk.complaint()
    suggestion = desk.world.runtime.store.suggestions(case_id)[0]

    assert desk.send(PROPOSER, case_id) == 200

    assert desk.published() == []
    case = desk.world.runtime.store.case(case_id)
    assert case.replied_at is None
    proposal = desk.only_proposal(case_id)
    assert (proposal.state, proposal.proposer, proposal.text) == ("pending", PROPOSER, suggestion.text)
    [posted] = desk.proposal_posts(proposal)
    assert posted["channel"] == ACME and posted["thread_ts"] == case.slack_ts
    body = json.dumps(posted["blocks"], ensure_ascii=False)
    assert f"<@{PROPOSER}>" in body and suggestion.text.splitlines()[0] in body
    assert [b["text"]["text"] for b in buttons(posted["blocks"], ids.APPROVE)
            + buttons(posted["blocks"], ids.PROPOSAL_EDIT) + buttons(posted["blocks"], ids.REJECT)] == [
        "Approve & send", "Edit & send", "Reject"]
    assert proposal.slack_ts is not None and proposal.slack_channel == ACME
    assert desk.notes(PROPOSER) == [messages.proposal_filed(case.reference, ["U0ALLOWED", "S0TEAM"])]
    assert [e.kind for e in desk.world.runtime.store.events(case_id)][-1] == "proposed"
    waiting = json.dumps(desk.alert_edits(case_id)[-1]["blocks"], ensure_ascii=False)
    assert messages.proposals_waiting(1) in waiting


def test_proposer_through_a_user_group__proposes_too(desk: Desk) -> None:
    case_id = desk.complaint()
    assert desk.send(JUNIOR, case_id) == 200
    assert desk.only_proposal(case_id).proposer == JUNIOR and desk.published() == []


def test_responder_still_publishes_directly(desk: Desk) -> None:
    case_id = desk.complaint()
    assert desk.send(RESPONDER, case_id) == 200
    assert len(desk.published()) == 1 and desk.proposals.of_case(case_id) == []
    assert desk.world.runtime.store.case(case_id).replied_by == RESPONDER


@pytest.mark.parametrize("user", [HELPER, STRANGER], ids=["team_member_not_proposer", "outsider"])
def test_neither_proposer_nor_responder__refused_as_before(desk: Desk, user: str) -> None:
    case_id = desk.complaint()
    assert desk.send(user, case_id) == 200
    assert desk.proposals.of_case(case_id) == [] and desk.published() == []
    assert desk.notes(user) == [messages.not_allowed("Acme Coffee", [RESPONDER, "S0TEAM"])]


def test_proposer_in_another_channel__refused(desk: Desk) -> None:
    case_id = desk.complaint()
    assert desk.send(PROPOSER, case_id, channel=LOBBY) == 200
    assert desk.proposals.of_case(case_id) == []
    reference = desk.world.runtime.store.case(case_id).reference
    assert desk.notes(PROPOSER) == [messages.wrong_channel(reference)]


def test_proposer_edit_modal__says_propose_and_files_the_edit(desk: Desk) -> None:
    case_id = desk.complaint()
    suggestion = desk.world.runtime.store.suggestions(case_id)[0]
    assert desk.click(PROPOSER, {"action_id": ids.EDIT, "type": "button",
                                 "value": ids.encode(case_id, suggestion.id), "action_ts": "1"}) == 200
    [modal] = desk.modals()
    assert modal["submit"]["text"] == "Propose" and modal["callback_id"] == ids.PROPOSE_MODAL
    assert ids.decode_modal(modal["private_metadata"]) == (case_id, ACME)

    text = {ids.EDIT_INPUT_BLOCK: {ids.EDIT_INPUT: {"type": "plain_text_input",
                                                    "value": "Sorry! DM us your order number?"}}}
    assert desk.submit(PROPOSER, modal, text) == 200

    proposal = desk.only_proposal(case_id)
    assert proposal.text == "Sorry! DM us your order number?" and desk.published() == []


def test_responders_edit_modal__still_says_send(desk: Desk) -> None:
    case_id = desk.complaint()
    suggestion = desk.world.runtime.store.suggestions(case_id)[0]
    assert desk.click(RESPONDER, {"action_id": ids.EDIT, "type": "button",
                                  "value": ids.encode(case_id, suggestion.id), "action_ts": "1"}) == 200
    [modal] = desk.modals()
    assert modal["submit"]["text"] == "Send" and modal["callback_id"] == ids.EDIT_MODAL


# Deciding ----------------------------------------------------------------------------------

def test_responder_approves__published_once_message_updated_event_recorded(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)

    assert desk.on_proposal(RESPONDER, ids.APPROVE, proposal) == 200

    [reply] = desk.published()
    assert reply["text"] == proposal.text
    case = desk.world.runtime.store.case(case_id)
    assert case.replied_by == RESPONDER and case.reply_text == proposal.text
    after = desk.proposals.get(proposal.id)
    assert (after.state, after.decided_by, after.edited) == ("approved", RESPONDER, False)
    [edit] = desk.edits_of(proposal.slack_ts)
    body = json.dumps(edit["blocks"], ensure_ascii=False)
    assert messages.proposal_approved(RESPONDER, edited=False) in body
    assert not buttons(edit["blocks"], ids.APPROVE), "a decided proposal has no buttons"
    kinds = [(e.actor, e.kind) for e in desk.world.runtime.store.events(case_id)]
    assert kinds[-2:] == [(RESPONDER, "replied"), (RESPONDER, "approved")]
    assert desk.notes(RESPONDER) == []
    alert = json.dumps(desk.alert_edits(case_id)[-1]["blocks"], ensure_ascii=False)
    assert "proposal waiting" not in alert


def test_double_approve__one_publish(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)

    assert desk.on_proposal(RESPONDER, ids.APPROVE, proposal) == 200
    assert desk.on_proposal(GROUPIE, ids.APPROVE, proposal) == 200  # the same button, later

    assert len(desk.published()) == 1
    [note] = desk.notes(GROUPIE)
    assert "already approved" in note and f"<@{RESPONDER}>" in note
    kinds = [e.kind for e in desk.world.runtime.store.events(case_id)]
    assert kinds.count("approved") == 1 and kinds.count("replied") == 1


@pytest.mark.parametrize("action_id", [ids.APPROVE, ids.PROPOSAL_EDIT, ids.REJECT])
@pytest.mark.parametrize("user", [PROPOSER, JUNIOR, HELPER, STRANGER])
def test_only_responders_decide__proposers_team_and_outsiders_refused(
        desk: Desk, user: str, action_id: str) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)  # PROPOSER's own; JUNIOR's is someone else's
    events = desk.world.runtime.store.events(case_id)

    assert desk.on_proposal(user, action_id, proposal) == 200

    assert desk.published() == [] and desk.modals() == []
    assert desk.proposals.get(proposal.id).state == "pending"
    assert desk.world.runtime.store.events(case_id) == events
    told = desk.notes(user)[1:] if user == PROPOSER else desk.notes(user)  # after "proposed"
    assert told == [messages.not_allowed("Acme Coffee", [RESPONDER, "S0TEAM"])]


def test_responder_in_another_channel__cannot_approve(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)
    assert desk.on_proposal(RESPONDER, ids.APPROVE, proposal, channel=LOBBY) == 200
    assert desk.published() == [] and desk.proposals.get(proposal.id).pending
    reference = desk.world.runtime.store.case(case_id).reference
    assert desk.notes(RESPONDER) == [messages.wrong_channel(reference)]


def test_edit_then_approve__publishes_the_edited_text(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)

    assert desk.on_proposal(RESPONDER, ids.PROPOSAL_EDIT, proposal) == 200
    [modal] = desk.modals()
    assert modal["callback_id"] == ids.PROPOSAL_MODAL
    assert modal["blocks"][1]["element"]["initial_value"] == proposal.text
    assert desk.published() == [], "opening the modal publishes nothing"
    edited = "Hi, so sorry about the wait. Please DM us your order number and we'll sort it today."
    values = {ids.EDIT_INPUT_BLOCK: {ids.EDIT_INPUT: {"type": "plain_text_input", "value": edited}}}
    assert desk.submit(RESPONDER, modal, values) == 200

    [reply] = desk.published()
    assert reply["text"] == edited
    after = desk.proposals.get(proposal.id)
    assert after.state == "approved" and after.edited and after.text == proposal.text
    events = desk.world.runtime.store.events(case_id)
    assert (events[-1].kind, events[-1].detail, events[-1].actor) == ("approved", "edited", RESPONDER)
    [edit] = desk.edits_of(proposal.slack_ts)
    assert messages.proposal_approved(RESPONDER, edited=True) in json.dumps(edit["blocks"],
                                                                             ensure_ascii=False)


def test_edit_modal_submitted_by_a_proposer__refused(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)
    assert desk.on_proposal(RESPONDER, ids.PROPOSAL_EDIT, proposal) == 200
    [modal] = desk.modals()
    values = {ids.EDIT_INPUT_BLOCK: {ids.EDIT_INPUT: {"type": "plain_text_input", "value": "Mine!"}}}
    assert desk.submit(PROPOSER, modal, values) == 200
    assert desk.published() == [] and desk.proposals.get(proposal.id).pending


def test_reject_with_reason__proposer_told_nothing_published(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)

    assert desk.on_proposal(RESPONDER, ids.REJECT, proposal) == 200
    [modal] = desk.modals()
    assert modal["callback_id"] == ids.REJECT_MODAL and desk.proposals.get(proposal.id).pending
    values = {ids.REJECT_INPUT_BLOCK: {ids.REJECT_INPUT: {"type": "plain_text_input",
                                                          "value": "We never promise refunds in public"}}}
    assert desk.submit(RESPONDER, modal, values) == 200

    assert desk.published() == []
    after = desk.proposals.get(proposal.id)
    assert (after.state, after.decided_by, after.note) == (
        "rejected", RESPONDER, "We never promise refunds in public")
    [edit] = desk.edits_of(proposal.slack_ts)
    assert "We never promise refunds in public" in json.dumps(edit["blocks"], ensure_ascii=False)
    told = [p for p in desk.thread(case_id) if f"<@{PROPOSER}>, <@{RESPONDER}> rejected" in p["text"]]
    assert len(told) == 1 and "We never promise refunds in public" in told[0]["text"]
    events = desk.world.runtime.store.events(case_id)
    assert (events[-1].kind, events[-1].detail) == ("rejected", "We never promise refunds in public")
    assert desk.world.runtime.store.case(case_id).replied_at is None


def test_reject_without_reason__still_rejected(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)
    assert desk.on_proposal(RESPONDER, ids.REJECT, proposal) == 200
    [modal] = desk.modals()
    values = {ids.REJECT_INPUT_BLOCK: {ids.REJECT_INPUT: {"type": "plain_text_input", "value": None}}}
    assert desk.submit(RESPONDER, modal, values) == 200
    assert desk.proposals.get(proposal.id).state == "rejected" and desk.published() == []


def test_newer_proposal_replaces_the_pending_one(desk: Desk) -> None:
    case_id = desk.complaint()
    first = _propose(desk, case_id, PROPOSER, 0)
    second = _propose(desk, case_id, JUNIOR, 1)

    assert desk.proposals.get(first.id).state == "replaced"
    assert desk.proposals.get(second.id).pending
    [edit] = desk.edits_of(first.slack_ts)
    assert messages.proposal_replaced() in json.dumps(edit["blocks"], ensure_ascii=False)

    assert desk.on_proposal(RESPONDER, ids.APPROVE, first) == 200  # the old message's button
    assert desk.published() == []
    assert "replaced by a newer one" in desk.notes(RESPONDER)[-1]

    assert desk.on_proposal(RESPONDER, ids.APPROVE, second) == 200
    [reply] = desk.published()
    assert reply["text"] == second.text


def test_approving_after_the_case_was_answered__the_proposal_was_closed_and_says_so(desk: Desk) -> None:
    case_id = desk.complaint()
    proposal = _propose(desk, case_id)
    assert desk.send(RESPONDER, case_id, 1) == 200  # a responder answers directly meanwhile
    events = desk.world.runtime.store.events(case_id)

    assert desk.on_proposal(GROUPIE, ids.APPROVE, proposal) == 200

    assert len(desk.published()) == 1
    assert desk.world.runtime.store.events(case_id) == events
    closed = desk.proposals.get(proposal.id)
    assert (closed.state, closed.decided_by) == ("answered", RESPONDER)
    [note] = desk.notes(GROUPIE)
    assert "not needed" in note and f"<@{RESPONDER}> answered or closed the case" in note


def test_proposing_on_an_answered_case__says_so(desk: Desk) -> None:
    case_id = desk.complaint()
    assert desk.send(RESPONDER, case_id) == 200
    assert desk.send(PROPOSER, case_id, 1) == 200
    assert desk.proposals.of_case(case_id) == [] and len(desk.published()) == 1
    assert "already replied" in desk.notes(PROPOSER)[-1]


def test_report__counts_what_the_clicks_decided(desk: Desk) -> None:
    from datetime import timedelta

    from monitor.cli_report import report_json
    from monitor.report_figures import build_report, last_days

    approve, edit, reject, wait = (_propose(desk, desk.complaint(str(i))) for i in range(4))
    assert desk.on_proposal(RESPONDER, ids.APPROVE, approve) == 200
    assert desk.on_proposal(RESPONDER, ids.PROPOSAL_EDIT, edit) == 200
    values = {ids.EDIT_INPUT_BLOCK: {ids.EDIT_INPUT: {"type": "plain_text_input", "value": "Edited."}}}
    assert desk.submit(RESPONDER, desk.modals()[-1], values) == 200
    assert desk.on_proposal(GROUPIE, ids.REJECT, reject) == 200
    assert desk.submit(GROUPIE, desk.modals()[-1], {}) == 200
    assert wait.pending and len(desk.published()) == 2

    desk.world.clock.advance(seconds=1)
    runtime = desk.world.runtime
    report = build_report(runtime.store, [runtime.brand("acme")],
                          last_days(desk.world.clock(), timedelta(days=1), "UTC"), desk.world.clock(), None)
    data = report_json(report)["approvals"]
    assert {k: data[k] for k in ("proposed", "approved", "edited", "rejected", "replaced", "pending")} == {
        "proposed": 4, "approved": 2, "edited": 1, "rejected": 1, "replaced": 0, "pending": 1}
    assert data["median_decision"] is not None and data["median_decision"] >= 0


def test_crash_after_posting_the_proposal__found_by_key_not_posted_again(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor import approvals

    case_id = desk.complaint()
    approvals.propose(desk.world.runtime, case_id, "Sorry, DM us please", PROPOSER)
    real = Proposals.set_message

    def die(*args: object) -> None:
        raise RuntimeError("the sender dies between Slack's answer and its record")

    monkeypatch.setattr(Proposals, "set_message", die)
    with pytest.raises(RuntimeError):
        flush(desk.world.runtime, desk.delivery)
    monkeypatch.setattr(Proposals, "set_message", real)
    desk.world.clock.advance(seconds=LEASE.total_seconds() + 1)
    flush(desk.world.runtime, desk.delivery)

    proposal = desk.only_proposal(case_id)
    [posted] = desk.slack.posts_with_key(f"proposal:{proposal.id}:pending")
    assert proposal.slack_ts == posted["ts"]


# The blocks, pure --------------------------------------------------------------------------

def _proposal(**changes: Any) -> Proposal:
    values: dict[str, Any] = {"id": 7, "case_id": 1, "proposer": PROPOSER,
                              "text": "Sorry @sara_k, *DM us* <!channel> " + "x" * 3000,
                              "state": "pending", "created_at": datetime(2026, 12, 1, tzinfo=UTC)}
    values.update(changes)
    return Proposal(**values)


@pytest.mark.parametrize("state", ["pending", "approved", "rejected", "replaced"])
def test_build_proposal__within_slack_limits_and_pings_nobody(state: str) -> None:
    from alerts.blocks_approval import build_proposal
    from tests.alerts.test_blocks import check_limits, make_view

    view = make_view(case_id=1)
    message = build_proposal(view, _proposal(state=state, decided_by=RESPONDER, note="tone " * 300),
                             [RESPONDER, "S0TEAM"])
    check_limits(message)
    body = json.dumps(message, ensure_ascii=False)
    assert "<!channel>" not in body
    approve = buttons(message["blocks"], ids.APPROVE)
    assert bool(approve) is (state == "pending")
    if approve:
        assert ids.decode(approve[0]["value"]) == (1, 7)
        assert "<!subteam^S0TEAM>" in body
    else:
        assert {"approved": "Approved by", "rejected": "Rejected by",
                "replaced": "Replaced by a newer proposal"}[state] in body


def test_waiting_line__only_while_a_proposal_waits_on_an_open_case() -> None:
    from alerts.blocks_approval import waiting_line
    from monitor.domain import CaseEvent, CaseStatus
    from tests.alerts.test_blocks import make_view

    at = datetime(2026, 12, 1, tzinfo=UTC)
    proposed = (CaseEvent(at, PROPOSER, "proposed"),)
    assert waiting_line(make_view()) == []
    assert messages.proposals_waiting(1) in json.dumps(waiting_line(make_view(events=proposed)),
                                                       ensure_ascii=False)
    rejected = (*proposed, CaseEvent(at, RESPONDER, "rejected", "tone"))
    assert waiting_line(make_view(events=rejected)) == []
    assert waiting_line(make_view(events=proposed, status=CaseStatus.RESOLVED)) == []


def test_modals__labels_fit_slack() -> None:
    from alerts import text as limits
    from alerts.blocks_approval import build_proposal_edit_modal, build_propose_modal, build_reject_modal
    from tests.alerts.test_blocks import make_view

    view = make_view(case_id=1)
    for modal in (build_propose_modal(view, "Sorry!", ACME),
                  build_proposal_edit_modal(view, _proposal(), ACME),
                  build_reject_modal(view, _proposal(), ACME)):
        for part in ("title", "submit", "close"):
            assert len(modal[part]["text"]) <= limits.MODAL_TITLE
        assert len(modal["private_metadata"]) <= limits.PRIVATE_METADATA
    assert build_propose_modal(view, "Sorry!", ACME)["submit"]["text"] == "Propose"
    assert ids.decode_modal(build_reject_modal(view, _proposal(), ACME)["private_metadata"]) == (7, ACME)
