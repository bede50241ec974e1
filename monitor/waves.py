"""Waves: many similar complaints within minutes (an outage, a viral post) become one alert.

The channel sees one grouped alert with a live count and samples; each case still exists and
gets its own answerable alert in the grouped alert's thread.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from monitor.models import CaseRow, WaveRow
from monitor.settings import BrandConfig
from monitor.wiring import Runtime

_NOISE = re.compile(r"https?://\S+|[@#]\w+|\d+")
_WORD = re.compile(r"\w{3,}")


def tokens(text: str) -> frozenset[str]:
    """Content words of a post, ignoring links, handles, hashtags and numbers."""
    return frozenset(_WORD.findall(_NOISE.sub(" ", text.lower())))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two token sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def join_wave(runtime: Runtime, brand: BrandConfig, case_id: int, text: str,
              now: datetime) -> int | None:
    """Put the case in a wave if it is one of many similar recent complaints; return the wave id."""
    cfg = brand.waves
    if not cfg.enabled:
        return None
    words = tokens(text)
    since = now - cfg.window
    with runtime.store.session() as s:
        for wave in s.scalars(select(WaveRow).where(WaveRow.brand_id == brand.id,
                                                    WaveRow.last_at >= since)
                              .order_by(WaveRow.id.desc())):
            if similarity(words, tokens(wave.topic)) >= cfg.similarity:
                wave.last_at = now
                s.get_one(CaseRow, case_id).wave_id = wave.id
                return wave.id
        recent = s.scalars(select(CaseRow).where(CaseRow.brand_id == brand.id, CaseRow.id != case_id,
                                                 CaseRow.opened_at >= since,
                                                 CaseRow.wave_id.is_(None)))
        similar = [c for c in recent if similarity(words, tokens(c.mention.text)) >= cfg.similarity]
        if len(similar) + 1 < cfg.min_cases:
            return None
        wave = WaveRow(brand_id=brand.id, started_at=min(c.opened_at for c in similar),
                       last_at=now, topic=text, slack_channel=brand.slack.channel)
        s.add(wave)
        s.flush()
        for case in [*similar, s.get_one(CaseRow, case_id)]:
            case.wave_id = wave.id
        return wave.id


def wave_cases(runtime: Runtime, wave_id: int) -> list[CaseRow]:
    with runtime.store.session() as s:
        return list(s.scalars(select(CaseRow).where(CaseRow.wave_id == wave_id).order_by(CaseRow.id)))


def wave(runtime: Runtime, wave_id: int) -> WaveRow:
    with runtime.store.session() as s:
        return s.get_one(WaveRow, wave_id)


def set_wave_message(runtime: Runtime, wave_id: int, channel: str, ts: str) -> None:
    with runtime.store.session() as s:
        row = s.get_one(WaveRow, wave_id)
        row.slack_channel, row.slack_ts = channel, ts
