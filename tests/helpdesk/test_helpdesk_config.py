"""`helpdesk:` in the brands file: what each type needs, file:line errors, unset variables named."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config_loader import load_config
from monitor.errors import ConfigError
from tests.factories import write_brands

ZENDESK = """\
    helpdesk:
      type: zendesk
      subdomain: acme
      email_env: ACME_ZENDESK_EMAIL
      token_env: ACME_ZENDESK_TOKEN
      inbound_secret_env: ACME_ZENDESK_WEBHOOK_SECRET
      resolve_on: [Solved, closed]
"""
ENV = {"ACME_ZENDESK_EMAIL": "a@b.example", "ACME_ZENDESK_TOKEN": "t", "ACME_ZENDESK_WEBHOOK_SECRET": "s"}


def _problems(tmp_path: Path, extra: str, env: dict[str, str]) -> list[str]:
    path = write_brands(tmp_path, extra)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    return info.value.problems


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_helpdesk__a_valid_zendesk_block_loads(tmp_path: Path) -> None:
    config = load_config(write_brands(tmp_path, ZENDESK), env=ENV)
    desk = config.brand("acme").helpdesk
    assert desk is not None and desk.type == "zendesk" and desk.resolve_on == ["solved", "closed"]


def test_helpdesk__an_unset_variable_is_named_at_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, ZENDESK, {k: v for k, v in ENV.items() if k != "ACME_ZENDESK_TOKEN"})
    path = tmp_path / "brands.yaml"
    line = _line_of(path, "token_env:")
    assert problems == [f"{path}:{line}: brands[0].helpdesk.token_env: environment variable "
                        "ACME_ZENDESK_TOKEN is not set; export ACME_ZENDESK_TOKEN=... before starting "
                        "(secrets never go in the YAML file)"]


def test_helpdesk__what_a_type_needs_is_said_at_the_block(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "    helpdesk:\n      type: freshdesk\n", {})
    path = tmp_path / "brands.yaml"
    [problem] = problems
    assert problem.startswith(f"{path}:{_line_of(path, 'helpdesk:')}: brands[0].helpdesk: ")
    assert "type freshdesk needs domain:, api_key_env:" in problem


@pytest.mark.parametrize(("extra", "field", "says"), [
    ("    helpdesk:\n      type: jira\n", "helpdesk.type", "'zendesk', 'freshdesk' or 'webhook'"),
    ("    helpdesk:\n      type: webhook\n      url: ftp://x\n      secret_env: S\n", "helpdesk.url", "http"),
    ("    helpdesk:\n      type: webhook\n      url: https://x.example\n      secret_env: s3cr3t-Value\n",
     "helpdesk.secret_env", "must name an environment variable"),
    ("    helpdesk:\n      type: zendesk\n      subdomain: acme.zendesk.com\n      email_env: E\n"
     "      token_env: T\n", "helpdesk.subdomain", "pattern"),
    ("    helpdesk:\n      type: webhook\n      url: https://x.example\n      secret_env: S\n"
     "      colour: red\n",
     "helpdesk.colour", "unknown key"),
])
def test_helpdesk__bad_values_point_at_their_line(tmp_path: Path, extra: str, field: str, says: str) -> None:
    problems = _problems(tmp_path, extra, {"S": "x", "E": "x", "T": "x"})
    path = tmp_path / "brands.yaml"
    key = field.rsplit(".", 1)[1]
    line = _line_of(path, f"{key}:") if key != "type" else _line_of(path, "type: jira")
    assert any(p.startswith(f"{path}:{line}: brands[0].{field}: ") and says in p for p in problems), problems
    assert all("s3cr3t-Value" not in p for p in problems)


def test_zendesk_without_its_extra__file_line_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "helpdesk.zendesk", raising=False)
    monkeypatch.setitem(sys.modules, "zenpy", None)
    problems = _problems(tmp_path, ZENDESK, ENV)
    assert any("helpdesk.type" in p and "brand-monitor[zendesk]" in p for p in problems), problems
