"""Review questions answered from the database: lineage rules checked at a revision or over
a change (`check`), and the commits where one node started or stopped reaching another."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lineage_history import policy, service
from lineage_history.config import OWN_FILE, PYPROJECT
from lineage_history.errors import ConfigError, UserError
from lineage_history.policy import Violation
from lineage_history.ranges import is_range, resolve_pair
from lineage_history.rules import Rule, parse_rules
from lineage_history.store import StoredCommit

__all__ = ["CheckReport", "RuleSet", "check", "load_rules"]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str | None  # the file they came from; None when no file defines any


def _read_rules(path: Path, *, in_pyproject: bool) -> tuple[Rule, ...] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    return parse_rules(text, str(path), in_pyproject=in_pyproject)


def load_rules(context: service.Context, rules_file: str | None) -> RuleSet:
    """The rules of `--rules FILE`, else of the working tree: `[[rules]]` in
    lineage-history.toml, else `[[tool.lineage-history.rules]]` in pyproject.toml."""
    if rules_file is not None:
        path = Path(rules_file)
        rules = _read_rules(path, in_pyproject=path.name == PYPROJECT)
        if rules is None:
            raise ConfigError(f"{rules_file} defines no [[rules]]")
        return RuleSet(rules, rules_file)
    if context.repo is None:
        raise UserError("without the repository, name the rules with --rules FILE")
    for filename, in_pyproject in ((OWN_FILE, False), (PYPROJECT, True)):
        path = context.repo.root / filename
        if path.is_file():
            rules = _read_rules(path, in_pyproject=in_pyproject)
            if rules is not None:
                return RuleSet(rules, filename)
    return RuleSet((), None)


@dataclass(frozen=True)
class CheckReport:
    """The violations at `head`, or those the change from `base` to `head` introduces."""

    dag: str
    rules: RuleSet
    head_rev: str
    head: StoredCommit
    base_rev: str | None
    base: StoredCommit | None
    violations: tuple[Violation, ...]


def check(
    context: service.Context,
    first: str | None = None,
    second: str | None = None,
    dag: str | None = None,
    rules_file: str | None = None,
) -> CheckReport:
    """`check [REV | A B | A...B | A..B]`: with one revision (default HEAD) every violation
    there; with two, only the violations the change introduces."""
    rules = load_rules(context, rules_file)
    name = service.pick_dag(context, dag)
    if second is None and not is_range(first):
        rev = first or "HEAD"
        commit = service.resolve(context, rev)
        found = policy.violations(rules.rules, service.snapshot_at(context, commit, name))
        return CheckReport(name, rules, rev, commit, None, None, tuple(found))
    assert first is not None
    pair = resolve_pair(context, first, second)
    before = service.snapshot_at(context, pair.base, name)
    after = service.snapshot_at(context, pair.head, name)
    found = policy.introduced(rules.rules, before, after)
    return CheckReport(
        name, rules, pair.head_rev, pair.head, pair.base_rev, pair.base, tuple(found)
    )
