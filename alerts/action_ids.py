"""Every action_id, callback_id and block_id the alerts use, and the ids their values carry.

A button's value holds ids only ("case_id" or "case_id:suggestion_id"); the handler reads
everything else from the database, so a forged or replayed value can at most name a case.
A users_select has no value: its block_id carries the case id instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Buttons and selects on an alert.
PUBLISH = "bm_publish"  # value: case_id:suggestion_id
EDIT = "bm_edit"  # value: case_id:suggestion_id; opens the edit modal
NOT_COMPLAINT = "bm_not_complaint"  # value: case_id
FLAG_COMPLAINT = "bm_flag_complaint"  # value: case_id; turns a dismissed case back into one
ACKNOWLEDGE = "bm_acknowledge"  # value: case_id
ASSIGN_ME = "bm_assign_me"  # value: case_id
ASSIGN_TO = "bm_assign_to"  # users_select; case id in the block_id
RESOLVE = "bm_resolve"  # value: case_id
REOPEN = "bm_reopen"  # value: case_id
OPEN_THREAD = "bm_open_thread"  # link button; Slack still sends an action to acknowledge
OPEN_POST = "bm_open_post"  # link button in samples and queues
FOLLOWUP_SATISFIED = "bm_followup_satisfied"  # value: case_id
FOLLOWUP_NOT_SATISFIED = "bm_followup_not_satisfied"  # value: case_id
CREATE_TICKET = "bm_create_ticket"  # value: case_id; hands the case to the brand's helpdesk

# The edit modal.
EDIT_MODAL = "bm_edit_modal"  # callback_id; private_metadata: case_id@channel_id
EDIT_INPUT_BLOCK = "bm_edit_text"  # block_id of the input, where errors are shown
EDIT_INPUT = "bm_edit_text_input"  # action_id of the plain_text_input

# A proposal in the alert's thread (approval:), and its modals.
APPROVE = "bm_approve"  # value: case_id:proposal_id; publishes the proposal
PROPOSAL_EDIT = "bm_proposal_edit"  # value: case_id:proposal_id; opens PROPOSAL_MODAL
REJECT = "bm_reject"  # value: case_id:proposal_id; opens REJECT_MODAL
PROPOSE_MODAL = "bm_propose_modal"  # a proposer's edit modal; private_metadata: case_id@channel
PROPOSAL_MODAL = "bm_proposal_modal"  # a responder's edit of a proposal; proposal_id@channel
REJECT_MODAL = "bm_reject_modal"  # private_metadata: proposal_id@channel
REJECT_INPUT_BLOCK = "bm_reject_reason"
REJECT_INPUT = "bm_reject_reason_input"
APPROVAL_ACTIONS = (APPROVE, PROPOSAL_EDIT, REJECT)

# Shortcuts and commands.
FLAG_SHORTCUT = "bm_flag_complaint_shortcut"  # message shortcut callback_id
SLASH_COMMAND = "/brand-monitor"

ALL_ACTIONS = (
    PUBLISH, EDIT, NOT_COMPLAINT, FLAG_COMPLAINT, ACKNOWLEDGE, ASSIGN_ME, ASSIGN_TO,
    RESOLVE, REOPEN, OPEN_THREAD, OPEN_POST, FOLLOWUP_SATISFIED, FOLLOWUP_NOT_SATISFIED,
    CREATE_TICKET,
)

_VALUE = re.compile(r"^(\d{1,18})(?::(\d{1,18}))?$")
_BLOCK = re.compile(r"^bm_[a-z0-9_]+:(\d{1,18})$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,39}$")
_METADATA = re.compile(r"^(\d{1,18})(?:@([CGD][A-Z0-9]{2,39}))?$")


def encode(case_id: int, suggestion_id: int | None = None) -> str:
    """Write the ids a button carries: "12" or "12:345"."""
    if suggestion_id is None:
        return str(case_id)
    return f"{case_id}:{suggestion_id}"


def decode(value: str) -> tuple[int, int | None]:
    """Read a button's value back into (case_id, suggestion_id or None).

    Raises ValueError for anything that is not one or two decimal ids, so a handler can
    answer "this button is not ours" instead of crashing.
    """
    match = _VALUE.match(value or "")
    if not match:
        raise ValueError(f"not a brand-monitor button value: {value!r}")
    case_id, suggestion_id = match.groups()
    return int(case_id), int(suggestion_id) if suggestion_id is not None else None


def case_block_id(case_id: int, part: str) -> str:
    """Name a block of case `case_id`'s alert; the handler of a select reads the case from it."""
    return f"bm_{part}:{case_id}"


def case_id_from_block_id(block_id: str) -> int:
    """Read the case id back from `case_block_id`; ValueError if it is not one of ours."""
    match = _BLOCK.match(block_id or "")
    if not match:
        raise ValueError(f"not a brand-monitor block id: {block_id!r}")
    return int(match.group(1))


def modal_text(view: Mapping[str, Any]) -> str:
    """Read the edited reply from a submitted edit modal's state ("" when absent)."""
    try:
        value = view["state"]["values"][EDIT_INPUT_BLOCK][EDIT_INPUT]["value"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def reject_reason(view: Mapping[str, Any]) -> str:
    """Read the reason from a submitted reject modal's state ("" when left empty)."""
    try:
        value = view["state"]["values"][REJECT_INPUT_BLOCK][REJECT_INPUT]["value"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def encode_metadata(case_id: int, channel: str | None = None) -> str:
    """Write a modal's private_metadata: the case id, and the channel the modal was opened from.

    "12@C0ACME": the submit handler checks the channel against the case again, since a view
    submission carries no channel of its own.
    """
    if channel is None:
        return str(case_id)
    if not _CHANNEL.match(channel):
        raise ValueError(f"not a Slack channel id: {channel!r}")
    return f"{case_id}@{channel}"


def decode_modal(metadata: str) -> tuple[int, str | None]:
    """Read a modal's private_metadata back into (case_id, channel or None).

    Raises ValueError for anything `encode_metadata` does not write.
    """
    match = _METADATA.match(metadata or "")
    if not match:
        raise ValueError(f"not a brand-monitor modal: {metadata!r}")
    case_id, channel = match.groups()
    return int(case_id), channel


def decode_metadata(metadata: str) -> int:
    """Read the case id from a modal's private_metadata; ValueError if it is not ours."""
    return decode_modal(metadata)[0]
