"""The few things the core asks of its surroundings, as small interfaces.

The pipeline, the case engine's callers, the deadlines and the Slack handlers take these,
not a global runtime; `monitor.wiring.Runtime` provides them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from monitor.settings import BrandConfig, Config, Environment

if TYPE_CHECKING:
    from connectors.base import Connector
    from monitor.classify import Classifier
    from monitor.post_facts import PostFacts
    from monitor.store import Store

Clock = Callable[[], datetime]


class Brands(Protocol):
    def brand(self, brand_id: str) -> BrandConfig: ...


class ConnectorLookup(Protocol):
    def connector(self, brand_id: str, source: str) -> Connector: ...


class ReplyDrafting(Protocol):
    def draft_replies(self, brand: BrandConfig, source: str, *, lang: str,
                      categories: Sequence[str], name: str, reference: str,
                      angry: bool = False, repeat: bool = False,
                      facts: PostFacts | None = None) -> list[str]: ...


class CaseDesk(Brands, ConnectorLookup, Protocol):
    """What acting on a case needs: the store, the time, brands and connectors."""

    @property
    def store(self) -> Store: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def on_answered(self) -> list[Callable[[int], None]]: ...
    @property
    def config(self) -> Config: ...


class Ingest(CaseDesk, ReplyDrafting, Protocol):
    """What the pipeline needs on top: the classifier and reply drafting."""

    @property
    def classifier(self) -> Classifier: ...
    @property
    def on_case_opened(self) -> list[Callable[[int], None]]: ...
    def draft_acknowledgement(self, brand: BrandConfig, source: str, *, lang: str, reference: str,
                              opening: datetime | None, name: str) -> str | None: ...


class Services(Ingest, Protocol):
    """What the alert layer's entry points (the sender, the Bolt app) are handed."""

    @property
    def env(self) -> Environment: ...
    def poll_soon(self, platform: str, account_id: str | None) -> int: ...
    def take_pushed(self, platform: str, account_id: str | None,
                    change: dict[str, object]) -> int: ...
