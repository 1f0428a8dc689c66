"""Pictures of the lineage (`viz`): the DAG at a revision or a diff, optionally around one
node, written as DOT, Mermaid, or SVG/PNG through graphviz's `dot`; and the bounded Mermaid
picture of a diff for pull-request comments."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lineage_history.dag import graph
from lineage_history.dag.diff import diff
from lineage_history.dag.model import Snapshot
from lineage_history.errors import UserError
from lineage_history.output import pictures as visual
from lineage_history.output.picture_bounds import bounded_diff_picture
from lineage_history.queries.at_commit import At, at, unknown_node
from lineage_history.queries.diffs import DiffReport
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.ranges import picture_pair

PICTURE_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".svg": "svg", ".png": "png"}
_NO_DOT = "install graphviz (e.g. apt-get install graphviz) or write .dot/.mmd"


@dataclass(frozen=True)
class Drawing:
    path: Path
    format: str
    nodes: int
    edges: int


def _picture_format(output: Path) -> str:
    fmt = PICTURE_FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise UserError(f"cannot draw {output.name}: use a .svg, .png, .dot or .mmd file name")
    return fmt


def _focus(snapshots: Sequence[Snapshot], name: str, up: bool, down: bool, where: str) -> set[str]:
    """`name` and its upstream and/or downstream in any of `snapshots` (both when neither)."""
    if not any(name in s.nodes for s in snapshots):
        raise unknown_node(name, (n for s in snapshots for n in s.nodes), where)
    if not up and not down:
        up = down = True
    selected = {name}
    for snapshot in snapshots:
        if name not in snapshot.nodes:
            continue
        if up:
            selected |= set(graph.distances(name, graph.producers_by_node(snapshot)))
        if down:
            selected |= set(graph.distances(name, graph.consumers_by_node(snapshot)))
    return selected


def picture(
    handle: QueryHandle,
    rev: str,
    dag: str | None = None,
    base: str | None = None,
    node: str | None = None,
    up: bool = False,
    down: bool = False,
) -> visual.Picture:
    """What `viz` draws: the DAG at `rev`, or its diff from `base`, optionally around `node`."""
    pair = picture_pair(handle, rev, base)
    if pair is None:
        after, before = at(handle, rev, dag), None
    else:
        name = handle.pick_dag(dag, [(pair.base_rev, pair.base), (pair.head_rev, pair.head)])
        base, rev = pair.base_rev, pair.head_rev
        after = At(name, rev, pair.head, handle.snapshot_at(pair.head, name))
        before = At(name, base, pair.base, handle.snapshot_at(pair.base, name))
    snapshots = [after.snapshot] if before is None else [before.snapshot, after.snapshot]
    only = _focus(snapshots, node, up, down, after.where()) if node else None
    label = after.dag or "DAG"
    if before is None:
        title = f"{label} at {rev} ({after.commit.sha[:10]})"
        return visual.snapshot_picture(after.snapshot, title, only=only, focus=node)
    title = f"{label}: {base} ({before.commit.sha[:10]}) -> {rev} ({after.commit.sha[:10]})"
    lineage = diff(before.snapshot, after.snapshot)
    return visual.diff_picture(
        lineage, before.snapshot, after.snapshot, title, only=only, focus=node
    )


def _run_dot(dot_text: str, fmt: str, dot_binary: str) -> bytes:
    result = subprocess.run(
        [dot_binary, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"graphviz dot failed: {message[-1] if message else 'no output'}")
    return result.stdout


def draw(
    handle: QueryHandle,
    rev: str,
    output: Path,
    dag: str | None = None,
    base: str | None = None,
    node: str | None = None,
    up: bool = False,
    down: bool = False,
) -> Drawing:
    """Write the picture of `rev` (or of its diff from `base`) to `output`, by its extension."""
    fmt = _picture_format(output)
    dot_binary = shutil.which("dot") if fmt in ("svg", "png") else None
    if fmt in ("svg", "png") and dot_binary is None:
        raise UserError(f"cannot write {output.name} without the graphviz `dot` program: {_NO_DOT}")
    drawn = picture(handle, rev, dag, base, node, up, down)
    if fmt == "mermaid":
        content: bytes = visual.to_mermaid(drawn).encode()
    else:
        dot_text = visual.to_dot(drawn)
        content = _run_dot(dot_text, fmt, dot_binary) if dot_binary else dot_text.encode()
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror}") from None
    return Drawing(output, fmt, len(drawn.nodes), len(drawn.edges))


def diff_mermaid(report: DiffReport) -> tuple[str, tuple[str, ...]]:
    """The Mermaid picture of a diff report (what changed, what it impacts, and their
    neighbours), bounded for Mermaid's limits, and what it leaves out."""
    drawn = bounded_diff_picture(report.diff, report.old, report.new, "")
    return visual.to_mermaid(drawn), drawn.left_out
