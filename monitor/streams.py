"""Near-real-time sources: connectors with a `stream()` feed the pipeline between polls."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from monitor.domain import Mention
from monitor.pipeline import process
from monitor.settings import BrandConfig
from monitor.wiring import Runtime

log = logging.getLogger(__name__)
Handler = Callable[[Mention], None]


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

            def handle(mention: Mention, brand: BrandConfig = brand, name: str = name) -> None:
                try:
                    process(runtime, brand, name, [mention], runtime.clock())
                except Exception:  # one bad post must not end the stream
                    log.exception("%s/%s: could not process a streamed post", brand.id, name)

            thread = threading.Thread(target=_run, args=(stream, handle, stop, f"{brand.id}/{name}"),
                                      name=f"stream:{brand.id}:{name}", daemon=True)
            thread.start()
            threads.append(thread)
    return threads


def _run(stream: Callable[[Handler, threading.Event], None], handle: Handler,
         stop: threading.Event, label: str) -> None:
    try:
        stream(handle, stop)
    except Exception:  # the poll goes on even when the stream breaks
        log.exception("%s: stream stopped; polling continues", label)
