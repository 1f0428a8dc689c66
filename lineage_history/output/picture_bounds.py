"""A diff picture bounded for Mermaid (500 edges, 50,000 characters by default): collapsed
step by step, saying what it leaves out."""

from __future__ import annotations

from dataclasses import replace

from lineage_history._text import plural
from lineage_history.dag.diff import LineageDiff
from lineage_history.dag.model import Snapshot
from lineage_history.output.pictures import Picture, PictureEdge, PictureNode, diff_picture

# Mermaid refuses more than 500 edges and 50,000 characters by default.
MERMAID_MAX_EDGES = 400
MERMAID_MAX_NODES = 250


def _fits(picture: Picture, max_edges: int, max_nodes: int) -> bool:
    return len(picture.edges) <= max_edges and len(picture.nodes) <= max_nodes


def _with_impact_summaries(picture: Picture, counts: dict[str, int]) -> Picture:
    """Each drawn changed node that impacts others gets one `N impacted` node instead."""
    drawn = {n.name for n in picture.nodes}
    summaries = {name: count for name, count in counts.items() if name in drawn}
    nodes = [
        PictureNode(f"{name} impacts", (plural(count, "impacted node"),), "function", "impacted")
        for name, count in sorted(summaries.items())
    ]
    edges = [PictureEdge(name, f"{name} impacts", "touched") for name in sorted(summaries)]
    return replace(picture, nodes=picture.nodes + tuple(nodes), edges=picture.edges + tuple(edges))


def bounded_diff_picture(
    lineage: LineageDiff,
    old: Snapshot,
    new: Snapshot,
    title: str,
    *,
    max_edges: int = MERMAID_MAX_EDGES,
    max_nodes: int = MERMAID_MAX_NODES,
) -> Picture:
    """The diff picture with its neighbours; where that is too large, without them; then with
    impacted nodes collapsed into counts; then only the changes that impact the most. The
    picture's `left_out` says what it does not show."""
    picture = diff_picture(lineage, old, new, title, context_hops=1)
    if _fits(picture, max_edges, max_nodes):
        return picture
    picture = diff_picture(lineage, old, new, title, context_hops=0)
    if _fits(picture, max_edges, max_nodes):
        return replace(picture, left_out=("unchanged neighbours are not drawn",))
    counts = lineage.impact_counts()
    changed = [n.name for n in (*lineage.added, *lineage.removed)]
    changed += [m.name for m in lineage.modified] + [new for _old, new in lineage.renamed]
    ranked = sorted(changed, key=lambda name: (-counts.get(name, 0), name))
    keep = len(ranked)
    while True:
        only = set(ranked[:keep])
        picture = _with_impact_summaries(
            diff_picture(lineage, old, new, title, only=only, context_hops=0), counts
        )
        if keep <= 1 or _fits(picture, max_edges, max_nodes):
            break
        keep = keep * 3 // 4
    left_out = [
        f"{plural(len(lineage.impacted), 'impacted node')} drawn as counts",
        "unchanged neighbours are not drawn",
    ]
    if keep < len(ranked):
        left_out.insert(
            0,
            f"{plural(len(ranked) - keep, 'changed node')} with the least "
            f"impact are not drawn (of {len(ranked)})",
        )
    return replace(picture, left_out=tuple(left_out))
