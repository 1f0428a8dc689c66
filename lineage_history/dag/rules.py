"""Parses lineage rules (`[[rules]]` tables) from TOML text: pure, no I/O.

```toml
[[rules]]
name = "no-pii-in-models"
forbid_path = { from = "pii=true", to = "artifact=model" }
[[rules]]
name = "owned"
require_tags = ["owner"]
where = "module=features"
```
Selectors are written as `show --tag` takes them; a list of selectors means all of them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from lineage_history.dag.selectors import TagFilter
from lineage_history.errors import ConfigError, UserError

_RULE_KEYS = {"name", "forbid_path", "require_tags", "where", "description"}
_KINDS = ("forbid_path", "require_tags")


@dataclass(frozen=True)
class ForbidPath:
    """No node matching `source` may feed, directly or not, a node matching `target`."""

    name: str
    source: tuple[TagFilter, ...]
    target: tuple[TagFilter, ...]


@dataclass(frozen=True)
class RequireTags:
    """Every function node (matching `where`, when given) carries each of `tags`."""

    name: str
    tags: tuple[str, ...]
    where: tuple[TagFilter, ...] = ()


Rule = ForbidPath | RequireTags


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str | None  # the file they came from; None when no file defines any


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a non-empty string or list of strings")
    return tuple(value)


def _selectors(value: Any, where: str) -> tuple[TagFilter, ...]:
    try:
        return tuple(TagFilter.parse(text) for text in _strings(value, where))
    except ConfigError:
        raise
    except UserError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _forbid_path(name: str, table: Any, where: str) -> ForbidPath:
    if not isinstance(table, dict) or set(table) != {"from", "to"}:
        raise ConfigError(f"{where}.forbid_path must be a table with 'from' and 'to' only")
    source = _selectors(table["from"], f"{where}.forbid_path.from")
    target = _selectors(table["to"], f"{where}.forbid_path.to")
    return ForbidPath(name, source, target)


def _rule(table: Any, where: str) -> Rule:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - _RULE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is required (a non-empty string)")
    where = f"{where} ({name})"
    kinds = [kind for kind in _KINDS if kind in table]
    if len(kinds) != 1:
        raise ConfigError(f"{where}: give exactly one of {' or '.join(_KINDS)}")
    if kinds == ["forbid_path"]:
        if "where" in table:
            raise ConfigError(f"{where}: 'where' applies to require_tags only")
        return _forbid_path(name, table["forbid_path"], where)
    tags = _strings(table["require_tags"], f"{where}.require_tags")
    selectors = _selectors(table["where"], f"{where}.where") if "where" in table else ()
    return RequireTags(name, tags, selectors)


def parse_rules(text: str, source: str, *, in_pyproject: bool) -> tuple[Rule, ...] | None:
    """The rules a file defines, or None when it defines none."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    root: Any = document
    if in_pyproject:
        root = document.get("tool", {}).get("lineage-history")
    if not isinstance(root, dict) or "rules" not in root:
        return None
    prefix = "tool.lineage-history.rules" if in_pyproject else "rules"
    tables = root["rules"]
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: {prefix} must be an array of tables ([[{prefix}]])")
    rules = tuple(_rule(table, f"{source}: {prefix}[{i}]") for i, table in enumerate(tables))
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{source}: rule name(s) used twice: {', '.join(duplicates)}")
    return rules
