"""Builds an index run can skip: a plan whose structure key (`BuildPlan.structure_key`) an
earlier build of the run shares gets that build's snapshot with its code fingerprints
refreshed statically over the plan's own files (`build.refresh`) instead of a build."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from lineage_history.build.plans import BuildPlan
from lineage_history.build.pool import BuildOutcome
from lineage_history.build.refresh import Refreshable, refresh
from lineage_history.dag.model import Snapshot

# Structure keys remembered (their latest build's snapshot and recipe): enough for every DAG
# of a large repository to be edited between two of its structure changes; bounded so that
# the indexer's memory stays flat over a long history.
_REMEMBERED = 1024


@dataclass
class StructureReuse:
    """The run's latest successful build of each structure key, and the keys waiting for a
    build of their structure key in flight."""

    read_blob: Callable[[str], bytes]
    # By structure key: its latest snapshot (built or refreshed) and how to refresh it.
    _builds: OrderedDict[str, Refreshable] = field(default_factory=OrderedDict)
    _waiting: dict[str, list[str]] = field(default_factory=dict)  # structure key -> keys

    def wait(self, build_plan: BuildPlan) -> bool:
        """Whether the plan waits (noted) for a build of its structure key in flight."""
        waiting = self._waiting.get(build_plan.structure_key or "")
        if waiting is None:
            return False
        waiting.append(build_plan.key)
        return True

    def refreshed(self, build_plan: BuildPlan) -> Snapshot | None:
        """The plan's snapshot without a build, when a build of its structure key is known
        and its recipe replays over the plan's files."""
        structure = build_plan.structure_key or ""
        found = self._builds.get(structure)
        if found is None:
            return None
        refreshed = refresh(found, build_plan.files, build_plan.search, self.read_blob)
        if refreshed is None:
            return None
        self._remember(structure, refreshed)
        return refreshed.snapshot

    def building(self, build_plan: BuildPlan) -> None:
        """A build of the plan starts: later plans of its structure key wait for it."""
        if build_plan.structure_key is not None:
            self._waiting.setdefault(build_plan.structure_key, [])

    def built(self, build_plan: BuildPlan, outcome: BuildOutcome) -> list[str]:
        """Remember a finished build; the keys that waited for it, to schedule again."""
        structure = build_plan.structure_key
        if structure is None:
            return []
        if outcome.snapshot is not None and outcome.recipe is not None:
            built = Refreshable(outcome.snapshot, outcome.recipe, build_plan.files)
            self._remember(structure, built)
        return self._waiting.pop(structure, [])

    def _remember(self, structure: str, found: Refreshable) -> None:
        self._builds[structure] = found
        self._builds.move_to_end(structure)
        while len(self._builds) > _REMEMBERED:
            self._builds.popitem(last=False)
