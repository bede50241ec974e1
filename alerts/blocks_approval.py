"""Approval in Slack: the proposal in the alert's thread, its modals, and the alert's line
saying one waits. Pure functions of a CaseView and a Proposal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerts import action_ids as ids
from alerts import messages as msg
from alerts.blocks_kit import Block, Message, actions, button, context, message, plain, section
from alerts.messages import ProposalLabel
from alerts.text import INPUT_LABEL, MODAL_BUTTON, MODAL_TITLE
from monitor import approvals
from monitor.domain import CaseView
from monitor.store_proposals import ANSWERED, APPROVED, PENDING, REJECTED, Proposal

REASON_MAX = 500


def build_proposal(view: CaseView, proposal: Proposal, responders: Sequence[str]) -> Message:
    """The proposal as it stands: its text, then Approve / Edit / Reject while it waits, or
    who decided what once it is decided (the message is edited in place)."""
    blocks: list[Block] = [section(msg.proposal_heading(proposal.proposer, view.reference)),
                           section(msg.proposal_text(proposal.text))]
    if proposal.state == PENDING:
        value = ids.encode(view.case_id, proposal.id)
        blocks.append(actions(
            [button(ProposalLabel.APPROVE, ids.APPROVE, value, style="primary"),
             button(ProposalLabel.EDIT, ids.PROPOSAL_EDIT, value),
             button(ProposalLabel.REJECT, ids.REJECT, value, style="danger")],
            block_id=ids.case_block_id(view.case_id, f"proposal_{proposal.id}")))
        blocks.append(context([msg.proposal_who_decides(responders)]))
        outcome = ""
    elif proposal.state == APPROVED:
        outcome = msg.proposal_approved(proposal.decided_by, proposal.edited)
    elif proposal.state == REJECTED:
        outcome = msg.proposal_rejected(proposal.decided_by, proposal.note)
    elif proposal.state == ANSWERED:
        outcome = msg.proposal_answered(proposal.decided_by)
    else:
        outcome = msg.proposal_replaced()
    if outcome:
        blocks.append(context([outcome]))
    text = msg.proposal_heading(proposal.proposer, view.reference)
    return {"text": f"{text}\n{outcome}" if outcome else f"{text}\n{msg.proposal_text(proposal.text)}",
            "blocks": blocks}


def build_rejection_note(view: CaseView, proposal: Proposal) -> Message:
    """Tell the proposer, in the thread, that their reply was rejected (and why)."""
    text = msg.proposal_rejected_note(proposal.proposer, proposal.decided_by or "", view.reference,
                                      proposal.note)
    return message([section(text)])


def waiting_line(view: CaseView) -> list[Block]:
    """The alert's line while a proposal waits for a responder (none otherwise)."""
    count = approvals.waiting([e.kind for e in view.events])
    if not count or not view.status.is_open or view.replied_at is not None:
        return []
    return [context([msg.proposals_waiting(count)])]


def build_propose_modal(view: CaseView, text: str, channel: str | None) -> dict[str, Any]:
    """A proposer's edit modal: the same as a responder's, but it proposes instead of sending."""
    # Imported here: blocks_modal imports blocks_case, which draws `waiting_line` on the alert.
    from alerts.blocks_modal import build_edit_modal

    return build_edit_modal(view, text, view.reply_limit, view.platform_title, channel,
                            callback_id=ids.PROPOSE_MODAL, heading=ProposalLabel.PROPOSE_TITLE,
                            submit=ProposalLabel.PROPOSE)


def build_proposal_edit_modal(view: CaseView, proposal: Proposal, channel: str | None) -> dict[str, Any]:
    """A responder's edit of a proposal: submitting publishes the edited text and approves it."""
    from alerts.blocks_modal import build_edit_modal

    return build_edit_modal(view, proposal.text, view.reply_limit, view.platform_title,
                            callback_id=ids.PROPOSAL_MODAL,
                            metadata=ids.encode_metadata(proposal.id, channel),
                            heading=ProposalLabel.EDIT_TITLE)


def build_reject_modal(view: CaseView, proposal: Proposal, channel: str | None) -> dict[str, Any]:
    """Ask for an optional reason before a proposal is rejected."""
    about = f"{msg.proposal_heading(proposal.proposer, view.reference)}\n{msg.proposal_text(proposal.text)}"
    return {
        "type": "modal",
        "callback_id": ids.REJECT_MODAL,
        "private_metadata": ids.encode_metadata(proposal.id, channel),
        "title": plain(ProposalLabel.REJECT_TITLE, MODAL_TITLE),
        "submit": plain(ProposalLabel.REJECT, MODAL_BUTTON),
        "close": plain(msg.Label.MODAL_CLOSE, MODAL_BUTTON),
        "blocks": [
            context([about]),
            {
                "type": "input",
                "block_id": ids.REJECT_INPUT_BLOCK,
                "optional": True,
                "label": plain(ProposalLabel.REASON, INPUT_LABEL),
                "element": {"type": "plain_text_input", "action_id": ids.REJECT_INPUT,
                            "multiline": True, "max_length": REASON_MAX},
            },
        ],
    }
