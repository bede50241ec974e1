"""`brand-monitor demo`: the whole loop on shipped posts, with no account and no token.

It replays demo posts in four languages, prints an alert for each complaint, then walks one
case from alert to resolution and shows a reminder and an escalation as the clock moves on.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor import casework, deadlines, tickets
from monitor.config_loader import load_config
from monitor.demo_helpdesk import DemoHelpdesk
from monitor.domain import CaseStatus
from monitor.paths import config_dir
from monitor.settings import Environment
from monitor.wiring import Runtime, build_runtime

DEMO_USER = "U0DEMO0001"


def _say(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def run_demo(keep: bool = False, database_url: str | None = None) -> int:
    """Run the demo; return the exit code."""
    from monitor.runner import make_delivery, run_once

    workdir = Path(tempfile.mkdtemp(prefix="brand-monitor-demo-"))
    desk = DemoHelpdesk()
    try:
        source_dir = config_dir()
        shutil.copy(source_dir / "demo.yaml", workdir / "demo.yaml")
        shutil.copytree(source_dir / "demo", workdir / "demo")
        config = desk.start().configure(load_config(workdir / "demo.yaml", env={}))
        env = Environment(database_url=database_url or f"sqlite:///{workdir / 'demo.db'}")
        print("brand-monitor demo — loading the classifier and replaying the demo posts…",
              file=sys.stderr, flush=True)
        runtime = build_runtime(config, workdir / "demo.yaml", env=env, environ=desk.environ)
        delivery = make_delivery(runtime, console=True)
        brand = config.brands[0]
        posts = (workdir / "demo" / "posts.jsonl").read_text(encoding="utf-8").splitlines()
        _say(f"{len(posts)} posts about {brand.name} arrive; the bot runs once")
        report = run_once(runtime, delivery)
        _summarise(runtime)
        cases = runtime.store.cases(open_only=True)
        if not cases:
            print("No complaints were found, so there is no case to walk through.")
            return 0 if report.ok else 1
        _walk_through(runtime, delivery, cases[-1].id, workdir)
        now = runtime.clock()
        waiting = [c for c in cases[:-1] if c.deadline_at - brand.reminder_before > now]
        if waiting:
            _clock_moves_on(runtime, delivery, waiting[0].id)
        _approval(runtime, delivery, [c.id for c in cases[:-1]])
        if len(cases) > 1:
            _hand_off(runtime, delivery, desk, cases[-2].id)
        _say("Done. Run `brand-monitor run --config your-brands.yaml` with SLACK_BOT_TOKEN set to go live.")
        if keep:
            print(f"Demo files kept in {workdir}")
        return 0 if report.ok else 1
    finally:
        desk.close()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _summarise(runtime: Runtime) -> None:
    rows = runtime.store.recent_mentions(limit=1000)
    flagged = Counter(r.lang for r in rows if r.is_complaint)
    quiet = [r for r in rows if not r.is_complaint]
    _say(f"Alerts raised for {sum(flagged.values())} complaint(s): "
         + ", ".join(f"{lang} {n}" for lang, n in sorted(flagged.items())))
    print(f"No alert for {len(quiet)} post(s) (praise, questions, news):")
    for row in sorted(quiet, key=lambda r: r.external_id):
        text = " ".join(row.text.split())
        print(f"  - [{row.lang}] score {row.score or 0:.2f}: {text[:80]}")
    print("(The brand's own post was skipped before classification.)")


def _walk_through(runtime: Runtime, delivery: Any, case_id: int, workdir: Path) -> None:
    from monitor.wiring import slack_entry

    flush = slack_entry().flush
    case = runtime.store.case(case_id)
    _say(f"A manager takes case {case.reference}: 'Assign to me'")
    casework.assign(runtime, case_id, DEMO_USER, DEMO_USER)
    flush(runtime, delivery)
    suggestion = runtime.store.suggestions(case_id)[0]
    _say(f"They click 'Send reply 1' on {case.reference}")
    casework.publish_reply(runtime, case_id, suggestion.text, DEMO_USER)
    flush(runtime, delivery)
    _say("A colleague clicks the same button a second later")
    again = casework.publish_reply(runtime, case_id, suggestion.text, "U0DEMO0002")
    print(f"  -> {slack_entry().outcome_text(again)}")
    source = runtime.source_config(case.brand_id, case.mention.source)
    log_path = workdir / str(source.options["reply_log"])
    lines = log_path.read_text(encoding="utf-8").splitlines() if log_path.exists() else []
    print(f"  Reply log holds {len(lines)} reply:")
    for line in lines:
        record = json.loads(line)
        print(f"    to {record['in_reply_to']}: {record['text']}")
    _say(f"The customer is happy; the manager resolves {case.reference}")
    casework.set_status(runtime, case_id, CaseStatus.RESOLVED, DEMO_USER)
    flush(runtime, delivery)
    events = runtime.store.events(case_id)
    print("  History: " + " → ".join(f"{e.kind} ({e.actor})" for e in events))


def _approval(runtime: Runtime, delivery: Any, case_ids: list[int]) -> None:
    """A proposer's Send becomes a proposal in the thread; a responder approves and publishes it."""
    from monitor import approvals
    from monitor.case_engine import Result, is_open
    from monitor.wiring import slack_entry

    flush, words = slack_entry().flush, slack_entry().outcome_text
    brand = runtime.config.brands[0]
    waiting = [runtime.store.case(i) for i in case_ids]
    case = next((c for c in waiting if c.replied_at is None and is_open(c.status)), None)
    if case is None or not brand.approval.propose_only:
        return
    proposer = brand.approval.propose_only[0]
    suggestion = runtime.store.suggestions(case.id)[0]
    _say(f"{proposer} may only propose (approval: in the YAML); they click 'Send reply 1' on "
         f"{case.reference}")
    proposed = approvals.propose(runtime, case.id, suggestion.text, proposer)
    print(f"  -> {words(proposed)}")
    flush(runtime, delivery)
    if proposed.result is not Result.PROPOSED:
        return
    _say(f"A responder clicks 'Approve & send' on the proposal for {case.reference}")
    approved = approvals.approve(runtime, int(proposed.detail), DEMO_USER)
    print(f"  -> {words(approved)}")
    flush(runtime, delivery)
    events = runtime.store.events(case.id)
    print("  History: " + " → ".join(f"{e.kind} ({e.actor})" for e in events))


def _hand_off(runtime: Runtime, delivery: Any, desk: DemoHelpdesk, case_id: int) -> None:
    """'Create ticket' hands a case to the helpdesk; the ticket solved there resolves the case."""
    from monitor.wiring import slack_entry

    entry = slack_entry()
    case = runtime.store.case(case_id)
    _say(f"A team member clicks 'Create ticket' on {case.reference} (helpdesk: type webhook)")
    outcome = tickets.create_ticket(runtime, case_id, DEMO_USER)
    print(f"  -> {entry.ticket_outcome(outcome)}")
    entry.flush(runtime, delivery)
    for received in desk.received:
        print(f"  The helpdesk received ticket {received['id']} for {received['reference']}: "
              f"\"{received['subject']}\", post {received['post']['url']}, "
              f"{received['customer']['earlier_cases']} earlier case(s), alert {received['alert_link']}")
    if outcome.external_id is None:
        return
    server = entry.serve_helpdesk(runtime, delivery)
    try:
        endpoint = f"{server.url}/helpdesk/{case.brand_id}"
        _say(f"The helpdesk solves {outcome.external_id} and posts a signed webhook to {endpoint}")
        print(f"  -> answered {desk.solve(endpoint, outcome.external_id)}; {case.reference} is now "
              f"{runtime.store.case(case_id).status}")
    finally:
        server.close()
    events = runtime.store.events(case_id)
    print("  History: " + " → ".join(f"{e.kind} ({e.actor})" for e in events))


def _clock_moves_on(runtime: Runtime, delivery: Any, case_id: int) -> None:
    from monitor.wiring import slack_entry

    flush = slack_entry().flush
    case = runtime.store.case(case_id)
    real_clock = runtime.clock
    brand = runtime.brand(case.brand_id)
    for label, at in (("15 minutes before its deadline", case.deadline_at - brand.reminder_before),
                      ("its deadline", case.deadline_at + timedelta(seconds=1))):
        if at < real_clock():
            continue
        runtime.clock = _fixed(at)
        _say(f"Nobody answers {case.reference}; the clock moves to {label}")
        deadlines.sweep(runtime)
        flush(runtime, delivery)
    runtime.clock = real_clock
    overdue = [c for c in runtime.store.cases(open_only=True) if c.escalated_at is not None]
    if overdue:
        print(f"  {len(overdue)} case(s) were already past the hour when found and were escalated at once.")


def _fixed(at: datetime) -> Callable[[], datetime]:
    """A clock stopped at `at`, to show what happens later without waiting."""
    return lambda: at
