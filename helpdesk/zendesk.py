"""Zendesk, through zenpy: one ticket per case, created with an `Idempotency-Key`.

Zendesk keeps the answer to a create sent with an `Idempotency-Key` header for a while and
answers a repeat of it with the same ticket instead of a second one
(https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency), so a click
retried after a crash or a timeout finds the ticket of the first try. zenpy sets headers per
session, so each create gets a session of its own carrying its key.

The agent's link is `https://<subdomain>.zendesk.com/agent/tickets/<id>`; the `url` Zendesk
answers is the API's. The first comment is private: nobody is e-mailed about the hand-off.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from helpdesk.base import Helpdesk, HelpdeskError, TicketCreated, TicketRequest

# zenpy logs each request's JSON at DEBUG: a ticket holds a customer's post.
logging.getLogger("zenpy").setLevel(logging.INFO)

AGENT_URL = "https://{subdomain}.zendesk.com/agent/tickets/{id}"


class _Rebase(HTTPAdapter):
    """Send what zenpy addresses to https://<subdomain>.zendesk.com to `base` instead (a
    loopback fake in tests), and hand zenpy back the address it asked for: it reads only answers
    from its own host."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = urlsplit(base)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        asked = str(request.url)
        parts = urlsplit(asked)
        moved = request.copy()
        moved.url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path.rstrip("/") + parts.path,
                                parts.query, ""))
        response = super().send(moved, *args, **kwargs)
        response.request = request
        response.url = asked
        return response


class ZendeskDesk(Helpdesk):
    system: ClassVar[str] = "zendesk"
    title: ClassVar[str] = "Zendesk"

    def _client(self, key: str) -> Zenpy:
        session = requests.Session()
        session.headers["Idempotency-Key"] = key
        if self.base_url:
            session.mount("https://", _Rebase(self.base_url))
        # ratelimit_budget=1: a 429 fails the click at once rather than sleeping in a handler.
        return Zenpy(subdomain=self.settings.subdomain, session=session,
                     email=self.secret("email_env"), token=self.secret("token_env"),
                     timeout=self.settings.timeout.total_seconds(), ratelimit_budget=1,
                     disable_cache=True)

    def create(self, ticket: TicketRequest) -> TicketCreated:
        client = self._client(ticket.idempotency_key)
        draft = Ticket(subject=ticket.subject, comment=Comment(body=ticket.body, public=False),
                       priority=ticket.priority, tags=list(ticket.tags), external_id=ticket.reference)
        try:
            answer = client.tickets.create(draft)
        except APIException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", 0)
            raise HelpdeskError(self.system, f"Zendesk answered {status or 'an error'}",
                                answered=True) from None
        except requests.HTTPError as exc:
            status = getattr(exc.response, "status_code", 0)
            raise HelpdeskError(self.system, f"Zendesk answered {status or 'an error'}",
                                answered=True) from None
        except requests.RequestException as exc:
            raise HelpdeskError(self.system, f"no answer from Zendesk ({type(exc).__name__})",
                                answered=False) from None
        except RatelimitBudgetExceeded:
            raise HelpdeskError(self.system, "Zendesk is limiting our requests; try again in a minute",
                                answered=True) from None
        except ZenpyException as exc:
            raise HelpdeskError(self.system, f"Zendesk refused the ticket ({type(exc).__name__})",
                                answered=True) from None
        return _created(answer, str(self.settings.subdomain))


def _created(answer: Any, subdomain: str) -> TicketCreated:
    """The create's answer (a Ticket, or a TicketAudit holding one) as ours."""
    ticket = getattr(answer, "ticket", answer)
    ticket_id = str(ticket.id)
    return TicketCreated(id=ticket_id, url=AGENT_URL.format(subdomain=subdomain, id=ticket_id),
                         status=str(ticket.status or "new"))
