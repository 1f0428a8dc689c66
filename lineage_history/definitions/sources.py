"""Which DAGs apply at a commit, by the one rule every command follows: `--config` when given,
else the commit's own `lineage-history.toml` or `[tool.lineage-history]` in `pyproject.toml`,
else the DAGs its driver code builds; a definition with `discover = true` adds those."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from lineage_history.definitions.discovery import Discoverer, ParseCache
from lineage_history.definitions.toml_files import (
    OWN_FILE,
    PYPROJECT,
    DagDefinition,
    Definitions,
    defined_at_commit,
)
from lineage_history.errors import ConfigError
from lineage_history.repo.tree import Tree


def with_discovered(
    defined: Mapping[str, DagDefinition] | None,
    discover: Callable[[], dict[str, DagDefinition]],
) -> dict[str, DagDefinition]:
    """A definition wins; without one the discovered DAGs apply; `discover = true` adds them
    (a defined DAG keeps its name when a discovered one has the same)."""
    if defined is None:
        return discover()
    if not getattr(defined, "discover", False):
        return dict(defined)
    return {**discover(), **defined}


class DagSources:
    """The DAGs of commits. Keep one per run: the commits' own definition files (by blob id)
    and the parsed driver code are remembered across commits."""

    def __init__(
        self,
        override: Mapping[str, DagDefinition] | None = None,
        cache: ParseCache | None = None,
    ) -> None:
        self.override = override  # `--config FILE`: applies to every commit
        self.discoverer = Discoverer(cache)
        self._own: dict[
            tuple[str | None, str | None],
            tuple[Definitions | None, tuple[str, ...]] | ConfigError,
        ] = {}

    def definitions(self, tree: Tree) -> dict[str, DagDefinition]:
        """The DAGs that apply to `tree`; ConfigError when its definition is broken. A
        definition's `notes` say what a reader should know of how it was found (a
        `pyproject.toml` that is not TOML, a config file not read)."""
        defined, notes = self._defined(tree) if self.override is None else (self.override, ())
        found = with_discovered(defined, lambda: self.discoverer.definitions(tree))
        if not notes:
            return found
        return {
            name: replace(definition, notes=(*notes, *definition.notes))
            for name, definition in found.items()
        }

    def _defined(self, tree: Tree) -> tuple[Definitions | None, tuple[str, ...]]:
        files = (tree.blob(OWN_FILE), tree.blob(PYPROJECT))
        if files not in self._own:
            notes: list[str] = []
            try:
                self._own[files] = (defined_at_commit(tree.read_path, notes), tuple(notes))
            except ConfigError as exc:
                self._own[files] = exc
        found = self._own[files]
        if isinstance(found, ConfigError):
            raise found
        return found
