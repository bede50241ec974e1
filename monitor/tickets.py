"""The casework of a ticket: hand a case to the brand's helpdesk once, and take its answer back.

`create_ticket` claims the case's ticket row in a transaction of its own before the helpdesk
is called (like `casework.publish_reply` with its reply claim), so a double click or a second
replica never opens two tickets; the answer is recorded through the case engine with its event
and the alert's redraw. `ticket_update` is what the helpdesk's webhook says back: a ticket
solved there resolves its case here.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from monitor import case_engine, store_tickets
from monitor.case_view import case_view
from monitor.domain import CaseView, Severity, TicketLink
from monitor.helpdesk_types import HelpdeskError, Priority, TicketCreated, TicketRequest
from monitor.ports import CaseDesk

if TYPE_CHECKING:
    from monitor.records import Case
    from monitor.store import Store

log = logging.getLogger(__name__)

TITLES = {"zendesk": "Zendesk", "freshdesk": "Freshdesk", "webhook": "Helpdesk"}
PRIORITIES: dict[int, Priority] = {Severity.BLAME: "urgent", Severity.ACCUSATION: "high",
                                   Severity.DISAPPROVAL: "normal"}
SLACK_CHANNEL_URL = "https://slack.com/app_redirect?channel={channel}"


class HelpdeskClient(Protocol):
    """What the casework asks of a helpdesk (`helpdesk.base.Helpdesk`)."""

    system: ClassVar[str]
    title: ClassVar[str]

    def create(self, ticket: TicketRequest) -> TicketCreated: ...


class TicketDeps(CaseDesk, Protocol):
    """What handing a case to the helpdesk needs beyond acting on a case (`monitor.wiring`)."""

    def helpdesk(self, brand_id: str) -> HelpdeskClient: ...
    def ticket_text(self, view: CaseView, alert_link: str) -> tuple[str, str]: ...


class TicketResult(enum.StrEnum):
    """What a hand-off or a helpdesk's word came to; `alerts.messages.ticket_outcome` words it."""

    CREATED = "created"
    EXISTS = "exists"                  # the case has its ticket already
    IN_PROGRESS = "in_progress"        # someone's click is creating it right now
    FAILED = "failed"                  # the helpdesk made none; the claim is free again
    NO_HELPDESK = "no_helpdesk"
    UNKNOWN_TICKET = "unknown_ticket"  # the helpdesk names a ticket no case of the brand has
    RESOLVED = "resolved"              # the ticket was solved: the case is resolved
    ALREADY = "already"                # that status was recorded before, or the case was closed
    IGNORED = "ignored"                # a status not in `resolve_on`


@dataclass(frozen=True)
class TicketOutcome:
    result: TicketResult
    reference: str = ""
    system_title: str = ""
    external_id: str | None = None
    url: str | None = None
    who: str | None = None
    detail: str = ""

    @property
    def changed(self) -> bool:
        return self.result in (TicketResult.CREATED, TicketResult.RESOLVED)


def helpdesk_title(kind: str) -> str:
    return TITLES.get(kind, kind.title())


def ticket_link(store: Store, case_id: int) -> TicketLink | None:
    """The case's ticket as the alert shows it, or None when it has none (not even a claim)."""
    ticket = store_tickets.ticket(store, case_id)
    if ticket is None:
        return None
    return TicketLink(system_title=helpdesk_title(ticket.system), external_id=ticket.external_id,
                      url=ticket.url, status=ticket.status, last_error=ticket.last_error)


def idempotency_key(reference: str, ticket: store_tickets.Ticket) -> str:
    """The same for every try of one claim (a retry after no answer finds the first ticket);
    new after an answered failure, whose claim starts again."""
    return f"brand-monitor-{reference}-{int(ticket.created_at.timestamp() * 1_000_000)}"


def channel_link(case: Case) -> str:
    """Where the alert is when its permalink is unknown: the case's channel."""
    channel = case.slack_channel or ""
    if channel[:1] in ("C", "G"):
        return SLACK_CHANNEL_URL.format(channel=channel)
    return f"Slack {channel}".strip()


def request_for(view: CaseView, case: Case, *, subject: str, body: str, alert_link: str,
                key: str) -> TicketRequest:
    m, c = view.mention, view.classification
    categories = tuple(x.value for x in c.all_categories)
    return TicketRequest(
        reference=view.reference, brand_name=view.brand_name, subject=subject, body=body,
        post_text=m.text, author_name=m.author_name, author_handle=m.author_handle,
        platform=view.platform_title or m.platform, post_url=m.url, published_at=m.published_at,
        customer_key=case.customer_key, history=view.history, category=c.category.value,
        categories=categories, severity=c.severity.label,
        priority=PRIORITIES.get(int(c.severity), "low"), deadline_at=view.deadline_at,
        alert_link=alert_link, idempotency_key=key,
        tags=tuple(dict.fromkeys(("brand-monitor", view.reference.lower(), *categories))),
    )


def _exists(ticket: store_tickets.Ticket, reference: str) -> TicketOutcome:
    return TicketOutcome(TicketResult.EXISTS, reference, helpdesk_title(ticket.system),
                         ticket.external_id, ticket.url, who=ticket.created_by)


def create_ticket(deps: TicketDeps, case_id: int, user: str, alert_link: str | None = None) -> TicketOutcome:
    """Open the case's ticket in the brand's helpdesk, once; a second click opens nothing.

    `alert_link`: the alert's permalink when the caller knows it; else the case's channel.
    """
    store = deps.store
    case = store.case(case_id)
    brand = deps.brand(case.brand_id)
    if brand.helpdesk is None:
        return TicketOutcome(TicketResult.NO_HELPDESK, case.reference)
    title = helpdesk_title(brand.helpdesk.type)
    existing = store_tickets.ticket(store, case_id)
    if existing is not None and existing.exists:
        return _exists(existing, case.reference)
    claim = store_tickets.claim(store, case_id, brand.helpdesk.type, user, deps.clock())
    if claim is None:
        holder = store_tickets.ticket(store, case_id)
        if holder is not None and holder.exists:
            return _exists(holder, case.reference)
        return TicketOutcome(TicketResult.IN_PROGRESS, case.reference, title,
                             who=holder.created_by if holder else None)
    view = case_view(deps, case_id)
    link = alert_link or channel_link(case)
    subject, body = deps.ticket_text(view, link)
    request = request_for(view, case, subject=subject, body=body, alert_link=link,
                          key=idempotency_key(case.reference, claim))
    try:
        created = deps.helpdesk(brand.id).create(request)
    except Exception as exc:
        answered = exc.answered if isinstance(exc, HelpdeskError) else False
        reason = exc.message if isinstance(exc, HelpdeskError) else f"unexpected {type(exc).__name__}"
        if not isinstance(exc, HelpdeskError):
            log.exception("creating the ticket of %s failed", case.reference)
        else:
            log.warning("creating the ticket of %s failed: %s", case.reference, reason)
        with store.transaction() as tx:
            case_engine.ticket_failed(tx, tx.case(case_id), actor=user, reason=f"{title}: {reason}",
                                      answered=answered, now=deps.clock())
        return TicketOutcome(TicketResult.FAILED, case.reference, title, detail=reason)
    with store.transaction() as tx:
        case_engine.ticket_created(tx, tx.case(case_id), actor=user, system_title=title,
                                   external_id=created.id, url=created.url, status=created.status,
                                   now=deps.clock())
    return TicketOutcome(TicketResult.CREATED, case.reference, title, created.id, created.url or None,
                         who=user)


def ticket_update(deps: CaseDesk, brand_id: str, system: str, external_id: str,
                  status: str) -> TicketOutcome:
    """The helpdesk says ticket `external_id` is now `status`: a status under the brand's
    `resolve_on` resolves the case (once); any other changes nothing."""
    store = deps.store
    ticket = store_tickets.ticket_by_external(store, brand_id, system, external_id)
    if ticket is None:
        return TicketOutcome(TicketResult.UNKNOWN_TICKET, detail=external_id)
    brand = deps.brand(brand_id)
    title = helpdesk_title(system)
    status = status.strip().lower()
    case = store.case(ticket.case_id)
    if brand.helpdesk is None or status not in brand.helpdesk.resolve_on:
        return TicketOutcome(TicketResult.IGNORED, case.reference, title, external_id, detail=status)
    if ticket.status == status:
        return TicketOutcome(TicketResult.ALREADY, case.reference, title, external_id, detail=status)
    with store.transaction() as tx:
        outcome = case_engine.ticket_solved(tx, tx.case(ticket.case_id), system=system,
                                            system_title=title, external_id=external_id,
                                            status=status, now=deps.clock())
    if outcome.result is not case_engine.Result.MOVED:
        return TicketOutcome(TicketResult.ALREADY, case.reference, title, external_id, detail=status)
    for hook in deps.on_answered:
        hook(ticket.case_id)
    return TicketOutcome(TicketResult.RESOLVED, case.reference, title, external_id, detail=status)

