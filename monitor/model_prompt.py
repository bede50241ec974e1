"""What the chat model is told about a case, and how its JSON answer is read back.

Pure functions: `build_messages` writes the prompt from a `DraftRequest` (everything the
classifier and the pipeline found), `parse_answer` reads the model's text defensively into a
`ModelAnswer` or raises `DraftingError`. The vendor call itself is in `monitor.model_client`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from monitor.errors import DraftingError
from monitor.post_facts import ACCOUNT, NOTHING, PostFacts

LANGUAGE_NAMES = {"en": "English", "pl": "Polish", "ar": "Arabic", "fa": "Persian"}
# Greeting customs the templates follow too (alerts/suggestions.py): the model is told them.
GREETING_NORMS = {
    "pl": "Greet with a neutral 'Dzień dobry,' and no name: a display name gives no vocative.",
    "ar": "Address the customer politely in Modern Standard Arabic (e.g. 'مرحباً' + name).",
    "fa": "Address the customer politely in Persian (e.g. 'سلام' + name + 'عزیز').",
}
GLOSS_LIMIT = 400


@dataclass(frozen=True)
class DraftRequest:
    """Everything the model is given about one case."""

    post: str
    lang: str
    categories: tuple[str, ...]  # the main one first
    severity: str
    anger: float
    repeat: bool
    platform: str
    limit: int | None
    customer: str
    reference: str
    brand: str
    signature: str = ""
    tone: str = ""
    never_promise: tuple[str, ...] = ()
    forbidden_words: tuple[str, ...] = ()
    allowed_links: tuple[str, ...] = ()
    want_drafts: bool = True
    gloss_into: str | None = None  # the team's language when the post is in another
    templates: tuple[str, ...] = ()  # the offered replies, glossed in case the drafts fail
    count: int = 3
    facts: PostFacts = NOTHING  # what the post names: its order or booking number, product, wait


@dataclass(frozen=True)
class ModelAnswer:
    """The model's answer, as plain values (empty where it gave none)."""

    replies: tuple[str, ...] = ()
    reply_glosses: tuple[str | None, ...] = ()
    post_gloss: str | None = None
    template_glosses: tuple[str | None, ...] = ()


def language_label(lang: str) -> str:
    name = LANGUAGE_NAMES.get(lang)
    return f"{name} ({lang})" if name else lang


def _facts(req: DraftRequest) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "brand": req.brand,
        "platform": req.platform,
        "post": req.post,
        "post_language": language_label(req.lang),
        "categories": list(req.categories),
        "main_category": req.categories[0] if req.categories else "other",
        "severity": req.severity,
        "anger": round(req.anger, 2),
        "repeat": req.repeat,
        "customer_display_name": req.customer,
        "case_reference": req.reference,
    }
    named = req.facts
    if named.number and named.number_kind != ACCOUNT:
        facts[f"{named.number_kind}_number"] = named.number
    if named.product:
        facts["product"] = named.product
    if named.since:
        facts["waiting_since"] = named.since
    if req.limit:
        facts["max_characters_per_reply"] = req.limit
    if req.signature:
        facts["signature"] = req.signature
    facts["policy"] = {"tone": req.tone or "warm, plain, apologetic without excuses",
                       "never_promise": list(req.never_promise),
                       "forbidden_words": list(req.forbidden_words),
                       "allowed_link_domains": list(req.allowed_links)}
    if req.gloss_into and req.templates:
        facts["current_replies"] = list(req.templates)
    return facts


def _instructions(req: DraftRequest) -> list[str]:
    lines = [f"You help the social media team of {req.brand} answer a public complaint."]
    if req.want_drafts:
        lang = language_label(req.lang)
        lines += [
            f"Write {req.count} different public replies to the post, each in {lang}, the "
            "post's language.",
            "Each reply: acknowledge what the post is about (every listed category), apologise "
            "without excuses, and move personal details to a private channel (direct message); "
            "never ask in public for, or repeat, an e-mail address, phone number, card number or "
            "street address. " + _number_rule(req.facts),
            f"Give the case reference {req.reference} so the customer can quote it.",
        ]
        if req.facts.product:
            lines.append(f"The post is about {req.facts.product}: name it as the brand does.")
        if req.facts.since:
            lines.append(f"The customer says how long this has gone on (“{req.facts.since}”): "
                         "acknowledge the wait.")
        if req.repeat:
            lines.append("It happened to this customer before: say sorry it happened again.")
        if req.severity in ("accusation", "blame"):
            lines.append("The customer accuses or blames the brand: stay calm and serious, "
                         "never thank them for their patience.")
        if req.limit:
            lines.append(f"Each reply must be at most {req.limit} characters, signature included; "
                         "shorter is better.")
        if req.signature:
            lines.append(f"End each reply with the signature exactly: {req.signature}")
        if req.never_promise:
            lines.append("Never promise: " + "; ".join(req.never_promise) + ".")
        if req.forbidden_words:
            lines.append("Never use the words: " + "; ".join(req.forbidden_words) + ".")
        lines.append("Links only to: " + ", ".join(req.allowed_links) + "." if req.allowed_links
                     else "Include no links.")
        if req.tone:
            lines.append(f"Tone: {req.tone}")
        norm = GREETING_NORMS.get(req.lang)
        if norm:
            lines.append(norm)
    if req.gloss_into:
        into = language_label(req.gloss_into)
        lines.append(f"The team reads {into}: give a one-line translation of the post in "
                     f"{into} (post_gloss)" + (", and of each reply (gloss)" if req.want_drafts
                                                else "")
                     + (", and of each of current_replies in order (current_reply_glosses)"
                        if req.templates else "") + ".")
    lines.append("Answer with one JSON object only, shaped like: " + json.dumps(_shape(req),
                                                                              ensure_ascii=False))
    return lines


def _number_rule(named: PostFacts) -> str:
    """What to do with the number the post gives (or might give)."""
    if named.number_kind == ACCOUNT:
        return ("The post gives the customer's account number: never repeat it in public (it "
                "may open the account) and do not ask for it again.")
    if named.number:
        kind = named.number_kind
        return (f"The post names its {kind} number, {named.number} ({kind}_number): acknowledge "
                f"it (\"about {kind} {named.number}\") and never ask for the {kind} number or "
                f"the {kind} details again.")
    return "Acknowledge an order or booking number the post names; do not ask for it again."


def _shape(req: DraftRequest) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    if req.want_drafts:
        reply: dict[str, str] = {"text": "..."}
        if req.gloss_into:
            reply["gloss"] = "..."
        shape["replies"] = [reply] * req.count
    if req.gloss_into:
        shape["post_gloss"] = "..."
        if req.templates:
            shape["current_reply_glosses"] = ["..."] * len(req.templates)
    return shape


def build_messages(req: DraftRequest) -> list[dict[str, str]]:
    """The chat messages for `req`: instructions as the system message, the facts as JSON."""
    return [{"role": "system", "content": "\n".join(_instructions(req))},
            {"role": "user", "content": json.dumps(_facts(req), ensure_ascii=False, indent=1)}]


_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def _json_object(content: str) -> dict[str, Any]:
    text = _FENCE.sub("", content.strip())
    for candidate in (text, text[text.find("{"):text.rfind("}") + 1]):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    raise DraftingError("the model's answer was not the JSON object asked for")


def _line(value: Any) -> str | None:
    """A gloss: one line of text, bounded; anything else is no gloss."""
    if not isinstance(value, str) or not value.strip():
        return None
    line = " ".join(value.split())
    return line if len(line) <= GLOSS_LIMIT else line[:GLOSS_LIMIT - 1].rstrip() + "…"


def _glosses(value: Any, count: int) -> tuple[str | None, ...]:
    items = value if isinstance(value, list) else []
    return tuple(_line(items[i]) if i < len(items) else None for i in range(count))


def parse_answer(content: str | None, req: DraftRequest) -> ModelAnswer:
    """Read the model's JSON answer; raise DraftingError when it holds nothing usable."""
    if not isinstance(content, str) or not content.strip():
        raise DraftingError("the model answered nothing")
    data = _json_object(content)
    replies: list[str] = []
    glosses: list[str | None] = []
    raw = data.get("replies")
    for item in raw if isinstance(raw, list) else []:
        text = item if isinstance(item, str) else (
            item.get("text") or item.get("reply") if isinstance(item, dict) else None)
        if not isinstance(text, str) or not text.strip():
            continue
        replies.append(text.strip())
        glosses.append(_line(item.get("gloss")) if isinstance(item, dict) else None)
    if req.want_drafts and not replies:
        raise DraftingError("the model's answer held no replies")
    if not req.gloss_into:
        glosses = [None] * len(replies)
    return ModelAnswer(
        replies=tuple(replies[:req.count]), reply_glosses=tuple(glosses[:req.count]),
        post_gloss=_line(data.get("post_gloss")) if req.gloss_into else None,
        template_glosses=_glosses(data.get("current_reply_glosses"), len(req.templates))
        if req.gloss_into else (),
    )
