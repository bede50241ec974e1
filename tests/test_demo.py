"""`brand-monitor demo`: complaints in four languages alerted, praise, questions and news not."""

from __future__ import annotations

import pytest

from monitor.cli import main

COMPLAINTS = {"en-1", "en-2", "ar-1", "ar-2", "fa-1", "fa-2", "pl-1", "pl-2"}


@pytest.mark.slow
def test_demo__alerts_exactly_the_complaints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for pid in COMPLAINTS:
        assert f"https://replay.invalid/x/{pid}" in out, f"{pid} should raise an alert"
    for pid in ("en-3", "en-4", "en-5", "ar-3", "ar-4", "fa-3", "fa-4", "pl-3", "pl-4"):
        assert f"https://replay.invalid/x/{pid}" not in out, f"{pid} is not a complaint"
    assert "Alerts raised for 8 complaint(s): ar 2, en 2, fa 2, pl 2" in out
    for lang_name in ("(English)", "(Arabic)", "(Persian)", "(Polish)"):
        assert f"Suggested replies {lang_name}" in out
    assert "Reply log holds 1 reply" in out
    assert "— علا من Northwind Coffee" in out and "— Ola z Northwind Coffee" in out  # per language
    assert "nothing was sent again" in out
    # Maya names her order: every English reply to her says it, none asks for it again.
    assert out.count("about order 48213") >= 3 and "your order number" not in out
    assert "Escalation level 1" in out and "is due in" in out
    # The hand-off: a ticket opened in the demo's helpdesk, solved there, the case resolved here.
    assert "Ticket #HD-1 opened in Helpdesk" in out and "The helpdesk received ticket HD-1" in out
    assert "answered 200;" in out and "ticket_solved (webhook) → resolved (webhook)" in out
    # One approval: the proposer's Send becomes a proposal, a responder approves and publishes it.
    assert "@U0DEMO0003 proposes this reply to" in out and "Approved by @U0DEMO0001 and published" in out
    assert "proposed (U0DEMO0003) → replied (U0DEMO0001) → approved (U0DEMO0001)" in out
