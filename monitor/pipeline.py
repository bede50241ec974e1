"""From fetched mentions to cases: classify, then store each mention with its verdict, its
case and its alert, `TX_BATCH` mentions to a transaction.

A mention is done only when its transaction commits, so a crash anywhere leaves either
nothing (the mentions are fetched and handled again) or everything. When one mention of a
chunk fails, the chunk is rolled back and handled again one mention to a transaction: the
bad mention is quarantined (kept, shown in `status`, retried) and the rest go on. A failure
that is not the mention's fault (the database is down, full or read-only; the classifier
broke) stops the batch as a `PipelineError`, and the source is not blamed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.exc import IntegrityError

from monitor import case_engine, waves
from monitor.acknowledge import acknowledge_out_of_hours
from monitor.classify.rating import apply_rating
from monitor.domain import Classification, Mention, Severity
from monitor.models import CaseRow, MentionRow
from monitor.names import NameMatcher
from monitor.operator_metrics import observe_classifier
from monitor.ports import Ingest
from monitor.post_facts import facts_of
from monitor.repeats import says_repeat
from monitor.sanitize import clean_mention
from monitor.settings import BrandConfig
from monitor.sla import deadline_for, is_question_case, priority_for
from monitor.store import is_database_failure
from monitor.store_tx import Tx, is_new_edit

log = logging.getLogger(__name__)
QUARANTINE_ATTEMPTS = 3
# Mentions stored per transaction: a commit per mention cost a third of the pipeline's time
# (benchmarks/pipeline.py: 141 -> 211 posts/s); a chunk holds SQLite's write lock for well
# under a second.
TX_BATCH = 50
# A complaint about what the same customer complained about this recently is a repeat: its
# replies say sorry it happened again.
REPEAT_WITHIN = timedelta(days=90)


class PipelineError(Exception):
    """Handling the mentions failed on our side; they will be fetched and handled again."""


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
    quarantined: int = 0


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


def customer_key(mention: Mention) -> str:
    """Name a customer by platform and handle, the way the team links them in YAML.

    Review sites give no reviewer id, only a display name many people share; such a
    customer is known by this one review alone.
    """
    if not mention.author_id:
        return f"{mention.platform}:review:{mention.id}"
    return f"{mention.platform}:{mention.author_handle.lstrip('@').lower()}"


def reply_topics(verdict: Classification) -> tuple[str, ...]:
    """What the suggested replies answer: the complaint's categories, or a question."""
    if is_question_case(verdict):
        return ("question",)
    return tuple(c.value for c in verdict.all_categories)


@dataclass
class _Tally:
    stored: int = 0
    duplicates: int = 0
    joined: int = 0
    quarantined: int = 0

    def __post_init__(self) -> None:
        self.cases: list[int] = []
        self.reopened: list[int] = []
        self.refused: set[tuple[str, str]] = set()  # (platform, id) quarantined again

    def add(self, other: _Tally) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.joined += other.joined
        self.quarantined += other.quarantined
        self.cases += other.cases
        self.reopened += other.reopened
        self.refused |= other.refused


def process(deps: Ingest, brand: BrandConfig, source: str, mentions: Sequence[Mention],
            now: datetime) -> Outcome:
    """Classify and store one source's batch; each mention commits whole or not at all."""
    store = deps.store
    cleaned = [clean_mention(m) for m in mentions]
    kept = [m for m in cleaned if not is_filtered(brand, m)]
    filtered = len(cleaned) - len(kept)
    retried = store.quarantined(brand.id, source, QUARANTINE_ATTEMPTS)
    batch = [*kept, *(m for m in retried if m.id not in {k.id for k in kept})]
    try:
        todo = [m for m, needed in zip(batch, store.needs_work(brand.id, batch), strict=True)
                if needed]
    except Exception as exc:
        raise PipelineError(f"the database could not be read: {exc}") from exc
    tally = _Tally(duplicates=len(batch) - len(todo))
    if not todo:
        return _outcome(tally, filtered)
    thresholds = [brand.thresholds, deps.config.classifier.thresholds]
    started = time.perf_counter()
    try:
        verdicts = deps.classifier.classify([case_engine.mention_summary(m) for m in todo],
                                            [m.lang_hint for m in todo], thresholds,
                                            brands=[brand.context()] * len(todo))
    except Exception as exc:
        raise PipelineError(f"the classifier failed: {type(exc).__name__}: {exc}") from exc
    observe_classifier(time.perf_counter() - started, len(todo))
    judged = [(m, apply_rating(v, m.rating)) for m, v in zip(todo, verdicts, strict=True)]
    meanings = _meanings(deps, brand, judged)
    opened: list[int] = []
    for at in range(0, len(judged), TX_BATCH):
        chunk = [(m, v, meanings[at + k]) for k, (m, v) in enumerate(judged[at:at + TX_BATCH])]
        part = _Tally()
        try:
            with store.transaction() as tx:
                tx.serialise(brand.id)
                opened_now = [_take(deps, tx, brand, source, m, v, now, part, vector)
                              for m, v, vector in chunk]
        except Exception as exc:
            if is_database_failure(exc):
                raise PipelineError(f"the database refused the write: {exc}") from exc
            part = _Tally()  # rolled back: one mention to a transaction, to find the bad one
            opened_now = [_take_alone(deps, brand, source, m, v, now, part, vector)
                          for m, v, vector in chunk]
        tally.add(part)
        opened += [case_id for case_id in opened_now if case_id is not None]
    again = {(m.platform, m.id) for m in retried}
    for mention, _verdict in judged:
        if (mention.platform, mention.id) in again - tally.refused:
            store.quarantine_done(brand.id, mention)
    for case_id in opened:
        _after_opening(deps, brand, case_id, now)
    if opened:
        try:
            _read_new_waves(deps, brand, now)
        except Exception:  # the cases are safe; the wave is read on the next batch
            log.exception("%s: could not give new waves their meaning vectors", brand.id)
    return _outcome(tally, filtered)


def _meanings(deps: Ingest, brand: BrandConfig, judged: Sequence[tuple[Mention, Classification]]
              ) -> list[np.ndarray | None]:
    """The meaning vectors, in one batch, of the posts that will open cases, so that
    complaints alike in meaning form a wave or join one in any language; None elsewhere.
    Every such post is read (the encoder's full depth: about 17 ms a tweet on two cores),
    so a post costs the same whether or not waves are under way, and reports of one outage
    spread over four languages form a wave from their first few posts."""
    out: list[np.ndarray | None] = [None] * len(judged)
    if not (brand.waves.enabled and brand.waves.across_languages):
        return out
    want = [i for i, (_m, v) in enumerate(judged) if case_engine.verdict_opens_case(brand, v)]
    found = _vectors(deps, brand, [case_engine.mention_summary(judged[i][0]) for i in want],
                     [judged[i][1].lang for i in want])
    for i, vector in zip(want, found, strict=True):
        out[i] = vector
    return out


def _read_new_waves(deps: Ingest, brand: BrandConfig, now: datetime) -> None:
    """Give waves that have no meaning vector (begun by words while the encoder failed) one,
    after they committed: the sum of their newest posts' vectors, so that posts in other
    languages can join them."""
    if not (brand.waves.enabled and brand.waves.across_languages):
        return
    pending = deps.store.waves_to_read(brand.id, now - brand.waves.window)
    posts = [post for _w, wave_posts in pending for post in wave_posts]
    vectors = iter(_vectors(deps, brand, [t for t, _l in posts], [lang for _t, lang in posts]))
    for wave_id, wave_posts in pending:
        found = [v for v in (next(vectors) for _ in wave_posts) if v is not None]
        if found:
            total = np.sum(found, axis=0)
            deps.store.set_wave_meaning(wave_id, waves.pack(total), waves.meaning_keys(total))


def _vectors(deps: Ingest, brand: BrandConfig, texts: list[str], langs: list[str]
             ) -> list[np.ndarray | None]:
    if not texts:
        return []
    try:
        return deps.classifier.meanings(texts, langs, [brand.context()] * len(texts))
    except Exception:  # waves then group by words alone; the cases matter more
        log.exception("%s: meaning vectors failed; waves group these posts by their words", brand.id)
        return [None] * len(texts)


def _take_alone(deps: Ingest, brand: BrandConfig, source: str, mention: Mention,
                verdict: Classification, now: datetime, tally: _Tally,
                meaning: np.ndarray | None = None) -> int | None:
    """One mention in a transaction of its own; one the database refuses is quarantined."""
    try:
        return _take_once(deps, brand, source, mention, verdict, now, tally, meaning)
    except Exception as exc:
        if is_database_failure(exc):
            raise PipelineError(f"the database refused the write: {exc}") from exc
        _quarantine(deps, brand, source, mention, exc, now)
        tally.quarantined += 1
        tally.refused.add((mention.platform, mention.id))
        return None


def _take_once(deps: Ingest, brand: BrandConfig, source: str, mention: Mention,
               verdict: Classification, now: datetime, tally: _Tally,
               meaning: np.ndarray | None = None) -> int | None:
    """One transaction for the mention; if another process stored it at the same moment (a
    unique key collides), look again: it is then a duplicate, or a follow-up to finish."""
    try:
        with deps.store.transaction() as tx:
            tx.serialise(brand.id)
            return _take(deps, tx, brand, source, mention, verdict, now, tally, meaning)
    except IntegrityError:
        with deps.store.transaction() as tx:
            tx.serialise(brand.id)
            return _take(deps, tx, brand, source, mention, verdict, now, tally, meaning)


def _outcome(tally: _Tally, filtered: int) -> Outcome:
    return Outcome(stored=tally.stored, duplicates=tally.duplicates, filtered=filtered,
                   joined=tally.joined, complaints=len(tally.cases), cases=tuple(tally.cases),
                   reopened=tuple(tally.reopened), quarantined=tally.quarantined)


def _take(deps: Ingest, tx: Tx, brand: BrandConfig, source: str, mention: Mention,
          verdict: Classification, now: datetime, tally: _Tally,
          meaning: np.ndarray | None = None) -> int | None:
    """Inside one transaction: store the mention and its verdict, and open or update its case.
    Returns the id of a case opened now."""
    row = tx.find_mention(brand.id, mention.platform, mention.id)
    if row is not None:
        edited = is_new_edit(row, mention)
        case = tx.case_for_mention(row.id)
        if edited:
            tx.apply_edit(row, mention)
            tx.set_verdict(row.id, verdict)
            if case is not None and case_engine.review_edited(tx, tx.case(case.id), now):
                tally.reopened.append(case.id)
                return None
        elif row.is_complaint is not None and (case is not None or row.joined_case_id is not None
                                               or not case_engine.verdict_opens_case(brand, verdict)):
            tally.duplicates += 1  # done by another process meanwhile
            return None
        else:
            tx.set_verdict(row.id, verdict)
        if case is not None:
            return None
    else:
        row = tx.add_mention(brand.id, source, mention, now)
        tx.set_verdict(row.id, verdict)
        if mention.conversation_id:
            active = tx.open_case_in_conversation(
                brand.id, customer_key(mention), mention.conversation_id,
                [s.value for s in case_engine.ACTIVE])
            if active is not None:
                case_engine.customer_posted(tx, tx.case(active.id), row, now)
                tally.joined += 1
                return None
    tally.stored += 1
    if not case_engine.verdict_opens_case(brand, verdict):
        return None
    case = open_case_for(deps, tx, brand, source, row, mention, verdict, now, meaning)
    tally.cases.append(case.id)
    log.info("case %s opened for %s (%s)", case.reference, brand.id, mention.url)
    return case.id


def open_case_for(deps: Ingest, tx: Tx, brand: BrandConfig, source: str, row: MentionRow,
                  mention: Mention, verdict: Classification, now: datetime,
                  meaning: np.ndarray | None = None) -> CaseRow:
    """Open the case of a stored mention inside `tx`: its deadline, priority and the replies
    drafted for its customer, through the case engine."""
    name = mention.author_name or f"@{mention.author_handle}"
    key = customer_key(mention)
    # A repeat: the post says so, or the customer complained about the same thing lately.
    repeat = says_repeat(mention.text) or tx.had_case_about(
        brand.id, key, verdict.category.value, now - REPEAT_WITHIN)
    facts = facts_of(f"{mention.title}\n{mention.text}", brand.products)

    def draft(lang: str, topics: Sequence[str], reference: str) -> list[tuple[str, str]]:
        texts = deps.draft_replies(brand, source, lang=lang, categories=topics, name=name,
                                   reference=reference,
                                   angry=verdict.severity >= Severity.ACCUSATION,
                                   repeat=repeat, facts=facts)
        return [(lang, t) for t in texts]

    return case_engine.open_case(
        tx, brand=brand, mention_row=row, customer_key=key,
        deadline_at=deadline_for(brand, mention, verdict), priority=priority_for(mention, verdict),
        lang=verdict.lang, topics=reply_topics(verdict), draft=draft, now=now, meaning=meaning,
        category=verdict.category.value)


def _quarantine(deps: Ingest, brand: BrandConfig, source: str, mention: Mention,
                exc: Exception, now: datetime) -> None:
    error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
    log.warning("%s/%s: mention %s:%s quarantined (%s); the rest of the batch goes on",
                brand.id, source, mention.platform, mention.id[:80], error)
    try:
        deps.store.quarantine(brand.id, source, mention, error, now)
    except Exception as inner:
        raise PipelineError(f"could not quarantine a mention: {inner}") from exc


def _after_opening(deps: Ingest, brand: BrandConfig, case_id: int, now: datetime) -> None:
    """After the case committed: the out-of-hours acknowledgement and the deadline jobs."""
    try:
        acknowledge_out_of_hours(deps, brand, case_id, now)
    except Exception:  # the case and its alert are safe; the acknowledgement is a courtesy
        log.exception("out-of-hours acknowledgement for case %d failed", case_id)
    for hook in deps.on_case_opened:
        hook(case_id)
