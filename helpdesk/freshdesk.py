"""Freshdesk, through its REST API v2: `POST /api/v2/tickets`, basic auth `api_key:X`.

https://developers.freshdesk.com/api/#create_ticket. Freshdesk offers no idempotency key on
ticket creation: the case's ticket claim (monitor.tickets) keeps brand-monitor from sending a
second create, and the ticket carries the case reference as a tag to find it by.

The requester is the brand's `requester_email:` when set (accounts whose contacts need an
address), else the customer, by `unique_external_id` (`x:maya`: Freshdesk adds the contact).
The agent's link is `https://<domain>/a/tickets/<id>`.
"""

from __future__ import annotations

import html
from typing import Any, ClassVar

import httpx

from helpdesk.base import Helpdesk, HelpdeskError, TicketCreated, TicketRequest

PATH = "/api/v2/tickets"
AGENT_URL = "https://{domain}/a/tickets/{id}"
PRIORITY = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
OPEN = 2
STATUS = {2: "open", 3: "pending", 4: "resolved", 5: "closed"}


def status_name(value: Any) -> str:
    """Freshdesk's status number (2-5) as a word; a custom status keeps its number."""
    try:
        return STATUS.get(int(value), str(value))
    except (TypeError, ValueError):
        return str(value).strip().lower()


class FreshdeskDesk(Helpdesk):
    system: ClassVar[str] = "freshdesk"
    title: ClassVar[str] = "Freshdesk"

    def payload(self, ticket: TicketRequest) -> dict[str, Any]:
        body = {
            "subject": ticket.subject,
            "description": html.escape(ticket.body).replace("\n", "<br>"),
            "status": OPEN,
            "priority": PRIORITY[ticket.priority],
            "tags": list(ticket.tags),
        }
        if self.settings.requester_email:
            body["email"] = self.settings.requester_email
        else:
            body["unique_external_id"] = ticket.customer_key
            body["name"] = ticket.author_name or ticket.author_handle or ticket.customer_key
        return body

    def create(self, ticket: TicketRequest) -> TicketCreated:
        domain = str(self.settings.domain)
        base = (self.base_url or f"https://{domain}").rstrip("/")
        try:
            response = httpx.post(base + PATH, json=self.payload(ticket),
                                  auth=(self.secret("api_key_env"), "X"),
                                  timeout=self.settings.timeout.total_seconds())
        except httpx.TimeoutException:
            raise HelpdeskError(self.system, "no answer from Freshdesk in time", answered=False) from None
        except httpx.HTTPError as exc:
            raise HelpdeskError(self.system, f"cannot reach Freshdesk ({type(exc).__name__})",
                                answered=False) from None
        if response.status_code == 429:
            raise HelpdeskError(self.system, "Freshdesk is limiting our requests; try again in a minute")
        if response.status_code in (401, 403):
            raise HelpdeskError(self.system, f"Freshdesk refused the API key ({response.status_code}); "
                                "check the variable named by api_key_env")
        if response.status_code not in (200, 201):
            raise HelpdeskError(self.system, f"Freshdesk answered {response.status_code}")
        try:
            answer = response.json()
            ticket_id = str(int(answer["id"]))
        except (ValueError, KeyError, TypeError):
            raise HelpdeskError(self.system, "Freshdesk's answer names no ticket id") from None
        return TicketCreated(id=ticket_id, url=AGENT_URL.format(domain=domain, id=ticket_id),
                             status=status_name(answer.get("status", OPEN)))
