"""The "Edit & send" modal and its answer when the edited text is too long."""

from __future__ import annotations

from typing import Any

from alerts import action_ids as ids
from alerts import messages as msg
from alerts.blocks_case import platform_title as _platform_title
from alerts.blocks_kit import Block, context, plain
from alerts.messages import Label
from alerts.text import (
    INPUT_HINT,
    INPUT_LABEL,
    INPUT_MAX_LENGTH,
    MODAL_BUTTON,
    MODAL_TITLE,
    escape_mrkdwn,
    quote,
    single_line,
    truncate,
)
from monitor.domain import CaseView

POST_IN_MODAL = 600


def build_edit_modal(
    view: CaseView, suggestion_text: str, limit: int | None, platform_title: str,
    channel: str | None = None, *, callback_id: str = ids.EDIT_MODAL, metadata: str | None = None,
    heading: str = Label.MODAL_TITLE, submit: str = Label.MODAL_SUBMIT,
) -> dict[str, Any]:
    """Build the modal that lets a responder edit a reply before it is published.

    The approval flow reuses it (`alerts.blocks_approval`) under its own `callback_id`,
    `metadata`, `heading` and `submit` label: a proposer's modal says "Propose".

    The input is prefilled and capped at the platform's limit (Slack's own cap is 3,000);
    the submit handler still counts as the platform does, since Slack counts plainly.
    private_metadata holds the case id and `channel`, the channel the modal was opened from:
    a submission carries no channel, so the submit handler checks this one against the case.
    """
    title = platform_title or _platform_title(view)
    max_length = min(limit, INPUT_MAX_LENGTH) if limit else INPUT_MAX_LENGTH
    handle = single_line(view.mention.author_handle).lstrip("@")
    about = (f"Replying to @{escape_mrkdwn(handle)} on {escape_mrkdwn(title)} "
             f"({escape_mrkdwn(view.reference)}):\n{quote(view.mention.text, POST_IN_MODAL)}")
    element: Block = {
        "type": "plain_text_input",
        "action_id": ids.EDIT_INPUT,
        "multiline": True,
        "max_length": max_length,
        "focus_on_load": True,
    }
    initial = truncate(suggestion_text.strip(), max_length)
    if initial:
        element["initial_value"] = initial
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata or ids.encode_metadata(view.case_id, channel),
        "title": plain(heading, MODAL_TITLE),
        "submit": plain(submit, MODAL_BUTTON),
        "close": plain(Label.MODAL_CLOSE, MODAL_BUTTON),
        "blocks": [
            context([about]),
            {
                "type": "input",
                "block_id": ids.EDIT_INPUT_BLOCK,
                "label": plain(Label.MODAL_INPUT, INPUT_LABEL),
                "element": element,
                "hint": plain(msg.length_hint(view.mention.platform, title, limit), INPUT_HINT),
            },
        ],
    }


def edit_too_long_error(length: int, limit: int, platform: str) -> dict[str, Any]:
    """Answer a modal submission whose text is over the limit: an error under the input."""
    return {
        "response_action": "errors",
        "errors": {ids.EDIT_INPUT_BLOCK: msg.edit_too_long(length, limit, platform)},
    }


def edit_empty_error() -> dict[str, Any]:
    """Answer a modal submission whose text is empty."""
    return {"response_action": "errors", "errors": {ids.EDIT_INPUT_BLOCK: msg.edit_empty()}}
