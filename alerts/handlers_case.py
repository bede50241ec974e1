"""Moving a case along: not a complaint, acknowledge, assign, resolve, reopen, follow-up.

Every handler asks `Desk.authorize` first: only the brand's team, in the case's channel.
"""

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
from monitor.records import Case

Do = Callable[[int, str, dict[str, Any]], ActionResult]
Vet = Callable[[Case, dict[str, Any]], str | None]


def register(app: App, desk: Desk) -> None:
    runtime = desk.runtime

    def on_case(action_id: str, do: Do, vet: Vet | None = None) -> None:
        """Handle `action_id`: the clicker must be on the case's team, in the case's channel;
        `vet` may refuse what the click asks for (its text, told privately; "" for silence)."""
        @app.action(action_id)
        def handler(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            try:
                if "value" in action:
                    case_id, _ = ids.decode(action["value"])
                else:
                    case_id = ids.case_id_from_block_id(action.get("block_id", ""))
            except ValueError:
                desk.tell(body, messages.interaction_expired())
                return
            case = desk.authorize(body, case_id, "act")
            if case is None:
                return
            refusal = vet(case, action) if vet else None
            if refusal is not None:
                desk.tell(body, refusal)
                return
            desk.report(body, do(case_id, body["user"]["id"], action))

    def status(to: CaseStatus) -> Do:
        return lambda case_id, user, _action: casework.set_status(runtime, case_id, to, user)

    def assignee_on_team(case: Case, action: dict[str, Any]) -> str | None:
        """The person picked must be on the brand's team too; a cleared picker does nothing."""
        assignee = action.get("selected_user")
        if not assignee:
            return ""
        brand = runtime.brand(case.brand_id)
        if desk.member(brand, str(assignee), "act"):
            return None
        return messages.assignee_not_on_team(str(assignee), brand.name)

    on_case(ids.NOT_COMPLAINT, lambda c, u, _a: casework.mark_not_complaint(runtime, c, u))
    on_case(ids.FLAG_COMPLAINT, lambda c, u, _a: casework.flag_case(runtime, c, u))
    on_case(ids.ACKNOWLEDGE, status(CaseStatus.ACKNOWLEDGED))
    on_case(ids.RESOLVE, status(CaseStatus.RESOLVED))
    on_case(ids.REOPEN, status(CaseStatus.REOPENED))
    on_case(ids.ASSIGN_ME, lambda c, u, _a: casework.assign(runtime, c, u, u))
    on_case(ids.ASSIGN_TO, lambda c, u, a: casework.assign(runtime, c, str(a["selected_user"]), u),
            assignee_on_team)
    on_case(ids.FOLLOWUP_SATISFIED,
            lambda c, u, _a: casework.record_followup(runtime, c, satisfied=True, user=u))
    on_case(ids.FOLLOWUP_NOT_SATISFIED,
            lambda c, u, _a: casework.record_followup(runtime, c, satisfied=False, user=u))

    # Link buttons: Slack opens the URL and still sends an action, which changes nothing and
    # reads nothing, so it needs no leave.
    @app.action(ids.OPEN_THREAD)
    def open_thread(ack: Ack) -> None:
        ack()

    @app.action(ids.OPEN_POST)
    def open_post(ack: Ack) -> None:
        ack()
