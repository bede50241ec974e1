"""A spike's alert as Block Kit: the wave's link, the end, Slack's limits."""

from __future__ import annotations

import json
from datetime import timedelta

from alerts.blocks_spike import build_quiet_notice, build_spike_alert
from monitor.store_spikes import Sample, Spike, WaveLink
from tests.monitor.test_spikes import NOW

FACTS = {"value": 30.0, "usual": 2.0, "method": "seasonal", "complaints": 30, "mentions": 80,
         "window_hours": 1, "category": "delivery", "category_count": 22, "platform": "x",
         "platform_count": 30, "words": ["outage", "app"], "samples": [1], "wave": 7}


def spike(**changes: object) -> Spike:
    values: dict[str, object] = {
        "id": 1, "brand_id": "acme", "kind": "volume", "started_at": NOW, "updated_at": NOW,
        "ended_at": None, "revision": 0, "peak": 30.0, "facts": FACTS, "slack_channel": "C0ACME",
        "slack_ts": None}
    values.update(changes)
    return Spike(**values)  # type: ignore[arg-type]


def test_spike_alert__counts_facts_samples_and_the_wave_link() -> None:
    wave = WaveLink(7, "parcel late", 12, "C0ACME", "1700000001.000200")
    sample = Sample("x", "@maya", "my parcel is *late* <@U123> " + "x" * 3000, "https://x.com/1")
    message = build_spike_alert("Acme", spike(), [sample] * 5, wave, NOW)
    text = json.dumps(message["blocks"])
    assert "*30* complaints" in text and "*2.0* usually" in text
    assert "delivery (22)" in text and "outage, app" in text
    assert "https://slack.com/archives/C0ACME/p1700000001000200" in text
    assert "<@U123>" not in text and "&lt;@U123&gt;" in text
    assert sum(1 for b in message["blocks"] if "@maya" in json.dumps(b)) == 3
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section"
               and "text" in b)
    assert len(message["text"]) <= 3000


def test_spike_alert__ended() -> None:
    ended = spike(ended_at=NOW + timedelta(hours=2), peak=45.0)
    text = json.dumps(build_spike_alert("Acme", ended, [], None, NOW)["blocks"])
    assert "back to usual" in text and "2 h" in text and "45 complaints" in text
    assert "archives" not in text


def test_quiet_notice__quiet_and_back() -> None:
    quiet = json.dumps(build_quiet_notice("rss <!here>", NOW, 20, 3, 60.0, recovered=False))
    assert "quieter than usual" in quiet and "3 post(s) in 20 h, usually 60" in quiet
    assert "<!here>" not in quiet
    assert "as usual again" in json.dumps(build_quiet_notice("rss", NOW, 20, 3, 60.0, True))
