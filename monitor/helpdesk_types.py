"""What a ticket hand-off says and what comes back: plain records, and the one error type.

They live in `monitor/` (like `ReplyTarget` for connectors) so that the casework of a ticket
(monitor.tickets) builds and reads them without importing a helpdesk; `helpdesk/` implements
`create(TicketRequest) -> TicketCreated` on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from monitor.domain import CustomerHistory

Priority = Literal["low", "normal", "high", "urgent"]


@dataclass(frozen=True)
class TicketRequest:
    """One case as a ticket: the post, who wrote it, what we know of them, and the way back."""

    reference: str
    brand_name: str
    subject: str
    body: str  # plain text, worded by the alert layer (alerts.messages.ticket_body)
    post_text: str
    author_name: str
    author_handle: str
    platform: str
    post_url: str
    published_at: datetime
    customer_key: str
    history: CustomerHistory
    category: str
    categories: tuple[str, ...]
    severity: str
    priority: Priority
    deadline_at: datetime
    alert_link: str
    idempotency_key: str
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TicketCreated:
    """What the helpdesk answered: its ticket's id, the link an agent opens, its status."""

    id: str
    url: str
    status: str


class HelpdeskError(Exception):
    """The helpdesk did not create the ticket, or we cannot tell whether it did.

    `answered`: the helpdesk answered with an error, so nothing was created and a retry may use
    a new idempotency key; False when the request may have gone through (a timeout, a dropped
    connection): a retry must send the same key.
    """

    def __init__(self, system: str, message: str, *, answered: bool = True) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message
        self.answered = answered
