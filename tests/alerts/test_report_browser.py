"""The HTML report in a real headless Chromium, driven over the DevTools protocol.

The test opens the file at a phone's width, checks that every chart decoded and shows, that
the Arabic sample is laid out right to left and visible, and that a screenshot of the page is
not blank and carries the charts' colours. Without /usr/bin/chromium (or `chromium` on PATH)
it skips, except in CI (`CI=true`), where it fails.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from PIL import Image

from alerts.report_charts import COMPLAINTS, WITHIN, charts
from alerts.report_html import render_html
from tests.report_samples import ARABIC, week

PHONE_WIDTH, PHONE_HEIGHT = 390, 844
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[str]:
    """Start headless Chromium; yield its DevTools websocket URL."""
    binary = _chromium()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    args = [binary, "--headless", "--remote-debugging-port=0", f"--user-data-dir={tmp_path / 'profile'}",
            "--hide-scrollbars", "--no-first-run", "--disable-gpu", "about:blank"]
    if os.geteuid() == 0:  # Chromium's sandbox refuses to run as root
        args.insert(1, "--no-sandbox")
    process = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               text=True, start_new_session=True)
    found: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:  # read stderr to its end, or Chromium blocks on a full pipe
        assert process.stderr is not None
        for line in process.stderr:
            match = _LISTENING.search(line)
            if match:
                found.put(match.group(1))
        found.put(None)  # Chromium exited

    threading.Thread(target=drain, daemon=True).start()
    try:
        url = found.get(timeout=20)
        assert url, "chromium exited without opening its DevTools port"
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # Chromium and the renderers it started
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class DevTools:
    """The few DevTools calls the test needs, over one session with one page."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.session: str | None = None

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.socket.send(json.dumps(message))
        while True:
            answer = json.loads(await asyncio.wait_for(self.socket.recv(), 20))
            if answer.get("id") == number:
                assert "error" not in answer, answer["error"]
                return answer["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                                 awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"]["value"]


async def _inspect(url: str, page: Path) -> dict[str, Any]:
    async with websockets.connect(url, max_size=64 * 2**20) as socket:
        tools = DevTools(socket)
        target = await tools.call("Target.createTarget", url="about:blank")
        attached = await tools.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        tools.session = attached["sessionId"]
        await tools.call("Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=PHONE_HEIGHT,
                         deviceScaleFactor=1, mobile=True)
        await tools.call("Page.enable")
        await tools.call("Page.navigate", url=page.as_uri())
        await tools.evaluate("new Promise(r => document.readyState === 'complete' ? r(1)"
                             " : addEventListener('load', () => r(1)))")
        images = await tools.evaluate("""[...document.images].map(i => {
            const box = i.getBoundingClientRect();
            return {ok: i.complete && i.naturalWidth > 0, width: box.width, height: box.height,
                    shown: getComputedStyle(i).visibility === 'visible' && box.width > 0};
        })""")
        arabic = await tools.evaluate("""(() => {
            const q = [...document.querySelectorAll('blockquote[lang="ar"]')][0];
            if (!q) return null;
            const box = q.getBoundingClientRect();
            return {text: q.textContent, direction: getComputedStyle(q).direction,
                    width: box.width, height: box.height, right: box.right,
                    visible: getComputedStyle(q).visibility === 'visible'};
        })()""")
        width = await tools.evaluate("document.documentElement.scrollWidth")
        height = await tools.evaluate("document.documentElement.scrollHeight")
        await tools.call("Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=min(height, 12000),
                         deviceScaleFactor=1, mobile=True)
        shot = await tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return {"images": images, "arabic": arabic, "scroll_width": width,
                "png": base64.b64decode(shot["data"])}


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _pixels_near(image: Image.Image, colour: str, tolerance: int = 12) -> int:
    target = _rgb(colour)
    return sum(count for count, rgb in image.getcolors(maxcolors=1 << 20) or []
               if all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True)))


def test_report__in_headless_chromium_at_phone_width(browser: str, tmp_path: Path) -> None:
    report = week()
    drawn = charts(report)
    page = tmp_path / "report.html"
    page.write_text(render_html(report, drawn), encoding="utf-8")

    seen = asyncio.run(asyncio.wait_for(_inspect(browser, page), 30))

    assert len(seen["images"]) == len(drawn) >= 4
    for image in seen["images"]:
        assert image["ok"] and image["shown"], image
        assert 0 < image["width"] <= PHONE_WIDTH  # shrunk to the screen, not cut off
    assert seen["scroll_width"] <= PHONE_WIDTH  # only the tables scroll sideways, not the page
    arabic = seen["arabic"]
    assert arabic is not None
    assert arabic["text"].strip() == ARABIC
    assert arabic["direction"] == "rtl"
    assert arabic["visible"] and arabic["width"] > 0 and arabic["height"] > 0

    shot = Image.open(io.BytesIO(seen["png"])).convert("RGB")
    assert shot.width == PHONE_WIDTH and shot.height > 2000
    colours = shot.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # not a blank page
    assert _pixels_near(shot, COMPLAINTS) > 200  # the bars of the charts, drawn in the page
    assert _pixels_near(shot, WITHIN) > 200
