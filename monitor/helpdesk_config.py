"""Check a brands file's `helpdesk:` against the environment: every variable it names is set,
and the helpdesk's client library is installed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import helpdesk
from monitor.settings import ENV_NAME

ENV_KEYS = ("email_env", "token_env", "api_key_env", "secret_env", "inbound_secret_env")


def helpdesk_problems(path: Path, data: Mapping[str, Any], lines: Mapping[tuple[str | int, ...], int],
                      env: Mapping[str, str]) -> list[str]:
    """`file:line: field: ...` for each helpdesk variable that is not set (never its value)."""
    from monitor.config_loader import _field, _line

    problems = []
    brands = data.get("brands")
    for b, brand in enumerate(brands if isinstance(brands, list) else []):
        desk = brand.get("helpdesk") if isinstance(brand, dict) else None
        if not isinstance(desk, dict):
            continue
        kind = desk.get("type")
        if isinstance(kind, str) and kind in helpdesk.REGISTRY:
            try:
                helpdesk.load(kind)
            except helpdesk.HelpdeskUnavailable as exc:
                loc = ("brands", b, "helpdesk", "type")
                problems.append(f"{path}:{_line(loc, lines)}: {_field(loc)}: {exc}")
        for key in ENV_KEYS:
            var = desk.get(key)
            if isinstance(var, str) and ENV_NAME.match(var) and not env.get(var):
                loc = ("brands", b, "helpdesk", key)
                problems.append(f"{path}:{_line(loc, lines)}: {_field(loc)}: environment variable {var} "
                                f"is not set; export {var}=... before starting (secrets never go in "
                                "the YAML file)")
    return problems
