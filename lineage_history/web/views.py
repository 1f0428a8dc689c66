"""The views' data, from the questions: what each page shows, as plain dicts that the templates
render and the browser script draws. No web framework here: `serve` and `report` both use it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from lineage_history.dag.diff import LineageDiff, change_details, names_stubbed
from lineage_history.dag.model import Node
from lineage_history.dag.selectors import parse_tag_filters
from lineage_history.output.contract import iso_date
from lineage_history.queries import at_commit, diffs, node_log, timeline
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.history import History
from lineage_history.store.records import StoredCommit


@dataclass
class Links:
    """Where each view lives. `serve` answers every URL; a static report holds only the pages
    it wrote (`pages`), and a link to any other is left out (None)."""

    prefix: str = "/"
    static: bool = False
    pages: set[str] = field(default_factory=set)

    def _href(self, path: str) -> str | None:
        if not self.static:
            return self.prefix + path
        name = file_name(path)
        return name if name in self.pages else None

    def home(self, dag: str | None = None) -> str | None:
        if self.static:
            return self._href(self.timeline_path(dag)) if dag else "index.html"
        return self.prefix + (f"?dag={_quote(dag)}" if dag else "")

    def graph(self, dag: str, rev: str) -> str | None:
        return self._href(self.graph_path(dag, rev))

    def diff(self, dag: str, base: str, head: str, dots: str = "..") -> str | None:
        return self._href(self.diff_path(dag, base, head, dots))

    def node(self, dag: str, name: str) -> str | None:
        return None if self.static else self._href(f"dag/{_quote(dag)}/node/{_quote(name)}")

    @staticmethod
    def timeline_path(dag: str) -> str:
        return f"dag/{_quote(dag)}/timeline"

    @staticmethod
    def graph_path(dag: str, rev: str) -> str:
        return f"dag/{_quote(dag)}/at/{_quote(rev)}"

    @staticmethod
    def diff_path(dag: str, base: str, head: str, dots: str = "..") -> str:
        return f"dag/{_quote(dag)}/diff/{_quote(base)}{dots}{_quote(head)}"

    def api(self, path: str) -> str | None:
        return None if self.static else self.prefix + "api/" + path

    def asset(self, name: str) -> str:
        return ("static/" if self.static else self.prefix + "static/") + name


def _quote(text: str) -> str:
    return quote(text, safe="/~^@")


def file_name(path: str) -> str:
    """A report's file for a view's path: one flat name, safe on every file system."""
    digest = hashlib.sha256(path.encode()).hexdigest()[:16]
    kind = path.split("/")[2] if path.count("/") >= 2 else "page"
    return f"{kind}-{digest}.html"


def commit_view(commit: StoredCommit) -> dict[str, Any]:
    return {
        "sha": commit.sha,
        "short": commit.sha[:10],
        "subject": commit.subject,
        "author": commit.author_name,
        "date": iso_date(commit.authored_at)[:16].replace("T", " "),
        "parent": commit.parents[0] if commit.parents else None,
    }


def node_data(node: Node, stubbed: Sequence[str], history: str | None) -> dict[str, Any]:
    """One node as the browser script draws and describes it."""
    data = node.to_dict()
    data["code"] = (node.code or "")[:12] or None
    data["stand_in"] = names_stubbed(node.type, stubbed)
    data["history"] = history
    return data


def dags_view(
    handle: QueryHandle, links: Links, cache: dict[Any, Any] | None = None
) -> list[dict[str, Any]]:
    """Each DAG with its number of commits (kept in `cache` until the next index run)."""
    key = (handle.repository_id, handle.reader.generation(handle.repository_id))
    if cache is None or key not in cache:
        summaries = handle.reader.dag_summaries(handle.repository_id)
        if cache is None:
            cache = {}
        cache.clear()
        cache[key] = summaries
    return [
        {"name": name, "commits": count, "newest": iso_date(newest)[:10], "href": links.home(name)}
        for name, count, newest in cache[key]
    ]


def timeline_view(
    handle: QueryHandle,
    links: Links,
    dag: str | None,
    *,
    branch: str | None = None,
    since: str | None = None,
    changed_only: bool = False,
    page: int = 1,
    cache: timeline.CountsCache | None = None,
    per_page: int = timeline.PER_PAGE,
) -> dict[str, Any]:
    found = timeline.timeline(
        handle,
        dag,
        branch=branch,
        since=since,
        changed_only=changed_only,
        page=page,
        per_page=per_page,
        cache=cache,
    )
    entries = []
    for entry in found.entries:
        sha = entry.commit.sha
        entries.append(
            {
                **commit_view(entry.commit),
                "status": entry.status,
                "changed": entry.changed,
                "base": entry.base,
                "counts": entry.counts,
                "error": entry.error,
                "graph": links.graph(found.dag, sha) if entry.status == "ok" else None,
                "diff": links.diff(found.dag, entry.base, sha) if entry.base else None,
            }
        )
    return {
        "dag": found.dag,
        "branch": found.branch,
        "changed_only": found.changed_only,
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "entries": entries,
    }


def graph_view(
    handle: QueryHandle, links: Links, dag: str | None, rev: str, tags: Sequence[str] = ()
) -> dict[str, Any]:
    """The DAG at `rev` (only the nodes with every tag of `tags`, as `show --tag`)."""
    shown = at_commit.show(handle, rev, dag, parse_tag_filters(list(tags)))
    names = {node.name for node in shown.nodes}
    nodes = [
        node_data(node, shown.stubbed, links.node(shown.dag, node.name)) for node in shown.nodes
    ]
    edges = [
        [dep, node.name, ""] for node in shown.nodes for dep in node.dependencies if dep in names
    ]
    return {
        "dag": shown.dag,
        "rev": rev,
        "commit": commit_view(shown.commit),
        "stubbed": list(shown.stubbed),
        "tags": list(tags),
        "graph": {"kind": "graph", "nodes": nodes, "edges": edges},
        "api": links.api(f"dag/{_quote(shown.dag)}/show/{_quote(rev)}"),
    }


def diff_view(handle: QueryHandle, links: Links, dag: str | None, spec: str) -> dict[str, Any]:
    """The diff of a range `A...B` or `A..B`: both sides' nodes in one graph."""
    report = diffs.diff_revisions(handle, spec, None, dag)
    assert report.head is not None
    lineage = report.diff
    nodes = _diff_nodes(report, links)
    old_edges, new_edges = report.old.edges, report.new.edges
    edges = [[a, b, "added" if (a, b) in set(lineage.edges_added) else ""] for a, b in new_edges]
    edges += [[a, b, "removed"] for a, b in sorted(old_edges - new_edges)]
    return {
        "dag": report.dag,
        "spec": spec,
        "base": commit_view(report.base),
        "head": commit_view(report.head),
        "base_rev": report.base_rev,
        "head_rev": report.head_rev,
        "summary": lineage.summary(),
        "config_changed": list(lineage.config_changed),
        "stubbed": {"base": list(lineage.stubbed_before), "head": list(lineage.stubbed_after)},
        "graph": {"kind": "diff", "nodes": nodes, "edges": sorted(edges)},
        "api": links.api(f"dag/{_quote(report.dag)}/diff/{_quote(spec)}"),
        "base_graph": links.graph(report.dag, report.base.sha),
        "head_graph": links.graph(report.dag, report.head.sha),
    }


def _diff_nodes(report: diffs.DiffReport, links: Links) -> list[dict[str, Any]]:
    lineage: LineageDiff = report.diff
    old, new = report.old, report.new
    stubbed = lineage.stubbed_after
    modified = {m.name: m for m in lineage.modified}
    renamed = {new_name: old_name for old_name, new_name in lineage.renamed}
    nodes = []
    for node in new.nodes.values():
        data = node_data(node, stubbed, links.node(report.dag, node.name))
        if node.name in modified:
            change = modified[node.name]
            data.update(
                change="modified",
                changes=list(change.changes),
                details=change_details(change),
                before=node_data(change.before, lineage.stubbed_before, None),
            )
        elif node.name in renamed:
            before = old.nodes[renamed[node.name]]
            data.update(change="renamed", renamed_from=before.name)
            data["before"] = node_data(before, lineage.stubbed_before, None)
        elif node.name in lineage.impacted:
            data.update(change="impacted", because=list(lineage.impacted[node.name]))
        elif node.name not in old.nodes:
            data["change"] = "added"
        else:
            data["change"] = "unchanged"
        nodes.append(data)
    for node in lineage.removed:
        nodes.append({**node_data(node, lineage.stubbed_before, None), "change": "removed"})
    return nodes


def node_history_view(
    handle: QueryHandle, links: Links, dag: str | None, name: str, rev: str, follow: bool
) -> dict[str, Any]:
    """`log NODE`, each entry with the node's tags at that commit and a link to its diff."""
    found = node_log.log(handle, name, rev, dag, follow)
    history = History(handle, found.dag)
    entries = []
    for entry in found.entries:
        sha = entry.commit.sha
        node = history.node_at(sha, entry.node)
        base = history.first_base(sha)
        change = entry.change if isinstance(entry.change, str) else ", ".join(entry.change)
        entries.append(
            {
                **commit_view(entry.commit),
                "node": entry.node,
                "change": change,
                "details": list(entry.details),
                "tags": _tag_pairs(node.tags if node else {}),
                "diff": links.diff(found.dag, base, sha) if base else None,
                "graph": links.graph(found.dag, sha) if node else None,
            }
        )
    return {
        "dag": found.dag,
        "node": name,
        "rev": rev,
        "follow": follow,
        "entries": entries,
        "api": links.api(f"dag/{_quote(found.dag)}/log/{_quote(name)}"),
    }


def _tag_pairs(tags: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (key, value if isinstance(value, str) else ",".join(value)) for key, value in tags.items()
    ]
