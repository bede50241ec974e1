"""Moving a case along: not a complaint, acknowledge, assign, resolve, reopen, follow-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from alerts import action_ids as ids
from alerts import messages
from alerts.slack_app import Desk
from monitor import casework
from monitor.casework import ActionResult
from monitor.domain import CaseStatus


def register(app: App, desk: Desk) -> None:
    runtime = desk.runtime

    def on_case(action_id: str, do: Callable[[int, str, dict[str, Any]], ActionResult],
                responders_only: bool = False) -> None:
        @app.action(action_id)
        def handler(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            try:
                if "value" in action:
                    case_id, _ = ids.decode(action["value"])
                else:
                    case_id = ids.case_id_from_block_id(action.get("block_id", ""))
                runtime.store.case(case_id)
            except (ValueError, KeyError):
                desk.tell(body, messages.interaction_expired())
                return
            if responders_only and not desk.may_publish(body, case_id):
                return
            desk.report(body, do(case_id, body["user"]["id"], action))

    def status(to: CaseStatus) -> Callable[[int, str, dict[str, Any]], ActionResult]:
        return lambda case_id, user, _action: casework.set_status(runtime, case_id, to, user)

    on_case(ids.NOT_COMPLAINT, lambda c, u, _a: casework.mark_not_complaint(runtime, c, u))
    on_case(ids.FLAG_COMPLAINT, lambda c, u, _a: casework.flag_case(runtime, c, u))
    on_case(ids.ACKNOWLEDGE, status(CaseStatus.ACKNOWLEDGED))
    on_case(ids.RESOLVE, status(CaseStatus.RESOLVED))
    on_case(ids.REOPEN, status(CaseStatus.REOPENED))
    on_case(ids.ASSIGN_ME, lambda c, u, _a: casework.assign(runtime, c, u, u))
    on_case(ids.ASSIGN_TO, lambda c, u, a: casework.assign(runtime, c, a["selected_user"], u))
    on_case(ids.FOLLOWUP_SATISFIED,
            lambda c, u, _a: casework.record_followup(runtime, c, satisfied=True, user=u))
    on_case(ids.FOLLOWUP_NOT_SATISFIED,
            lambda c, u, _a: casework.record_followup(runtime, c, satisfied=False, user=u))

    @app.action(ids.OPEN_THREAD)
    def open_thread(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL; there is nothing to do

    @app.action(ids.OPEN_POST)
    def open_post(ack: Ack) -> None:
        ack()
