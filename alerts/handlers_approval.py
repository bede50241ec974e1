"""Approval of replies in Slack: a proposer's Send files a proposal; responders decide it.

A proposer (`approval.propose_only`, not a responder) who clicks a suggestion's Send, or
submits its edit modal (labelled "Propose" for them), files a proposal instead of publishing;
`alerts.handlers_reply` hands those clicks here. The proposal's Approve / Edit / Reject
buttons ask the same leave as publishing: a responder, in the case's channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from alerts import action_ids as ids
from alerts import blocks, blocks_approval, messages
from alerts.slack_app import Desk, Refusal, origin
from monitor import approvals, casework
from monitor.case_engine import Result
from monitor.case_view import case_view
from monitor.domain import CaseView
from monitor.records import Case
from monitor.store_proposals import Proposal, Proposals


def _proposer(desk: Desk, body: dict[str, Any], case_id: int) -> bool:
    """Whether the clicker may only propose on this case: approval is on for its brand, they
    are listed under propose_only, and they are not a responder (responders publish)."""
    try:
        brand = desk.runtime.brand(desk.runtime.store.case(case_id).brand_id)
    except KeyError:
        return False
    user = origin(body).user
    return (brand.approval.enabled and not desk.member(brand, user, "publish")
            and desk.responders.allowed(user, brand.approval.propose_only))


def _button_case(body: dict[str, Any], action: dict[str, Any]) -> tuple[int, int | None] | None:
    try:
        return ids.decode(action["value"])
    except (ValueError, KeyError):
        return None


def _suggested_text(desk: Desk, case_id: int, suggestion_id: int | None) -> str | None:
    """The suggestion's text, if the button's suggestion belongs to its case."""
    suggestion = desk.runtime.store.suggestion(suggestion_id) if suggestion_id else None
    if suggestion is None or suggestion.case_id != case_id:
        return None
    return suggestion.text


def _file(desk: Desk, body: dict[str, Any], case: Case, text: str, channel: str | None = None) -> None:
    """File the proposal, send what it queued, and tell the proposer what happens next."""
    outcome = approvals.propose(desk.runtime, case.id, text, origin(body).user)
    desk.refresh()
    if outcome.result is Result.PROPOSED:
        brand = desk.runtime.brand(case.brand_id)
        desk.tell(body, messages.proposal_filed(case.reference, brand.responders), channel)
    else:
        desk.tell(body, messages.outcome_text(outcome), channel)


def proposer_send(desk: Desk, body: dict[str, Any], action: dict[str, Any]) -> bool:
    """Take a suggestion's Send from a proposer: file it as a proposal. False: not a proposer's
    click, so the reply handler publishes (or refuses) as usual."""
    found = _button_case(body, action)
    if found is None or not _proposer(desk, body, found[0]):
        return False
    case = desk.authorize(body, found[0], "act")  # on the team, in the case's channel
    if case is None:
        return True
    text = _suggested_text(desk, case.id, found[1])
    if text is None:
        desk.tell(body, messages.interaction_expired())
        return True
    _file(desk, body, case, text)
    return True


def proposer_edit(desk: Desk, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> bool:
    """Open a proposer's edit modal (it says "Propose"); False: not a proposer's click."""
    found = _button_case(body, action)
    if found is None or not _proposer(desk, body, found[0]):
        return False
    case = desk.authorize(body, found[0], "act")
    if case is None:
        return True
    view = case_view(desk.runtime, case.id)
    text = _suggested_text(desk, case.id, found[1])
    if text is None:
        text = view.suggestions[0].text if view.suggestions else ""
    client.views_open(trigger_id=body["trigger_id"],
                      view=blocks_approval.build_propose_modal(view, text, origin(body).channel))
    return True


def _edited_text(desk: Desk, ack: Ack, view: dict[str, Any], current: CaseView, case: Case) -> str | None:
    """The submitted text, or None after answering the modal with what to fix."""
    text = ids.modal_text(view).strip()
    if not text:
        ack(response_action="errors", errors=blocks.edit_empty_error()["errors"])
        return None
    length = desk.runtime.connector(current.brand_id, case.mention.source).count_length(text)
    if current.reply_limit and length > current.reply_limit:
        error = blocks.edit_too_long_error(length, current.reply_limit, current.platform_title)
        ack(response_action="errors", errors=error["errors"])
        return None
    return text


def _clicked(desk: Desk, body: dict[str, Any], action: dict[str, Any]) -> tuple[Case, Proposal] | None:
    """The case and proposal a button names, if the clicker may decide it (a responder, in the
    case's channel); else they are told why, privately."""
    found = _button_case(body, action)
    if found is None or found[1] is None:
        desk.tell(body, messages.interaction_expired())
        return None
    case = desk.authorize(body, found[0], "publish")
    if case is None:
        return None
    proposal = Proposals(desk.runtime.store).find(found[1])
    if proposal is None or proposal.case_id != case.id:
        desk.tell(body, messages.interaction_expired())
        return None
    return case, proposal


def _submitted(desk: Desk, body: dict[str, Any],
               view: dict[str, Any]) -> tuple[Case, Proposal, str] | Refusal | None:
    """The case and proposal a decision modal names, if its submitter may still decide it from
    the channel it was opened in (asked again: leave may have changed since it opened)."""
    try:
        proposal_id, channel = ids.decode_modal(view["private_metadata"])
    except (ValueError, KeyError):
        return None
    proposal = Proposals(desk.runtime.store).find(proposal_id)
    if proposal is None:
        return None
    found = desk.verdict(body, proposal.case_id, "publish", channel)
    if isinstance(found, Refusal):
        return found
    return found, proposal, channel or ""


def register(app: App, desk: Desk) -> None:
    _register_decisions(app, desk)
    _register_proposing(app, desk)


def _register_decisions(app: App, desk: Desk) -> None:
    """A responder's Approve, Edit and Reject on a proposal, and their modals."""
    runtime = desk.runtime

    def open_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient,
                   build: Callable[[CaseView, Proposal, str | None], dict[str, Any]]) -> None:
        """Open the modal `build` makes for the proposal a responder clicked, if it still waits."""
        found = _clicked(desk, body, action)
        if found is None:
            return
        case, proposal = found
        if not proposal.pending:
            desk.tell(body, messages.outcome_text(approvals.decided(proposal, case.reference)))
            return
        client.views_open(trigger_id=body["trigger_id"],
                          view=build(case_view(runtime, case.id), proposal, origin(body).channel))

    @app.action(ids.APPROVE)
    def approve(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _clicked(desk, body, action)
        if found is not None:
            desk.report(body, approvals.approve(runtime, found[1].id, body["user"]["id"]))

    @app.action(ids.PROPOSAL_EDIT)
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        open_modal(body, action, client, blocks_approval.build_proposal_edit_modal)

    @app.view(ids.PROPOSAL_MODAL)
    def edit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        found = _submitted(desk, body, view)
        if not isinstance(found, tuple):
            ack()
            if found is not None:
                desk.tell(body, found.text, found.channel)
            return
        case, proposal, channel = found
        text = _edited_text(desk, ack, view, case_view(runtime, case.id), case)
        if text is None:
            return
        ack()
        desk.report(body, approvals.approve(runtime, proposal.id, body["user"]["id"], text), channel)

    @app.action(ids.REJECT)
    def reject(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        open_modal(body, action, client, blocks_approval.build_reject_modal)

    @app.view(ids.REJECT_MODAL)
    def reject_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        found = _submitted(desk, body, view)
        if not isinstance(found, tuple):
            if found is not None:
                desk.tell(body, found.text, found.channel)
            return
        _, proposal, channel = found
        outcome = approvals.reject(runtime, proposal.id, body["user"]["id"], ids.reject_reason(view))
        desk.report(body, outcome, channel)


def _register_proposing(app: App, desk: Desk) -> None:
    """A proposer's edit modal (its Send and Edit clicks come through `alerts.handlers_reply`)."""
    runtime = desk.runtime

    @app.view(ids.PROPOSE_MODAL)
    def propose_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            case_id, channel = ids.decode_modal(view["private_metadata"])
        except (ValueError, KeyError):
            ack()
            return
        # Asked again at submit: who may only propose, or publish, may have changed meanwhile.
        proposer = _proposer(desk, body, case_id)
        found = desk.verdict(body, case_id, "act" if proposer else "publish", channel)
        if isinstance(found, Refusal):
            ack()
            desk.tell(body, found.text, found.channel)
            return
        text = _edited_text(desk, ack, view, case_view(runtime, case_id), found)
        if text is None:
            return
        ack()
        if proposer:
            _file(desk, body, found, text, channel)
        else:  # a responder now: their reply goes out as they wrote it
            desk.report(body, casework.publish_reply(runtime, case_id, text, body["user"]["id"]),
                        channel)
