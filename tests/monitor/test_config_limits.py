"""The brands file loader refuses hostile or broken input with one clear line, and never echoes
a value that looks like a secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor import config_loader
from monitor.config_loader import ENVIRONMENT_HINT, load_config, read_yaml
from monitor.errors import ConfigError
from monitor.paths import config_dir
from monitor.secrets_scan import PLACEHOLDER, looks_secret, redact
from tests.factories import BRANDS_YAML, write_brands


def _problems(path: Path, **limits: int) -> list[str]:
    """Problems from load_config, or from read_yaml when limits are given."""
    def load() -> object:
        return read_yaml(path, **limits) if limits else load_config(path, env={})

    with pytest.raises(ConfigError) as info:
        load()
    return info.value.problems


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brands.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_billion_laughs__refused_at_the_alias_that_blows_up(tmp_path: Path) -> None:
    lines = ["lol0: &lol0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    # 10**9 entries once expanded; a small budget keeps the test instant, the default refuses too
    problems = _problems(path, max_nodes=500)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:3: lol2[")
    assert "*lol1" in problems[0] and "expand to more than 500 entries" in problems[0]
    assert "YAML anchors/aliases (&name / *name)" in problems[0]
    default = _problems(path)
    assert len(default) == 1 and re.match(rf"{re.escape(str(path))}:\d+: ", default[0])
    assert f"more than {config_loader.MAX_NODES} entries" in default[0]


def test_aliases_within_budget__still_load(tmp_path: Path) -> None:
    path = _write(tmp_path, "a: &a [x, y]\nb: *a\nc: {k: *a}\n")
    data, lines = read_yaml(path)
    assert data == {"a": ["x", "y"], "b": ["x", "y"], "c": {"k": ["x", "y"]}}
    assert lines[("c", "k")] == 3


@pytest.mark.parametrize(("text", "line"), [
    ("a: &a [*a]\n", 1),
    ("brands:\n  - &brand\n    id: acme\n    twin: *brand\n", 4),
])
def test_recursive_alias__refused_with_line(tmp_path: Path, text: str, line: int) -> None:
    path = _write(tmp_path, text)
    problems = _problems(path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:{line}: ")
    assert "may not refer to themselves" in problems[0]


def test_deep_nesting__refused_not_a_recursion_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    problems = _problems(path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:1: ")
    assert "nested more than" in problems[0]


def test_latin1_file__refused_with_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_bytes("version: 1\nbrands:\n  - name: Café Acme\n".encode("latin-1"))
    problems = _problems(path)
    assert problems == [f"{path}:3: not UTF-8 (byte 0xe9 at column 14); save the file as UTF-8"
                        " (in most editors: Save as… > Encoding: UTF-8)"]


def test_oversized_file__refused_by_size_without_reading_it(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "brands.yaml"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024 * 1024)  # 2 MiB, sparse

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was read")

    for name in ("read_text", "read_bytes", "open"):
        monkeypatch.setattr(Path, name, refuse)
    problems = _problems(path)
    assert problems == [
        f"{path}: the file is 2 MiB; brands files are at most 1 MiB — check that this is your brands "
        "file (not a log or a data export), and keep posts, corpora and models in files of their own"
    ]


def test_file_at_the_limit__is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "a: 1\n" + "#" * (1024 * 1024 - 6) + "\n")
    assert path.stat().st_size == config_loader.MAX_BYTES
    assert read_yaml(path)[0] == {"a": 1}


@pytest.mark.parametrize(("text", "needle"), [
    ("a: !!python/name:os.system x\n", "remove the YAML tag"),
    ("brands:\n  - holidays: [2024-02-30]\n", "day is out of range for month"),
    ("? [a, b]\n: c\n", "keys must be plain names"),
    ("a: 1\nb: x\x00\n", "control character U+0000"),
])
def test_unreadable_values__are_problems_not_tracebacks(tmp_path: Path, text: str, needle: str) -> None:
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1 and re.match(r".*brands\.yaml:[12]: ", problems[0])
    assert needle in problems[0]


SLACK_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(("extra_keys", "secret"), [
    # pasted where a responder id goes: the schema's message quotes the value
    ({"responders": f"[{SLACK_TOKEN}]", "keywords": f"[acme, {SLACK_TOKEN}]"}, SLACK_TOKEN),
    # as a key: "unknown key" names the field
    ({f"{SLACK_TOKEN}": "oops"}, SLACK_TOKEN),
    # as a credential: looks like a variable name, so "is not set" would name it
    ({}, AWS_KEY),
])
def test_secret_values__never_appear_in_problems(tmp_path: Path, extra_keys: dict[str, str],
                                                  secret: str) -> None:
    text = BRANDS_YAML.format(posts="posts.jsonl", replies="replies.jsonl", extra="")
    for key, value in extra_keys.items():
        if re.search(rf"^    {re.escape(key)}:", text, re.M):
            text = re.sub(rf"^    {re.escape(key)}:.*$", f"    {key}: {value}", text, flags=re.M)
        else:
            text += f"    {key}: {value}\n"
    if secret == AWS_KEY:
        text += ("      - type: x\n        name: x-extra\n        query: acme\n"
                 f"        credentials:\n          bearer_token: {AWS_KEY}\n")
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    shown = str(info.value)
    assert secret not in shown and secret[:12] not in shown
    flagged = [p for p in info.value.problems if PLACEHOLDER in p]
    assert flagged and all(p.endswith(ENVIRONMENT_HINT) for p in flagged)
    assert "name an environment variable under credentials:" in shown


def test_pem_block_in_yaml__not_shown(tmp_path: Path) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"
    path = write_brands(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "timezone: Europe/Warsaw" in text
    path.write_text(text.replace("timezone: Europe/Warsaw", f'timezone: "{pem}"'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    shown = str(info.value)
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in shown and "BEGIN PRIVATE KEY" not in shown
    assert ENVIRONMENT_HINT in shown


def test_ordinary_problems__keep_their_values(tmp_path: Path) -> None:
    path = write_brands(tmp_path, "    team: [jan]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "'jan' is not a Slack user" in str(info.value)
    assert ENVIRONMENT_HINT not in str(info.value)


@pytest.mark.parametrize("secret", [
    SLACK_TOKEN, "xoxp-1-2-3-abc", "xapp-1-A01-123-abcdef", "xoxe.xoxp-1-Mi0yLTEy", "xoxa-2-abc",
    "sk-proj-abcdefghijklmnop1234", "ghp_" + "a1B2" * 9, "github_pat_11ABCDEFG0_abcdefghijklmnopqrstuv",
    AWS_KEY, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "0123456789abcdef0123456789abcdef", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
])
def test_looks_secret__recognises_tokens(secret: str) -> None:
    assert looks_secret(f"value {secret}!")
    assert redact(f"'{secret}' is not a Slack user id") == f"{PLACEHOLDER} is not a Slack user id"


@pytest.mark.parametrize("text", [
    "ACME_X_BEARER_MISSING", "ACME_COFFEE_GOOGLE_PLAY_SERVICE_ACCOUNT_JSON", "U0123ABCD", "#brand-complaints",
    "/var/lib/brand-monitor/models/my-complaint-classifier-v2", "America/Argentina/Buenos_Aires",
    "brands[0].sources[0].credentials.bearer_token", "BrandMonitorSlackSigningSecretName", "skip-this",
])
def test_looks_secret__leaves_ordinary_text(text: str) -> None:
    assert not looks_secret(text) and redact(text) == text


@pytest.mark.parametrize("name", ["demo.yaml", "brands.example.yaml"])
def test_shipped_files__still_load(name: str) -> None:
    path = config_dir() / name
    names = re.findall(r":\s*([A-Z][A-Z0-9_]{3,})\s*(?:#.*)?$", path.read_text(encoding="utf-8"), re.M)
    assert load_config(path, env=dict.fromkeys(names, "placeholder")).brands
