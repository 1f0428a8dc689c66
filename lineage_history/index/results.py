"""What one index run is asked (its options) and what it did: commits, (commit, DAG) states,
builds, refreshes and the time of each phase, and the one-line summary `index` prints; and
what a run knows while it builds."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from lineage_history._text import plural
from lineage_history.build.plans import BuildPlan
from lineage_history.dag.model import Snapshot
from lineage_history.defaults import DEFAULT_CLAIM_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.index.commit_plans import PendingCommit
from lineage_history.store.records import DagFailure, StoredBuild


@dataclass(frozen=True)
class IndexOptions:
    """What one run is asked to do: the `index` options."""

    revs: tuple[str, ...] = ()
    all_refs: bool = False
    override: dict[str, DagDefinition] | None = None
    jobs: int = 1
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    retry_failed: bool = False
    rebuild_stubbed: bool = False  # build again the keys whose builds used stand-ins
    pass_env: tuple[str, ...] = ()
    claim_timeout: float = DEFAULT_CLAIM_TIMEOUT
    # Key builds on every blob of the import closure: no snapshot refreshed without a build.
    exact_keys: bool = False


@dataclass
class IndexResult:
    """What one run did. Commits and (commit, DAG) states are counted apart: one commit has
    a state per DAG it defines, and a build answers every state of its key."""

    seen: int = 0  # commits reachable from the requested revisions
    new: int = 0  # of those, not indexed before this run
    built: int = 0  # builds run (distinct keys)
    reused: int = 0  # DAG states answered by an earlier build of the same key
    failed: int = 0  # new commits with at least one failed DAG
    seconds: float = 0.0
    planning_seconds: float = 0.0  # reading trees, definitions and import closures
    building_seconds: float = 0.0  # builds and refreshes, storing them apart
    storing_seconds: float = 0.0  # writing builds and commits to the database
    refreshed: int = 0  # keys answered by a refresh of an equal structure's build (no build)
    interrupted: bool = False
    failures: list[DagFailure] = field(default_factory=list)
    stubbed: int = 0  # of the builds run, those that used stand-ins
    stand_ins: Counter[str] = field(default_factory=Counter)  # stood-in module: builds
    states: int = 0  # (commit, DAG) states recorded for the new commits
    built_states: int = 0  # of those, the one each build of this run was run for
    refreshed_states: int = 0  # of those, the one each refresh of this run was made for
    unbuilt: int = 0  # of those, states no build answers (no module, a broken definition)
    failed_states: int = 0  # of those, the failed ones (a failed build or definition)

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "built": self.built,
            "reused": self.reused,
            "failed": self.failed,
        }

    def summary(self) -> str:
        """`25 commits seen, 25 new; 103 (commit, DAG) states: 18 built, 78 reused from
        identical builds, 7 without a build; 9 failed (in 4 commits) in 12.3 s`; with no new
        commit, `25 commits seen, 0 new; 0 built in 0.1 s`."""
        clauses = [f"{plural(self.seen, 'commit')} seen, {self.new} new"]
        if self.states:
            with_stand_ins = f" ({self.stubbed} with stand-ins)" if self.stubbed else ""
            answered = [f"{self.built_states} built{with_stand_ins}"]
            if self.refreshed_states:
                answered.append(f"{self.refreshed_states} refreshed without a build")
            answered.append(f"{self.reused} reused from identical builds")
            if self.unbuilt:
                answered.append(f"{self.unbuilt} without a build")
            states = plural(self.states, "(commit, DAG) state")
            clauses.append(f"{states}: {', '.join(answered)}")
            failed_in = f" (in {plural(self.failed, 'commit')})" if self.failed else ""
            clauses.append(f"{self.failed_states} failed{failed_in}")
        again = self.built - self.built_states  # `--retry-failed`, `--rebuild-stubbed`
        if again or not self.states:
            clauses.append(f"{again} built again for indexed commits" if again else "0 built")
        text = "; ".join(clauses) + f" in {self.seconds:.1f} s"
        if self.new:
            text += (
                f" (planning {self.planning_seconds:.1f} s, building "
                f"{self.building_seconds:.1f} s, storing {self.storing_seconds:.1f} s)"
            )
        return text + (" (interrupted)" if self.interrupted else "")


@dataclass
class RunState:
    """What one run knows while it builds; commits are recorded in order as they resolve."""

    result: IndexResult
    pending: deque[PendingCommit] = field(default_factory=deque)  # planned, not yet recorded
    plans: dict[str, BuildPlan] = field(default_factory=dict)  # every key the run needs
    resolved: dict[str, StoredBuild] = field(default_factory=dict)  # by build key
    # `result.built` counts builds when they finish; `result.reused` counts, as commits are
    # recorded, the DAG states answered by a build that was not run for them. The first
    # recorded state of a key this run built is the one its build ran for; every later state
    # of that key, and every state of a key built before or by another indexer, is reused.
    # `fresh`: the keys this run built. `counted`: those of them whose first state has been
    # recorded. Both are needed because a build finishes before the commits that wait for
    # it are recorded (they wait for their other builds and for earlier commits too).
    fresh: set[str] = field(default_factory=set)
    counted: set[str] = field(default_factory=set)
    refreshed: set[str] = field(default_factory=set)  # the keys this run refreshed
    requeue: list[str] = field(default_factory=list)  # keys a finished build released
    unsaved: list[tuple[str, Snapshot]] = field(default_factory=list)  # refreshed, to store
    asked: set[str] = field(default_factory=set)  # keys of rebuilds asked for: never refreshed
    # Keys built again although a stored build exists (`--retry-failed`, `--rebuild-stubbed`):
    # a stored build does not resolve them.
    retrying: set[str] = field(default_factory=set)
    done: int = 0  # commits recorded
    to_build: int = 0  # keys no stored build answered when planning ended
    built_before: int = 0  # builds of the run's earlier chunks
    waiting_reported: bool = False  # told the user once that other indexers hold keys
