"""The app's Home tab: published when someone opens it, and again as their brands' cases change.

Who sees what: a brand's responders and team (users, or members of user groups), the rule
`Desk.member` applies to every action; anyone else sees a short explanation and no brand.

Refreshing: after each send, the sender names the brands whose case messages it just sent
(`refresh`). Their members' views are then stale; a stale view is published again at most
once every `REFRESH_EVERY` per user, built from the database at that moment, so it shows every
change made meanwhile, and a wave of 200 cases costs each member one `views.publish`, not 200.
A view still held back goes out on a later send (the single-process `run` sends every 2 s, the
workers every 15 s). The memory of who is stale and when each view went out is the process's
own: with several workers, each refreshes after the sends it made, so a user gets at most one
publish per 30 s from each worker. No failure here reaches the alert path: `views.publish`
errors are logged and the next change publishes again.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.blocks_home import LISTED, MAX_BLOCKS, BrandHome, build_home
from alerts.delivery import Delivery, SlackDelivery, slack_error
from monitor.ports import Clock
from monitor.records import Case
from monitor.settings import BrandConfig, Config
from monitor.store_home import QueueCounts, WeekFigures, next_due, queue_counts, week_figures

if TYPE_CHECKING:
    from alerts.slack_app import Desk, Responders
    from monitor.store import Store

log = logging.getLogger(__name__)
REFRESH_EVERY = timedelta(seconds=30)
BLOCKS_PER_BRAND = 7  # alerts.blocks_home.brand_blocks
BRANDS_SHOWN = (MAX_BLOCKS - 3) // BLOCKS_PER_BRAND  # the title, its context, "…and N more"
Member = Callable[[BrandConfig], bool]
# What every reader of a brand sees: its overdue cases, those due next, the week's figures.
Shared = tuple[list[Case], list[Case], WeekFigures]


class HomeDeps(Protocol):
    @property
    def store(self) -> Store: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def config(self) -> Config: ...


def home_view(deps: HomeDeps, user: str, member: Member, now: datetime,
              shared: dict[str, Shared] | None = None) -> dict[str, Any]:
    """The Home view of `user`: every brand `member` admits, its counts from one GROUP BY,
    a few cases per list, this week's figures; brands past the view's room are only named.
    `shared` keeps what every reader of a brand sees (all but "mine") across the views of
    one refresh, so refreshing a team costs each brand's lists and figures once."""
    memo: dict[str, Shared] = {} if shared is None else shared
    brands = [b for b in deps.config.brands if member(b)]
    store = deps.store
    counts = queue_counts(store, [b.id for b in brands], user, now)
    by_urgency = sorted(brands, key=lambda b: (-counts.get(b.id, QueueCounts()).overdue,
                                               -counts.get(b.id, QueueCounts()).open))
    homes = []
    for brand in by_urgency[:BRANDS_SHOWN]:
        c = counts.get(brand.id, QueueCounts())
        if brand.id not in memo:
            memo[brand.id] = (
                store.cases(brand_id=brand.id, overdue_at=now, limit=LISTED) if c.overdue else [],
                next_due(store, brand.id, now, LISTED) if c.open > c.overdue else [],
                week_figures(store, brand.id, brand.zone, now))
        overdue, upcoming, week = memo[brand.id]
        mine = store.cases(brand_id=brand.id, assignee=user, limit=LISTED) if c.mine else []
        homes.append(BrandHome(brand.name, c, overdue, mine, upcoming, week))
    return build_home(homes, now, more=[b.name for b in by_urgency[BRANDS_SHOWN:]])


def publish(client: WebClient, user: str, view: dict[str, Any]) -> bool:
    """Publish `view` as `user`'s Home tab; False (and a line in the log) when Slack refuses."""
    try:
        client.views_publish(user_id=user, view=view)
    except SlackApiError as exc:
        log.warning("could not publish the Home tab of %s: %s", user, slack_error(exc))
        return False
    except (OSError, TimeoutError) as exc:
        log.warning("could not publish the Home tab of %s: cannot reach Slack (%s)", user, exc)
        return False
    return True


class Refresher:
    """One process's memory of stale Home views and of when each user's view went out."""

    def __init__(self, client: WebClient) -> None:
        from alerts.slack_app import Responders  # the Bolt app imports the sender, which imports us

        self.client = client
        self.responders: Responders = Responders(client)
        self._lock = threading.Lock()
        self._stale: set[str] = set()
        self._published: dict[str, datetime] = {}

    def member_rule(self, user: str) -> Member:
        return lambda brand: self.responders.allowed(user, brand.acting)

    def members(self, brands: Iterable[BrandConfig]) -> set[str]:
        """Every user on these brands' teams: the ids listed, and the user groups' members."""
        users: set[str] = set()
        for brand in brands:
            for who in brand.acting:
                users |= self.responders.members(who) if who.startswith("S") else {who}
        return users

    def opened(self, deps: HomeDeps, user: str, member: Member) -> bool:
        """Publish the view of a user who just opened the tab, at once."""
        now = deps.clock()
        ok = publish(self.client, user, home_view(deps, user, member, now))
        with self._lock:
            self._published[user] = now
            self._stale.discard(user)
        return ok

    def refresh(self, deps: HomeDeps, brand_ids: Iterable[str]) -> int:
        """Mark the views of these brands' members stale, then publish every stale view whose
        last one is older than REFRESH_EVERY; return how many went out."""
        changed = set(brand_ids)
        if changed:
            users = self.members(b for b in deps.config.brands if b.id in changed)
            with self._lock:
                self._stale |= users
        now = deps.clock()
        with self._lock:
            due = sorted(u for u in self._stale
                         if now - self._published.get(u, datetime.min.replace(tzinfo=now.tzinfo))
                         >= REFRESH_EVERY)
            self._stale -= set(due)
            self._published.update(dict.fromkeys(due, now))
        shared: dict[str, Shared] = {}
        return sum(publish(self.client, u, home_view(deps, u, self.member_rule(u), now, shared))
                   for u in due)


_REFRESHERS: weakref.WeakKeyDictionary[WebClient, Refresher] = weakref.WeakKeyDictionary()
_REFRESHERS_LOCK = threading.Lock()


def refresher(client: WebClient) -> Refresher:
    with _REFRESHERS_LOCK:
        found = _REFRESHERS.get(client)
        if found is None:
            found = _REFRESHERS[client] = Refresher(client)
        return found


def refresh(deps: HomeDeps, delivery: Delivery, brand_ids: Sequence[str]) -> int:
    """After a send: refresh the Home views the sent messages made stale (Slack only: the
    terminal has no Home tab). Never raises: the alerts it follows went out already."""
    if not isinstance(delivery, SlackDelivery):
        return 0
    try:
        return refresher(delivery.client).refresh(deps, brand_ids)
    except Exception:
        log.exception("the Home tab refresh failed; the next change tries again")
        return 0


def register(app: App, desk: Desk) -> None:
    """Publish a user's Home tab whenever they open it."""

    @app.event("app_home_opened")
    def opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user = str(event["user"])
        refresher(desk.delivery.client).opened(desk.runtime, user,
                                               lambda brand: desk.member(brand, user, "act"))
