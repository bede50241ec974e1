"""Approval of replies in the core: the config, each step of a proposal's life as case events
and outbox messages committed together, the report's figures, and erasure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor import approvals, casework
from monitor.case_engine import Result
from monitor.cli_report import report_json
from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.models import OutboxRow
from monitor.poller import poll_all
from monitor.report_figures import build_report, last_days
from monitor.store_privacy import forget_customer
from monitor.store_proposals import Proposals
from tests.factories import World, make_world, post, write_brands

PROPOSER, RESPONDER, OTHER = "U0PROPOSER", "U0ALLOWED", "U0OTHERJR"
EXTRA = f"""\
    approval:
      propose_only: [{PROPOSER}, {OTHER}]
    waves:
      enabled: false
"""


# The config --------------------------------------------------------------------------------

def test_config__no_approval_by_default(tmp_path: Path) -> None:
    brand = load_config(write_brands(tmp_path), check_sources=False).brands[0]
    assert not brand.approval.enabled and brand.approval.propose_only == []
    assert brand.acting == ["U0ALLOWED", "S0TEAM"]


def test_config__proposers_count_as_the_team(tmp_path: Path) -> None:
    brand = load_config(write_brands(tmp_path, EXTRA), check_sources=False).brands[0]
    assert brand.approval.enabled
    assert brand.acting == ["U0ALLOWED", "S0TEAM", PROPOSER, OTHER]
    assert brand.responders == ["U0ALLOWED", "S0TEAM"]


@pytest.mark.parametrize("entry", ["U0ALLOWED", "S0TEAM"])
def test_config__a_responder_listed_as_propose_only_is_an_error_at_its_line(
        tmp_path: Path, entry: str) -> None:
    path = write_brands(tmp_path, f"    approval:\n      propose_only:\n        - {PROPOSER}\n"
                                  f"        - {entry}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, check_sources=False)
    [problem] = info.value.problems
    line = path.read_text().splitlines().index(f"        - {entry}") + 1
    assert problem.startswith(f"{path}:{line}: brands[0].approval.propose_only[1]: ")
    assert f"'{entry}' is a responder, and responders publish directly" in problem


def test_config__propose_only_needs_slack_ids(tmp_path: Path) -> None:
    path = write_brands(tmp_path, "    approval:\n      propose_only: [jan]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, check_sources=False)
    [problem] = info.value.problems
    line = path.read_text().splitlines().index("      propose_only: [jan]") + 1
    assert problem.startswith(f"{path}:{line}: brands[0].approval.propose_only: 'jan' is not a Slack")


def test_config__unknown_key_under_approval(tmp_path: Path) -> None:
    path = write_brands(tmp_path, "    approval:\n      proposers: [U0X1]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, check_sources=False)
    assert any("brands[0].approval.proposers: unknown key" in p for p in info.value.problems)


# The engine --------------------------------------------------------------------------------

@pytest.fixture
def world(tmp_path: Path, database_url: str) -> World:
    """A world on SQLite, and on PostgreSQL (row locks, and interval arithmetic in the report)."""
    return make_world(tmp_path, database_url, extra=EXTRA)


def _case(world: World, pid: str = "1") -> int:
    known = {c.id for c in world.runtime.store.cases(limit=1000)}
    world.add_posts(post(pid, f"acme parcel {pid} is late, refund please", author=f"c{pid}",
                         minutes_ago=1, published_at=None))
    poll_all(world.runtime)
    [new] = [c.id for c in world.runtime.store.cases(limit=1000) if c.id not in known]
    return new


def _queued(world: World, case_id: int) -> list[str]:
    with world.runtime.store.session() as s:
        return [r.dedupe_key for r in s.query(OutboxRow).filter(OutboxRow.case_id == case_id)
                .order_by(OutboxRow.id)]


def _kinds(world: World, case_id: int) -> list[str]:
    return [e.kind for e in world.runtime.store.events(case_id)]


def test_propose__records_the_proposal_an_event_and_its_messages(world: World) -> None:
    case_id = _case(world)
    outcome = approvals.propose(world.runtime, case_id, "  Sorry! DM us?  ", PROPOSER)
    assert outcome.result is Result.PROPOSED and outcome.changed
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    assert (proposal.text, proposal.state, proposal.proposer) == ("Sorry! DM us?", "pending", PROPOSER)
    assert _kinds(world, case_id)[-1] == "proposed"
    keys = _queued(world, case_id)
    assert f"proposal:{proposal.id}:pending" in keys and any(k.startswith("update:") for k in keys)
    assert world.reply_lines() == [] and world.runtime.store.case(case_id).replied_at is None
    assert approvals.waiting(_kinds(world, case_id)) == 1


def test_propose__a_newer_one_replaces_the_waiting_one(world: World) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "first", PROPOSER)
    world.clock.advance(minutes=1)
    approvals.propose(world.runtime, case_id, "second", OTHER)
    first, second = Proposals(world.runtime.store).of_case(case_id)
    assert (first.state, first.decided_by) == ("replaced", OTHER)
    assert second.pending
    assert _kinds(world, case_id)[-2:] == ["proposal_replaced", "proposed"]
    assert f"proposal:{first.id}:replaced" in _queued(world, case_id)
    assert approvals.waiting(_kinds(world, case_id)) == 1
    assert approvals.approve(world.runtime, first.id, RESPONDER).result is Result.PROPOSAL_DECIDED
    assert world.reply_lines() == []


def test_approve__publishes_once_and_records_who(world: World) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "Sorry! DM us?", PROPOSER)
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    world.clock.advance(minutes=4)

    outcome = approvals.approve(world.runtime, proposal.id, RESPONDER)

    assert outcome.result is Result.APPROVED and outcome.who == RESPONDER
    assert [r["text"] for r in world.reply_lines()] == ["Sorry! DM us?"]
    after = Proposals(world.runtime.store).get(proposal.id)
    assert (after.state, after.decided_by, after.edited) == ("approved", RESPONDER, False)
    assert after.decided_at is not None and after.decided_at - after.created_at == timedelta(minutes=4)
    assert _kinds(world, case_id)[-2:] == ["replied", "approved"]
    assert f"proposal:{proposal.id}:approved" in _queued(world, case_id)
    assert approvals.waiting(_kinds(world, case_id)) == 0

    again = approvals.approve(world.runtime, proposal.id, "U0GROUPIE")
    assert again.result is Result.PROPOSAL_DECIDED and again.who == RESPONDER and not again.changed
    assert len(world.reply_lines()) == 1 and _kinds(world, case_id).count("approved") == 1


def test_approve__with_edits(world: World) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "Sorry!", PROPOSER)
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    assert approvals.approve(world.runtime, proposal.id, RESPONDER, "Sorry, DM us.").result is Result.APPROVED
    assert [r["text"] for r in world.reply_lines()] == ["Sorry, DM us."]
    after = Proposals(world.runtime.store).get(proposal.id)
    assert after.edited and after.text == "Sorry!"
    last = world.runtime.store.events(case_id)[-1]
    assert (last.kind, last.detail) == ("approved", "edited")


def test_answered_directly__the_waiting_proposal_is_closed_and_cannot_be_approved(world: World) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "Sorry!", PROPOSER)
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    casework.publish_reply(world.runtime, case_id, "Answered directly", RESPONDER)
    after = Proposals(world.runtime.store).get(proposal.id)
    assert (after.state, after.decided_by) == ("answered", RESPONDER)
    assert _kinds(world, case_id)[-2:] == ["replied", "proposal_not_needed"]
    assert f"proposal:{proposal.id}:answered" in _queued(world, case_id)  # its message says so
    assert approvals.waiting(_kinds(world, case_id)) == 0
    events = world.runtime.store.events(case_id)
    outcome = approvals.approve(world.runtime, proposal.id, "U0GROUPIE")
    assert outcome.result is Result.PROPOSAL_DECIDED and outcome.who == RESPONDER
    assert outcome.detail == "answered" and not outcome.changed
    assert world.runtime.store.events(case_id) == events
    assert [r["text"] for r in world.reply_lines()] == ["Answered directly"]
    assert approvals.propose(world.runtime, case_id, "late", OTHER).result is Result.ALREADY_ANSWERED


@pytest.mark.parametrize("close", ["resolve", "not_a_complaint"])
def test_closing_the_case__the_waiting_proposal_is_not_needed(world: World, close: str) -> None:
    from monitor.domain import CaseStatus

    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "Sorry!", PROPOSER)
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    if close == "resolve":
        assert casework.set_status(world.runtime, case_id, CaseStatus.RESOLVED, RESPONDER).changed
    else:
        assert casework.mark_not_complaint(world.runtime, case_id, RESPONDER).changed
    after = Proposals(world.runtime.store).get(proposal.id)
    assert (after.state, after.decided_by) == ("answered", RESPONDER)
    assert "proposal_not_needed" in _kinds(world, case_id)
    assert approvals.waiting(_kinds(world, case_id)) == 0
    assert approvals.approve(world.runtime, proposal.id, RESPONDER).result is Result.PROPOSAL_DECIDED
    assert world.reply_lines() == []


def test_approve__the_approval_commits_with_the_reply(world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "Sorry!", PROPOSER)
    [proposal] = Proposals(world.runtime.store).of_case(case_id)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(approvals, "approved", crash)
    with pytest.raises(RuntimeError):
        approvals.approve(world.runtime, proposal.id, RESPONDER)
    # neither a recorded reply nor a proposal left waiting beside one: both or nothing
    case = world.runtime.store.case(case_id)
    assert case.replied_at is None and Proposals(world.runtime.store).get(proposal.id).pending
    assert world.runtime.store.claim_holder(case_id) is not None  # the next clicker is told


def test_reject__records_the_reason_and_publishes_nothing(world: World) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "We'll refund you now!", PROPOSER)
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    outcome = approvals.reject(world.runtime, proposal.id, RESPONDER, " no refund promises ")
    assert outcome.result is Result.REJECTED
    after = Proposals(world.runtime.store).get(proposal.id)
    assert (after.state, after.note, after.decided_by) == ("rejected", "no refund promises", RESPONDER)
    last = world.runtime.store.events(case_id)[-1]
    assert (last.kind, last.actor, last.detail) == ("rejected", RESPONDER, "no refund promises")
    assert world.reply_lines() == []
    assert approvals.reject(world.runtime, proposal.id, RESPONDER).result is Result.PROPOSAL_DECIDED
    assert approvals.approve(world.runtime, proposal.id, RESPONDER).result is Result.PROPOSAL_DECIDED
    assert world.reply_lines() == [] and approvals.waiting(_kinds(world, case_id)) == 0


def test_a_failed_step_commits_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.store_tx import Tx

    case_id = _case(world)
    before = (_kinds(world, case_id), _queued(world, case_id))

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the outbox write fails")

    monkeypatch.setattr(Tx, "queue", broken)
    with pytest.raises(RuntimeError):
        approvals.propose(world.runtime, case_id, "Sorry!", PROPOSER)
    monkeypatch.undo()
    assert Proposals(world.runtime.store).of_case(case_id) == []
    assert (_kinds(world, case_id), _queued(world, case_id)) == before


# The report ----------------------------------------------------------------------------------

def test_report__counts_proposals_outcomes_and_the_median_decision(world: World) -> None:
    runtime = world.runtime
    brand = runtime.brand("acme")
    empty = build_report(runtime.store, [brand], last_days(world.clock(), timedelta(days=1), "UTC"),
                         world.clock(), None)
    assert empty.approvals is None and "approvals" not in report_json(empty)

    cases = [_case(world, str(i)) for i in range(4)]
    waits = iter([2, 6, 10])
    for case_id in cases:
        approvals.propose(runtime, case_id, "Sorry!", PROPOSER)
    first, second, third, _ = (Proposals(runtime.store).of_case(c)[0] for c in cases)
    world.clock.advance(minutes=next(waits))
    approvals.approve(runtime, first.id, RESPONDER)
    world.clock.advance(minutes=next(waits) - 2)
    approvals.approve(runtime, second.id, RESPONDER, "Sorry, edited.")
    world.clock.advance(minutes=next(waits) - 6)
    approvals.reject(runtime, third.id, RESPONDER, "tone")
    approvals.propose(runtime, cases[3], "Sorry again!", OTHER)  # replaces the fourth's first

    world.clock.advance(seconds=1)  # a period ends just before its end
    report = build_report(runtime.store, [brand], last_days(world.clock(), timedelta(days=1), "UTC"),
                          world.clock(), None)
    a = report.approvals
    assert a is not None
    assert (a.proposed, a.approved, a.edited, a.rejected, a.replaced, a.pending) == (5, 2, 1, 1, 1, 1)
    assert a.median_decision == timedelta(minutes=6)
    data = report_json(report)["approvals"]
    assert data["proposed"] == 5 and data["median_decision"] == 360.0

    from alerts.messages import report_approvals, report_summary
    from alerts.report_html import render_html

    line = report_approvals(a)
    assert line.startswith("5 replies proposed for approval: 2 approved (1 with edits), 1 rejected")
    assert "6 min" in line and line in report_summary(report)
    page = render_html(report, [])
    assert 'id="approvals"' in page and "Approved with edits" in page
    assert 'id="approvals"' not in render_html(empty, []) and "proposed for approval" not in (
        report_summary(empty))


# Erasure -------------------------------------------------------------------------------------

def test_forgetting_the_customer__clears_proposal_texts(world: World) -> None:
    case_id = _case(world)
    approvals.propose(world.runtime, case_id, "Hi C1, sorry! DM us?", PROPOSER)
    forget_customer(world.runtime.store, "x", "c1", actor=RESPONDER, now=world.clock())
    [proposal] = Proposals(world.runtime.store).of_case(case_id)
    assert proposal.text == "" and proposal.proposer == PROPOSER
