"""Out of hours, tell the customer publicly that we saw them — once per case, if the brand opts in."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from monitor.business_hours import is_open, next_opening
from monitor.domain import ReplyTarget
from monitor.errors import PlatformError
from monitor.ports import CaseDesk
from monitor.settings import BrandConfig

log = logging.getLogger(__name__)


class AckDrafting(CaseDesk, Protocol):
    def draft_acknowledgement(self, brand: BrandConfig, source: str, *, lang: str, reference: str,
                              opening: datetime | None, name: str) -> str | None: ...


def acknowledge_out_of_hours(deps: AckDrafting, brand: BrandConfig, case_id: int,
                             now: datetime) -> bool:
    """Post the acknowledgement when the team is out; True when it was published."""
    hours = brand.business_hours
    if hours is None or not hours.out_of_hours_ack or is_open(hours, brand.zone, now):
        return False
    store = deps.store
    case = store.case(case_id)
    row = case.mention
    connector = deps.connector(brand.id, row.source)
    if not connector.can_reply:
        return False
    if not store.claim_acknowledgement(case_id):  # claim first: it goes out once
        return False
    text = deps.draft_acknowledgement(brand, row.source, lang=row.lang or "en",
                                      reference=case.reference,
                                      opening=next_opening(hours, brand.zone, now),
                                      name=row.author_name or f"@{row.author_handle}")
    if text is None:
        store.set_acknowledgement(case_id, None, now)
        log.warning("no acknowledgement template fits %s's limit; none posted", connector.title)
        return False
    target = ReplyTarget(platform=row.platform, mention_id=row.external_id, url=row.url,
                         author_handle=row.author_handle, conversation_id=row.conversation_id,
                         extra=dict(row.extra or {}))
    try:
        connector.reply(target, text, f"case-{case_id}-ack")
    except PlatformError as exc:
        store.set_acknowledgement(case_id, None, now, failure=exc.message)
        log.warning("out-of-hours acknowledgement for %s failed: %s", case.reference, exc)
        return False
    store.set_acknowledgement(case_id, text, now)
    return True
