"""`drafting:` and `team_languages:` in the brands file: defaults, and errors at file:line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config_loader import load_config
from monitor.errors import ConfigError
from tests.factories import write_brands


def _load(tmp_path: Path, extra: str):  # type: ignore[no-untyped-def]
    return load_config(write_brands(tmp_path, extra), env={})


def _problems(tmp_path: Path, extra: str) -> str:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, extra)
    return "\n".join(info.value.problems)


def _line_of(tmp_path: Path, needle: str) -> int:
    lines = (tmp_path / "brands.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_defaults__templates_and_the_first_language_read() -> None:
    from monitor.settings import Drafting

    cfg = Drafting()
    assert cfg.backend == "template" and not cfg.uses_model
    assert cfg.timeout == timedelta(seconds=15) and cfg.policy.allowed_links == []


def test_default_team_language__the_brands_first(tmp_path: Path) -> None:
    brand = _load(tmp_path, "").brands[0]  # languages: [en, pl]
    assert brand.team_language == "en"
    assert brand.team_reads("en") and brand.team_reads("en-GB") and not brand.team_reads("pl")


def test_model_backend__read_with_policy_and_team_languages(tmp_path: Path) -> None:
    brand = _load(tmp_path, """\
    team_languages: [pl, en]
    drafting:
      backend: model
      endpoint: http://127.0.0.1:11434/v1/
      model: llama3.1:8b
      api_key_env: ACME_LLM_KEY
      timeout: 20s
      policy:
        tone: calm
        never_promise: [refund, "zwrot pieniędzy"]
        allowed_links: [www.Help.Acme.example]
""").brands[0]
    assert brand.drafting.endpoint == "http://127.0.0.1:11434/v1" and brand.drafting.uses_model
    assert brand.drafting.timeout == timedelta(seconds=20)
    assert brand.drafting.policy.allowed_links == ["help.acme.example"]
    assert brand.team_language == "pl" and brand.team_reads("en") and not brand.team_reads("fa")


def test_model_backend_without_endpoint_or_model__error_at_its_line(tmp_path: Path) -> None:
    text = _problems(tmp_path, """\
    drafting:
      backend: model
""")
    path = tmp_path / "brands.yaml"
    assert (f"{path}:{_line_of(tmp_path, 'drafting:')}: brands[0].drafting: backend 'model' "
            "needs endpoint and model") in text


def test_bad_values__each_at_its_file_line_and_field(tmp_path: Path) -> None:
    text = _problems(tmp_path, """\
    team_languages: [English]
    drafting:
      backend: gpt
      endpoint: localhost:11434
      model: llama3
      api_key_env: sk-abc123
      timeout: 10m
      policy:
        forbidden_words: [""]
        allowed_links: [https://help.acme.example/x]
""")
    path = tmp_path / "brands.yaml"

    def at(needle: str, field: str) -> str:
        return f"{path}:{_line_of(tmp_path, needle)}: brands[0].{field}: "

    assert at("team_languages", "team_languages") + "'English' is not a language code" in text
    assert at("backend: gpt", "drafting.backend") in text
    assert at("endpoint:", "drafting.endpoint") + "'localhost:11434' is not an http(s) URL" in text
    assert at("api_key_env", "drafting.api_key_env") + "api_key_env must name an environment" in text
    assert "sk-abc123" not in text
    assert at("timeout: 10m", "drafting.timeout") + "timeout must be above 0 and at most 2m" in text
    assert at("forbidden_words", "drafting.policy.forbidden_words") + "an empty phrase" in text
    assert at("allowed_links", "drafting.policy.allowed_links") + \
        "'https://help.acme.example/x' is not a domain" in text
