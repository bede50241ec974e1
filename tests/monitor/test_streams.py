from __future__ import annotations

import threading
from pathlib import Path

from monitor.domain import Mention
from monitor.streams import start_streams
from tests.factories import T0, make_world


class StreamingConnector:
    """Stands in for a connector with a streaming API: pushes two posts, then waits."""

    platform = "replay"
    title = "Streaming"
    can_reply = True
    reply_limit = 280

    def count_length(self, text: str) -> int:
        return len(text)

    def stream(self, handler, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
        for i, text in enumerate(["acme order late again", "acme latte was lovely"]):
            handler(Mention(platform="replay", id=f"s{i}", text=text, url="u", author_id=f"a{i}",
                            author_handle=f"a{i}", published_at=T0))
        self.done.set()
        stop.wait()


def test_stream__posts_go_through_the_pipeline(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    text = world.config_path.read_text().replace(
        "      - type: replay\n", "      - type: replay\n        stream: true\n")
    world.config_path.write_text(text)
    from monitor.config_loader import load_config

    world.runtime.config = load_config(world.config_path, env={})
    connector = StreamingConnector()
    connector.done = threading.Event()  # type: ignore[attr-defined]
    world.runtime.connector_overrides[("acme", "posts")] = connector  # type: ignore[assignment]
    stop = threading.Event()
    [thread] = start_streams(world.runtime, stop)
    assert connector.done.wait(10)  # type: ignore[attr-defined]
    stop.set()
    thread.join(10)
    cases = world.runtime.store.cases()
    assert [c.mention.external_id for c in cases] == ["s0"]
