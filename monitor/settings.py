"""Typed configuration: the brands file's schema (pydantic) and the environment's secrets."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from monitor.domain import BrandContext, base_language

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """Read `90s`, `15m`, `1h`, `2d` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m or 1h")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; write it as 30s, 15m, 1h or 2d")
    number, unit = match.groups()
    return timedelta(seconds=float(number) * _UNITS[(unit or "s").lower()])


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*(s|sec|m|min|h|hr|d)\s*$", re.IGNORECASE)
RATE_HINT = "write calls/period, such as 300/5m, 100/1m, 450/15m or 10000/1d"


@dataclass(frozen=True)
class RateLimit:
    """At most `calls` polls in any `per` (a source's `rate_limit:`, e.g. `300/5m`)."""

    calls: int
    per: timedelta

    def __str__(self) -> str:
        seconds = self.per.total_seconds()
        unit = next(u for u in ("d", "h", "m", "s") if seconds % _UNITS[u] == 0 or u == "s")
        return f"{self.calls}/{seconds / _UNITS[unit]:g}{unit}"


def parse_rate_limit(value: Any) -> RateLimit:
    """Read `300/5m`, `100/1m`, `1/s`: calls, a slash, a duration."""
    if isinstance(value, RateLimit):
        return value
    match = _RATE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a rate; {RATE_HINT}")
    calls, number, unit = match.groups()
    per = timedelta(seconds=float(number or 1) * _UNITS[unit.lower()])
    if int(calls) < 1 or per < timedelta(seconds=1):
        raise ValueError(f"{value!r} must allow at least 1 call in at least 1 second; "
                         f"{RATE_HINT}")
    return RateLimit(int(calls), per)


Rates = Annotated[RateLimit, BeforeValidator(parse_rate_limit)]
AlertKind = Literal["complaint", "question"]
SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,})$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(Model):
    """One place to watch for one brand."""

    type: str
    name: str = ""
    query: str = ""
    poll_interval: Duration = timedelta(minutes=1)
    credentials: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    stream: bool = False
    # Polls allowed per period with this source's credentials, counted across every source and
    # process that uses the same credential values; None: the platform's default
    # (`monitor.platform_limits.DEFAULTS`).
    rate_limit: Rates | None = None

    @field_validator("credentials")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key, env in value.items():
            if not ENV_NAME.match(env):
                raise ValueError(
                    f"credentials.{key} must name an environment variable (like ACME_X_TOKEN), "
                    "not hold the secret itself; put the secret in the environment"
                )
        return value

    @field_validator("poll_interval")
    @classmethod
    def _sane_interval(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=5):
            raise ValueError("poll_interval below 5s would hammer the platform; write 30s or more")
        return value


class SlackTarget(Model):
    """Where a brand's alerts go in Slack."""

    channel: str
    escalation_channel: str | None = None
    escalation_group: str | None = None

    @field_validator("channel", "escalation_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL.match(value):
            raise ValueError(
                f"{value!r} is not a channel; write a channel id like C0123ABCD "
                "or a name like #brand-complaints"
            )
        return value


class Thresholds(Model):
    """When a score counts as a complaint, overall and per language."""

    default: float | None = Field(default=None, ge=0.0, le=1.0)
    languages: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)


class ClassifierConfig(Model):
    """Which model decides, and where its files are."""

    backend: Literal["default", "transformers"] = "default"
    model: str = ""
    labels: dict[str, bool] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @model_validator(mode="after")
    def _model_for_transformers(self) -> ClassifierConfig:
        if self.backend == "transformers" and not self.model:
            raise ValueError(
                "backend 'transformers' needs model: a local folder or a hub id, "
                "e.g. model: ./models/my-complaint-classifier"
            )
        return self


_SEVERITY_RANK = {"no explicit reproach": 1, "disapproval": 2, "accusation": 3, "blame": 4}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class BusinessHours(Model):
    """When the team is at work, in the brand's timezone."""

    opening: dict[str, str] = Field(default_factory=lambda: dict.fromkeys(_DAYS[:5], "09:00-17:00"))
    holidays: list[date] = Field(default_factory=list)
    out_of_hours_ack: bool = False

    @field_validator("opening")
    @classmethod
    def _spans(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            if day not in _DAYS:
                raise ValueError(f"{day!r} is not a day; use mon, tue, wed, thu, fri, sat, sun")
            match = _SPAN.match(span)
            if not match or span[:5] >= span[6:]:
                raise ValueError(f"{day}: {span!r} is not a span of hours; write it as 08:30-17:00")
        return value


class DeadlineRule(Model):
    """Shorten the deadline for the worst cases, e.g. blame or very high reach."""

    response_time: Duration
    severity: Literal["no explicit reproach", "disapproval", "accusation", "blame"] | None = None
    min_followers: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_condition(self) -> DeadlineRule:
        if self.severity is None and self.min_followers is None:
            raise ValueError("a deadline rule needs severity: or min_followers: (or both)")
        return self

    def matches(self, severity: int, followers: int | None) -> bool:
        """True when a case is at least this severe and has at least this reach."""
        if self.severity is not None and int(severity) < _SEVERITY_RANK[self.severity]:
            return False
        return self.min_followers is None or (followers or 0) >= self.min_followers


class Escalation(Model):
    """An optional second escalation, a while after the first."""

    second_level_after: Duration | None = None
    second_level_group: str | None = None
    second_level_channel: str | None = None


class FollowUp(Model):
    enabled: bool = True
    after: Duration = timedelta(hours=24)


class Waves(Model):
    """Group many similar complaints arriving within minutes into one alert."""

    enabled: bool = True
    window: Duration = timedelta(minutes=10)
    min_cases: int = Field(default=5, ge=2)
    similarity: float = Field(default=0.5, gt=0.0, le=1.0)
    # Alike in meaning, in any language: the cosine of two posts' meaning vectors, within one
    # main category (`monitor.classify.meaning`; needs the default classifier).
    across_languages: bool = True
    meaning_similarity: float = Field(default=0.45, gt=0.0, le=1.0)


class Spikes(Model):
    """Alert when complaints, or their share of mentions, rise well above what the same hour
    of the week usually brings (`monitor.spikes`)."""

    enabled: bool = True
    window: Duration = timedelta(hours=1)
    weeks: int = Field(default=4, ge=1, le=12)
    min_weeks: int = Field(default=2, ge=1, le=12)
    min_history: Duration = timedelta(hours=24)
    threshold: float = Field(default=4.0, gt=0.0)
    ratio: float = Field(default=2.0, ge=1.0)
    min_count: int = Field(default=10, ge=1)
    share_rise: float = Field(default=0.2, gt=0.0, le=1.0)
    min_mentions: int = Field(default=30, ge=1)
    update_every: Duration = timedelta(minutes=15)
    cooldown: Duration = timedelta(hours=2)

    @field_validator("window")
    @classmethod
    def _whole_hours(cls, value: timedelta) -> timedelta:
        hours = value.total_seconds() / 3600
        if hours != int(hours) or not 1 <= hours <= 24:
            raise ValueError("window counts whole hours from 1h to 24h; write e.g. 1h or 3h")
        return value

    @field_validator("update_every")
    @classmethod
    def _not_too_often(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            raise ValueError("update_every below 1m would edit the alert at every check; "
                             "write 5m or more")
        return value

    @model_validator(mode="after")
    def _weeks_cover_min_weeks(self) -> Spikes:
        if self.min_weeks > self.weeks:
            raise ValueError(f"min_weeks ({self.min_weeks}) cannot exceed weeks ({self.weeks}); "
                             "lower min_weeks or raise weeks")
        return self


class QuietSources(Model):
    """Tell the channel when a source fetches far fewer posts than usual, for longer than its
    own history has ever been that quiet (`monitor.quiet_sources`)."""

    enabled: bool = True
    weeks: int = Field(default=4, ge=1, le=12)
    ratio: float = Field(default=0.2, gt=0.0, lt=1.0)
    min_expected: int = Field(default=20, ge=1)


_REPORT_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Reports(Model):
    """When the brand's channel gets its report, in the brand's timezone: `daily` covers the
    day before, `weekly` the seven days before the day it is posted (`monitor.report_schedule`)."""

    daily: str | None = None  # "09:00"
    weekly: str | None = None  # "mon 09:00"

    @field_validator("daily")
    @classmethod
    def _daily(cls, value: str | None) -> str | None:
        if value is not None and not _REPORT_TIME.match(value.strip()):
            raise ValueError(f"{value!r} is not a time of day; write it as 09:00 (24-hour clock)")
        return value.strip() if value else value

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: str | None) -> str | None:
        if value is None:
            return value
        day, _, at = value.strip().lower().partition(" ")
        if day not in _DAYS or not _REPORT_TIME.match(at.strip()):
            raise ValueError(f"{value!r} is not a day and a time; write it as mon 09:00 "
                             "(mon, tue, wed, thu, fri, sat or sun, then a 24-hour time)")
        return f"{day} {at.strip()}"


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_URL = re.compile(r"^https?://[^\s/:?#]+(:\d{1,5})?(/[^\s]*)?$", re.IGNORECASE)


class DraftPolicy(Model):
    """What a model's drafts may say (`monitor.draft_checks` enforces it before any is offered).

    Phrases match whole words, ignoring case, accents and the Arabic/Persian letter variants;
    a phrase ending in `*` also matches longer words (`zwrot*` catches `zwrotu`)."""

    tone: str = ""
    never_promise: list[str] = Field(default_factory=list)
    forbidden_words: list[str] = Field(default_factory=list)
    # Domains a reply may link to (a subdomain counts); none: any link fails the check.
    allowed_links: list[str] = Field(default_factory=list)

    @field_validator("never_promise", "forbidden_words")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        if any(not p.strip().rstrip("*").strip() for p in value):
            raise ValueError("an empty phrase would match every reply; remove it")
        return [p.strip() for p in value]

    @field_validator("allowed_links")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        out = []
        for domain in value:
            host = domain.strip().lower().removeprefix("www.")
            if not _DOMAIN.match(host):
                raise ValueError(f"{domain!r} is not a domain; write it without https:// or a path, "
                                 "e.g. help.acme.com or acme.com")
            out.append(host)
        return out


class Drafting(Model):
    """Who drafts a case's replies: the shipped templates, or any OpenAI-compatible chat
    endpoint (a local Ollama, llama.cpp server or vLLM, or a hosted one) whose drafts are
    checked against `policy` and replace the templates only when they pass."""

    backend: Literal["template", "model"] = "template"
    endpoint: str = ""  # the API's base URL, e.g. http://127.0.0.1:11434/v1 (Ollama)
    model: str = ""
    api_key_env: str | None = None  # the environment variable holding the key; local servers need none
    timeout: Duration = timedelta(seconds=15)
    policy: DraftPolicy = Field(default_factory=DraftPolicy)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        value = value.strip()
        if value and not _URL.match(value):
            raise ValueError(f"{value!r} is not an http(s) URL; write the API's base URL, "
                             "e.g. http://127.0.0.1:11434/v1 (Ollama) or http://127.0.0.1:8080/v1")
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _key_env(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError("api_key_env must name an environment variable (like ACME_LLM_KEY), "
                             "not hold the key itself; put the key in the environment")
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(minutes=2):
            raise ValueError("timeout must be above 0 and at most 2m, e.g. 15s")
        return value

    @model_validator(mode="after")
    def _model_needs_endpoint(self) -> Drafting:
        if self.backend == "model" and (not self.endpoint or not self.model):
            missing = " and ".join(n for n, v in (("endpoint", self.endpoint),
                                                  ("model", self.model)) if not v)
            raise ValueError(f"backend 'model' needs {missing}: e.g. endpoint: "
                             "http://127.0.0.1:11434/v1 and model: llama3.1:8b")
        return self

    @property
    def uses_model(self) -> bool:
        """Whether a chat endpoint is configured: it drafts (backend model) or only glosses."""
        return bool(self.endpoint and self.model)


class Approval(Model):
    """Who on the team may only propose replies: their "Send" files a proposal that a responder
    approves, edits or rejects in the alert's thread (`monitor.approvals`). Listed people (or
    user groups) count as the brand's team; the responders publish directly and approve."""

    propose_only: list[str] = Field(default_factory=list)

    @field_validator("propose_only")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        for rid in value:
            if not SLACK_ID.match(rid):
                raise ValueError(
                    f"{rid!r} is not a Slack user or user-group id; copy ids like U0123ABCD "
                    "(Profile > Copy member ID) or S0123ABCD for a user group"
                )
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.propose_only)


class Helpdesk(Model):
    """Where "Create ticket" hands a case (`helpdesk/`): Zendesk, Freshdesk or a webhook of your
    own. Credentials are named as environment variables, like a source's."""

    type: Literal["zendesk", "freshdesk", "webhook"]
    subdomain: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")  # zendesk
    email_env: str | None = None  # zendesk: the agent's e-mail
    token_env: str | None = None  # zendesk: an API token
    domain: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{0,252}$")  # freshdesk
    api_key_env: str | None = None  # freshdesk
    requester_email: str | None = None  # freshdesk: who requests the tickets (else the customer)
    url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")  # webhook
    secret_env: str | None = None  # webhook: the key of the HMAC on what we send
    inbound_secret_env: str | None = None  # signs what the helpdesk posts to /helpdesk/<brand>
    resolve_on: list[str] = Field(default_factory=lambda: ["solved", "resolved", "closed"])
    timeout: Duration = timedelta(seconds=15)

    _NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "zendesk": ("subdomain", "email_env", "token_env"),
        "freshdesk": ("domain", "api_key_env"),
        "webhook": ("url", "secret_env"),
    }

    @field_validator("email_env", "token_env", "api_key_env", "secret_env", "inbound_secret_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError("must name an environment variable (like ACME_ZENDESK_TOKEN), not "
                             "hold the secret itself; put the secret in the environment")
        return value

    @field_validator("resolve_on")
    @classmethod
    def _statuses(cls, value: list[str]) -> list[str]:
        return [s.strip().lower() for s in value if s.strip()]

    @model_validator(mode="after")
    def _what_the_type_needs(self) -> Helpdesk:
        missing = [name for name in self._NEEDS[self.type] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"type {self.type} needs {', '.join(f'{m}:' for m in missing)} "
                             "(see config/brands.example.yaml)")
        return self


_CONTACT = re.compile(r"^(?:[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}|https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?)$")


def check_contact(value: str | dict[str, str]) -> str | dict[str, str]:
    """A brand's `contact:`: an e-mail address or an http(s) URL, per language or for all."""
    items = value.items() if isinstance(value, dict) else [("", value)]
    for lang, address in items:
        if lang and lang != "default" and not re.fullmatch(r"[a-z]{2,3}", lang):
            raise ValueError(f"contact languages are codes such as en, ar, fa, pl or default, "
                             f"not {lang!r}")
        if address.strip() and not _CONTACT.match(address.strip()):
            raise ValueError(f"{address!r} is neither an e-mail address nor a web address; write "
                             "e.g. help@acme.com or https://acme.com/contact")
    if isinstance(value, dict):
        return {k: v.strip() for k, v in value.items()}
    return value.strip()


class BrandConfig(Model):
    """Everything brand-monitor knows about one brand."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str
    keywords: list[str] = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    handles: dict[str, list[str]] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    not_us: list[str] = Field(default_factory=list)
    alert_on: tuple[AlertKind, ...] = ("complaint",)
    question_response_time: Duration = timedelta(hours=4)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    timezone: str = "UTC"
    response_time: Duration = timedelta(hours=1)
    reminder_before: Duration = timedelta(minutes=15)
    slack: SlackTarget
    responders: list[str] = Field(min_length=1)
    # Who else may act on the brand's cases (acknowledge, assign, resolve, relabel) without
    # publishing; the responders always may.
    team: list[str] = Field(default_factory=list)
    # Who on the team may only propose replies for a responder to approve (none: no approval).
    approval: Approval = Field(default_factory=Approval)
    # How long post texts and author details are kept; None keeps them. Figures stay.
    retention: Duration | None = None
    sources: list[SourceConfig] = Field(min_length=1)
    # One line for every language, or one per language ({en: "— Ola", pl: "— Ola z Acme"},
    # optionally with `default`); a language with none gets no signature rather than another's.
    signature: str | dict[str, str] = ""
    templates: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    # Where replies send a customer on platforms without private messages (review sites,
    # YouTube): an e-mail address or an http(s) URL, one for all languages or one per
    # language like `signature:`. None: "contact our support team".
    contact: str | dict[str, str] = ""
    # The brand's product names; a reply may name the one a post mentions.
    products: list[str] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    business_hours: BusinessHours | None = None
    deadline_rules: list[DeadlineRule] = Field(default_factory=list)
    escalation: Escalation = Field(default_factory=Escalation)
    followup: FollowUp = Field(default_factory=FollowUp)
    waves: Waves = Field(default_factory=Waves)
    spikes: Spikes = Field(default_factory=Spikes)
    quiet_sources: QuietSources = Field(default_factory=QuietSources)
    linked_customers: list[list[str]] = Field(default_factory=list)
    reports: Reports = Field(default_factory=Reports)
    # Where "Create ticket" hands a case; None: no such button.
    helpdesk: Helpdesk | None = None
    drafting: Drafting = Field(default_factory=Drafting)
    # The languages the team reads; a post in another gets a machine gloss in the first (with a
    # chat endpoint under drafting:). None: the brand's first language.
    team_languages: list[str] | None = None

    @field_validator("handles", mode="before")
    @classmethod
    def _handles_as_lists(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a timezone; write an IANA name such as Europe/Warsaw or UTC"
            ) from None
        return value

    @field_validator("languages", "team_languages")
    @classmethod
    def _langs(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        for lang in value:
            if not re.fullmatch(r"[a-z]{2,3}", lang):
                raise ValueError(
                    f"{lang!r} is not a language code; write ISO 639-1 codes like en, ar, fa, pl")
        return value

    @field_validator("responders", "team")
    @classmethod
    def _responders(cls, value: list[str]) -> list[str]:
        for rid in value:
            if not SLACK_ID.match(rid):
                raise ValueError(
                    f"{rid!r} is not a Slack user or user-group id; copy ids like U0123ABCD "
                    "(Profile > Copy member ID) or S0123ABCD for a user group"
                )
        return value

    @field_validator("approval")
    @classmethod
    def _proposers_are_not_responders(cls, value: Approval, info: ValidationInfo) -> Approval:
        # Raised as the entry's own error, so the message points at its line in the YAML.
        responders = set(info.data.get("responders") or ())
        for index, rid in enumerate(value.propose_only):
            if rid in responders:
                raise ValidationError.from_exception_data("Approval", [InitErrorDetails(
                    type=PydanticCustomError(
                        "value_error", "{rid} is a responder, and responders publish directly; "
                        "remove it here, or from responders if it should only propose",
                        {"rid": repr(rid)}),
                    loc=("propose_only", index), input=rid)])
        return value

    @field_validator("alert_on")
    @classmethod
    def _alert_on(cls, value: tuple[AlertKind, ...]) -> tuple[AlertKind, ...]:
        if "complaint" not in value:
            raise ValueError("alert_on must keep complaint; write [complaint] or "
                             "[complaint, question]")
        return value

    @field_validator("response_time", "question_response_time")
    @classmethod
    def _response_time(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("response_time must be positive, e.g. 1h")
        return value

    @model_validator(mode="after")
    def _unique_source_names(self) -> BrandConfig:
        seen: set[str] = set()
        for source in self.sources:
            name = source.name or source.type
            if name in seen:
                raise ValueError(f"two sources are named {name!r}; give each a distinct name:")
            seen.add(name)
        return self

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(days=1):
            raise ValueError("retention must be a day or more, e.g. 90d")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def acting(self) -> list[str]:
        """Who may act on the brand's cases and see them: responders, then the team (Slack
        user or user-group ids). Only responders publish; `approval.propose_only` propose."""
        return list(dict.fromkeys([*self.responders, *self.team, *self.approval.propose_only]))

    @field_validator("signature")
    @classmethod
    def _signature(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        if isinstance(value, dict):
            bad = [k for k in value if k != "default" and not re.fullmatch(r"[a-z]{2,3}", k)]
            if bad:
                raise ValueError(f"signature languages are codes such as en, ar, fa, pl or "
                                 f"default, not {', '.join(map(repr, bad))}")
        return value

    def signature_for(self, lang: str) -> str:
        """The signature of replies in `lang` ("fa-IR" reads as "fa")."""
        if isinstance(self.signature, str):
            return self.signature
        return self.signature.get(base_language(lang), self.signature.get("default", ""))

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        return check_contact(value)

    def contact_for(self, lang: str) -> str:
        """Where replies in `lang` send the customer when the platform has no private messages."""
        if isinstance(self.contact, str):
            return self.contact
        return self.contact.get(base_language(lang), self.contact.get("default", ""))

    @property
    def team_language(self) -> str:
        """The language glosses are written in: the first the team reads."""
        return (self.team_languages or self.languages or ["en"])[0]

    def team_reads(self, lang: str) -> bool:
        """Whether the team reads `lang` ("fa-IR" reads as "fa") without a gloss."""
        return base_language(lang) in (self.team_languages or self.languages[:1] or ["en"])

    def source_name(self, index: int) -> str:
        source = self.sources[index]
        return source.name or source.type

    def own_handles(self, platform: str) -> list[str]:
        return [h.lstrip("@").lower() for h in self.handles.get(platform, [])]

    def context(self) -> BrandContext:
        """What the classifier reads of this brand with each of its posts."""
        names = dict.fromkeys([self.name, *self.keywords, *self.aliases])
        handles = dict.fromkeys(h.lstrip("@") for hs in self.handles.values() for h in hs)
        return BrandContext(id=self.id, name=self.name, names=tuple(names),
                            handles=tuple(handles), competitors=tuple(self.competitors),
                            not_us=tuple(self.not_us))


class Config(Model):
    """The whole brands file."""

    version: Literal[1] = 1
    brands: list[BrandConfig] = Field(min_length=1)
    classifier: ClassifierConfig = Field(default_factory=ClassifierConfig)
    source_down_after: Duration = timedelta(minutes=30)

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        ids = [b.id for b in self.brands]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"brand ids must be unique; rename: {', '.join(dupes)}")
        return self

    def brand(self, brand_id: str) -> BrandConfig:
        for brand in self.brands:
            if brand.id == brand_id:
                return brand
        raise KeyError(brand_id)


class Environment(BaseModel):
    """Secrets and endpoints, read from the environment only; masked in every repr."""

    model_config = ConfigDict(frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    database_url: str = "sqlite:///brand-monitor.db"
    meta_app_secret: SecretStr | None = None
    meta_webhook_verify_token: SecretStr | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if env is None else env

        def secret(name: str) -> SecretStr | None:
            value = env.get(name, "").strip()
            return SecretStr(value) if value else None

        return cls(
            slack_bot_token=secret("SLACK_BOT_TOKEN"),
            slack_app_token=secret("SLACK_APP_TOKEN"),
            slack_signing_secret=secret("SLACK_SIGNING_SECRET"),
            slack_api_url=env.get("SLACK_API_URL") or None,
            meta_app_secret=secret("META_APP_SECRET"),
            meta_webhook_verify_token=secret("META_WEBHOOK_VERIFY_TOKEN"),
            database_url=env.get("DATABASE_URL") or "sqlite:///brand-monitor.db",
        )
