"""Assemble what an alert shows about a case from the store and the config."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from monitor.domain import CaseStatus, CaseView
from monitor.ports import Brands, Clock, ConnectorLookup
from monitor.store import classification_from_row, mention_from_row

if TYPE_CHECKING:
    from monitor.records import Case
    from monitor.store import Store


class ViewDeps(Brands, ConnectorLookup, Protocol):
    @property
    def store(self) -> Store: ...
    @property
    def clock(self) -> Clock: ...


def case_view(runtime: ViewDeps, case_id: int) -> CaseView:
    """Return the current state of case `case_id` as the alert builders need it."""
    store = runtime.store
    case = store.case(case_id)
    brand = runtime.brand(case.brand_id)
    return replace(
        listed_view(runtime, case),
        suggestions=tuple(store.suggestions(case.id)),
        history=store.history(customer_keys(runtime, brand.id, case.customer_key), case.id),
        events=tuple(store.events(case.id)), gloss=case.gloss, gloss_lang=brand.team_language,
        drafts_origin=case.drafts_origin, drafts_note=case.drafts_note,
        **_ticket_facts(runtime, case.id, brand.helpdesk.type if brand.helpdesk else None),
    )


def listed_view(runtime: ViewDeps, case: Case) -> CaseView:
    """A case as a list shows it (`/brand-monitor open`): read from the case and its post,
    already loaded, with no query of its own; its suggestions, the customer's history, the
    events and the ticket are left empty (`case_view` reads them)."""
    row = case.mention
    brand = runtime.brand(case.brand_id)
    try:
        connector = runtime.connector(case.brand_id, row.source)
        can_reply, limit, title = connector.can_reply, connector.reply_limit, connector.title
    except Exception:  # a source removed from the config: show the case, offer no publishing
        can_reply, limit, title = False, None, row.platform
    return CaseView(
        case_id=case.id, reference=case.reference, brand_id=brand.id, brand_name=brand.name,
        mention=mention_from_row(row), classification=classification_from_row(row),
        status=CaseStatus(case.status), opened_at=case.opened_at, deadline_at=case.deadline_at,
        can_reply=can_reply, reply_limit=limit, platform_title=title, assignee=case.assignee,
        replied_by=case.replied_by, replied_at=case.replied_at, reply_url=case.reply_url,
        last_error=case.last_error, acknowledgement=case.acknowledgement,
    )


def _ticket_facts(runtime: ViewDeps, case_id: int, kind: str | None) -> dict[str, Any]:
    from monitor.tickets import helpdesk_title, ticket_link

    return {"helpdesk_title": helpdesk_title(kind) if kind else None,
            "ticket": ticket_link(runtime.store, case_id)}


def customer_keys(runtime: ViewDeps, brand_id: str, key: str) -> list[str]:
    """Every key under which this customer is known: `key`, handles linked in YAML or by the team."""
    keys = {key.lower()}
    for group in runtime.brand(brand_id).linked_customers:
        lowered = {k.lower().replace(":@", ":") for k in group}
        if key.lower() in lowered:
            keys |= lowered
    keys |= runtime.store.linked_keys(brand_id, keys)
    return sorted(keys)
