"""Block Kit builders, pure and unit-tested: the sender only sends what these return.

Each builder takes what it shows (a CaseView, the time `now`) and returns blocks within
Slack's limits, with every piece of user text escaped and cut between graphemes.
"""

from __future__ import annotations

from alerts.blocks_case import (
    alert_fallback_text,
    build_ack_notice,
    build_alert,
    build_escalation,
    build_followup,
    build_reminder,
    build_thread_event,
    build_wave_alert,
)
from alerts.blocks_kit import Block, Message, fallback_text
from alerts.blocks_modal import build_edit_modal, edit_empty_error, edit_too_long_error
from alerts.blocks_queue import QueueKind, QueueStats, build_queue, build_source_notice

__all__ = [
    "Block",
    "Message",
    "QueueKind",
    "QueueStats",
    "alert_fallback_text",
    "build_ack_notice",
    "build_alert",
    "build_edit_modal",
    "build_escalation",
    "build_followup",
    "build_queue",
    "build_reminder",
    "build_source_notice",
    "build_thread_event",
    "build_wave_alert",
    "edit_empty_error",
    "edit_too_long_error",
    "fallback_text",
]
