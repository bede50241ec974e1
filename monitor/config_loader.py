"""Load the brands file, and report every problem as `file:line: field: what, and the fix`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import ValidationError

from monitor.errors import ConfigError
from monitor.secrets_scan import PLACEHOLDER, looks_secret, redact
from monitor.settings import ENV_NAME, Config

Loc = tuple[str | int, ...]

MIB = 1024 * 1024
MAX_BYTES = MIB  # a brands file with many brands is tens of KB
MAX_NODES = 100_000  # entries (keys, values, list items), counted through aliases
MAX_DEPTH = 64  # levels of nesting; the schema needs about 6
ENVIRONMENT_HINT = ("secrets go in the environment, not in the YAML: name an environment "
                    "variable under credentials:")

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


class _Refused(Exception):
    """The YAML cannot be read safely; `problem` says where and what to do."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting and too many nodes, and remembers where each alias
    (*name) is used. (Composing is linear in the text, aliases included; the limits bound the
    pure-Python parser's time and stack, whose recursion would end in a RecursionError.)"""

    def __init__(self, stream: str, path: Path, max_nodes: int, max_depth: int) -> None:
        super().__init__(stream)
        self.path = path
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.depth = 0
        self.nodes = 0
        # (id(parent node), index or id(key node)) -> (line, anchor name) of an alias used there
        self.alias_uses: dict[tuple[int, int], tuple[int, str]] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            if parent is not None and index is not None:
                key = index if isinstance(index, int) else id(index)
                self.alias_uses[(id(parent), key)] = (event.start_mark.line + 1, str(event.anchor))
            return super().compose_node(parent, index)
        self.depth += 1
        self.nodes += 1
        try:
            line = self.peek_event().start_mark.line + 1
            if self.depth > self.max_depth:
                raise _Refused(f"{self.path}:{line}: the YAML is nested more than {self.max_depth} "
                               "levels deep; brands files need far fewer, check the brackets and "
                               "indentation on this line")
            if self.nodes > self.max_nodes:
                raise _Refused(f"{self.path}:{line}: the file has more than {self.max_nodes} "
                               "entries; brands files are far smaller, split or shorten it")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_ALIASES = "YAML anchors/aliases (&name / *name)"
_Via = tuple[int, str, Loc]  # an alias's line, its anchor's name, where it is used


class _Walk:
    """Turn the composed node tree into plain data, recording each location's line.

    An alias in the composed tree is the same node object reached again, so a walk that follows
    aliases would expand a "billion laughs" file to 10**9 entries, and loop forever on an alias
    inside its own anchor. The walk counts every node it visits, aliases included, against
    `max_nodes`, and refuses a node that is its own ancestor.
    """

    def __init__(self, loader: _Loader, max_nodes: int, max_depth: int) -> None:
        self.loader = loader
        self.path = loader.path
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.lines: dict[Loc, int] = {}
        self.problems: list[str] = []
        self.count = 0
        self.ancestors: set[int] = set()

    def where(self, loc: Loc, line: int) -> str:
        return f"{self.path}:{line}: {_field(loc)}"

    def child(self, parent: yaml.Node, index: int | yaml.Node, node: yaml.Node, loc: Loc,
              via: _Via | None) -> Any:
        use = self.loader.alias_uses.get((id(parent), index if isinstance(index, int) else id(index)))
        if id(node) in self.ancestors:
            line, anchor = use or (node.start_mark.line + 1, "")
            name = f" *{anchor}" if anchor else ""
            raise _Refused(f"{self.where(loc, line)}: the alias{name} refers to itself: "
                           f"{_ALIASES} may not refer to themselves; write the entries out instead")
        return self.value(node, loc, via or ((*use, loc) if use else None))

    def value(self, node: yaml.Node, loc: Loc, via: _Via | None = None) -> Any:
        """`node` as plain data; `via` is the first alias on the way here (line, name, location)."""
        self.count += 1
        line = node.start_mark.line + 1
        self.lines[loc] = line
        if self.count > self.max_nodes:
            if via is None:
                raise _Refused(f"{self.where(loc, line)}: the file has more than {self.max_nodes} "
                               "entries; brands files are far smaller, split or shorten it")
            raise _Refused(f"{self.where(via[2], via[0])}: through the alias *{via[1]} (and the "
                           f"aliases it holds) the file would expand to more than {self.max_nodes} "
                           f"entries; use {_ALIASES} sparingly, or write the entries out")
        if len(loc) > self.max_depth:
            at = self.where(via[2], via[0]) if via else self.where(loc, line)
            raise _Refused(f"{at}: through {_ALIASES} the data nests more than {self.max_depth} "
                           "levels deep; write the entries out")
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            self.ancestors.add(id(node))
            try:
                return self.collection(node, loc, via)
            finally:
                self.ancestors.discard(id(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.problems.append(f"{self.where(loc, line)}: cannot read this value ({exc.problem}); "
                                 "remove the YAML tag (!...) or quote the value")
        except ValueError as exc:  # 2024-02-30, a 5000-digit number
            self.problems.append(f"{self.where(loc, line)}: cannot read this value "
                                 f"({str(exc).partition(';')[0]}); correct it, or quote it to keep "
                                 "it as text")
        return None

    def collection(self, node: yaml.MappingNode | yaml.SequenceNode, loc: Loc,
                   via: _Via | None) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return [self.child(node, i, item, (*loc, i), via) for i, item in enumerate(node.value)]
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(f"{self.where(loc, key_node.start_mark.line + 1)}: a key is a list or "
                               "a mapping; keys must be plain names, write key: value")
            self.count += 1
            child = (*loc, key_node.value)
            out[key_node.value] = self.child(node, key_node, value_node, child, via)
            self.lines[child] = key_node.start_mark.line + 1
        return out


def _size(n: int) -> str:
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{-(-n // 1024)} KB"


def _read_text(path: Path, max_bytes: int) -> str:
    """The file's text: refused unread when too large, and refused when not UTF-8."""
    missing = [f"{path}: file not found; pass the path of your brands file "
               "(start from config/brands.example.yaml)"]
    problem = ""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(missing) from None
    except OSError as exc:
        problem = f"{path}: cannot read the file ({exc.strerror}); pass the path of your brands file"
    if problem:
        raise ConfigError([problem])
    too_big = (f"{path}: the file is {{size}}; brands files are at most {_size(max_bytes)} — check "
               "that this is your brands file (not a log or a data export), and keep posts, "
               "corpora and models in files of their own")
    if size > max_bytes:
        raise ConfigError([too_big.format(size=_size(size))])
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown, or be a pipe
    except FileNotFoundError:
        raise ConfigError(missing) from None
    except OSError as exc:
        problem = f"{path}: cannot read the file ({exc.strerror}); pass the path of your brands file"
    if problem:
        raise ConfigError([problem])
    if len(data) > max_bytes:
        raise ConfigError([too_big.format(size=f"over {_size(max_bytes)}")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    line_start = data.rfind(b"\n", 0, bad) + 1
    line = data.count(b"\n", 0, bad) + 1
    column = len(data[line_start:bad].decode("utf-8")) + 1
    raise ConfigError([f"{path}:{line}: not UTF-8 (byte 0x{data[bad]:02x} at column {column}); "
                       "save the file as UTF-8 (in most editors: Save as… > Encoding: UTF-8)"])


def _compose(path: Path, text: str, max_nodes: int, max_depth: int) -> tuple[Any, dict[Loc, int]]:
    loader: _Loader | None = None
    problem = ""
    try:
        loader = _Loader(text, path, max_nodes, max_depth)  # checks for control characters first
        node = loader.get_single_node()
        if node is None:
            problem = f"{path}:1: the file is empty; start from config/brands.example.yaml"
        else:
            walk = _Walk(loader, max_nodes, max_depth)
            data = walk.value(node, ())
            if walk.problems:
                raise ConfigError(walk.problems)
            return data, walk.lines
    except _Refused as exc:
        problem = exc.problem
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        problem = (f"{path}:{line}: YAML syntax: {exc.problem}; check indentation and quoting on "
                   "this line")
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        problem = (f"{path}:{line}: the file holds the control character U+{exc.character:04X}, "
                   "which YAML does not allow; delete it (it often comes with text pasted from a "
                   "PDF or a terminal)")
    except yaml.YAMLError as exc:
        problem = f"{path}:1: YAML: {str(exc).splitlines()[0]}; check the file's syntax"
    except RecursionError:
        problem = f"{path}:1: the YAML is nested too deeply to read; flatten it"
    finally:
        if loader is not None:
            loader.dispose()
    raise ConfigError([problem])


def read_yaml(path: Path, *, max_bytes: int | None = None, max_nodes: int | None = None,
              max_depth: int | None = None) -> tuple[Any, dict[Loc, int]]:
    """Parse `path` into plain data and a map from each field's location to its line.

    Refuses, with a `file:line: what, and the fix` ConfigError, a file over `max_bytes` (before
    reading it), one that is not UTF-8, YAML nested deeper than `max_depth`, aliases that expand
    to more than `max_nodes` entries or refer to themselves. Defaults: MAX_BYTES, MAX_NODES,
    MAX_DEPTH. No problem line shows a value that looks like a secret.
    """
    try:
        text = _read_text(path, MAX_BYTES if max_bytes is None else max_bytes)
        return _compose(path, text, MAX_NODES if max_nodes is None else max_nodes,
                        MAX_DEPTH if max_depth is None else max_depth)
    except ConfigError as exc:
        problems = exc.problems
    return _fail(path, problems)


def _safe(path: Path, problem: str) -> str:
    """`problem` with each value that looks like a secret hidden, and the reason to move it."""
    head = f"{path}:"
    head = head if problem.startswith(head) else ""
    rest = problem[len(head):]
    if not looks_secret(rest):
        return problem
    rest = redact(rest)
    return f"{head}{rest}" if ENVIRONMENT_HINT in rest else f"{head}{rest}; {ENVIRONMENT_HINT}"


def _fail(path: Path, problems: Iterable[str]) -> NoReturn:
    """Raise the ConfigError for `problems`, never showing a value that looks like a secret."""
    raise ConfigError([_safe(path, p) for p in problems])


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
    """Turn pydantic's errors into `file:line: field: message; hint` lines, secrets hidden."""
    return [_safe(path, _problem(path, (*prefix, *_clean_loc(err["loc"])), err, lines))
            for err in exc.errors()]


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
                # A value that is no variable name (a pasted secret) is the schema's to report,
                # without echoing it; AKIA... keys pass for variable names, so are caught here.
                elif isinstance(var, str) and ENV_NAME.match(var) and looks_secret(var):
                    problems.append(f"{at('credentials', name)}: {PLACEHOLDER} is written here, not "
                                    f"the name of an environment variable; {ENVIRONMENT_HINT}")
                elif isinstance(var, str) and ENV_NAME.match(var) and not env.get(var):
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
        _fail(path, [f"{path}:1: (top level): expected a mapping with a 'brands:' list; "
                     "start from config/brands.example.yaml"])
    problems = _source_problems(path, data, lines, env) if check_sources else []
    if check_sources:
        from monitor.helpdesk_config import helpdesk_problems

        problems += helpdesk_problems(path, data, lines, env)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = format_validation(path, exc, lines) + problems
    if problems:
        _fail(path, sorted(problems, key=_line_number))
    return config


def _line_number(problem: str) -> int:
    parts = problem.split(":", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
