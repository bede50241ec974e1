"""The cursor of review sources: the latest change time seen, and the ids seen at that time.

Keeping the ids of the boundary second means a review changed in the same second as the last
one read is neither read twice nor skipped, and an edited review comes back on the next poll.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.domain import Mention


@dataclass(frozen=True)
class ChangeCursor:
    """A parsed cursor; `state` keeps any other keys a connector stores beside it."""

    since: datetime | None = None
    seen: frozenset[str] = frozenset()
    state: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None

    @classmethod
    def parse(cls, cursor: str | None) -> ChangeCursor:
        state = json.loads(cursor) if cursor else {}
        since = datetime.fromisoformat(state["modified"]) if "modified" in state else None
        return cls(since, frozenset(state.get("ids", ())), state, cursor)

    def is_new(self, changed: datetime, mention_id: str) -> bool:
        """True for an item changed after the cursor, or at its second but not yet seen."""
        return self.since is None or changed > self.since or (
            changed == self.since and mention_id not in self.seen)

    def advance(self, found: Sequence[Mention], changed: Callable[[Mention], datetime],
                **extra: Any) -> str | None:
        """Return the cursor after `found` (sorted by `changed`); unchanged when nothing came."""
        if not found and not extra:
            return self.raw
        state = {**self.state, **extra}
        if found:
            newest = changed(found[-1])
            ids = {m.id for m in found if changed(m) == newest}
            state.update(modified=newest.isoformat(),
                         ids=sorted(ids | self.seen if newest == self.since else ids))
        return json.dumps(state, sort_keys=True) if state else None
