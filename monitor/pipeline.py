"""From fetched mentions to cases: store once, classify, open a case, queue the alert."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from monitor.acknowledge import acknowledge_out_of_hours
from monitor.classify.rating import apply_rating
from monitor.domain import Classification, Mention
from monitor.names import NameMatcher
from monitor.settings import BrandConfig
from monitor.sla import deadline_for, is_question_case, priority_for
from monitor.waves import join_wave
from monitor.wiring import Runtime, suggest_replies

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one batch of mentions turned into."""

    stored: int = 0
    duplicates: int = 0
    filtered: int = 0
    joined: int = 0
    complaints: int = 0
    cases: tuple[int, ...] = ()
    reopened: tuple[int, ...] = ()


def is_filtered(brand: BrandConfig, mention: Mention) -> bool:
    """Skip the brand's own posts and posts with excluded terms."""
    if mention.author_handle.lstrip("@").lower() in brand.own_handles(mention.platform):
        return True
    return bool(brand.exclude) and _matcher(tuple(brand.exclude)).search(
        f"{mention.title} {mention.text}")


@functools.lru_cache(maxsize=256)
def _matcher(terms: tuple[str, ...]) -> NameMatcher:
    """Excluded terms are matched as names are (declined, with particles), compiled once."""
    return NameMatcher(terms)


def alerts(brand: BrandConfig, verdict: Classification) -> bool:
    """Whether a verdict opens a case: every complaint, and questions where the brand asks."""
    return verdict.is_complaint or (is_question_case(verdict) and "question" in brand.alert_on)


def customer_key(mention: Mention) -> str:
    """Name a customer by platform and handle, the way the team links them in YAML.

    Review sites give no reviewer id, only a display name many people share; such a
    customer is known by this one review alone.
    """
    if not mention.author_id:
        return f"{mention.platform}:review:{mention.id}"
    return f"{mention.platform}:{mention.author_handle.lstrip('@').lower()}"


def _joins_open_case(runtime: Runtime, brand: BrandConfig, mention_id: int, mention: Mention,
                     now: datetime) -> bool:
    """Add a customer's new post in the same conversation to their open case, deadline kept."""
    if not mention.conversation_id:
        return False
    case = runtime.store.open_case_in_conversation(brand.id, customer_key(mention),
                                                   mention.conversation_id)
    if case is None:
        return False
    runtime.store.add_event(case.id, f"@{mention.author_handle}", "customer_posted", now, mention.text)
    runtime.outbox.put(f"thread:{case.id}:post:{mention_id}", "thread",
                       {"case_id": case.id, "mention_id": mention_id}, now, case_id=case.id)
    runtime.outbox.put(f"update:{case.id}:post:{mention_id}", "update", {"case_id": case.id}, now,
                       case_id=case.id)
    return True


def process(runtime: Runtime, brand: BrandConfig, source: str, mentions: list[Mention],
            now: datetime) -> Outcome:
    """Store, classify and open cases for one source's batch of mentions."""
    store = runtime.store
    fresh: list[tuple[int, Mention]] = []
    followups: set[int] = set()  # joined an open case: classified for the record, no new case
    reopened: list[int] = []
    duplicates = filtered = joined = 0
    for mention in mentions:
        if is_filtered(brand, mention):
            filtered += 1
            continue
        mention_id, state = store.save_mention(brand.id, source, mention, now)
        if state == "edited":
            case_id = _reopen_if_answered(runtime, mention_id, now)
            if case_id is not None:
                reopened.append(case_id)
            else:
                fresh.append((mention_id, mention))
        elif state == "new" and _joins_open_case(runtime, brand, mention_id, mention, now):
            joined += 1
            followups.add(mention_id)
            fresh.append((mention_id, mention))
        elif state == "new" or store.mention(mention_id).is_complaint is None:
            fresh.append((mention_id, mention))
        else:
            duplicates += 1
    if not fresh:
        return Outcome(duplicates=duplicates, filtered=filtered, joined=joined,
                       reopened=tuple(reopened))

    thresholds = [brand.thresholds, runtime.config.classifier.thresholds]
    verdicts = runtime.classifier.classify([m.text if not m.title else f"{m.title}\n{m.text}"
                                            for _, m in fresh],
                                           [m.lang_hint for _, m in fresh],
                                           thresholds, brands=[brand.context()] * len(fresh))
    cases = []
    for (mention_id, mention), raw in zip(fresh, verdicts, strict=True):
        verdict = apply_rating(raw, mention.rating)
        store.set_classification(mention_id, verdict)
        if (alerts(brand, verdict) and mention_id not in followups
                and store.case_for_mention(mention_id) is None):
            cases.append(open_case(runtime, brand, source, mention_id, mention, verdict, now))
    return Outcome(stored=len(fresh) - len(followups), duplicates=duplicates, filtered=filtered,
                   joined=joined, complaints=len(cases), cases=tuple(cases), reopened=tuple(reopened))


def open_case(runtime: Runtime, brand: BrandConfig, source: str, mention_id: int,
              mention: Mention, verdict: Classification, now: datetime) -> int:
    """Open a case, write its suggestions and queue its alert."""
    connector = runtime.connector(brand.id, source)
    deadline = deadline_for(brand, mention, verdict)
    reference = runtime.store.next_reference(brand.id)
    name = mention.author_name or f"@{mention.author_handle}"
    texts = suggest_replies(runtime, brand, connector, lang=verdict.lang,
                            categories=reply_topics(verdict), name=name, reference=reference)
    case = runtime.store.open_case(
        brand_id=brand.id, mention_id=mention_id, reference=reference,
        customer_key=customer_key(mention), opened_at=now,
        deadline_at=deadline, priority=priority_for(mention, verdict),
        suggestions=[(verdict.lang, t) for t in texts], channel=brand.slack.channel)
    wave_id = join_wave(runtime, brand, case.id, mention.text, now)
    if wave_id is None:
        runtime.outbox.put(f"alert:{case.id}", "alert", {"case_id": case.id}, now, case_id=case.id)
    else:
        runtime.outbox.put(f"wave:{wave_id}:{case.id}", "wave", {"wave_id": wave_id}, now)
        runtime.outbox.put(f"alert:{case.id}", "alert", {"case_id": case.id, "wave_id": wave_id},
                           now, case_id=case.id)
    acknowledge_out_of_hours(runtime, brand, case.id, now)
    for hook in runtime.on_case_opened:
        hook(case.id)
    log.info("case %s opened for %s (%s, deadline %s)", case.reference, brand.id,
             mention.url, deadline.isoformat())
    return case.id


def reply_topics(verdict: Classification) -> tuple[str, ...]:
    """What the suggested replies answer: the complaint's categories, or a question."""
    if is_question_case(verdict):
        return ("question",)
    return tuple(c.value for c in verdict.all_categories)


def _reopen_if_answered(runtime: Runtime, mention_id: int, now: datetime) -> int | None:
    """Reopen the case of a review edited after we replied, and say so."""
    from monitor.domain import CaseStatus

    case = runtime.store.case_for_mention(mention_id)
    if case is None or case.replied_at is None:
        return None
    note = "The customer edited the review after we replied; the case is open again."
    if runtime.store.set_status(case.id, CaseStatus.REOPENED, "brand-monitor", now, note):
        runtime.outbox.put(f"update:{case.id}:edit:{now.isoformat()}", "update",
                           {"case_id": case.id}, now, case_id=case.id)
        runtime.outbox.put(f"thread:{case.id}:edit:{now.isoformat()}", "thread",
                           {"case_id": case.id, "text": note}, now, case_id=case.id)
    return case.id
