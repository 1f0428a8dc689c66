"""Pictures: `viz` to DOT, Mermaid, SVG and PNG, `diff --format mermaid` and the Mermaid block
of `diff --format markdown`, checked structurally against the demo story."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lineage_history.dag.diff import diff
from lineage_history.dag.model import ROLE_INPUT, Node, Snapshot
from lineage_history.output import pictures as visual
from tests.fixtures import IndexedDemo, run_cli

# The diff demo/v1 -> main, node by node, from the story.
ADDED = {"cabin_encoder", "cabin_category", "embarked_encoder", "embarked_category", "family_count"}
REMOVED = {"family_size", "is_child"}  # family_size changed code before its rename: no rename
IMPACTED = {
    "train_test_split", "X_train", "X_test", "y_train", "y_test", "validation_predictions",
    "validation_accuracy",
}  # fmt: skip
UNCHANGED = {
    "location", "index_col", "target_col", "age_imputation", "validation_size_fraction",
    "sex_encoder", "sex_category",
}  # fmt: skip
TABLE = {
    "titanic_data", "pclass", "name", "sex", "age", "sibsp", "parch", "ticket", "fare", "cabin",
    "embarked", "survived",
}  # fmt: skip
MODIFIED = TABLE | {
    "cabin_type", "ticket_type", "age_filled", "encoders", "training_set", "fit_random_forest",
    "max_depth", "prefit_random_forest", "random_state",
}  # fmt: skip
DOWNSTREAM_SEX = {
    "sex_encoder", "sex_category", "encoders", "training_set", "train_test_split", "X_train",
    "X_test", "y_train", "y_test", "fit_random_forest", "validation_predictions",
    "validation_accuracy",
}  # fmt: skip

_DOT_NODE = re.compile(r'^\t("[^"]+"|[\w.]+) \[(.*)\]$')
_DOT_EDGE = re.compile(r'^\t("[^"]+"|[\w.]+) -> ("[^"]+"|[\w.]+) \[(.*)\]$')
_CLASS = re.compile(r'\bclass="?([\w-]+)"?')


def dot_nodes(text: str) -> dict[str, str]:
    """Top-level (non-legend) node name -> its class."""
    found = {}
    for line in text.splitlines():
        match = _DOT_NODE.match(line)
        if match and "->" not in line and match.group(1) not in ("graph", "node", "edge"):
            found[match.group(1).strip('"')] = _CLASS.search(match.group(2)).group(1)
    return found


def dot_edges(text: str) -> dict[tuple[str, str], str]:
    found = {}
    for line in text.splitlines():
        match = _DOT_EDGE.match(line)
        if match:
            key = (match.group(1).strip('"'), match.group(2).strip('"'))
            found[key] = _CLASS.search(match.group(3)).group(1)
    return found


def by_class(nodes: dict[str, str]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for name, kind in nodes.items():
        grouped.setdefault(kind, set()).add(name)
    return grouped


def mermaid_classes(text: str) -> dict[str, set[str]]:
    """class name -> node names (legend entries left out)."""
    grouped: dict[str, set[str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "class":
            names = {m[2:] for m in parts[1].split(",") if m.startswith("n_")}
            grouped.setdefault(parts[2], set()).update(names)
    return {kind: names for kind, names in grouped.items() if names}


def cli(demo: IndexedDemo, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_cli(*args, "--repo", str(demo.repo), "--db", str(demo.db), env=env)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("viz")


@pytest.fixture(scope="module")
def diff_dot(indexed_demo: IndexedDemo, out_dir: Path) -> str:
    target = out_dir / "diff.dot"
    result = cli(indexed_demo, "viz", "main", "--base", "demo/v1", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {target} (42 nodes")
    return target.read_text()


# -- viz: DOT and Mermaid -----------------------------------------------------------------------


def test_diff_dot_styles_every_node_by_its_change(diff_dot: str) -> None:
    assert by_class(dot_nodes(diff_dot)) == {
        "added": ADDED,
        "removed": REMOVED,
        "modified": MODIFIED,
        "impacted": IMPACTED,
        "unchanged": UNCHANGED,
    }
    assert 'label="sex\\nSeries\\n~ tags"' in diff_dot
    assert 'label="age_filled\\nSeries\\n~ code, doc"' in diff_dot


def test_diff_dot_styles_edges_and_has_a_legend(diff_dot: str) -> None:
    edges = dot_edges(diff_dot)
    assert edges[("is_child", "training_set")] == "edge-removed"
    assert edges[("family_size", "training_set")] == "edge-removed"
    assert edges[("cabin_category", "training_set")] == "edge-added"
    assert edges[("sex", "sex_encoder")] == "edge-touched"
    assert edges[("sex_encoder", "sex_category")] == "edge-context"
    assert "subgraph cluster_legend" in diff_dot
    for kind in visual.DIFF_KINDS:
        assert re.search(rf"\t\t_legend_{kind} \[label=(\"[^\"]+\"|\w+) .*class={kind}\b", diff_dot)
    for kind in ("added", "removed", "context"):
        assert f"_legend_edge_{kind}" in diff_dot
    assert "config age_imputation: 'median' -> 'mean'" in diff_dot
    # removed and impacted look different from the rest: dashed red, purple
    assert re.search(r"\tis_child \[.*color=\"#cf222e\".*style=\"rounded,filled,dashed\"", diff_dot)


def test_diff_mermaid_file(indexed_demo: IndexedDemo, out_dir: Path) -> None:
    target = out_dir / "diff.mmd"
    result = cli(indexed_demo, "viz", "main", "--base", "demo/v1", "-o", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert text.startswith('---\ntitle: "titanic: demo/v1 (')
    assert "\nflowchart LR\n" in text
    assert mermaid_classes(text) == {
        "added": ADDED,
        "removed": REMOVED,
        "modified": MODIFIED,
        "impacted": IMPACTED,
        "unchanged": UNCHANGED,
    }
    assert "    n_is_child -.-> n_training_set" in text
    assert "    n_cabin_category ==> n_training_set" in text
    assert '    subgraph legend["legend"]' in text
    assert "    classDef removed fill:#ffebe9,stroke:#cf222e" in text
    assert re.search(r"^    linkStyle [\d,]+ stroke:#cf222e", text, re.MULTILINE)


def test_rename_is_drawn_once_under_the_new_name(indexed_demo: IndexedDemo, out_dir: Path) -> None:
    target = out_dir / "rename.dot"
    result = cli(indexed_demo, "viz", "demo/rename", "--base", "demo/type", "-o", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    nodes = dot_nodes(text)
    assert nodes["family_count"] == "renamed"
    assert "family_size" not in nodes
    assert 'label="family_count\\nSeries\\nrenamed from family_size"' in text
    assert by_class(nodes)["modified"] == {"training_set"}
    # the renamed node's edges are the old ones under the new name: neither added nor removed
    assert dot_edges(text)[("family_count", "training_set")] == "edge-touched"


def test_snapshot_dot_and_focus(indexed_demo: IndexedDemo, out_dir: Path) -> None:
    whole = out_dir / "v1.dot"
    assert cli(indexed_demo, "viz", "demo/v1", "-o", str(whole)).returncode == 0
    nodes = dot_nodes(whole.read_text())
    assert len(nodes) == 37
    assert by_class(nodes)["input"] == {
        "location", "index_col", "target_col", "age_imputation", "random_state",
        "validation_size_fraction", "max_depth",
    }  # fmt: skip
    assert "_legend_function" in whole.read_text() and "_legend_input" in whole.read_text()

    down = out_dir / "sex-down.dot"
    args = ("viz", "main", "--node", "sex", "--downstream", "-o", str(down))
    assert cli(indexed_demo, *args).returncode == 0
    text = down.read_text()
    assert set(dot_nodes(text)) == {"sex"} | DOWNSTREAM_SEX
    assert re.search(r"\tsex \[.*penwidth=3", text)
    up = out_dir / "sex-up.mmd"
    args = ("viz", "main", "--node", "sex", "--upstream", "-o", str(up))
    assert cli(indexed_demo, *args).returncode == 0
    assert set().union(*mermaid_classes(up.read_text()).values()) == {
        "sex", "titanic_data", "location", "index_col", "target_col",
    }  # fmt: skip
    assert "    style n_sex stroke-width:4px" in up.read_text()


def test_focus_on_a_diff_keeps_the_styles(indexed_demo: IndexedDemo, out_dir: Path) -> None:
    target = out_dir / "focus.dot"
    args = ("viz", "main", "--base", "demo/v1", "--node", "training_set", "--upstream")
    assert cli(indexed_demo, *args, "-o", str(target)).returncode == 0
    nodes = dot_nodes(target.read_text())
    assert nodes["is_child"] == "removed" and nodes["family_count"] == "added"
    assert "fit_random_forest" not in nodes and "X_train" not in nodes


# -- viz: SVG and PNG through the dot program ---------------------------------------------------


def test_svg_and_png(indexed_demo: IndexedDemo, out_dir: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` is not installed (apt-get install graphviz)")
    svg = out_dir / "diff.svg"
    assert cli(indexed_demo, "viz", "main", "--base", "demo/v1", "-o", str(svg)).returncode == 0
    text = svg.read_text()
    assert "<svg" in text and 'class="node added"' in text and 'class="node impacted"' in text
    assert "<title>cabin_encoder</title>" in text
    png = out_dir / "sex.png"
    assert cli(indexed_demo, "viz", "main", "--node", "sex", "-o", str(png)).returncode == 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_missing_dot_says_what_to_do(indexed_demo: IndexedDemo, out_dir: Path) -> None:
    bin_dir = out_dir / "bin-without-dot"
    bin_dir.mkdir()
    git_path = shutil.which("git")
    assert git_path is not None
    (bin_dir / "git").symlink_to(git_path)
    target = out_dir / "missing.svg"
    result = cli(indexed_demo, "viz", "main", "-o", str(target), env={"PATH": str(bin_dir)})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].endswith("install graphviz (e.g. apt-get install graphviz) or write .dot/.mmd")
    assert not target.exists()
    # the text formats need no program
    dot = out_dir / "no-binary.dot"
    result = cli(indexed_demo, "viz", "main", "-o", str(dot), env={"PATH": str(bin_dir)})
    assert result.returncode == 0 and dot.read_text().startswith("digraph lineage {")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["viz", "main", "-o", "x.jpg"], "use a .svg, .png, .dot or .mmd file name"),
        (["viz", "main", "--upstream", "-o", "x.dot"], "--upstream and --downstream need --node"),
        (["viz", "main", "--node", "sexx", "-o", "x.dot"], "did you mean sex?"),
        (["viz", "nope", "-o", "x.dot"], "unknown revision"),
        (["viz", "main", "--base", "nope", "-o", "x.dot"], "unknown revision"),
    ],
)
def test_viz_bad_input(
    indexed_demo: IndexedDemo, out_dir: Path, args: list[str], message: str
) -> None:
    result = run_cli(
        *args, "--repo", str(indexed_demo.repo), "--db", str(indexed_demo.db), cwd=out_dir
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


# -- diff --format mermaid / markdown ----------------------------------------------------------


def test_diff_format_mermaid_and_markdown(indexed_demo: IndexedDemo) -> None:
    mermaid = cli(indexed_demo, "diff", "demo/type", "demo/rename", "--format", "mermaid")
    assert mermaid.returncode == 0, mermaid.stderr
    text = mermaid.stdout
    assert text.startswith("flowchart LR\n")
    classes = mermaid_classes(text)
    assert classes["renamed"] == {"family_count"}
    assert classes["modified"] == {"training_set"}
    assert classes["impacted"] == {
        "train_test_split", "X_train", "X_test", "y_train", "y_test", "fit_random_forest",
        "validation_predictions", "validation_accuracy",
    }  # fmt: skip
    # context: only the direct neighbours of what changed, greyed
    assert {"sibsp", "parch", "age_filled", "pclass"} <= classes["unchanged"]
    assert "titanic_data" not in classes["unchanged"] and "location" not in classes["unchanged"]

    markdown = cli(indexed_demo, "diff", "demo/type", "demo/rename", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "| renamed | `family_size` → `family_count` | breaking |" in markdown.stdout
    assert "**Bump: major** (1 breaking)" in markdown.stdout
    assert f"\n```mermaid\n{text}```\n" in markdown.stdout

    empty = cli(indexed_demo, "diff", "demo/code-only", "demo/docs", "--format", "markdown")
    assert empty.returncode == 0 and "No lineage changes." in empty.stdout
    assert "```mermaid" not in empty.stdout


# -- the pure renderers -------------------------------------------------------------------------


def test_mermaid_escapes_labels_and_avoids_keywords() -> None:
    nodes = [
        Node("end", 'Literal["a", "b"]', dependencies=("start",), code="x"),
        Node("start", "dict[str, <lambda>]", role=ROLE_INPUT),
    ]
    text = visual.to_mermaid(visual.snapshot_picture(Snapshot.of(nodes), 'a "title"'))
    assert 'title: "a \\"title\\""' in text
    assert '    n_end["end<br/>Literal[#quot;a#quot;, #quot;b#quot;]"]' in text
    assert '    n_start(["start<br/>dict[str, #lt;lambda#gt;]"])' in text
    assert "    n_start --> n_end" in text


def test_dot_quotes_awkward_names_and_types() -> None:
    nodes = [Node("graph", 'Literal["x"]', code="c"), Node("a.b", "int", dependencies=("graph",))]
    text = visual.to_dot(visual.snapshot_picture(Snapshot.of(nodes), "t"))
    assert '\t"graph" [label="graph\\nLiteral[\\"x\\"]"' in text
    assert '\t"graph" -> "a.b"' in text


def test_empty_diff_picture_says_so() -> None:
    same = Snapshot.of([Node("a", "int", code="c")])
    picture = visual.diff_picture(diff(same, same), same, same, "", context_hops=1)
    assert picture.nodes == ()
    assert 'empty["no lineage changes"]' in visual.to_mermaid(picture)


def test_short_type() -> None:
    assert visual.short_type("dict[str, sklearn.preprocessing._label.LabelEncoder]") == (
        "dict[str, LabelEncoder]"
    )
    assert visual.short_type("int | None") == "int | None"
