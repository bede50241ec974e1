"""Send a proposal's message: posted once in the alert's thread, then edited with its outcome.

The first post's ts is kept on the proposal, so each later step edits that message in place.
A post that may have reached Slack before a crash is found by its key (the sender's
post-once) and recorded instead of posted again; edits are the same whenever repeated.
"""

from __future__ import annotations

from collections.abc import Callable

from alerts import blocks_approval
from alerts.blocks_kit import Message
from alerts.delivery import Delivery
from monitor.domain import CaseView
from monitor.notices import ProposalNote
from monitor.ports import Brands
from monitor.store import Store
from monitor.store_proposals import PENDING, REJECTED, Proposals

Poster = Callable[[Message, str], str]
"""(message, key suffix) -> ts: the sender's post-once in the alert's thread."""


class NotPosted(Exception):
    """The proposal's own message is not posted yet: its outcome waits for it."""


def send_proposal(store: Store, brands: Brands, delivery: Delivery, notice: ProposalNote,
                  view: CaseView, channel: str, post: Poster) -> str:
    """Post the proposal (state "pending") or edit it with its outcome; return its message's ts."""
    proposals = Proposals(store)
    proposal = proposals.get(notice.proposal)  # KeyError: erased meanwhile, nothing to say
    message = blocks_approval.build_proposal(view, proposal, brands.brand(view.brand_id).responders)
    if notice.state == PENDING:
        if proposal.slack_ts:
            return proposal.slack_ts  # posted and recorded already
        ts = post(message, "")
        proposals.set_message(proposal.id, channel, ts)
        return ts
    if proposal.slack_ts is None:
        raise NotPosted
    delivery.edit(proposal.slack_channel or channel, proposal.slack_ts, message["text"],
                  message.get("blocks"))
    if notice.state == REJECTED:
        post(blocks_approval.build_rejection_note(view, proposal), ":told")
    return proposal.slack_ts
