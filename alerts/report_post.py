"""Post a scheduled report: its text summary in the brand's channel, its charts in the thread.

The summary carries the report's key in its metadata like every message, so a sender taking
over after a crash finds it instead of posting it again; the charts are uploaded after it,
into its thread, unless that thread holds files already (the same sender after a crash
between the upload and its record).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from alerts import messages
from alerts.delivery import Delivery
from alerts.report_charts import charts
from monitor.notices import ScheduledReport
from monitor.ports import Brands
from monitor.report_causes import default_encoder
from monitor.report_figures import build_report
from monitor.report_model import Period
from monitor.store import Store

Poster = Callable[[str, dict[str, Any]], tuple[str, str]]
"""(channel, message) -> (ts, channel): the sender's post-once."""


def post_report(store: Store, brands: Brands, delivery: Delivery, notice: ScheduledReport,
                channel: str, now: datetime, post: Poster) -> tuple[str, str]:
    """Build the report the notice names from the database, post it, upload its charts."""
    brand = brands.brand(notice.brand_id)
    period = Period(datetime.fromisoformat(notice.start), datetime.fromisoformat(notice.end),
                    brand.timezone)
    report = build_report(store, [brand], period, now, default_encoder())
    ts, where = post(channel, {"text": messages.report_summary(report, mrkdwn=True)})
    drawn = charts(report)
    if drawn and not delivery.thread_has_files(where, ts):
        delivery.upload_files(where, drawn, messages.report_charts_comment(brand.name), thread_ts=ts)
    return ts, where
