"""Reads DAG definitions from `lineage-history.toml`, `pyproject.toml` or a `--config` file."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from lineage_history.dag.model import canonical_json, sha256_hex
from lineage_history.dag.rules import REVIEW_KEYS
from lineage_history.errors import ConfigError

OWN_FILE = "lineage-history.toml"
PYPROJECT = "pyproject.toml"
_KNOWN_KEYS = {
    "modules",
    "config",
    "include",
    "preload",
    "allow_module_overrides",
    "dynamic_execution",
    "stub",
}
# TOML values JSON has no type for: stored as ISO text, given to Hamilton as they were.
_TEMPORAL = {datetime.datetime: "datetime", datetime.date: "date", datetime.time: "time"}


@dataclass(frozen=True)
class DagDefinition:
    """One DAG of a repository: which modules form it and with which Hamilton config."""

    name: str
    modules: tuple[str, ...]
    config: Mapping[str, Any] = field(default_factory=dict)
    include: tuple[str, ...] = ()
    preload: tuple[str, ...] = ()  # third-party packages to import before forking builds
    # Config values that are TOML dates or times: (key path, type name); their ISO text is
    # in `config`.
    config_types: tuple[tuple[str, str], ...] = ()
    # Builder options: `allow_module_overrides()`, `enable_dynamic_execution(...)`.
    allow_module_overrides: bool = False
    dynamic_execution: bool = False
    stub: tuple[str, ...] = ()  # packages the DAG's own imports always get stand-ins for
    # Where it was found (`path:line` of a driver call, or the config file) and whether its
    # config was a literal there; neither is part of what is built.
    source: str = field(default="", compare=False)
    config_literal: bool = field(default=True, compare=False)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "modules": list(self.modules),
            "config": dict(self.config),
            "include": list(self.include),
            "preload": list(self.preload),
        }
        # Only when set, so that the digests of plain definitions stay as they were.
        if self.config_types:
            body["config_types"] = [list(pair) for pair in self.config_types]
        if self.allow_module_overrides:
            body["allow_module_overrides"] = True
        if self.dynamic_execution:
            body["dynamic_execution"] = True
        if self.stub:
            body["stub"] = list(self.stub)
        return body

    @property
    def builder_options(self) -> dict[str, bool]:
        return {
            "allow_module_overrides": self.allow_module_overrides,
            "dynamic_execution": self.dynamic_execution,
        }

    @property
    def digest(self) -> str:
        return sha256_hex(canonical_json(self.to_dict()))


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _clean_path(path: str, where: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(f"{where}: {path!r} must be a path inside the repository")
    return str(pure)


def _definition(name: str, table: Any, source: str) -> DagDefinition:
    where = f"{source}: dags.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if "modules" not in table:
        raise ConfigError(f"{where}: 'modules' is required")
    modules = tuple(
        _clean_path(m, where) for m in _string_list(table["modules"], where + ".modules")
    )
    if not modules:
        raise ConfigError(f"{where}.modules is empty: name at least one module file")
    if not all(m.endswith(".py") for m in modules):
        raise ConfigError(f"{where}.modules: every module must be a .py file path")
    config = table.get("config", {})
    if not isinstance(config, dict):
        raise ConfigError(f"{where}.config must be a table")
    include = tuple(
        _clean_path(p, where) for p in _string_list(table.get("include", []), where + ".include")
    )
    preload = _string_list(table.get("preload", []), where + ".preload")
    types: list[tuple[str, str]] = []
    plain = _json_safe(config, "", types)
    options = {}
    for option in ("allow_module_overrides", "dynamic_execution"):
        value = table.get(option, False)
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{option} must be true or false")
        options[option] = value
    return DagDefinition(
        name,
        modules,
        dict(sorted(plain.items())),
        include,
        preload,
        config_types=tuple(sorted(types)),
        stub=tuple(sorted(set(_string_list(table.get("stub", []), where + ".stub")))),
        **options,
    )


def _json_safe(value: Any, path: str, types: list[tuple[str, str]]) -> Any:
    """A TOML value as JSON: dates and times become ISO text, their types noted by path."""
    if isinstance(value, dict):
        return {k: _json_safe(v, f"{path}.{k}" if path else k, types) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v, f"{path}[{i}]", types) for i, v in enumerate(value)]
    for kind, name in _TEMPORAL.items():
        if type(value) is kind:
            types.append((path, name))
            return value.isoformat()
    return value


class Definitions(dict[str, DagDefinition]):
    """DAG definitions by name; `discover` asks to add the DAGs found in driver code."""

    discover: bool = False


def parse_definitions(text: str, source: str, *, in_pyproject: bool) -> Definitions | None:
    """Definitions by DAG name, or None when the file defines none (a pyproject without ours)."""
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    root: Any = document
    if in_pyproject:
        root = document.get("tool", {}).get("lineage-history")
        if root is None:
            return None
    if not isinstance(root, dict):
        raise ConfigError(f"{source}: expected a table")
    discover = root.get("discover", False)
    if not isinstance(discover, bool):
        raise ConfigError(f"{source}: 'discover' must be true or false")
    if "dags" not in root and REVIEW_KEYS & set(root) and not discover:
        return None  # lineage rules and review settings alone (see rules.py) define no DAG
    dags = root.get("dags", {})
    if not isinstance(dags, dict) or not (dags or discover):
        raise ConfigError(f"{source}: expected at least one [dags.NAME] table with 'modules'")
    found = Definitions(
        (name, replace(_definition(name, table, source), source=source))
        for name, table in sorted(dags.items())
    )
    found.discover = discover
    return found


def load_override(path: str) -> Definitions:
    """Read a `--config FILE` given on the command line (same keys as lineage-history.toml)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    definitions = parse_definitions(text, path, in_pyproject=False)
    if definitions is None:
        raise ConfigError(f"{path}: expected at least one [dags.NAME] table with 'modules'")
    return definitions


def defined_at_commit(read_file: Callable[[str], bytes | None]) -> Definitions | None:
    """The definitions a commit's own files give (first match wins), or None without any."""
    for filename, in_pyproject in ((OWN_FILE, False), (PYPROJECT, True)):
        data = read_file(filename)
        if data is None:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{filename} is not UTF-8 text") from None
        found = parse_definitions(text, filename, in_pyproject=in_pyproject)
        if found is not None:
            return found
    return None
