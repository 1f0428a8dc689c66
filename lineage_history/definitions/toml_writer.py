"""Pure: DAG definitions as `lineage-history.toml` text that `config.parse_definitions` reads
back to the same definitions."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from lineage_history.definitions.toml_files import DagDefinition

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class _NoTomlValue(ValueError):
    """A value TOML cannot write (None)."""


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(text: str) -> str:
    # JSON's escapes are TOML's, except that TOML wants DEL escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise _NoTomlValue(f"TOML has no value for {value!r}")


def _config_lines(definition: DagDefinition) -> list[str]:
    where = definition.source or "the driver code"
    lines, items = [], []
    if not definition.config_literal:
        lines.append(f"# config is not (all) a literal at {where}: add its values here")
    for key, value in definition.config.items():
        try:
            items.append(f"{_key(key)} = {_value(value)}")
        except _NoTomlValue:
            lines.append(f"# config {key} = None at {where}: TOML has no null value")
    if items:
        lines.append("config = { " + ", ".join(items) + " }")
    return lines


def definitions_toml(definitions: Mapping[str, DagDefinition], header: str = "") -> str:
    """`[dags.NAME]` tables with modules, config and include, one per definition."""
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    for name, definition in definitions.items():
        if out:
            out.append("")
        out.append(f"[dags.{_key(name)}]")
        if definition.source:
            out.append(f"# found at {definition.source}")
        out.append(f"modules = {_value(list(definition.modules))}")
        out.extend(_config_lines(definition))
        if definition.include:
            out.append(f"include = {_value(list(definition.include))}")
        if definition.preload:
            out.append(f"preload = {_value(list(definition.preload))}")
        for option, value in definition.builder_options.items():
            if value:
                out.append(f"{option} = true")
    return "\n".join(out) + "\n"
