"""Domain types shared by every layer: what a mention, a classification and a case are.

Connectors translate vendor objects into these at their edge; nothing vendor-specific
crosses this module.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


def base_language(lang: str) -> str:
    """Reduce "fa-IR" or "pt_BR" to "fa" or "pt"."""
    return re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]


class Severity(enum.IntEnum):
    """Complaint severity, on the scale used by research on complaint severity."""

    NONE = 0
    NO_EXPLICIT_REPROACH = 1
    DISAPPROVAL = 2
    ACCUSATION = 3
    BLAME = 4

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


class Category(enum.StrEnum):
    """What a complaint is about."""

    DELIVERY = "delivery"
    PRODUCT = "product"
    REFUND = "refund"
    PAYMENT = "payment"
    SERVICE = "service"
    APP = "app"
    PRICE = "price"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    Category.DELIVERY: "late or missing delivery",
    Category.PRODUCT: "damaged, defective or wrong item",
    Category.REFUND: "refund, return or cancellation",
    Category.PAYMENT: "payment, billing or checkout",
    Category.SERVICE: "customer service",
    Category.APP: "app or website problem",
    Category.PRICE: "price",
    Category.OTHER: "other",
}


class CaseStatus(enum.StrEnum):
    """Where a case is in its life."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    REPLIED = "replied"
    RESOLVED = "resolved"
    NOT_A_COMPLAINT = "not_a_complaint"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        return self in (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.REOPENED)


@dataclass(frozen=True)
class Mention:
    """One public post, comment or review that names a brand, as any platform gives it."""

    platform: str
    id: str
    text: str
    url: str
    author_id: str
    author_handle: str
    published_at: datetime
    author_name: str = ""
    author_followers: int | None = None
    lang_hint: str | None = None
    kind: str = "post"
    title: str = ""
    conversation_id: str | None = None
    in_reply_to_id: str | None = None
    rating: int | None = None
    edited_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


@dataclass(frozen=True)
class FetchResult:
    """What one poll of a source returned: the mentions and the cursor to store after them."""

    mentions: list[Mention]
    cursor: str | None
    skipped: int = 0
    blind_spot: str | None = None


@dataclass(frozen=True)
class ReplyTarget:
    """What a connector needs to answer a stored mention."""

    platform: str
    mention_id: str
    url: str
    author_handle: str
    conversation_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyResult:
    """A reply that the platform accepted."""

    id: str
    url: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    """One configured source of one brand, as a connector sees it.

    `credentials` maps the connector's credential names to values read from the
    environment; `options` holds the connector's own settings, validated by its
    `Options` model.
    """

    brand_id: str
    name: str
    type: str
    query: str
    keywords: tuple[str, ...] = ()
    own_handles: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    poll_interval: timedelta = timedelta(minutes=1)
    config_dir: str = "."


@dataclass(frozen=True)
class BrandContext:
    """What the classifier knows of the brand a post was found for.

    A complaint is a complaint about someone: `names` are the brand's own names, aliases
    and keywords, `competitors` the names of other companies posts compare it with, and
    `not_us` namesakes that share its name (a football club, a dish soap).
    """

    id: str
    name: str
    names: tuple[str, ...]
    handles: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    not_us: tuple[str, ...] = ()


class Kind(enum.StrEnum):
    """What a post is, for the brand it was found for."""

    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    OTHER = "other"


@dataclass(frozen=True)
class Classification:
    """The classifier's verdict on one mention.

    `kind` says what the post is; `reason` names, for a post that is not a complaint about
    the brand, why not (`competitor`, `namesake`, `no_blame`, `news`, `question`, `praise`),
    and `reason_detail` the competitor or namesake found. `categories` holds every problem
    the complaint raises, the main one (`category`) first.
    """

    is_complaint: bool
    score: float
    lang: str
    severity: Severity = Severity.NONE
    category: Category = Category.OTHER
    anger: float = 0.0
    why: str = ""
    cues: tuple[str, ...] = ()
    model: str = ""
    kind: Kind = Kind.OTHER
    reason: str = ""
    reason_detail: str = ""
    categories: tuple[Category, ...] = ()

    @property
    def all_categories(self) -> tuple[Category, ...]:
        """The categories to answer: the main one first, never empty."""
        return self.categories or (self.category,)


@dataclass(frozen=True)
class Suggestion:
    """A reply ready to publish; buttons carry only its id."""

    id: int
    text: str
    lang: str
    origin: str = "template"  # or "model": drafted by the brand's chat model, checked
    gloss: str | None = None  # the reply in the team's language, machine-made


@dataclass(frozen=True)
class CaseEvent:
    """One change in a case's life: who did what, when."""

    at: datetime
    actor: str
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class CustomerHistory:
    """What we already know about the customer behind a case."""

    earlier_cases: int = 0
    last_category: Category | None = None
    last_outcome: str | None = None
    last_reference: str | None = None


@dataclass(frozen=True)
class TicketLink:
    """The helpdesk ticket of a case, as the alert shows it."""

    system_title: str  # "Zendesk", "Freshdesk", "Helpdesk"
    external_id: str | None  # None while it is being created, or after a failure
    url: str | None = None
    status: str = ""
    last_error: str | None = None


@dataclass(frozen=True)
class CaseView:
    """Everything an alert shows about one case; the alert builders read only this."""

    case_id: int
    reference: str
    brand_id: str
    brand_name: str
    mention: Mention
    classification: Classification
    status: CaseStatus
    opened_at: datetime
    deadline_at: datetime
    suggestions: tuple[Suggestion, ...] = ()
    can_reply: bool = True
    reply_limit: int | None = None
    platform_title: str = ""
    assignee: str | None = None
    replied_by: str | None = None
    replied_at: datetime | None = None
    reply_url: str | None = None
    last_error: str | None = None
    history: CustomerHistory = field(default_factory=CustomerHistory)
    events: tuple[CaseEvent, ...] = ()
    acknowledgement: str | None = None
    alert_url: str | None = None
    # With a chat model under `drafting:`: the post in the team's language (`gloss_lang`),
    # who drafted the suggestions ("template", "model:<name>") and why the model's were not taken.
    gloss: str | None = None
    gloss_lang: str | None = None
    drafts_origin: str | None = None
    drafts_note: str | None = None
    # The brand's helpdesk ("Zendesk"…; None: no "Create ticket"), and the case's ticket if any.
    helpdesk_title: str | None = None
    ticket: TicketLink | None = None

    @property
    def response_time(self) -> timedelta | None:
        if self.replied_at is None:
            return None
        return self.replied_at - self.mention.published_at


@dataclass(frozen=True)
class DayStats:
    """Today's response-time figures for the team."""

    opened: int = 0
    replied: int = 0
    replied_within_target: int = 0
    open_now: int = 0
    overdue_now: int = 0
    median_response: timedelta | None = None
    slowest_response: timedelta | None = None
