"""Lineage rules as a repository writes them: `[[rules]]` in `lineage-history.toml`, else
`[[tool.lineage-history.rules]]` in `pyproject.toml`, or a `--rules FILE`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lineage_history.dag.rules import RuleSet, parse_rule_set
from lineage_history.definitions.toml_files import OWN_FILE, PYPROJECT
from lineage_history.errors import ConfigError, UserError


def _read_rules(path: Path, *, in_pyproject: bool) -> RuleSet | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    return parse_rule_set(text, str(path), in_pyproject=in_pyproject)


def load_rules(root: Path | None, rules_file: str | None) -> RuleSet:
    """The rules and review settings of `--rules FILE`, else of the working tree at `root`:
    lineage-history.toml, else `[tool.lineage-history]` in pyproject.toml; the defaults when
    neither has any."""
    if rules_file is not None:
        path = Path(rules_file)
        found = _read_rules(path, in_pyproject=path.name == PYPROJECT)
        if found is None:
            raise ConfigError(f"{rules_file} defines no [[rules]]")
        return found
    if root is None:
        raise UserError("without the repository, name the rules with --rules FILE")
    for filename, in_pyproject in ((OWN_FILE, False), (PYPROJECT, True)):
        path = root / filename
        if path.is_file():
            found = _read_rules(path, in_pyproject=in_pyproject)
            if found is not None:
                return replace(found, source=filename)
    return RuleSet((), None)


def review_settings(root: Path | None) -> tuple[RuleSet, str | None]:
    """The repository's rules and review settings (contract tags, the owner tag) for judging
    a change; the defaults, and why, when there is no repository or its rules file cannot be
    read: a diff is still worth showing."""
    if root is None:
        return RuleSet((), None), None
    try:
        return load_rules(root, None), None
    except ConfigError as exc:
        return RuleSet((), None), f"{exc}; judging the change with the default settings"
