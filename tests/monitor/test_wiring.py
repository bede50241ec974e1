from __future__ import annotations

from pathlib import Path

from monitor.config_loader import load_config
from monitor.settings import Environment
from monitor.wiring import SessionStore, build_runtime

YAML = """\
brands:
  - id: acme
    name: Acme
    keywords: [acme]
    slack: {channel: C0ACME}
    responders: [U0ONE]
    sources:
      - type: bluesky
        query: acme
        credentials: {handle: ACME_BSKY_HANDLE, app_password: ACME_BSKY_PASSWORD}
      - type: hackernews
        query: acme
"""


def test_connector__gets_a_session_store_when_it_takes_one(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(YAML)
    environ = {"ACME_BSKY_HANDLE": "acme.bsky.social", "ACME_BSKY_PASSWORD": "app-pass"}
    runtime = build_runtime(load_config(path, env=environ), path,
                            env=Environment(database_url=f"sqlite:///{tmp_path / 'db'}"), environ=environ)
    bluesky = runtime.connector("acme", "bluesky")
    assert isinstance(bluesky._store, SessionStore)  # type: ignore[attr-defined]
    assert bluesky.spec.credentials["handle"] == "acme.bsky.social"
    assert "app-pass" not in repr(bluesky.spec)
    assert runtime.connector("acme", "bluesky") is bluesky  # built once
    assert runtime.connector("acme", "hackernews").platform == "hackernews"
