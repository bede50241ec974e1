from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config_loader import load_config
from monitor.errors import ConfigError
from monitor.paths import config_dir
from monitor.settings import Environment, parse_duration

BROKEN = """\
version: 1
brands:
  - id: Acme Coffee
    name: Acme
    keywords: []
    timezone: Mars/Olympus
    response_time: soon
    slack:
      channel: complaints
    responders: [jan]
    colour: blue
    sources:
      - type: x
        query: acme
        credentials:
          bearer_token: ACME_X_BEARER_MISSING
      - type: myspace
"""


def _problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    path = tmp_path / "brands.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env or {})
    return info.value.problems


def test_check_config__reports_every_problem_with_line_and_field(tmp_path: Path) -> None:
    problems = _problems(tmp_path, BROKEN)
    text = "\n".join(problems)
    path = tmp_path / "brands.yaml"
    assert f"{path}:3: brands[0].id:" in text
    assert f"{path}:5: brands[0].keywords: " in text
    assert f"{path}:6: brands[0].timezone: 'Mars/Olympus' is not a timezone; write an IANA name" in text
    assert f"{path}:7: brands[0].response_time: 'soon' is not a duration; write it as 30s" in text
    assert f"{path}:9: brands[0].slack.channel:" in text
    assert f"{path}:10: brands[0].responders:" in text and "U0123ABCD" in text
    assert f"{path}:11: brands[0].colour: unknown key; remove it or fix its spelling" in text
    assert (f"{path}:16: brands[0].sources[0].credentials.bearer_token: environment variable "
            "ACME_X_BEARER_MISSING is not set") in text
    assert f"{path}:17: brands[0].sources[1].type: unknown source type 'myspace'" in text
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_check_config__never_prints_secret_values(tmp_path: Path) -> None:
    text = BROKEN.replace("ACME_X_BEARER_MISSING", "ACME_X_BEARER")
    problems = _problems(tmp_path, text, env={"ACME_X_BEARER": "s3cr3t-value"})
    assert all("s3cr3t-value" not in p for p in problems)
    assert not any("ACME_X_BEARER is not set" in p for p in problems)


def test_check_config__secret_in_yaml_is_refused(tmp_path: Path) -> None:
    text = BROKEN.replace("ACME_X_BEARER_MISSING", "AAAA%2Fsecret-token")
    problems = _problems(tmp_path, text)
    assert any("must name an environment variable" in p for p in problems)


def test_check_config__yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "brands:\n  - id: a\n   name: [unclosed\n")
    assert len(problems) == 1 and ":3:" in problems[0] and "YAML syntax" in problems[0]


def test_check_config__cli_exit_code_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "brands[0].timezone" in err and "problem(s) found" in err


@pytest.mark.parametrize("name", ["demo.yaml", "brands.example.yaml"])
def test_shipped_files__are_valid(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_dir() / name
    env = {}
    if name == "brands.example.yaml":
        import re

        names = re.findall(r":\s*([A-Z][A-Z0-9_]{3,})\s*(?:#.*)?$", path.read_text(), re.M)
        env = dict.fromkeys(names, "placeholder")
    config = load_config(path, env=env)
    assert config.brands


def test_parse_duration__units() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("1h") == timedelta(hours=1)
    assert parse_duration(30) == timedelta(seconds=30)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("an hour")


def test_environment__masks_secrets_in_repr() -> None:
    env = Environment.from_env({"SLACK_BOT_TOKEN": "xoxb-very-secret", "DATABASE_URL": "sqlite://"})
    assert "xoxb-very-secret" not in repr(env)
    assert env.slack_bot_token is not None
    assert env.slack_bot_token.get_secret_value() == "xoxb-very-secret"


def test_alert_on__must_keep_complaints(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from monitor.errors import ConfigError
    from tests.factories import write_brands

    path = write_brands(tmp_path, "    alert_on: [question]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, check_sources=False)
    assert "alert_on must keep complaint" in str(err.value)
    path = write_brands(tmp_path, "    alert_on: [complaint, question]\n    competitors: [Globex]\n"
                                  "    not_us: [Acme FC]\n")
    brand = load_config(path, check_sources=False).brands[0]
    assert brand.alert_on == ("complaint", "question")
    context = brand.context()
    assert context.competitors == ("Globex",) and context.not_us == ("Acme FC",)
    assert context.names[:2] == ("Acme Coffee", "acme") and context.handles == ("acmecoffee",)
