"""The cursor of review sources: the latest change time seen, and the ids seen at that time.

Keeping the ids of the boundary second means a review changed in the same second as the last
one read is neither read twice nor skipped, and an edited review comes back on the next poll.
Sources that list items newest change first read them with `ChangeCursor.newest_first`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from monitor.domain import Mention

Feed = TypeVar("Feed")
#: One page of raw items and the token (or URL) of the next page, given the current token.
PageReader = Callable[[str | None], tuple[Iterable[Any], str | None]]
#: The errors that mark an item as malformed rather than the platform as failing.
MALFORMED: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError)


def last_change(mention: Mention) -> datetime:
    """Return when the mention last changed: its edit, else its publication."""
    return mention.edited_at or mention.published_at


def translate(items: Iterable[Any], to_mention: Callable[[Any], Mention],
              skip: Callable[[Exception], None],
              malformed: tuple[type[Exception], ...] = MALFORMED) -> tuple[list[Mention], int]:
    """Translate `items`, handing each malformed one's error to `skip`; count those skipped."""
    mentions: list[Mention] = []
    skipped = 0
    for item in items:
        try:
            mentions.append(to_mention(item))
        except malformed as exc:
            skipped += 1
            skip(exc)
    return mentions, skipped


def gather(feeds: Iterable[Feed], read: Callable[[Feed], tuple[list[Mention], int, bool]],
           label: Callable[[Feed], str], what: str, max_pages: int,
           changed: Callable[[Mention], datetime]) -> tuple[list[Mention], int, list[str]]:
    """Read every feed; return the mentions by `changed`, the skipped count and the notes.

    `read` says for each feed whether `max_pages` ran out before the known items; the note
    names the feed by `label` and what was left unread as `what` ("new reviews").
    """
    found: list[Mention] = []
    skipped = 0
    notes = []
    for feed in feeds:
        mentions, bad, truncated = read(feed)
        found += mentions
        skipped += bad
        if truncated:
            notes.append(f"{label(feed)}: more {what} than {max_pages} pages; the older ones "
                         "were not read (raise options.max_pages)")
    found.sort(key=changed)
    return found, skipped, notes


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

    def newest_first(self, max_pages: int, page: PageReader, to_mention: Callable[[Any], Mention],
                     skip: Callable[[Exception], None], changed: Callable[[Mention], datetime],
                     malformed: tuple[type[Exception], ...] = MALFORMED,
                     ) -> tuple[list[Mention], int, bool]:
        """Read pages listed newest change first until one reaches items already read.

        Without a cursor only the newest page is read: history is not replayed. Return the new
        mentions, how many items were malformed, and whether `max_pages` ran out first.
        """
        found: list[Mention] = []
        skipped = 0
        token = None
        for _ in range(max_pages if self.since else 1):
            items, token = page(token)
            mentions, bad = translate(items, to_mention, skip, malformed)
            skipped += bad
            new = [m for m in mentions if self.is_new(changed(m), m.id)]
            found += new
            # Newest first: past the first item already read, the rest is what we have.
            if len(new) < len(mentions) or not token:
                return found, skipped, False
        return found, skipped, self.since is not None

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
