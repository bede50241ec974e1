"""Helpdesks a case can be handed to: one file, one class each, registered here by type.

Each is imported only when a brand uses it. Zendesk's client, zenpy, is GPL-3.0 licensed, so
it is an opt-in extra (`pip install 'brand-monitor[zendesk]'`), not part of the MIT core; a
brand that names Zendesk without it is told what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from helpdesk.base import HelpdeskError, TicketCreated, TicketRequest

if TYPE_CHECKING:
    from helpdesk.base import Helpdesk

__all__ = ["REGISTRY", "HelpdeskError", "HelpdeskUnavailable", "TicketCreated", "TicketRequest",
           "load"]

REGISTRY: dict[str, str] = {
    "zendesk": "helpdesk.zendesk:ZendeskDesk",
    "freshdesk": "helpdesk.freshdesk:FreshdeskDesk",
    "webhook": "helpdesk.webhook:WebhookDesk",
}

# The pip extra that brings a helpdesk's client, where the base install lacks it.
EXTRAS: dict[str, str] = {"zendesk": "zendesk"}


class HelpdeskUnavailable(ImportError):
    """A helpdesk's module or client library could not be imported."""


def load(kind: str) -> type[Helpdesk]:
    """The helpdesk class of a `helpdesk: type:`."""
    module_name, _, class_name = REGISTRY[kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HelpdeskUnavailable(
            f"the {kind!r} helpdesk needs a package that is not installed ({exc.name}); "
            f"run: pip install 'brand-monitor[{EXTRAS.get(kind, kind)}]'") from exc
    cls: type[Helpdesk] = getattr(module, class_name)
    return cls
