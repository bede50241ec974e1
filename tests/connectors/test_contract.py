"""Every registered connector has the same shape, and is documented and tested."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

import connectors
from connectors.base import Connector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=connectors.available())
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_connector__declares_what_it_is(platform: str) -> None:
    cls = connectors.load(platform)
    assert issubclass(cls, Connector)
    assert cls.platform == platform
    assert cls.title
    assert issubclass(cls.Options, BaseModel)
    assert all(isinstance(c, str) for c in (*cls.credentials, *cls.optional_credentials))
    assert cls.fetch is not Connector.fetch, "fetch() must be implemented"


def test_connector__reply_matches_can_reply(platform: str) -> None:
    cls = connectors.load(platform)
    if cls.can_reply:
        assert cls.reply is not Connector.reply, "can_reply=True needs reply()"
        assert cls.reply_limit and cls.reply_limit > 0
    else:
        assert cls.reply is Connector.reply


def test_connector__has_tests_fixtures_and_docs(platform: str) -> None:
    assert (ROOT / "tests" / "connectors" / f"test_{platform}.py").exists()
    if platform != "replay":
        assert any((ROOT / "tests" / "fixtures" / platform).iterdir())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{platform}`" in readme, "list the platform in the README's table"
    example = (ROOT / "config" / "brands.example.yaml").read_text(encoding="utf-8")
    assert f"type: {platform}" in example, "show the platform in brands.example.yaml"


def test_registry__unknown_type_names_the_known_ones() -> None:
    with pytest.raises(connectors.ConnectorUnavailable, match=r"use one of: .*reddit.*x"):
        connectors.load("myspace")
