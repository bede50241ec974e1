"""The claim that makes a case's ticket once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor import case_engine, store_tickets, tickets
from monitor.poller import poll_all
from tests.factories import make_world, post


def test_claim__once_then_free_after_a_failure_and_taken_over_when_stale(tmp_path: Path,
                                                                          database_url: str) -> None:
    world = make_world(tmp_path, database_url)
    world.add_posts(post("1", "acme parcel is late, refund please", minutes_ago=2))
    poll_all(world.runtime)
    store, now = world.runtime.store, world.clock()
    [case] = store.cases()

    first = store_tickets.claim(store, case.id, "zendesk", "U0A", now)
    assert first is not None and first.status == "creating"
    assert store_tickets.claim(store, case.id, "zendesk", "U0B", now) is None  # a double click

    with store.transaction() as tx:  # the helpdesk answered an error: free, and a new key next time
        case_engine.ticket_failed(tx, tx.case(case.id), actor="U0A", reason="500", answered=True,
                                  now=now)
    retry = store_tickets.claim(store, case.id, "zendesk", "U0B", now + timedelta(seconds=5))
    assert retry is not None and retry.created_by == "U0B"
    assert tickets.idempotency_key(case.reference, retry) != tickets.idempotency_key(case.reference, first)

    with store.transaction() as tx:  # no answer: free, and the same key next time
        case_engine.ticket_failed(tx, tx.case(case.id), actor="U0B", reason="timeout", answered=False,
                                  now=now)
    again = store_tickets.claim(store, case.id, "zendesk", "U0C", now + timedelta(seconds=10))
    assert again is not None
    assert tickets.idempotency_key(case.reference, again) == tickets.idempotency_key(case.reference, retry)

    # A crashed click's claim is taken over only after the lease, with the same key.
    assert store_tickets.claim(store, case.id, "zendesk", "U0D", now + timedelta(minutes=1)) is None
    stale = store_tickets.claim(store, case.id, "zendesk", "U0D", now + timedelta(minutes=20))
    assert stale is not None
    assert tickets.idempotency_key(case.reference, stale) == tickets.idempotency_key(case.reference, again)

    with store.transaction() as tx:
        case_engine.ticket_created(tx, tx.case(case.id), actor="U0D", system_title="Zendesk",
                                   external_id="35436", url="https://acme.zendesk.com/agent/tickets/35436",
                                   status="open", now=now)
    assert store_tickets.claim(store, case.id, "zendesk", "U0E", now + timedelta(hours=1)) is None
    found = store_tickets.ticket_by_external(store, "acme", "zendesk", "35436")
    assert found is not None and found.case_id == case.id
    assert store_tickets.ticket_by_external(store, "other-brand", "zendesk", "35436") is None
