"""A spike's alert and a quiet source's notice, as Block Kit, pure: the sender only sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerts import messages as msg
from alerts.blocks_kit import Block, Message, context, fields, header, message, section
from alerts.text import escape_mrkdwn, link, quote, safe, safe_url, single_line
from monitor.store_spikes import Sample, Spike, WaveLink

SAMPLE_LIMIT = 300


def wave_url(wave: WaveLink) -> str | None:
    """The Slack permalink of the wave's alert, where it was posted."""
    if not wave.slack_channel or not wave.slack_ts or wave.slack_channel[:1] not in ("C", "G"):
        return None
    return f"https://slack.com/archives/{wave.slack_channel}/p{wave.slack_ts.replace('.', '')}"


def build_spike_alert(brand_name: str, spike: Spike, samples: Sequence[Sample],
                      wave: WaveLink | None, now: datetime) -> Message:
    """How many against how many usually, what about, where, in which words, three posts in
    their own words, the wave if one formed; when it ended, that it did."""
    f = spike.facts
    ended = spike.ended_at is not None
    blocks: list[Block] = [
        header(msg.spike_header(brand_name, spike.kind, ended)),
        section(msg.spike_summary(spike.kind, float(f.get("value", 0)), float(f.get("usual", 0)),
                                  int(f.get("window_hours", 1)), int(f.get("complaints", 0)),
                                  int(f.get("mentions", 0)), str(f.get("method", "")))),
    ]
    facts = msg.spike_facts(f.get("category"), int(f.get("category_count", 0)), f.get("platform"),
                            int(f.get("platform_count", 0)), list(f.get("words") or []))
    if facts:
        blocks.append(fields(facts))
    for sample in list(samples)[:3]:
        who = safe("@" + single_line(sample.author_handle).lstrip("@"), 200)
        where = f" · {link(sample.url, 'open')}" if safe_url(sample.url) else ""
        blocks.append(section(f"{who} on {escape_mrkdwn(sample.platform)}{where}\n"
                              f"{quote(sample.text, SAMPLE_LIMIT)}"))
    if wave is not None:
        blocks.append(section(msg.spike_wave(wave.topic, wave.cases, wave_url(wave))))
    if ended and spike.ended_at is not None:
        blocks.append(context([msg.spike_ended(spike.started_at, spike.ended_at, spike.peak,
                                               spike.kind)]))
    else:
        blocks.append(context([msg.spike_since(spike.started_at, now)]))
    return message(blocks)


def build_quiet_notice(source_name: str, since: datetime, hours: int, observed: int,
                       expected: float, recovered: bool) -> Message:
    """Tell the channel a source is quieter than usual, or back to its usual volume."""
    if recovered:
        return message([section(msg.source_quiet_over(source_name, since))])
    return message([section(msg.source_quiet(source_name, since, hours, observed, expected))])
