"""Each platform's rate limit, per credential: the default table, and whose limit a source spends.

A platform counts its limit against a credential (a bearer token, an OAuth client, an API key),
not against our process: every source, of any brand, in any process, that reads with the same
credential values spends the same allowance. So the limiter's bucket and the shared pause of a
source are named after its platform and a hash of those values, `credential:<platform>:<hash>`,
and never carry the secret itself.

The limiter takes one token per poll, and a poll may make a few requests (pages, a mentions
timeline beside the search), so the defaults sit at about half the platform's documented
request limit. A source's `rate_limit:` (e.g. `300/5m`) replaces its platform's default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta

from monitor.settings import RateLimit, SourceConfig


def _per(calls: int, **period: float) -> RateLimit:
    return RateLimit(calls, timedelta(**period))


#: Polls per period and credential, when a source sets no `rate_limit:`. None: no limit.
DEFAULTS: dict[str, RateLimit | None] = {
    # X API v2 GET /2/tweets/search/recent: 60 requests / 15 min per app on Basic, 450 on Pro
    # and pay-per-use (docs.x.com/x-api/fundamentals/rate-limits).
    "x": _per(30, minutes=15),
    # Reddit Data API: 100 queries per minute per OAuth client id, averaged over 10 minutes
    # (support.reddithelp.com, "Data API Wiki").
    "reddit": _per(500, minutes=10),
    # Mastodon: 300 requests / 5 minutes per account (and per IP) on a default server
    # (docs.joinmastodon.org/api/rate-limits).
    "mastodon": _per(150, minutes=5),
    # Bluesky: the AppView's per-IP limit for reads (docs.bsky.app/docs/advanced-guides/
    # rate-limits; about 3,000 requests / 5 minutes at the time of writing).
    "bluesky": _per(1500, minutes=5),
    # YouTube Data API: 10,000 quota units a day per project; commentThreads.list costs 1 unit
    # a page, a reply 50 (developers.google.com/youtube/v3/determine_quota_cost).
    "youtube": _per(3000, days=1),
    # Google Play Reply to Reviews API: 200 GET requests an hour, 2,000 replies a day
    # (developers.google.com/android-publisher/reply-to-reviews).
    "google_play": _per(100, hours=1),
    # App Store Connect API: 3,600 requests an hour per key ("Identifying Rate Limits").
    "app_store": _per(1800, hours=1),
    # Hacker News search (Algolia): 10,000 requests an hour per IP (hn.algolia.com/api).
    "hackernews": _per(5000, hours=1),
    # Meta Graph API (Facebook, Instagram, Threads): 200 calls an hour per user of the app
    # (Platform Rate Limits; Pages and Instagram accounts have Business Use Case limits on top:
    # developers.facebook.com/docs/graph-api/overview/rate-limiting).
    "facebook": _per(100, hours=1),
    "instagram": _per(100, hours=1),
    "threads": _per(100, hours=1),
    # Trustpilot and Google Business Profile: limits per API key or project that their
    # documentation does not pin to one figure for these endpoints; a cautious default.
    "trustpilot": _per(60, minutes=1),
    "google_business": _per(60, minutes=1),
    # RSS: a feed's host publishes no limit; one poll a minute per feed is polite.
    "rss": _per(60, minutes=1),
    # Replay reads a local file (the demo and the tests): nothing to protect.
    "replay": None,
}
#: A platform missing from the table (a connector added later) gets this until it is added.
FALLBACK = _per(60, minutes=1)


def rate_of(source: SourceConfig) -> RateLimit | None:
    """The rate a source's polls are held to: its `rate_limit:`, else its platform's."""
    if source.rate_limit is not None:
        return source.rate_limit
    return DEFAULTS.get(source.type, FALLBACK)


def credential_names(connector: object, configured: Mapping[str, str]) -> tuple[str, ...]:
    """The credentials a platform counts a source's reads against: the connector's required
    `credentials`, else its `optional_credentials` (Mastodon's token, Google's OAuth client),
    else every credential the source configures (a connector that declares none)."""
    for attribute in ("credentials", "optional_credentials"):
        names = getattr(connector, attribute, None)
        if names:
            return tuple(names)
    return tuple(configured)


def credential_key(platform: str, credentials: Mapping[str, str], names: tuple[str, ...]) -> str:
    """`credential:<platform>:<hash>`: one name for every source reading with the same values.

    The hash is a truncated SHA-256 of the named values (16 hex digits); the secret itself is
    never part of a name, a table or a log line. A source without credentials (Hacker News,
    RSS) shares its platform's key: those limits are per IP.
    """
    material = "\0".join(f"{name}={credentials.get(name, '')}" for name in sorted(names))
    digest = hashlib.sha256(f"{platform}\0{material}".encode()).hexdigest()[:16]
    return f"credential:{platform}:{digest}"
