"""Structure keys: a commit that only edits function bodies no import runs is not built; its
snapshot is the previous build's with fingerprints refreshed statically, and equals what
`index --exact-keys` (a build of every change) stores. A change import time can reach (a
decorator's argument, a constant a decorator reads, an annotation) is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lineage_history.store.connect import open_reader
from tests.fixtures import Repo, run_cli

DAGS = """
[dags.a]
modules = ["pipe_a.py"]

[dags.b]
modules = ["pipe_b.py"]
"""
SETTINGS = "SCALE = 10\nLEVEL = 1\n"
HELPERS = """
from settings import LEVEL, SCALE


def fetch(query: str) -> dict:
    return {"query": query, "scale": SCALE}


def level_tag() -> str:
    return f"level-{LEVEL}"
"""
PIPE = '''
from hamilton.function_modifiers import tag

import helpers


@tag(level=helpers.level_tag(), owner="{name}")
def rows_{name}(query: str) -> dict:
    """Rows of {name}."""
    return helpers.fetch(query)


def total_{name}(rows_{name}: dict) -> int:
    return len(rows_{name})
'''


def _pipe(name: str) -> str:
    return PIPE.replace("{name}", name)


def _history(repo: Repo) -> list[str]:
    helpers = HELPERS
    shas = [
        repo.commit(
            "two DAGs sharing helpers",
            {
                "lineage-history.toml": DAGS,
                "settings.py": SETTINGS,
                "helpers.py": helpers,
                "pipe_a.py": _pipe("a"),
                "pipe_b.py": _pipe("b"),
            },
        )
    ]
    helpers = helpers.replace('"scale": SCALE}', '"scale": SCALE, "v": 2}')
    shas.append(repo.commit("a helper's body", {"helpers.py": helpers}))
    helpers = helpers.replace('"v": 2}', '"v": 3}')
    shas.append(repo.commit("again", {"helpers.py": helpers}))
    shas.append(
        repo.commit(
            "a decorator's argument", {"pipe_a.py": _pipe("a").replace('owner="a"', 'owner="a2"')}
        )
    )
    shas.append(
        repo.commit("a constant a decorator reads", {"settings.py": "SCALE = 10\nLEVEL = 2\n"})
    )
    annotated = _pipe("a").replace('owner="a"', 'owner="a2"').replace(") -> int:", ") -> float:")
    shas.append(repo.commit("an annotation", {"pipe_a.py": annotated}))
    shas.append(
        repo.commit("a constant only bodies read", {"settings.py": "SCALE = 11\nLEVEL = 2\n"})
    )
    return shas


def _states(db: Path) -> dict[tuple[str, str], Any]:
    reader = open_reader(f"sqlite:///{db}")
    try:
        (repository,) = reader.repositories()
        return {
            (sha, dag): reader.load_snapshot(state.snapshot_id)
            for dag in reader.dag_names(repository.id)
            for sha, state in reader.dag_states(repository.id, dag).items()
            if state.snapshot_id is not None
        }
    finally:
        reader.close()


@pytest.mark.slow
def test_bodies_only_edits_are_refreshed_and_equal_exact_builds(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    shas = _history(repo)

    default = repo.index()
    # Built: the first commit's 2; the decorator's argument (a); the constant LEVEL (a, b);
    # the annotation (a). Refreshed: the body edits (2 x 2) and SCALE (2).
    assert default.stdout.startswith(
        "7 commits seen, 7 new; 14 (commit, DAG) states: 6 built, 6 refreshed without a "
        "build, 2 reused from identical builds; 0 failed in "
    ), default.stdout

    exact_db = tmp_path / "exact.sqlite"
    exact = run_cli(
        "index", "--jobs", "1", "--exact-keys", "--repo", str(repo.path), "--db", str(exact_db)
    )
    assert exact.returncode == 0, exact.stderr
    assert "14 (commit, DAG) states: 12 built, 2 reused from identical builds" in exact.stdout

    refreshed, built = _states(repo.db), _states(exact_db)
    assert len(refreshed) == 14 and refreshed == built
    for pair, snapshot in refreshed.items():
        assert snapshot.edges == built[pair].edges
        for name, node in snapshot.nodes.items():
            assert (node.code, node.tags, node.type) == (
                built[pair].nodes[name].code,
                built[pair].nodes[name].tags,
                built[pair].nodes[name].type,
            )
    # The refresh did change what the edits changed: rows_a uses helpers.fetch.
    first, second = refreshed[(shas[0], "a")], refreshed[(shas[1], "a")]
    assert first.nodes["rows_a"].code != second.nodes["rows_a"].code
    assert first.nodes["total_a"].code == second.nodes["total_a"].code
    assert refreshed[(shas[3], "a")].nodes["rows_a"].tags["owner"] == "a2"
    assert refreshed[(shas[4], "b")].nodes["rows_b"].tags["level"] == "level-2"
    assert refreshed[(shas[5], "a")].nodes["total_a"].type == "float"
