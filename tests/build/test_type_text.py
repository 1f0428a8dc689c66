"""A node's type as text is the same in every build of the same code: an annotation that is
an object (Hamilton's `@reuse_functions` outputs are) shows without where it sat in memory, so
two builds of unchanged code never report a type change."""

from __future__ import annotations

from pathlib import Path

from lineage_history.build.child import type_text
from tests.fixtures import Repo

MODULE = '''
class Shape:
    """An annotation that is an object, not a type."""


SHAPE = Shape()


def base(x: int) -> int:
    return x + {variant}


def shaped(base: int) -> SHAPE:
    return base
'''


def test_an_object_annotation_has_no_memory_address() -> None:
    class Marker:
        pass

    assert type_text(Marker()).endswith("Marker object>")
    assert " at 0x" not in type_text(lambda: None)


def test_two_builds_of_an_object_annotation_report_no_type_change(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    pyproject = '[tool.lineage-history.dags.main]\nmodules = ["m.py"]\n'
    repo.commit("one", {"pyproject.toml": pyproject, "m.py": MODULE.format(variant=0)})
    repo.commit("two", {"m.py": MODULE.format(variant=1)})
    repo.cli("index", "--exact-keys")  # both commits built, in two build children
    modified = repo.cli("diff", "HEAD~1", "HEAD", "--format", "json")["nodes"]["modified"]
    assert {entry["name"]: entry["changes"] for entry in modified} == {"base": ["code"]}
    [shaped] = [n for n in repo.cli("show", "--format", "json")["nodes"] if n["name"] == "shaped"]
    assert shaped["type"] == "<m.Shape object>"
