"""The shape every connector has: declare what it is, then `fetch()` and maybe `reply()`."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget, SourceSpec
from monitor.errors import ReplyNotSupported
from monitor.sanitize import clean_mention


def at_edge(mention: Mention) -> Mention:
    """A mention as a connector may hand it on: every text field cleaned of what no store
    takes (NUL and other control characters, lone surrogates) and cut to its column's size,
    the fields cut listed in `extra["truncated"]`. The pipeline cleans every mention anyway;
    a connector calls this where it must look at clean text itself (the replay connector's
    checks); see `monitor.sanitize`."""
    return clean_mention(mention)


class NoOptions(BaseModel):
    """A connector without settings of its own beyond the query."""

    model_config = ConfigDict(extra="forbid")


class Connector:
    """Base of every platform connector.

    A subclass declares `platform`, its `Options` model (the source's `options:` in YAML),
    the names of the `credentials` it needs (each mapped in YAML to an environment variable),
    whether it `can_reply`, and the platform's reply length limit. Its body is `fetch()`
    and, where the platform allows, `reply()`. Vendor objects never leave the subclass's file.
    """

    platform: ClassVar[str]
    title: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    credentials: ClassVar[tuple[str, ...]] = ()
    optional_credentials: ClassVar[tuple[str, ...]] = ()
    can_reply: ClassVar[bool] = False
    reply_limit: ClassVar[int | None] = None
    # Where a public reply may send the customer for details: "dm" (private messages), or
    # None on platforms without them (review sites, comments): replies then give `contact:`.
    private_channel: ClassVar[str | None] = "dm"
    blind_spot: ClassVar[str | None] = None

    def __init__(self, spec: SourceSpec, client: Any = None) -> None:
        self.spec = spec
        self.options: Any = self.Options.model_validate(dict(spec.options))
        self._client = client

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> BaseModel:
        """Check a source's `options:` block; raises pydantic's ValidationError."""
        return cls.Options.model_validate(dict(options))

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return mentions newer than `cursor` (oldest first) and the cursor to store next."""
        raise NotImplementedError

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Publish `text` as a public answer to `target`."""
        raise ReplyNotSupported(
            self.platform, f"{self.title} offers no API to reply; open the post and answer there.")

    def count_length(self, text: str) -> int:
        """Count `text` the way the platform counts it against `reply_limit`."""
        return len(unicodedata.normalize("NFC", text))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} source={self.spec.name!r} brand={self.spec.brand_id!r}>"
