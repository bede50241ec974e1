"""The deployment files in deploy/ (and the README's worker section) against the code.

Every `brand-monitor …` command they run must parse with the real CLI parser, the compose file
must be valid YAML with its services, the systemd units must have the sections systemd needs,
and every environment variable they set or document must be one the code reads (or a
third-party one, named below with its owner). A renamed subcommand, option or variable fails
here instead of in production.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from monitor.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
UNITS = DEPLOY / "systemd"
WORKER_UNIT = UNITS / "brand-monitor-worker@.service"
WEB_UNIT = UNITS / "brand-monitor-web.service"
MIGRATE_UNIT = UNITS / "brand-monitor-migrate.service"
README_SECTION = "## Several workers (PostgreSQL)"
CODE_DIRS = ("monitor", "alerts", "connectors")
BRAND_MONITOR_SERVICES = ("migrate", "worker", "web")

# Variables the deploy files set for other programs than brand-monitor.
EXTERNAL = {
    "POSTGRES_USER": "the postgres image",
    "POSTGRES_PASSWORD": "the postgres image (and Compose's interpolation of DATABASE_URL)",
    "POSTGRES_DB": "the postgres image",
    "PYTHONUNBUFFERED": "Python",
    "PYTHONDONTWRITEBYTECODE": "Python",
    "PIP_NO_CACHE_DIR": "pip",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip",
    "HF_HUB_OFFLINE": "huggingface_hub (the transformers backend)",
}
PLACEHOLDER = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)[^}\s]*\}?")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


# -- reading the files -----------------------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _dockerfile_lines() -> list[str]:
    """Instructions with their continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    return lines


def _dockerfile_json(instruction: str) -> list[str]:
    found = [line for line in _dockerfile_lines() if line.split(None, 1)[0].upper() == instruction]
    assert found, f"deploy/Dockerfile has no {instruction}"
    return json.loads(found[-1].split(None, 1)[1])


def _unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections, each a list of (key, value): systemd allows repeated keys."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path.name}:{number}: a setting before any [Section]"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}:{number}: not KEY=value: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def _values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def _one(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = _values(unit, section, key)
    assert found, f"[{section}] {key}= is missing"
    return found[-1]


def _unit_words(unit: dict[str, list[tuple[str, str]]], key: str) -> set[str]:
    return {word for value in _values(unit, "Unit", key) for word in value.split()}


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.find("\n" + README_SECTION + "\n")
    assert start >= 0, f"README.md has no section {README_SECTION!r}"
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


# -- commands --------------------------------------------------------------------------------


def _parse(argv: list[str], where: str) -> argparse.Namespace:
    """Parse a brand-monitor command line (without the program name) like `main` would."""
    words = [PLACEHOLDER.sub("1", word) for word in argv]  # ${VAR} / $VAR: any value
    try:
        return build_parser().parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"{where}: `brand-monitor {' '.join(argv)}` does not parse ({exc})")


def _exec_argv(value: str) -> list[str]:
    """The arguments after the brand-monitor executable of an ExecStart= line."""
    words = shlex.split(value.lstrip("-@:+!"))
    assert words and Path(words[0]).name == "brand-monitor", f"ExecStart= runs {words[:1]}"
    return words[1:]


def _compose_command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def _commands() -> list[tuple[str, list[str]]]:
    found = [("Dockerfile CMD", _dockerfile_json("CMD"))]
    services = _compose()["services"]
    for name in BRAND_MONITOR_SERVICES:
        found.append((f"compose.yaml {name}", _compose_command(services[name])))
    for path in sorted(UNITS.glob("*.service")):
        for value in _values(_unit(path), "Service", "ExecStart"):
            found.append((path.name, _exec_argv(value)))
    section = _readme_section()
    snippets = re.findall(r"`(brand-monitor [^`]+)`", section)
    for block in re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL):
        for raw in block.splitlines():
            line = raw.split(" #", 1)[0].strip()
            line = re.sub(r"^(sudo\s+(-u\s+\S+\s+)?)?(\S*/)?(?=brand-monitor )", "", line)
            if line.startswith("brand-monitor "):
                snippets.append(line)
    for snippet in snippets:
        words = shlex.split(snippet.replace("…", ""))
        found.append(("README " + snippet, words[1:]))
    return found


def test_the_image_runs_brand_monitor_and_a_worker_by_default() -> None:
    assert _dockerfile_json("ENTRYPOINT") == ["brand-monitor"]
    args = _parse(_dockerfile_json("CMD"), "Dockerfile CMD")
    assert args.command == "worker"


@pytest.mark.parametrize(("where", "argv"), _commands(), ids=lambda value: str(value)[:60])
def test_every_brand_monitor_command_parses(where: str, argv: list[str]) -> None:
    args = _parse(argv, where)
    queues = getattr(args, "queues", None)
    if queues:
        jobs = pytest.importorskip("monitor.jobs", reason="the workers extra is not installed")
        unknown = {q.strip() for q in queues.split(",")} - set(jobs.QUEUES)
        assert not unknown, f"{where}: --queues names unknown queue(s) {sorted(unknown)}"


def test_the_readme_section_runs_the_worker_and_serve_commands() -> None:
    commands = {argv[0] for where, argv in _commands() if where.startswith("README") and argv}
    assert {"db-upgrade", "worker", "serve", "status"} <= commands


# -- compose ---------------------------------------------------------------------------------


def test_compose_has_postgres_migrate_worker_and_web() -> None:
    services = _compose()["services"]
    assert set(BRAND_MONITOR_SERVICES) | {"postgres"} <= set(services)

    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pgdata" in _compose()["volumes"]

    migrate = services["migrate"]
    assert _parse(_compose_command(migrate), "migrate").command == "db-upgrade"
    assert migrate.get("restart") == "no", "a one-shot must not be restarted after it succeeds"

    worker = services["worker"]
    assert _parse(_compose_command(worker), "worker").command == "worker"
    assert worker["deploy"]["replicas"] >= 2
    assert "container_name" not in worker, "replicas cannot share a container name"
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert worker["stop_signal"] == "SIGTERM"

    web = services["web"]
    args = _parse(_compose_command(web), "web")
    assert (args.command, args.mode, args.host) == ("serve", "http", "0.0.0.0")
    assert any(str(p).endswith(f":{args.port}") for p in web["ports"]), "the serve port is not published"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_web_healthcheck_asks_the_health_path_on_the_serve_port() -> None:
    from alerts.http_server import HEALTH_PATH

    web = _compose()["services"]["web"]
    port = _parse(_compose_command(web), "web").port
    assert f"127.0.0.1:{port}{HEALTH_PATH}" in " ".join(web["healthcheck"]["test"])


def test_compose_mounts_the_config_read_only_where_the_environment_points() -> None:
    services = _compose()["services"]
    for name in BRAND_MONITOR_SERVICES:
        service = services[name]
        config = service["environment"]["BRAND_MONITOR_CONFIG"]
        assert any(str(v).endswith(f":{config}:ro") for v in service["volumes"]), name
        assert service["env_file"] == ".env", name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://"), name
    assert "BRAND_MONITOR_CONFIG=/config/brands.yaml" in " ".join(
        line for line in _dockerfile_lines() if line.startswith("ENV "))


# -- the image -------------------------------------------------------------------------------


def test_the_image_installs_the_workers_extra_and_runs_as_a_user() -> None:
    lines = _dockerfile_lines()
    assert lines[0].startswith("FROM python:3.11-slim")
    extras = next(line for line in lines if line.startswith("ARG EXTRAS=")).split("=", 1)[1]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = set(re.findall(r"^([a-z_]+) = \[", pyproject.split("[project.optional-dependencies]")[1]
                              .split("\n[", 1)[0], flags=re.MULTILINE))
    normalised = {name.replace("_", "-") for name in declared}
    for extra in extras.split(","):
        assert extra in normalised, f"EXTRAS names {extra!r}; pyproject declares {sorted(declared)}"
        assert "_" not in extra, f"write {extra.replace('_', '-')!r}: pip before 23.3 ignores {extra!r}"
    assert "workers" in extras.split(",")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"


def test_the_build_context_leaves_out_the_venv_and_git() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv"} <= ignored
    assert ".gitignore" not in ignored, "the wheel build reads .gitignore"
    assert "deploy/.env" in ignored, "secrets must not be baked into the image"


# -- systemd ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [WORKER_UNIT, WEB_UNIT, MIGRATE_UNIT], ids=lambda p: p.name)
def test_each_unit_is_a_hardened_service_with_the_environment_file(path: Path) -> None:
    unit = _unit(path)
    assert {"Unit", "Service"} <= set(unit)
    assert _one(unit, "Unit", "Description")
    assert _one(unit, "Service", "EnvironmentFile").lstrip("-") == "/etc/brand-monitor/env"
    assert _one(unit, "Service", "User") not in ("root", "0")
    assert _one(unit, "Service", "NoNewPrivileges") == "yes"
    assert _one(unit, "Service", "ProtectSystem") == "strict"
    assert _one(unit, "Service", "PrivateTmp") == "yes"
    # ProtectSystem=strict leaves the working directory writable only as the state directory.
    state = _one(unit, "Service", "StateDirectory")
    assert _one(unit, "Service", "WorkingDirectory") == f"/var/lib/{state}"


@pytest.mark.parametrize("path", [WORKER_UNIT, WEB_UNIT], ids=lambda p: p.name)
def test_the_worker_and_web_units_are_enabled_after_the_migrations(path: Path) -> None:
    unit = _unit(path)
    assert "multi-user.target" in _one(unit, "Install", "WantedBy")
    assert MIGRATE_UNIT.name in _unit_words(unit, "After")
    assert MIGRATE_UNIT.name in _unit_words(unit, "Requires")
    assert _one(unit, "Service", "Restart") == "on-failure"
    assert _one(unit, "Service", "KillSignal") == "SIGTERM"
    assert "BRAND_MONITOR_CONFIG=/etc/brand-monitor/" in _one(unit, "Service", "Environment")


def test_the_worker_unit_is_a_template_that_waits_for_running_jobs() -> None:
    unit = _unit(WORKER_UNIT)
    argv = _exec_argv(_one(unit, "Service", "ExecStart"))
    assert _parse(argv, WORKER_UNIT.name).command == "worker"
    assert "%i" in " ".join(argv), "each instance should name itself after its instance"
    stop = _one(unit, "Service", "TimeoutStopSec")
    assert stop.isdigit() and int(stop) >= 60, "running jobs need time to finish on SIGTERM"


def test_the_migrate_unit_runs_once_before_the_others() -> None:
    unit = _unit(MIGRATE_UNIT)
    assert _one(unit, "Service", "Type") == "oneshot"
    assert _one(unit, "Service", "RemainAfterExit") == "yes"
    assert _parse(_exec_argv(_one(unit, "Service", "ExecStart")), MIGRATE_UNIT.name).command == "db-upgrade"
    assert WEB_UNIT.name in _unit_words(unit, "Before")
    assert "Install" not in unit, "pulled in by the others' Requires=; not enabled on its own"


def test_the_web_unit_listens_on_loopback_for_the_proxy() -> None:
    args = _parse(_exec_argv(_one(_unit(WEB_UNIT), "Service", "ExecStart")), WEB_UNIT.name)
    assert (args.command, args.mode, args.host) == ("serve", "http", "127.0.0.1")


# -- environment variables -------------------------------------------------------------------


def _code_literals() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))


def _credential_names() -> set[str]:
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "credentials" and isinstance(value, dict):
                    names.update(str(v) for v in value.values())
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((ROOT / "config" / "brands.example.yaml").read_text(encoding="utf-8")))
    return names


def _env_names() -> dict[str, set[str]]:
    """Every environment variable a deploy file sets, reads or documents, with where."""
    found: dict[str, set[str]] = {}

    def add(name: str, where: str) -> None:
        found.setdefault(name, set()).add(where)

    for line in _dockerfile_lines():
        if line.startswith("ENV "):
            for word in shlex.split(line[4:]):
                add(word.split("=", 1)[0], "Dockerfile ENV")
    compose_text = COMPOSE.read_text(encoding="utf-8")
    for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", compose_text):
        add(name, "compose.yaml ${…}")
    for name, service in _compose()["services"].items():
        environment = service.get("environment", {})
        keys = environment if isinstance(environment, dict) else [e.split("=", 1)[0] for e in environment]
        for key in keys:
            add(key, f"compose.yaml {name}")
    for path in sorted(UNITS.glob("*.service")):
        unit = _unit(path)
        for value in _values(unit, "Service", "Environment"):
            for word in shlex.split(value):
                add(word.split("=", 1)[0], path.name)
        for value in _values(unit, "Service", "ExecStart"):
            for name in PLACEHOLDER.findall(value):
                add(name, path.name)
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=", line.strip())
        if match:
            add(match.group(1), "env.example")
    section = _readme_section()
    for name in re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`", section):
        add(name, "README")
    for name in re.findall(r"`\$([A-Z][A-Z0-9_]*)`", section):
        add(name, "README")
    return found


def test_the_deploy_files_name_the_variables_the_docs_need() -> None:
    names = _env_names()
    for needed in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "BRAND_MONITOR_CONFIG",
                   "BRAND_MONITOR_WORKER_HEARTBEAT"):
        assert needed in names, needed
    assert "env.example" in names["BRAND_MONITOR_WORKER_HEARTBEAT"]


def test_every_environment_variable_exists_in_the_code() -> None:
    code = _code_literals()
    credentials = _credential_names()
    unknown = []
    for name, where in sorted(_env_names().items()):
        assert ENV_NAME.match(name), f"{name!r} ({', '.join(sorted(where))}) is not a variable name"
        if name in EXTERNAL:
            continue
        if where == {"env.example"} and name in credentials:
            continue  # a source credential, named by the example brands file
        if f'"{name}"' not in code and f"'{name}'" not in code:
            unknown.append(f"{name} ({', '.join(sorted(where))})")
    assert not unknown, ("variables the code never reads (renamed? grep monitor/ alerts/ connectors/): "
                         + "; ".join(unknown))
