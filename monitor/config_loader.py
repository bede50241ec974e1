"""Load the brands file, and report every problem as `file:line: field: what, and the fix`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.errors import ConfigError
from monitor.settings import Config

Loc = tuple[str | int, ...]

_HINTS = {
    "missing": "add it",
    "extra_forbidden": "remove it or fix its spelling",
    "string_type": "write text",
    "list_type": "write a list, e.g. [a, b]",
    "dict_type": "write a mapping of key: value lines",
    "bool_type": "write true or false",
    "float_type": "write a number",
    "int_type": "write a whole number",
    "too_short": "add at least one entry",
    "string_pattern_mismatch": "use lowercase letters, digits, - and _",
    "literal_error": "use one of the values listed",
    "less_than_equal": "use a smaller number",
    "greater_than_equal": "use a larger number",
}


def _to_python(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            child = (*loc, key_node.value)
            out[key_node.value] = _to_python(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def read_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse `path` into plain data and a map from each field's location to its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found; pass the path of your brands file "
                           "(start from config/brands.example.yaml)"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigError([f"{path}:{line}: YAML syntax: {exc.problem}; check indentation and "
                           "quoting on this line"]) from None
    lines: dict[Loc, int] = {}
    if node is None:
        raise ConfigError([f"{path}:1: the file is empty; start from config/brands.example.yaml"])
    return _to_python(node, (), lines), lines


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line(loc: Loc, lines: Mapping[Loc, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    # pydantic adds validator names ("function-after[...]") to some locations
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p and "]" in p))


def _problem(path: Path, loc: Loc, err: Mapping[str, Any], lines: Mapping[Loc, int]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "is required"
    hint = _HINTS.get(str(err["type"]), "")
    text = f"{msg}; {hint}" if hint and not msg.endswith(":") else msg.rstrip(":")
    return f"{path}:{_line(loc, lines)}: {_field(loc)}: {text}"


def format_validation(path: Path, exc: ValidationError, lines: Mapping[Loc, int],
                      prefix: Loc = ()) -> list[str]:
    """Turn pydantic's errors into `file:line: field: message; hint` lines."""
    return [_problem(path, (*prefix, *_clean_loc(err["loc"])), err, lines) for err in exc.errors()]


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _source_problems(path: Path, data: Mapping[str, Any], lines: Mapping[Loc, int],
                     env: Mapping[str, str]) -> list[str]:
    """Check each source against its connector: known type, options, credentials set."""
    import connectors

    problems = []
    for b, brand in _items(data.get("brands")):
        if not isinstance(brand, dict):
            continue
        for s, source in _items(brand.get("sources")):
            if not isinstance(source, dict) or not isinstance(source.get("type"), str):
                continue
            loc: Loc = ("brands", b, "sources", s)

            def at(*sub: str | int, loc: Loc = loc) -> str:
                return f"{path}:{_line((*loc, *sub), lines)}: {_field((*loc, *sub))}"

            try:
                cls = connectors.load(source["type"])
            except connectors.ConnectorUnavailable as exc:
                problems.append(f"{at('type')}: {exc}")
                continue
            options = source.get("options") or {}
            if isinstance(options, dict):
                try:
                    cls.validate_options(options)
                except ValidationError as exc:
                    problems += format_validation(path, exc, lines, (*loc, "options"))
            creds = source.get("credentials") or {}
            if not isinstance(creds, dict):
                continue
            env_prefix = f"{str(brand.get('id', 'brand')).upper().replace('-', '_')}_{cls.platform.upper()}"
            for name in cls.credentials:
                if name not in creds:
                    problems.append(
                        f"{at('credentials')}: the {cls.platform} connector needs '{name}'; add "
                        f"'{name}: {env_prefix}_{name.upper()}' and export that environment variable"
                    )
            for name, var in creds.items():
                if name not in (*cls.credentials, *cls.optional_credentials):
                    known = ", ".join((*cls.credentials, *cls.optional_credentials)) or "none"
                    problems.append(f"{at('credentials', name)}: the {cls.platform} connector takes no "
                                    f"credential '{name}'; it takes: {known}")
                elif isinstance(var, str) and not env.get(var):
                    problems.append(f"{at('credentials', name)}: environment variable {var} is not set; "
                                    f"export {var}=... before starting (secrets never go in the YAML file)")
    return problems


def load_config(path: str | Path, env: Mapping[str, str] | None = None,
                check_sources: bool = True) -> Config:
    """Read and validate a brands file; raise ConfigError listing every problem at once."""
    path = Path(path)
    env = os.environ if env is None else env
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: (top level): expected a mapping with a 'brands:' list; "
                           "start from config/brands.example.yaml"])
    problems = _source_problems(path, data, lines, env) if check_sources else []
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = format_validation(path, exc, lines) + problems
    if problems:
        raise ConfigError(sorted(problems, key=_line_number))
    return config


def _line_number(problem: str) -> int:
    parts = problem.split(":", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
