"""The output contract: every command's `--format json` shape, built here and
nowhere else from the results the questions return. `tests/output/test_contract.py` checks each
command's shape on the demo history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from lineage_history._text import plural
from lineage_history.errors import first_line

if TYPE_CHECKING:
    from lineage_history.dag.diff import LineageDiff
    from lineage_history.dag.impact import ImpactReport
    from lineage_history.dag.model import Node
    from lineage_history.dag.policy import Violation
    from lineage_history.definitions.listing import DagListing
    from lineage_history.queries.at_commit import PathResult, Related, Shown
    from lineage_history.queries.diffs import DiffReport
    from lineage_history.queries.history import Gap
    from lineage_history.queries.node_log import NodeLog
    from lineage_history.queries.review import ReachLog
    from lineage_history.queries.status import RepositoryStatus
    from lineage_history.queries.tag_blame import Blame
    from lineage_history.store.records import StoredCommit


def iso_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def commit_json(commit: StoredCommit) -> dict[str, Any]:
    """A commit as `log`, `log --reach` and `blame` show it."""
    return {
        "sha": commit.sha,
        "date": iso_date(commit.authored_at),
        "author": commit.author_name,
        "author_email": commit.author_email,
        "subject": commit.subject,
    }


def node_json(node: Node, **extra: Any) -> dict[str, Any]:
    """A node in `show`, `upstream`, `downstream`, `path` and a diff's added/removed lists."""
    data = node.to_dict()
    return {**{key: data[key] for key in ("name", "type", "role", "tags", "dependencies")}, **extra}


def gap_sentence(gap: Gap) -> str:
    """`12 commits could not be built: Error: ...` (the first error)."""
    return f"{plural(gap.commits, 'commit')} could not be built: {first_line(gap.error)}"


def gap_json(gap: Gap) -> dict[str, Any]:
    """A run of commits whose DAG could not be built, oldest (`from`) to newest (`to`)."""
    return {
        "from": gap.oldest.sha,
        "to": gap.newest.sha,
        "from_date": iso_date(gap.oldest.authored_at),
        "to_date": iso_date(gap.newest.authored_at),
        "commits": gap.commits,
        "error": first_line(gap.error),
    }


def _with_gap(gap: Gap | None) -> dict[str, Any]:
    """Only a gap's entry (or a blame line above one) has the `gap` key: every other entry is
    as it always was."""
    return {} if gap is None else {"gap": gap_json(gap)}


def log_json(result: NodeLog) -> list[dict[str, Any]]:
    """`log`: a gap is an entry in its place, with its newest commit's fields, `change`
    "unknown" and a `gap` object (see docs/history-gaps.md)."""
    return [
        {
            **commit_json(entry.commit),
            "node": entry.node,
            "change": entry.change if isinstance(entry.change, str) else list(entry.change),
            "details": [gap_sentence(entry.gap)] if entry.gap else list(entry.details),
            "renamed_from": entry.renamed_from,
            "renamed_to": entry.renamed_to,
            "stubbed": list(entry.stubbed),
            **_with_gap(entry.gap),
        }
        for entry in result.entries
    ]


def reach_json(result: ReachLog) -> list[dict[str, Any]]:
    return [
        {
            **commit_json(entry.commit),
            "change": entry.change,
            "path": list(entry.path),
            **_with_gap(entry.gap),
        }
        for entry in result.entries
    ]


def show_json(shown: Shown) -> dict[str, Any]:
    return {
        "dag": shown.dag,
        "rev": shown.rev,
        "sha": shown.commit.sha,
        "stubbed": list(shown.stubbed),
        "nodes": [node_json(n) for n in shown.nodes],
    }


def related_json(result: Related) -> dict[str, Any]:
    """`upstream` and `downstream`."""
    return {
        "dag": result.dag,
        "rev": result.rev,
        "sha": result.commit.sha,
        "node": result.node,
        "direction": result.direction,
        "nodes": [node_json(n, distance=d) for n, d in result.nodes],
    }


def path_json(result: PathResult) -> dict[str, Any]:
    return {
        "dag": result.dag,
        "rev": result.rev,
        "sha": result.commit.sha,
        "from": result.source,
        "to": result.target,
        "nodes": [node_json(n) for n in result.nodes],
        "edges": [list(e) for e in result.edges],
        "paths": [list(p) for p in result.paths],
        "path_count": result.path_count,
    }


def blame_json(result: Blame) -> list[dict[str, Any]]:
    return [
        {
            "node": line.node,
            "value": line.value,
            **commit_json(line.commit),
            **_with_gap(line.gap),
        }
        for line in result.lines
    ]


def _impact(impact: ImpactReport, name: str) -> dict[str, Any]:
    found = impact.nodes[name]
    return {"impact": found.impact, "reasons": list(found.reasons)}


def diff_json(
    lineage: LineageDiff,
    dag: str,
    base: dict[str, str | None],
    head: dict[str, str | None],
    impact: ImpactReport,
) -> dict[str, Any]:
    """`diff`: `base` and `head` are `{"rev": ..., "sha": ...}` (the sha None for the working
    tree or the index); every changed node carries its `impact`, impacted nodes their
    cause's, and `bump` the DAG's semantic-version bump."""
    return {
        "dag": dag,
        "base": {**base, "stubbed": list(lineage.stubbed_before)},
        "head": {**head, "stubbed": list(lineage.stubbed_after)},
        "summary": lineage.summary(),
        "bump": impact.bump,
        "nodes": {
            "added": [{**node_json(n), **_impact(impact, n.name)} for n in lineage.added],
            "removed": [{**node_json(n), **_impact(impact, n.name)} for n in lineage.removed],
            "modified": [
                {
                    "name": m.name,
                    "changes": list(m.changes),
                    "before": m.before.to_dict(),
                    "after": m.after.to_dict(),
                    **_impact(impact, m.name),
                }
                for m in lineage.modified
            ],
            "renamed": [
                {"from": old, "to": new, **_impact(impact, new)} for old, new in lineage.renamed
            ],
            "impacted": [
                {"name": name, "because": list(because), **_impact(impact, name), "indirect": True}
                for name, because in lineage.impacted.items()
            ],
        },
        "edges": {
            "added": [list(e) for e in lineage.edges_added],
            "removed": [list(e) for e in lineage.edges_removed],
        },
        "config": {
            "before": lineage.config_before,
            "after": lineage.config_after,
            "changed": list(lineage.config_changed),
        },
    }


def diff_report_json(report: DiffReport, impact: ImpactReport) -> dict[str, Any]:
    """`diff` between two revisions, or against the working tree or the index (no sha)."""
    head_sha = report.head.sha if report.head is not None else None
    return diff_json(
        report.diff,
        report.dag,
        {"rev": report.base_rev, "sha": report.base.sha},
        {"rev": report.head_rev, "sha": head_sha},
        impact,
    )


def check_json(violations: Sequence[Violation]) -> dict[str, Any]:
    return {
        "violations": [
            {
                "rule": found.rule,
                "from": found.source,
                "to": found.target,
                "path": list(found.path) if found.path is not None else None,
                "node": found.node,
                "missing": list(found.missing) if found.missing is not None else None,
                "new": found.new,
                **({"reasons": list(found.reasons)} if found.reasons is not None else {}),
            }
            for found in violations
        ]
    }


def dags_json(listings: Sequence[DagListing]) -> list[dict[str, Any]]:
    found = []
    for listing in listings:
        definition = listing.definition
        data: dict[str, Any] = {
            "name": definition.name,
            "modules": list(definition.modules),
            "config": dict(definition.config),
            "config_literal": definition.config_literal,
            "source": definition.source,
            "status": listing.status,
            "stubbed": list(listing.stubbed),
        }
        if listing.error:
            data["error"] = listing.error
        if definition.notes:
            data["notes"] = list(definition.notes)
        found.append(data)
    return found


def status_json(status: RepositoryStatus) -> dict[str, Any]:
    """`status`: what is indexed; with `--all-repos` each repository's name, identity and path
    instead of its failures."""
    counts, run = status.counts, status.counts.last_run
    data: dict[str, Any] = {
        "commits": counts.commits,
        "snapshots": counts.snapshots,
        "failed": counts.failed,
        "last_run": None if run is None else {**asdict(run), "seconds": run.seconds},
        "dag_commits": asdict(counts.dag_commits),
    }
    if status.repository is not None:
        row = status.repository
        data.update(name=row.name, identity=row.identity, path=row.path)
    data["behind"] = status.behind
    if status.repository is None:
        data["failures"] = [failure._asdict() for failure in status.failures]
    return data


def all_statuses_json(statuses: Sequence[RepositoryStatus]) -> dict[str, Any]:
    """`status --all-repos`: each repository's `status`."""
    return {"repositories": [status_json(status) for status in statuses]}
