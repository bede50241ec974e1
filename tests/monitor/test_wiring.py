from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.settings import Environment
from monitor.wiring import SessionStore, build_runtime
from tests.factories import write_brands

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


def _signed(tmp_path: Path, signature: str) -> Path:
    path = write_brands(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 'signature: "— Acme"' in text
    path.write_text(text.replace('signature: "— Acme"', f"signature: {signature}"), encoding="utf-8")
    return path


def test_drafts__each_language_gets_its_own_signature_and_none_gets_another(tmp_path: Path) -> None:
    path = _signed(tmp_path, '{en: "— Ola from Acme", pl: "— Ola z Acme"}')
    runtime = build_runtime(load_config(path, env={}), path,
                            env=Environment(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"), environ={})
    brand = runtime.config.brands[0]
    source = brand.source_name(0)

    def drafts(lang: str) -> str:
        return " ".join(runtime.draft_replies(brand, source, lang=lang, categories=["delivery"],
                                              name="Kasia", reference="ACME-1"))

    assert "— Ola z Acme" in drafts("pl") and "from Acme" not in drafts("pl")
    assert "— Ola from Acme" in drafts("en")
    assert "Ola" not in drafts("ar")  # no Arabic signature given: none, not the English one
    assert brand.signature_for("pl-PL") == "— Ola z Acme"


def test_signature__a_language_that_is_no_code_names_the_line(tmp_path: Path) -> None:
    path = _signed(tmp_path, '{English: "— Ola"}')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert any("signature" in p and "English" in p and f"{path}:" in p for p in info.value.problems)
