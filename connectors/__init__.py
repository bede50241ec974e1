"""Registry of connectors: platform name -> "module:Class", imported only when used.

A connector whose optional SDK is missing is reported when a source needs it; the others
still load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.base import Connector

REGISTRY: dict[str, str] = {
    "replay": "connectors.replay:ReplayConnector",
    "x": "connectors.x:XConnector",
    "reddit": "connectors.reddit:RedditConnector",
    "google_play": "connectors.google_play:GooglePlayConnector",
    "app_store": "connectors.app_store:AppStoreConnector",
    "trustpilot": "connectors.trustpilot:TrustpilotConnector",
    "google_business": "connectors.google_business:GoogleBusinessConnector",
    "mastodon": "connectors.mastodon:MastodonConnector",
    "bluesky": "connectors.bluesky:BlueskyConnector",
    "hackernews": "connectors.hackernews:HackerNewsConnector",
    "rss": "connectors.rss:RssConnector",
    "youtube": "connectors.youtube:YouTubeConnector",
    "facebook": "connectors.facebook:FacebookConnector",
    "instagram": "connectors.instagram:InstagramConnector",
    "threads": "connectors.threads:ThreadsConnector",
}

# The pip extra that brings each connector's SDK, where the base install lacks it.
EXTRAS: dict[str, str] = {
    "google_play": "google", "youtube": "google", "google_business": "google",
    "app_store": "app_store", "mastodon": "mastodon", "bluesky": "bluesky", "rss": "rss",
}


class ConnectorUnavailable(ImportError):
    """A connector's module or SDK could not be imported."""


def load(platform: str) -> type[Connector]:
    """Return the connector class registered for `platform`."""
    try:
        target = REGISTRY[platform]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ConnectorUnavailable(f"unknown source type {platform!r}; use one of: {known}") from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConnectorUnavailable(
            f"the {platform!r} connector needs a package that is not installed ({exc.name}); "
            f"run: pip install 'brand-monitor[{EXTRAS.get(platform, 'platforms')}]'"
        ) from exc
    cls: type[Connector] = getattr(module, class_name)
    return cls


def available() -> list[str]:
    """Names of every registered platform."""
    return sorted(REGISTRY)
