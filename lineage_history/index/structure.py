"""Builds an index run can skip: a plan whose structure key (`BuildPlan.structure_key`) an
earlier build of the run shares gets that build's snapshot with its code fingerprints
refreshed statically over the plan's own files (`build.refresh`) instead of a build."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from lineage_history.build.plans import BuildPlan
from lineage_history.build.pool import BuildOutcome
from lineage_history.build.refresh import Recipe, refresh
from lineage_history.dag.model import Snapshot

# Structure keys remembered (their latest build's snapshot and recipe): enough for every DAG
# of a large repository to be edited between two of its structure changes; bounded so that
# the indexer's memory stays flat over a long history.
_REMEMBERED = 4096


@dataclass
class StructureReuse:
    """The run's latest successful build of each structure key, and the keys waiting for a
    build of their structure key in flight."""

    read_blob: Callable[[str], bytes]
    _builds: OrderedDict[str, tuple[Snapshot, Recipe]] = field(default_factory=OrderedDict)
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
        found = self._builds.get(build_plan.structure_key or "")
        if found is None:
            return None
        self._builds.move_to_end(build_plan.structure_key or "")
        snapshot, recipe = found
        return refresh(snapshot, recipe, build_plan.files, build_plan.search, self.read_blob)

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
            self._builds[structure] = (outcome.snapshot, outcome.recipe)
            self._builds.move_to_end(structure)
            while len(self._builds) > _REMEMBERED:
                self._builds.popitem(last=False)
        return self._waiting.pop(structure, [])
