"""Put the parts together: config, store, classifier, connectors and the alert layer.

This is the one module of `monitor/` that reaches into `connectors/` and `alerts/`, and only
through their registries and entry points.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import connectors
from monitor.domain import SourceSpec
from monitor.outbox import Outbox
from monitor.settings import BrandConfig, Config, Environment, SourceConfig
from monitor.source_health import SourceStates
from monitor.store import Store

if TYPE_CHECKING:
    from connectors.base import Connector
    from monitor.classify import Classifier
    from monitor.domain import CaseView
    from monitor.model_drafting import ModelDrafter
    from monitor.post_facts import PostFacts
    from monitor.tickets import HelpdeskClient

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# The option that names the account a webhook speaks of, per connector that takes webhooks.
WEBHOOK_ACCOUNT_OPTIONS = ("page_id", "ig_user_id", "user_id")
_POLLING: set[tuple[str, str]] = set()
_POLLING_LOCK = threading.Lock()


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything a job, a command or a Slack handler needs, built once at start-up."""

    config: Config
    env: Environment
    store: Store
    config_dir: Path
    clock: Clock = system_clock
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    connector_overrides: dict[tuple[str, str], Connector] = field(default_factory=dict)
    on_answered: list[Callable[[int], None]] = field(default_factory=list)
    on_case_opened: list[Callable[[int], None]] = field(default_factory=list)
    # Set where a job engine runs the polls (`brand-monitor serve` beside workers): a webhook's
    # poll is queued there, not run in this process.
    queue_poll: Callable[[str, str], bool] | None = None
    # Redrafts new cases with a brand's chat model off the poll's thread (`drafting:` in YAML).
    drafter: ModelDrafter | None = None
    _classifier: Classifier | None = None
    _connectors: dict[tuple[str, str], Connector] = field(default_factory=dict)
    helpdesk_overrides: dict[str, HelpdeskClient] = field(default_factory=dict)
    _helpdesks: dict[str, HelpdeskClient] = field(default_factory=dict)

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.store)

    @property
    def sources(self) -> SourceStates:
        return SourceStates(self.store)

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            from monitor.classify import build_classifier

            self._classifier = build_classifier(self.config.classifier)
        return self._classifier

    def brand(self, brand_id: str) -> BrandConfig:
        return self.config.brand(brand_id)

    def poll_soon(self, platform: str, account_id: str | None) -> int:
        """Poll now, in the background, the sources of `platform` watching `account_id` (a
        webhook said something changed there); a source already being polled is left alone.
        Returns how many polls started. The regular polls go on, so a missed webhook loses
        nothing."""
        from monitor.poller import poll_source

        started = 0
        for brand in self.config.brands:
            for index, cfg in enumerate(brand.sources):
                if cfg.type != platform or not cfg.enabled:
                    continue
                watched = {str(v) for k, v in cfg.options.items() if k in WEBHOOK_ACCOUNT_OPTIONS}
                if account_id is not None and watched and account_id not in watched:
                    continue
                key = (brand.id, brand.source_name(index))
                if self.queue_poll is not None:
                    started += int(self.queue_poll(*key))
                    continue
                with _POLLING_LOCK:
                    if key in _POLLING:
                        continue
                    _POLLING.add(key)

                def run(key: tuple[str, str] = key) -> None:
                    try:
                        poll_source(self, *key)
                    except Exception:  # the poll records its own failures; never the thread's end
                        log.exception("webhook poll of %s/%s failed", *key)
                    finally:
                        with _POLLING_LOCK:
                            _POLLING.discard(key)

                threading.Thread(target=run, name=f"webhook-poll:{key[0]}:{key[1]}", daemon=True).start()
                started += 1
        return started

    def take_pushed(self, platform: str, account_id: str | None,
                    change: Mapping[str, Any]) -> int:
        """Take a webhook change that carries content polling cannot list (an Instagram
        @mention): each enabled source of `platform` watching `account_id` fetches what the
        change names (its connector's `mentioned(change)`) and handles it like a poll's
        mentions, in the background. Returns how many sources took it; 0 when the account is
        unknown or no such source's connector reads pushed changes."""
        from monitor.pipeline import process

        if account_id is None:
            return 0
        taken = 0
        for brand in self.config.brands:
            for index, cfg in enumerate(brand.sources):
                if cfg.type != platform or not cfg.enabled:
                    continue
                watched = {str(v) for k, v in cfg.options.items() if k in WEBHOOK_ACCOUNT_OPTIONS}
                if str(account_id) not in watched:
                    continue
                name = brand.source_name(index)
                try:
                    connector = self.connector(brand.id, name)
                except Exception:  # a source that cannot be built is the poll's to report
                    log.exception("webhook change for %s/%s: the connector could not be built",
                                  brand.id, name)
                    continue
                mentioned = getattr(connector, "mentioned", None)
                if not callable(mentioned):
                    continue

                def run(brand: BrandConfig = brand, name: str = name,
                        mentioned: Callable[[Mapping[str, Any]], Sequence[Any]] = mentioned
                        ) -> None:
                    try:
                        mentions = list(mentioned(change))
                        if mentions:
                            process(self, brand, name, mentions, self.clock())
                    except Exception:  # nothing to retry from: say so, never end the thread
                        log.exception("webhook change for %s/%s could not be taken", brand.id, name)

                threading.Thread(target=run, name=f"webhook-push:{brand.id}:{name}",
                                 daemon=True).start()
                taken += 1
        return taken

    def draft_replies(self, brand: BrandConfig, source: str, *, lang: str,
                      categories: Sequence[str], name: str, reference: str,
                      angry: bool = False, repeat: bool = False,
                      facts: PostFacts | None = None) -> list[str]:
        """Ask the alert layer for 2-3 replies in `lang` that answer every one of `categories`
        (the main one first), within the platform's limit; `angry`: the post accuses or
        blames the brand, so no "thank you for your patience"; `repeat`: it happened before;
        `facts`: what the post names (its order number is said, never asked for). Where the
        platform has no private messages the replies send the customer to `contact:`."""
        from alerts.suggestions import suggest

        connector = self.connector(brand.id, source)
        return suggest(brand.templates, lang, categories, name=name, reference=reference,
                       brand_name=brand.name, signature=brand.signature_for(lang),
                       limit=connector.reply_limit, count_length=connector.count_length,
                       angry=angry, repeat=repeat, facts=facts,
                       # a connector written before `private_channel` (or outside) has DMs
                       private_channel=getattr(connector, "private_channel", "dm"),
                       contact=brand.contact_for(lang))

    def draft_acknowledgement(self, brand: BrandConfig, source: str, *, lang: str, reference: str,
                              opening: datetime | None, name: str) -> str | None:
        """Ask the alert layer for the out-of-hours acknowledgement in `lang` (None: none fits)."""
        from alerts.suggestions import acknowledgement

        connector = self.connector(brand.id, source)
        local = opening.astimezone(brand.zone) if opening else None
        return acknowledgement(brand.templates, lang, name=name, reference=reference,
                               brand_name=brand.name, signature=brand.signature_for(lang), opening=local,
                               limit=connector.reply_limit, count_length=connector.count_length,
                               now=self.clock())

    def source_config(self, brand_id: str, source: str) -> SourceConfig:
        brand = self.brand(brand_id)
        for index, cfg in enumerate(brand.sources):
            if brand.source_name(index) == source:
                return cfg
        raise KeyError(f"{brand_id}/{source}")

    def spec(self, brand: BrandConfig, source: SourceConfig, name: str) -> SourceSpec:
        return SourceSpec(
            brand_id=brand.id, name=name, type=source.type, query=source.query,
            keywords=tuple(brand.keywords + brand.aliases),
            own_handles=tuple(brand.own_handles(source.type)), options=source.options,
            credentials={k: self.environ.get(v, "") for k, v in source.credentials.items()},
            poll_interval=source.poll_interval, config_dir=str(self.config_dir),
        )

    def connector(self, brand_id: str, source: str) -> Connector:
        """Return the connector instance for one brand's source (built once)."""
        key = (brand_id, source)
        if key in self.connector_overrides:
            return self.connector_overrides[key]
        if key not in self._connectors:
            brand = self.brand(brand_id)
            cfg = self.source_config(brand_id, source)
            cls = connectors.load(cfg.type)
            spec = self.spec(brand, cfg, source)
            if "session_store" in inspect.signature(cls.__init__).parameters:
                # Logins are rate limited on some platforms: keep the session across restarts.
                store = SessionStore(self.sources, brand_id, source, cfg.type)
                self._connectors[key] = cls(spec, session_store=store)  # type: ignore[call-arg]
            else:
                self._connectors[key] = cls(spec)
        return self._connectors[key]


    def helpdesk(self, brand_id: str) -> HelpdeskClient:
        """The brand's helpdesk (`helpdesk:` in YAML), built once; KeyError when it has none."""
        if brand_id in self.helpdesk_overrides:
            return self.helpdesk_overrides[brand_id]
        if brand_id not in self._helpdesks:
            import helpdesk

            settings = self.brand(brand_id).helpdesk
            if settings is None:
                raise KeyError(f"{brand_id} has no helpdesk")
            self._helpdesks[brand_id] = helpdesk.load(settings.type)(settings, self.environ)
        return self._helpdesks[brand_id]

    def ticket_text(self, view: CaseView, alert_link: str) -> tuple[str, str]:
        """Ask the alert layer for a ticket's subject and body."""
        from alerts.messages import ticket_body, ticket_subject

        return ticket_subject(view), ticket_body(view, alert_link)

@dataclass(frozen=True)
class SessionStore:
    """A connector's login session, kept in the database (it holds tokens: guard the database)."""

    states: SourceStates
    brand_id: str
    source: str
    platform: str

    def load(self) -> str | None:
        return self.states.load_session(self.brand_id, self.source)

    def save(self, session: str) -> None:
        self.states.save_session(self.brand_id, self.source, self.platform, session)


def build_runtime(config: Config, config_path: Path, env: Environment | None = None,
                  environ: Mapping[str, str] | None = None, clock: Clock = system_clock,
                  store: Store | None = None) -> Runtime:
    """Build the runtime for a validated config, migrating the database if needed."""
    import os

    env = env or Environment.from_env()
    store = store or Store.from_url(env.database_url)
    runtime = Runtime(config=config, env=env, store=store, config_dir=config_path.resolve().parent,
                      clock=clock, environ=dict(os.environ if environ is None else environ))
    if any(brand.drafting.uses_model for brand in config.brands):
        from monitor.model_drafting import ModelDrafter

        runtime.drafter = ModelDrafter(runtime)
        runtime.on_case_opened.append(runtime.drafter)
    return runtime


def slack_entry() -> Any:
    """Return the alert layer's entry module (sender and Bolt app)."""
    import alerts.service

    return alerts.service


def report_renderers() -> tuple[Callable[..., Any], Callable[..., str], Any]:
    """The alert layer's report renderers: charts(report), render_html(report, charts), and
    the module of its words (report_summary and the command's messages)."""
    import alerts.messages
    from alerts.report_charts import charts
    from alerts.report_html import render_html

    return charts, render_html, alerts.messages
