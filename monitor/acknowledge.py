"""Out of hours, tell the customer publicly that we saw them — once per case, if the brand opts in."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update

from monitor.business_hours import is_open, next_opening
from monitor.domain import ReplyTarget
from monitor.errors import PlatformError
from monitor.models import CaseRow
from monitor.settings import BrandConfig
from monitor.wiring import Runtime, acknowledgement_text

log = logging.getLogger(__name__)
PENDING = "…"


def acknowledge_out_of_hours(runtime: Runtime, brand: BrandConfig, case_id: int,
                             now: datetime) -> bool:
    """Post the acknowledgement when the team is out; True when it was published."""
    hours = brand.business_hours
    if hours is None or not hours.out_of_hours_ack or is_open(hours, brand.zone, now):
        return False
    case = runtime.store.case(case_id)
    row = case.mention
    connector = runtime.connector(brand.id, row.source)
    if not connector.can_reply:
        return False
    with runtime.store.session() as s:  # claim first: the acknowledgement goes out once
        claimed = s.execute(update(CaseRow).where(CaseRow.id == case_id,
                                                  CaseRow.acknowledgement.is_(None))
                            .values(acknowledgement=PENDING))
        if not getattr(claimed, "rowcount", 0):
            return False
    opening = next_opening(hours, brand.zone, now)
    text = acknowledgement_text(runtime, brand, connector, lang=row.lang or "en",
                                reference=case.reference, opening=opening,
                                name=row.author_name or f"@{row.author_handle}")
    if text is None:
        runtime.store.update_case(case_id, acknowledgement=None)
        log.warning("no acknowledgement template fits %s's limit; none posted", connector.title)
        return False
    target = ReplyTarget(platform=row.platform, mention_id=row.external_id, url=row.url,
                         author_handle=row.author_handle, conversation_id=row.conversation_id,
                         extra=dict(row.extra or {}))
    try:
        connector.reply(target, text, f"case-{case_id}-ack")
    except PlatformError as exc:
        runtime.store.update_case(case_id, acknowledgement=None)
        runtime.store.add_event(case_id, "brand-monitor", "ack_failed", now, exc.message)
        log.warning("out-of-hours acknowledgement for %s failed: %s", case.reference, exc)
        return False
    runtime.store.update_case(case_id, acknowledgement=text)
    runtime.store.add_event(case_id, "brand-monitor", "acknowledged_out_of_hours", now, text)
    return True
