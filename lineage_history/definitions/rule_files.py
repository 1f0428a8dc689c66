"""Lineage rules as a repository writes them: `[[rules]]` in `lineage-history.toml`, else
`[[tool.lineage-history.rules]]` in `pyproject.toml`, or a `--rules FILE`."""

from __future__ import annotations

from pathlib import Path

from lineage_history.dag.rules import Rule, RuleSet, parse_rules
from lineage_history.definitions.toml_files import OWN_FILE, PYPROJECT
from lineage_history.errors import ConfigError, UserError


def _read_rules(path: Path, *, in_pyproject: bool) -> tuple[Rule, ...] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    return parse_rules(text, str(path), in_pyproject=in_pyproject)


def load_rules(root: Path | None, rules_file: str | None) -> RuleSet:
    """The rules of `--rules FILE`, else of the working tree at `root`: `[[rules]]` in
    lineage-history.toml, else `[[tool.lineage-history.rules]]` in pyproject.toml."""
    if rules_file is not None:
        path = Path(rules_file)
        rules = _read_rules(path, in_pyproject=path.name == PYPROJECT)
        if rules is None:
            raise ConfigError(f"{rules_file} defines no [[rules]]")
        return RuleSet(rules, rules_file)
    if root is None:
        raise UserError("without the repository, name the rules with --rules FILE")
    for filename, in_pyproject in ((OWN_FILE, False), (PYPROJECT, True)):
        path = root / filename
        if path.is_file():
            rules = _read_rules(path, in_pyproject=in_pyproject)
            if rules is not None:
                return RuleSet(rules, filename)
    return RuleSet((), None)
