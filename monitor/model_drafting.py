"""Redraft a new case's replies with the brand's chat model, after the case and its alert committed.

The case opens with the template drafts, as every case does, and its alert goes out at once.
Then, off the poll's thread (a small pool the runtime owns), the model is asked for drafts
and glosses; the drafts are checked (`monitor.draft_checks`); and in one transaction through
the case engine the checked drafts replace the suggestions in place, or the templates stay
with the reason; the alert is redrawn. A case answered meanwhile is left as it is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Protocol

from monitor import case_engine
from monitor.draft_checks import check_drafts, summary
from monitor.errors import DraftingError
from monitor.model_client import request_drafts
from monitor.model_prompt import DraftRequest, ModelAnswer
from monitor.pipeline import REPEAT_WITHIN, reply_topics
from monitor.ports import Brands, Clock, ConnectorLookup
from monitor.post_facts import facts_of
from monitor.records import Case
from monitor.repeats import says_repeat
from monitor.settings import BrandConfig
from monitor.store import classification_from_row

if TYPE_CHECKING:
    from connectors.base import Connector
    from monitor.store import Store
    from monitor.wiring import Runtime

log = logging.getLogger(__name__)
Ask = Callable[..., ModelAnswer]


class DraftingDeps(Brands, ConnectorLookup, Protocol):
    @property
    def store(self) -> Store: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def environ(self) -> Mapping[str, str]: ...


def with_signature(text: str, signature: str, limit: int | None,
                   count_length: Callable[[str], int]) -> str:
    """End `text` with the brand's signature when the model left it out and it still fits."""
    if not signature or signature in text:
        return text
    signed = f"{text.rstrip()}\n{signature}"
    return signed if limit is None or count_length(signed) <= limit else text


class ModelDrafter:
    """The `on_case_opened` hook: each new case of a brand with a chat endpoint is redrafted
    in a bounded pool (`workers` threads, at most `max_waiting` cases queued), or at once in
    the caller's thread when `synchronous` (tests, one-off commands)."""

    def __init__(self, deps: DraftingDeps, *, workers: int = 2, max_waiting: int = 100,
                 synchronous: bool = False, ask: Ask = request_drafts) -> None:
        self.deps = deps
        self.workers = workers
        self.max_waiting = max_waiting
        self.synchronous = synchronous
        self.ask = ask
        self._pool: ThreadPoolExecutor | None = None
        self._futures: set[Future[bool]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, case_id: int) -> None:
        if self.synchronous:
            self._run(case_id)
            return
        with self._lock:
            if self._closed:
                log.info("case %d keeps its template drafts: shutting down", case_id)
                return
            if len(self._futures) >= self.max_waiting:
                log.warning("case %d keeps its template drafts: %d cases already wait for the "
                            "model", case_id, len(self._futures))
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="model-drafts")
            try:
                future = self._pool.submit(self._run, case_id)
            except RuntimeError:  # shutting down: the case keeps its templates
                return
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[bool]) -> None:
        with self._lock:
            self._futures.discard(future)

    def drain(self) -> None:
        """Wait until every case handed over so far is redrafted (or failed)."""
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                return
            for future in pending:
                future.exception()

    def close(self, wait_s: float = 0.0) -> bool:
        """Stop taking cases; those not started keep their templates. Wait up to `wait_s`
        seconds for the cases being redrafted; True when none is left running."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            pending = list(self._futures)
        if pool is None:
            return True
        pool.shutdown(wait=False, cancel_futures=True)
        _, running = wait(pending, timeout=max(wait_s, 0.0))
        if running:
            log.warning("%d case(s) still being redrafted at shutdown keep their template "
                        "drafts unless the model answers before the process ends", len(running))
        return not running

    @property
    def closed(self) -> bool:
        return self._closed

    def _run(self, case_id: int) -> bool:
        try:
            return self.redraft(case_id)
        except Exception:  # the case keeps its templates; the alert is already out
            log.exception("redrafting case %d failed; it keeps its template drafts", case_id)
            return False

    def redraft(self, case_id: int) -> bool:
        """Ask, check and record for one case; True when the case changed."""
        store = self.deps.store
        case = store.case(case_id)
        if case.replied_at is not None or not case_engine.is_open(case.status):
            return False
        brand = self.deps.brand(case.brand_id)
        cfg = brand.drafting
        if not cfg.uses_model:
            return False
        lang = case.mention.lang or "und"
        want_drafts = cfg.backend == "model"
        gloss_into = None if brand.team_reads(lang) else brand.team_language
        if not want_drafts and gloss_into is None:
            return False
        try:
            connector = self.deps.connector(brand.id, case.mention.source)
        except Exception:  # a source removed from the config: nothing to draft for
            log.warning("case %d: source %s is gone; no model drafts", case_id, case.mention.source)
            return False
        templates = tuple(s.text for s in store.suggestions(case.id))
        req = self._request(brand, case, connector, want_drafts, gloss_into, templates)
        try:
            answer = self._ask(brand, req)
        except DraftingError as exc:
            log.warning("case %s: the model's drafts are not used: %s", case.reference, exc.reason)
            if not want_drafts:
                return False
            return self._record(case_id, origin="template", note=exc.reason, model_failed=True)
        if not want_drafts:
            return self._record(case_id, origin="template", post_gloss=answer.post_gloss,
                                glosses=answer.template_glosses)
        signature = brand.signature_for(lang)
        drafts = [with_signature(r, signature, connector.reply_limit, connector.count_length)
                  for r in answer.replies]
        verdicts = check_drafts(drafts, post=req.post, lang=lang, limit=connector.reply_limit,
                                count_length=connector.count_length, policy=cfg.policy,
                                facts=req.facts)
        passed = [(lang, v.text, gloss)
                  for v, gloss in zip(verdicts, answer.reply_glosses, strict=True) if v.passed]
        reasons = summary(verdicts)
        if passed:
            dropped = len(verdicts) - len(passed)
            note = f"{dropped} of {len(verdicts)} dropped: {reasons}" if dropped else None
            return self._record(case_id, origin=f"model:{cfg.model}", note=note, drafts=passed,
                                post_gloss=answer.post_gloss)
        log.info("case %s: the model's drafts failed the checks: %s", case.reference, reasons)
        return self._record(case_id, origin="template", note=reasons, post_gloss=answer.post_gloss,
                            glosses=answer.template_glosses)

    def _request(self, brand: BrandConfig, case: Case, connector: Connector, want_drafts: bool,
                 gloss_into: str | None, templates: tuple[str, ...]) -> DraftRequest:
        row = case.mention
        verdict = classification_from_row(row)
        post = row.text if not row.title else f"{row.title}\n{row.text}"
        with self.deps.store.transaction() as tx:
            had_before = tx.had_case_about(brand.id, case.customer_key, verdict.category.value,
                                           case.opened_at - REPEAT_WITHIN, other_than=case.id)
        policy = brand.drafting.policy
        return DraftRequest(
            post=post, lang=verdict.lang, categories=reply_topics(verdict),
            severity=verdict.severity.label, anger=verdict.anger,
            repeat=says_repeat(row.text) or had_before, platform=connector.title,
            limit=connector.reply_limit, customer=row.author_name or f"@{row.author_handle}",
            reference=case.reference, brand=brand.name, signature=brand.signature_for(verdict.lang),
            tone=policy.tone, never_promise=tuple(policy.never_promise),
            forbidden_words=tuple(policy.forbidden_words),
            allowed_links=tuple(policy.allowed_links), want_drafts=want_drafts,
            gloss_into=gloss_into, templates=templates if gloss_into else (),
            facts=facts_of(f"{row.title or ''}\n{row.text}", brand.products))

    def _ask(self, brand: BrandConfig, req: DraftRequest) -> ModelAnswer:
        cfg = brand.drafting
        key = None
        if cfg.api_key_env:
            key = self.deps.environ.get(cfg.api_key_env, "").strip()
            if not key:
                raise DraftingError(f"the environment variable {cfg.api_key_env} is not set")
        return self.ask(req, endpoint=cfg.endpoint, model=cfg.model, api_key=key,
                        timeout=cfg.timeout)

    def _record(self, case_id: int, *, origin: str, note: str | None = None,
                drafts: Sequence[tuple[str, str, str | None]] = (), post_gloss: str | None = None,
                glosses: Sequence[str | None] = (), model_failed: bool = False) -> bool:
        with self.deps.store.transaction() as tx:
            return case_engine.redrafted(tx, tx.case(case_id), now=self.deps.clock(), origin=origin,
                                         note=note, drafts=drafts, post_gloss=post_gloss,
                                         glosses=glosses, model_failed=model_failed)



def close_drafter(runtime: Runtime) -> None:
    """At shutdown: stop the runtime's drafter, waiting at most one drafting timeout (the
    longest of its brands') for the cases the model is drafting."""
    drafter = runtime.drafter
    if drafter is None:
        return
    timeouts = [b.drafting.timeout.total_seconds() for b in runtime.config.brands
                if b.drafting.uses_model]
    drafter.close(max(timeouts, default=0.0))
