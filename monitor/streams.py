"""Near-real-time sources: connectors with a `stream()` feed the pipeline between polls."""

from __future__ import annotations

import logging
import threading

from monitor.pipeline import process
from monitor.wiring import Runtime

log = logging.getLogger(__name__)


def start_streams(runtime: Runtime, stop: threading.Event) -> list[threading.Thread]:
    """Start one thread per source with `stream: true` whose connector can stream."""
    threads = []
    for brand in runtime.config.brands:
        for index, source in enumerate(brand.sources):
            name = brand.source_name(index)
            if not (source.enabled and source.stream):
                continue
            connector = runtime.connector(brand.id, name)
            stream = getattr(connector, "stream", None)
            if not callable(stream):
                log.warning("%s/%s: the %s connector has no streaming API; polling only",
                            brand.id, name, source.type)
                continue

            def handle(mention, brand=brand, name=name):  # type: ignore[no-untyped-def]
                try:
                    process(runtime, brand, name, [mention], runtime.clock())
                except Exception:  # one bad post must not end the stream
                    log.exception("%s/%s: could not process a streamed post", brand.id, name)

            thread = threading.Thread(target=_run, args=(stream, handle, stop, f"{brand.id}/{name}"),
                                      name=f"stream:{brand.id}:{name}", daemon=True)
            thread.start()
            threads.append(thread)
    return threads


def _run(stream, handle, stop: threading.Event, label: str) -> None:  # type: ignore[no-untyped-def]
    try:
        stream(handle, stop)
    except Exception:  # the poll goes on even when the stream breaks
        log.exception("%s: stream stopped; polling continues", label)
