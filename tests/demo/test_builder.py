"""Builds the demo repository and checks its history: reproducible SHAs, the final tree, and
that every step's Hamilton graph really changes the way the story's expectation table says.

The graphs are built by running this file as a script in a child process (one child for all
commits, clearing the pipeline modules between commits), never in the test process.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lineage_history._resources import pipelines_dir
from lineage_history.demo import builder, story
from lineage_history.demo.builder import DemoDirectoryNotEmpty, build_demo_repo
from lineage_history.demo.story import SIDE_STORY, STORY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ALL_STEPS = (*STORY, *SIDE_STORY)
METADATA_DECORATORS = {"tag", "tag_outputs", "schema"}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    repo = tmp_path_factory.mktemp("demo") / "titanic"
    return repo, build_demo_repo(repo)


@pytest.fixture(scope="module")
def graphs(
    demo: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Per step tag: its Hamilton config and graph (`nodes`), or the build `error`."""
    repo, shas = demo
    exports = tmp_path_factory.mktemp("exports")
    requests = []
    for step in ALL_STEPS:
        workdir = exports / step.tag.replace("/", "-")
        workdir.mkdir()
        archive = subprocess.run(
            ["git", "archive", "--format=tar", shas[step.tag]], cwd=repo, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive.stdout, check=True)
        dag = _dag_definition(workdir)
        requests.append({"tag": step.tag, "workdir": str(workdir), **dag})
    package_root = Path(story.__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(requests),
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(package_root), *sys.path[1:]])},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout)


def _dag_definition(workdir: Path) -> dict[str, Any]:
    pyproject = workdir / "pyproject.toml"
    if not pyproject.exists():
        return {"modules": [], "config": {}}
    dags = tomllib.loads(pyproject.read_text())["tool"]["lineage-history"]["dags"]
    return {"modules": dags["titanic"]["modules"], "config": dags["titanic"].get("config", {})}


def test_build_is_reproducible(demo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, shas = demo
    assert build_demo_repo(tmp_path / "again") == shas
    assert list(shas) == [step.tag for step in ALL_STEPS]


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(DemoDirectoryNotEmpty, match="not an empty directory"):
        build_demo_repo(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_tags_branches_and_authors(demo: tuple[Path, dict[str, str]]) -> None:
    repo, shas = demo
    for tag, sha in shas.items():
        assert git(repo, "rev-parse", f"refs/tags/{tag}") == sha, "tags must be lightweight"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "rev-parse", "main") == shas[STORY[-1].tag]
    assert git(repo, "rev-parse", "experiment") == shas[SIDE_STORY[-1].tag]
    assert git(repo, "merge-base", "main", "experiment") == shas[story.FORK_TAG]
    subjects = git(repo, "log", "--reverse", "--format=%s", "main").splitlines()
    assert subjects == [step.subject for step in STORY]
    assert len(set(git(repo, "log", "--all", "--format=%an <%ae>").splitlines())) >= 3
    assert git(repo, "status", "--porcelain") == ""


def test_final_main_is_the_shipped_pipeline(demo: tuple[Path, dict[str, str]]) -> None:
    repo, _ = demo
    shipped = {path.name: path.read_bytes() for path in pipelines_dir().glob("*.py")}
    committed = git(repo, "ls-tree", "--name-only", "main", "pipelines/").splitlines()
    assert sorted(committed) == sorted(f"pipelines/{name}" for name in shipped)
    for name, content in shipped.items():
        blob = subprocess.run(
            ["git", "show", f"main:pipelines/{name}"], cwd=repo, capture_output=True, check=True
        )
        assert blob.stdout == content, f"pipelines/{name} differs from the demo's main"
    assert (repo / "pipelines" / "features.py").read_bytes() == shipped["features.py"]


def test_each_step_changes_only_what_it_says(demo: tuple[Path, dict[str, str]]) -> None:
    repo, shas = demo
    for step in ALL_STEPS[1:]:
        parent = git(repo, "rev-parse", f"{shas[step.tag]}^")
        changed = git(repo, "diff", "--name-only", parent, shas[step.tag]).splitlines()
        expected = {edit.path for edit in step.edits} or changed
        assert set(changed) == set(expected), step.tag


def test_story_errors_name_the_step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tree = builder.final_tree()
    tree["pipelines/features.py"] = tree["pipelines/features.py"].replace(b"sibsp + parch", b"x")
    monkeypatch.setattr(builder, "final_tree", lambda: tree)
    with pytest.raises(story.StoryError, match=r"demo/code-only.*sibsp \+ parch"):
        build_demo_repo(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()


def test_graphs_build_except_the_broken_step(graphs: dict[str, dict[str, Any]]) -> None:
    assert graphs["demo/empty"]["nodes"] == {}
    for step in ALL_STEPS:
        if step.expect["fails"]:
            assert "CategoricalEncoder" in graphs[step.tag]["error"], step.tag
        else:
            assert "error" not in graphs[step.tag], graphs[step.tag].get("error")
    final_nodes = graphs[STORY[-1].tag]["nodes"]
    assert final_nodes["sex"]["tags"]["PII"] == "true"
    assert final_nodes["fit_random_forest"]["tags"]["artifact"] == "model"


@pytest.mark.parametrize("step", ALL_STEPS[1:], ids=lambda step: step.tag)
def test_expectation_table_matches_the_graphs(
    step: story.StoryStep, graphs: dict[str, dict[str, Any]]
) -> None:
    assert step.base is not None
    base, head = graphs[step.base], graphs[step.tag]
    if step.expect["fails"]:
        assert "error" in head
        return
    # The structural diff, as Hamilton's graphs give it (the classification of each change is
    # checked against the indexed diff in test_story_diffs).
    classification = {"bump", "breaking", "data_changing"}
    expected = {key: value for key, value in step.expect.items() if key not in classification}
    assert _diff(base, head) == expected


def _diff(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """A reference lineage diff of two probed graphs, in the shape of `StoryStep.expect`."""
    old, new = base["nodes"], head["nodes"]
    added = set(new) - set(old)
    removed = set(old) - set(new)
    renamed = []
    for gone in sorted(removed):
        for came in sorted(added):
            same = ("code", "type")
            if old[gone]["code"] and all(old[gone][key] == new[came][key] for key in same):
                renamed.append((gone, came))
                added.discard(came)
                removed.discard(gone)
                break
    modified = {}
    for name in sorted(set(old) & set(new)):
        kinds = [
            kind
            for kind, key in (
                ("code", "code"),
                ("type", "type"),
                ("dependencies", "dependencies"),
                ("tags", "tags"),
                ("doc", "doc"),
                ("role", "external"),
            )
            if old[name][key] != new[name][key]
        ]
        if kinds:
            modified[name] = sorted(kinds)
    config_keys = set(base["config"]) | set(head["config"])
    data_changes = {"code", "type", "dependencies", "role"}
    moved = {name for name, kinds in modified.items() if data_changes & set(kinds)}
    changed = added | {came for _, came in renamed} | set(modified)
    return {
        "added": sorted(added),
        "removed": sorted(removed),
        "modified": modified,
        "renamed": renamed,
        "config_changed": sorted(
            key for key in config_keys if base["config"].get(key) != head["config"].get(key)
        ),
        "impacted": sorted(
            _downstream(new, added | {came for _, came in renamed} | moved) - changed
        ),
        "reuses_previous": old == new and base["config"] == head["config"],
        "fails": False,
    }


def _downstream(nodes: dict[str, Any], sources: set[str]) -> set[str]:
    consumers: dict[str, set[str]] = {}
    for name, node in nodes.items():
        for dependency in node["dependencies"]:
            consumers.setdefault(dependency, set()).add(name)
    reached, frontier = set(), list(sources)
    while frontier:
        for consumer in consumers.get(frontier.pop(), ()):
            if consumer not in reached:
                reached.add(consumer)
                frontier.append(consumer)
    return reached


# --- the child process: build each exported commit's graph --------------------------------


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _without_docstring(function: ast.FunctionDef) -> ast.FunctionDef:
    first = function.body[0] if function.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        function.body = function.body[1:] or [ast.Pass()]
    return function


def _code_fingerprint(function: Any, module_tree: ast.Module) -> str:
    """Source minus docstring, comments, layout, name and metadata decorators, plus the
    module-level private helpers and constants it names."""
    parsed = ast.parse(inspect.cleandoc("\n" + inspect.getsource(function)))
    definition = _without_docstring(parsed.body[0])  # type: ignore[arg-type]
    definition.decorator_list = [
        d for d in definition.decorator_list if _decorator_name(d) not in METADATA_DECORATORS
    ]
    definition.name = "_"
    used = {node.id for node in ast.walk(definition) if isinstance(node, ast.Name)}
    parts = [ast.dump(definition)]
    for statement in module_tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.name in used:
            if statement.name.startswith("_"):
                parts.append(ast.dump(_without_docstring(statement)))
        elif isinstance(statement, ast.Assign):
            names = {t.id for t in statement.targets if isinstance(t, ast.Name)}
            if names & used and all(name.isupper() for name in names):
                parts.append(ast.dump(statement))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _probe(workdir: Path, modules: list[str], config: dict[str, Any]) -> dict[str, Any]:
    from hamilton import driver
    from hamilton.graph_types import HamiltonGraph
    from hamilton.htypes import get_type_as_string

    for path in modules:
        sys.modules.pop(Path(path).stem, None)
    if not modules or not all((workdir / path).exists() for path in modules):
        return {"config": config, "nodes": {}}
    sys.path.insert(0, str((workdir / modules[0]).parent))
    try:
        loaded = []
        for path in modules:
            spec = importlib.util.spec_from_file_location(Path(path).stem, workdir / path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            loaded.append(module)
        dr = driver.Builder().with_modules(*loaded).with_config(config).build()
    except Exception as error:
        return {"config": config, "error": f"{type(error).__name__}: {error}"}
    finally:
        sys.path.pop(0)
    trees = {module.__name__: ast.parse(inspect.getsource(module)) for module in loaded}
    nodes = {}
    for node in HamiltonGraph.from_graph(dr.graph).nodes:
        function = None if node.is_external_input else node.originating_functions[0]
        nodes[node.name] = {
            "type": get_type_as_string(node.type) or repr(node.type),
            "tags": node.tags,
            "dependencies": sorted(node.required_dependencies | node.optional_dependencies),
            "external": node.is_external_input,
            "doc": node.documentation or "",
            "code": function and _code_fingerprint(function, trees[function.__module__]),
        }
    return {"config": config, "nodes": nodes}


if __name__ == "__main__":
    results = {
        request["tag"]: _probe(Path(request["workdir"]), request["modules"], request["config"])
        for request in json.load(sys.stdin)
    }
    json.dump(results, sys.stdout)
