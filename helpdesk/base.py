"""What every helpdesk offers brand-monitor: create one ticket for one case.

A helpdesk is one file and one class that declares what it is (`system`, `title`) and turns a
`TicketRequest` into the vendor's call; whatever the vendor answers becomes a `TicketCreated`
or a `HelpdeskError` before it leaves that file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from monitor.helpdesk_types import HelpdeskError, Priority, TicketCreated, TicketRequest
from monitor.settings import Helpdesk as HelpdeskSettings

__all__ = ["Helpdesk", "HelpdeskError", "Priority", "TicketCreated", "TicketRequest"]


class Helpdesk:
    """Base of every helpdesk: built from the brand's `helpdesk:` and the environment."""

    system: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, settings: HelpdeskSettings, environ: Mapping[str, str],
                 base_url: str | None = None) -> None:
        self.settings = settings
        self.environ = environ
        self.base_url = base_url  # tests point a helpdesk at a loopback fake

    def secret(self, key: str) -> str:
        """The value of the environment variable the settings name under `key`."""
        name = getattr(self.settings, key)
        value = self.environ.get(name, "") if name else ""
        if not value:
            raise HelpdeskError(self.system, f"environment variable {name} is not set", answered=True)
        return value

    def create(self, ticket: TicketRequest) -> TicketCreated:
        raise NotImplementedError

    def __repr__(self) -> str:  # never the credentials
        return f"<{type(self).__name__} {self.system}>"
