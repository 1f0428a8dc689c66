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

from lineage_history.dag.impact import DEFAULT_CONTRACT_TAGS
from lineage_history.dag.selectors import TagFilter
from lineage_history.errors import ConfigError, UserError

_RULE_KEYS = {"name", "forbid_path", "require_tags", "forbid_breaking", "where", "description"}
_KINDS = ("forbid_path", "require_tags", "forbid_breaking")
# Keys beside `[[rules]]` that say how changes are reviewed, not which DAGs there are.
REVIEW_KEYS = frozenset({"rules", "contract_tags", "owner_tag"})


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


@dataclass(frozen=True)
class ForbidBreaking:
    """No change may break a node (matching `where`, when given): see `impact`."""

    name: str
    where: tuple[TagFilter, ...] = ()


Rule = ForbidPath | RequireTags | ForbidBreaking


@dataclass(frozen=True)
class RuleSet:
    """A repository's review settings: its rules, the tags whose change breaks a consumer,
    and the tag that names whom to ask about a node."""

    rules: tuple[Rule, ...]
    source: str | None  # the file they came from; None when no file defines any
    contract_tags: tuple[str, ...] = DEFAULT_CONTRACT_TAGS
    owner_tag: str = "owner"


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
    selectors = _selectors(table["where"], f"{where}.where") if "where" in table else ()
    if kinds == ["forbid_path"]:
        if "where" in table:
            raise ConfigError(f"{where}: 'where' applies to require_tags and forbid_breaking only")
        return _forbid_path(name, table["forbid_path"], where)
    if kinds == ["forbid_breaking"]:
        if table["forbid_breaking"] is not True:
            raise ConfigError(f"{where}.forbid_breaking must be true")
        return ForbidBreaking(name, selectors)
    tags = _strings(table["require_tags"], f"{where}.require_tags")
    return RequireTags(name, tags, selectors)


def _review_settings(root: dict[str, Any], source: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if "contract_tags" in root:
        tags = root["contract_tags"]
        if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
            raise ConfigError(f"{source}: contract_tags must be a list of tag keys")
        settings["contract_tags"] = tuple(tags)
    if "owner_tag" in root:
        if not isinstance(root["owner_tag"], str) or not root["owner_tag"]:
            raise ConfigError(f"{source}: owner_tag must be a tag key")
        settings["owner_tag"] = root["owner_tag"]
    return settings


def parse_rule_set(text: str, source: str, *, in_pyproject: bool) -> RuleSet | None:
    """The rules and review settings a file defines, or None when it defines none."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    root: Any = document
    if in_pyproject:
        root = document.get("tool", {}).get("lineage-history")
    if not isinstance(root, dict) or not REVIEW_KEYS & set(root):
        return None
    return RuleSet(_rules(root, source, in_pyproject), source, **_review_settings(root, source))


def _rules(root: dict[str, Any], source: str, in_pyproject: bool) -> tuple[Rule, ...]:
    if "rules" not in root:
        return ()
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
