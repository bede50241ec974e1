"""A sender never posts a message whose claim may already have passed to another sender."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor.notices import SourceNotice
from monitor.outbox import LEASE
from monitor.settings import Environment
from tests.factories import Clock, make_world
from tests.fake_slack import FakeSlack


class _SlowDelivery(SlackDelivery):
    """Each post takes a little over a third of the claim's lease, by the test's clock."""

    def __init__(self, client: Any, clock: Clock) -> None:
        super().__init__(client)
        self.clock = clock

    def post(self, *args: Any, **kwargs: Any) -> Any:
        self.clock.advance(seconds=LEASE.total_seconds() / 3 + 0.01)
        return super().post(*args, **kwargs)


def test_a_batch_that_outlasts_two_thirds_of_its_lease_leaves_the_rest(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          database_url=f"sqlite:///{tmp_path / 'bm.db'}")
        world = make_world(tmp_path, env=env)
        client = make_client(env)
        client.retry_handlers = []
        delivery = _SlowDelivery(client, world.clock)
        runtime, now = world.runtime, world.clock()
        for i in range(4):
            runtime.outbox.put(SourceNotice("acme", f"src{i}", now.isoformat(), "down", False,
                                            now.isoformat()), now, brand_id="acme", channel="C0ACME")
        assert flush(runtime, delivery, batch=10, max_batches=1) == 2  # a third would start too late
        assert runtime.outbox.counts() == {"sent": 2, "sending": 2}
        # Once those claims lapse, the next sender sends the two left; nothing goes out twice.
        world.clock.advance(seconds=LEASE.total_seconds() + 1)
        assert flush(runtime, delivery, batch=1, max_batches=10) == 2
        keys = Counter(((m.get("metadata") or {}).get("event_payload") or {}).get("key")
                       for msgs in slack.messages.values() for m in msgs)
    assert len(keys) == 4
    assert set(keys.values()) == {1}
