"""Pure pictures: a snapshot or a lineage diff as DOT (Graphviz) or Mermaid text, with a legend.

A `Picture` is plain data (nodes and edges with a kind each); `to_dot` and `to_mermaid` turn it
into text. Running the `dot` program to make SVG or PNG is the caller's business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import graphviz

from lineage_history._text import plain
from lineage_history.dag.diff import LineageDiff
from lineage_history.dag.model import ROLE_INPUT, Node, Snapshot

__all__ = [
    "DIFF_KINDS",
    "Picture",
    "PictureEdge",
    "PictureNode",
    "diff_picture",
    "snapshot_picture",
    "to_dot",
    "to_mermaid",
]

DIFF_KINDS = ("added", "removed", "modified", "renamed", "impacted", "unchanged")
DAG_KINDS = ("function", "input")


@dataclass(frozen=True)
class _Style:
    fill: str
    stroke: str
    font: str = "#1f2328"
    dashed: bool = False
    description: str = ""


NODE_STYLES = {
    "function": _Style("#ffffff", "#57606a", description="function"),
    "input": _Style("#eef6ff", "#57606a", description="external input or config"),
    "added": _Style("#dafbe1", "#1a7f37", description="added"),
    "removed": _Style("#ffebe9", "#cf222e", "#82071e", dashed=True, description="removed"),
    "modified": _Style("#fff8c5", "#9a6700", description="modified (code, type, deps, tags, doc)"),
    "renamed": _Style("#ddf4ff", "#0969da", description="renamed"),
    "impacted": _Style("#fbefff", "#8250df", description="impacted: downstream of a data change"),
    "unchanged": _Style("#f6f8fa", "#d0d7de", "#8c959f", description="unchanged context"),
}
EDGE_STYLES = {
    "edge": _Style("", "#57606a", description="dependency"),
    "touched": _Style("", "#57606a", description="dependency of a changed node"),
    "context": _Style("", "#d0d7de", description="unchanged dependency"),
    "added": _Style("", "#1a7f37", description="added dependency"),
    "removed": _Style("", "#cf222e", dashed=True, description="removed dependency"),
}
_QUALIFIED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")


@dataclass(frozen=True)
class PictureNode:
    name: str
    lines: tuple[str, ...]  # the label, line by line; the name first
    role: str
    kind: str  # a key of NODE_STYLES
    focus: bool = False


@dataclass(frozen=True)
class PictureEdge:
    source: str
    target: str
    kind: str  # a key of EDGE_STYLES


@dataclass(frozen=True)
class Picture:
    title: str
    nodes: tuple[PictureNode, ...]
    edges: tuple[PictureEdge, ...]
    legend: tuple[str, ...]  # node kinds the legend explains
    edge_legend: tuple[str, ...]
    notes: tuple[str, ...] = ()  # extra lines under the title, e.g. config changes
    empty_text: str = "no nodes"
    left_out: tuple[str, ...] = ()  # what a picture bounded in size does not show


def short_type(type_text: str) -> str:
    """`sklearn.preprocessing._label.LabelEncoder` -> `LabelEncoder`, inside generics too."""
    return _QUALIFIED.sub(r"\1", type_text)


def _label(node: Node, *extra: str) -> tuple[str, ...]:
    return (node.name, short_type(node.type), *extra)


def _keep(name: str, only: Collection[str] | None) -> bool:
    return only is None or name in only


def snapshot_picture(
    snapshot: Snapshot,
    title: str,
    *,
    only: Collection[str] | None = None,
    focus: str | None = None,
) -> Picture:
    """The DAG of one snapshot: functions and inputs, optionally only the nodes in `only`."""
    nodes = tuple(
        PictureNode(
            node.name,
            _label(node),
            node.role,
            node.role if node.role in DAG_KINDS else "function",
            node.name == focus,
        )
        for node in snapshot.nodes.values()
        if _keep(node.name, only)
    )
    drawn = {n.name for n in nodes}
    edges = tuple(
        PictureEdge(a, b, "edge") for a, b in sorted(snapshot.edges) if a in drawn and b in drawn
    )
    return Picture(title, nodes, edges, DAG_KINDS, ("edge",))


def _diff_kinds(lineage: LineageDiff, old: Snapshot, new: Snapshot) -> dict[str, tuple[str, ...]]:
    """Every node of the union graph -> (its kind, extra label lines)."""
    kinds: dict[str, tuple[str, ...]] = {name: ("unchanged",) for name in new.nodes}
    kinds.update({n.name: ("removed", "removed") for n in lineage.removed})
    kinds.update({n.name: ("added", "added") for n in lineage.added})
    kinds.update({m.name: ("modified", "~ " + ", ".join(m.changes)) for m in lineage.modified})
    kinds.update({new: ("renamed", f"renamed from {old}") for old, new in lineage.renamed})
    kinds.update({name: ("impacted", "impacted") for name in lineage.impacted})
    return kinds


def _diff_edges(
    lineage: LineageDiff, old: Snapshot, new: Snapshot, unchanged: set[str]
) -> list[PictureEdge]:
    renamed = dict(lineage.renamed)

    def mapped(edge: tuple[str, str]) -> tuple[str, str]:
        return renamed.get(edge[0], edge[0]), renamed.get(edge[1], edge[1])

    old_edges = {mapped(e) for e in old.edges}
    edges = []
    for a, b in sorted(new.edges):
        if (a, b) not in old_edges:
            kind = "added"
        else:
            kind = "context" if a in unchanged and b in unchanged else "touched"
        edges.append(PictureEdge(a, b, kind))
    edges += [
        PictureEdge(*m, "removed") for m in sorted({mapped(e) for e in old.edges} - new.edges)
    ]
    return edges


def _near(interest: set[str], edges: Iterable[PictureEdge], hops: int) -> set[str]:
    selected = set(interest)
    for _ in range(hops):
        selected |= {
            other
            for e in edges
            for here, other in ((e.source, e.target), (e.target, e.source))
            if here in selected
        }
    return selected


def diff_picture(
    lineage: LineageDiff,
    old: Snapshot,
    new: Snapshot,
    title: str,
    *,
    only: Collection[str] | None = None,
    focus: str | None = None,
    context_hops: int | None = None,
) -> Picture:
    """The union of both graphs, each node styled by its change.

    `context_hops` keeps only the changed and impacted nodes and their neighbours that many
    edges away; `None` keeps every node (the unchanged ones greyed).
    """
    kinds = _diff_kinds(lineage, old, new)
    unchanged = {name for name, (kind, *_) in kinds.items() if kind == "unchanged"}
    edges = _diff_edges(lineage, old, new, unchanged)
    selected = set(kinds)
    if context_hops is not None:
        selected = _near(selected - unchanged, edges, context_hops)
    if only is not None:
        selected &= set(only)
    nodes = []
    for name in sorted(selected):
        node = new.nodes.get(name) or old.nodes[name]
        kind, *extra = kinds[name]
        nodes.append(PictureNode(name, _label(node, *extra), node.role, kind, name == focus))
    notes = tuple(
        f"config {key}: {lineage.config_before.get(key, '(unset)')!r} -> "
        f"{lineage.config_after.get(key, '(unset)')!r}"
        for key in lineage.config_changed
    )
    return Picture(
        title,
        tuple(nodes),
        tuple(e for e in edges if e.source in selected and e.target in selected),
        DIFF_KINDS,
        ("touched", "context", "added", "removed"),
        notes,
        "no lineage changes",
    )


# -- DOT --------------------------------------------------------------------------------------


def _dot_node_attrs(kind: str, role: str, focus: bool) -> dict[str, str]:
    style = NODE_STYLES[kind]
    styles = ["filled", "dashed" if style.dashed else "solid"]
    if role != ROLE_INPUT:
        styles.insert(0, "rounded")
    return {
        "shape": "ellipse" if role == ROLE_INPUT else "box",
        "style": ",".join(styles),
        "fillcolor": style.fill,
        "color": style.stroke,
        "fontcolor": style.font,
        "penwidth": "3" if focus else "1.2",
        "class": kind,
    }


def _dot_edge_attrs(kind: str) -> dict[str, str]:
    style = EDGE_STYLES[kind]
    return {
        "color": style.stroke,
        "style": "dashed" if style.dashed else "solid",
        "penwidth": "2" if kind in ("added", "removed") else "1",
        "class": f"edge-{kind}",
    }


def to_dot(picture: Picture) -> str:
    """Graphviz DOT text: styled nodes and edges and a `cluster_legend` explaining them."""
    title = "\\n".join([picture.title, *picture.notes]) if picture.title else ""
    graph = graphviz.Digraph(
        "lineage",
        graph_attr={"rankdir": "LR", "label": title, "labelloc": "t", "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"arrowsize": "0.7"},
    )
    for node in picture.nodes:
        graph.node(
            node.name, "\\n".join(node.lines), **_dot_node_attrs(node.kind, node.role, node.focus)
        )
    for edge in picture.edges:
        graph.edge(edge.source, edge.target, **_dot_edge_attrs(edge.kind))
    if not picture.nodes:
        graph.node("_empty", picture.empty_text, shape="plaintext", fontcolor="#57606a")
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontsize="10", color="#d0d7de", style="rounded")
        for kind in picture.legend:
            role = "input" if kind == "input" else "function"
            attrs = _dot_node_attrs(kind, role, False)
            legend.node(f"_legend_{kind}", NODE_STYLES[kind].description, **attrs)
        for kind in picture.edge_legend:
            legend.node(f"_legend_edge_{kind}_a", "", shape="point", width="0.05")
            legend.node(f"_legend_edge_{kind}", EDGE_STYLES[kind].description, shape="plaintext")
            legend.edge(f"_legend_edge_{kind}_a", f"_legend_edge_{kind}", **_dot_edge_attrs(kind))
    source: str = graph.source
    return source


# -- Mermaid ----------------------------------------------------------------------------------

_MERMAID_ESCAPES = (
    ("#", "#35;"),
    ('"', "#quot;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("`", "#96;"),  # a label starting with a backtick is Markdown to Mermaid
)
_MERMAID_ARROWS = {
    "edge": "-->",
    "touched": "-->",
    "context": "-->",
    "added": "==>",
    "removed": "-.->",
}


def _mermaid_text(text: str) -> str:
    text = plain(text)
    for raw, escaped in _MERMAID_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _mermaid_ids(names: Iterable[str]) -> dict[str, str]:
    """Safe, unique Mermaid ids (`end` and friends are keywords): `n_` + the name's word chars."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = "n_" + re.sub(r"\W", "_", name)
        candidate, count = base, 1
        while candidate in used:
            count += 1
            candidate = f"{base}_{count}"
        used.add(candidate)
        ids[name] = candidate
    return ids


def _mermaid_shape(node_id: str, role: str, label: str) -> str:
    return f'{node_id}(["{label}"])' if role == ROLE_INPUT else f'{node_id}["{label}"]'


def _mermaid_class_def(kind: str, style: _Style) -> str:
    parts = [f"fill:{style.fill}", f"stroke:{style.stroke}", f"color:{style.font}"]
    if style.dashed:
        parts.append("stroke-dasharray:5 3")
    return f"    classDef {kind} {','.join(parts)}"


def to_mermaid(picture: Picture) -> str:
    """A Mermaid flowchart: styled nodes (`classDef` per kind), styled links and a legend."""
    lines = []
    if picture.title:
        title = json.dumps(plain(picture.title).replace("`", "'"))
        lines += ["---", f"title: {title}", "---"]
    lines.append("flowchart LR")
    lines += [f"    %% {_mermaid_text(note)}" for note in picture.notes + picture.left_out]
    ids = _mermaid_ids(n.name for n in picture.nodes)
    for node in picture.nodes:
        label = "<br/>".join(_mermaid_text(line) for line in node.lines)
        lines.append("    " + _mermaid_shape(ids[node.name], node.role, label))
    if not picture.nodes:
        lines.append(f'    empty["{_mermaid_text(picture.empty_text)}"]')
    link_styles: dict[str, list[int]] = {}
    for index, edge in enumerate(picture.edges):
        lines.append(f"    {ids[edge.source]} {_MERMAID_ARROWS[edge.kind]} {ids[edge.target]}")
        link_styles.setdefault(edge.kind, []).append(index)
    lines.append('    subgraph legend["legend"]')
    lines.append("        direction LR")
    for kind in picture.legend:
        text = _mermaid_text(NODE_STYLES[kind].description)
        role = ROLE_INPUT if kind == "input" else "function"
        lines.append("        " + _mermaid_shape(f"legend_{kind}", role, text))
    next_link = len(picture.edges)
    for kind in picture.edge_legend:
        text = _mermaid_text(EDGE_STYLES[kind].description)
        arrow = _MERMAID_ARROWS[kind]
        lines.append(f'        legend_edge_{kind}_a[" "] {arrow} legend_edge_{kind}["{text}"]')
        link_styles.setdefault(kind, []).append(next_link)
        next_link += 1
    lines.append("    end")
    kinds_used = sorted({n.kind for n in picture.nodes} | set(picture.legend))
    lines += [_mermaid_class_def(kind, NODE_STYLES[kind]) for kind in kinds_used]
    for kind in kinds_used:
        members = [ids[n.name] for n in picture.nodes if n.kind == kind]
        if kind in picture.legend:
            members.append(f"legend_{kind}")
        lines.append(f"    class {','.join(members)} {kind}")
    if picture.edge_legend:
        points = ",".join(f"legend_edge_{kind}_a" for kind in picture.edge_legend)
        lines += [
            "    classDef legendpoint fill:none,stroke:none",
            f"    class {points} legendpoint",
        ]
    for kind, indexes in link_styles.items():
        style = EDGE_STYLES[kind]
        width = "2px" if kind in ("added", "removed") else "1px"
        dash = ",stroke-dasharray:5 3" if style.dashed else ""
        numbers = ",".join(str(i) for i in indexes)
        lines.append(f"    linkStyle {numbers} stroke:{style.stroke},stroke-width:{width}{dash}")
    lines += [f"    style {ids[n.name]} stroke-width:4px" for n in picture.nodes if n.focus]
    return "\n".join(lines) + "\n"
