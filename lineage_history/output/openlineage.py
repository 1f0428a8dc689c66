"""The lineage history as OpenLineage events, built with the official client's event model and
sent through its transports: one COMPLETE run event per (DAG, commit) whose lineage changed.

- the job is the DAG, under the namespace the user sets; its facets: `sourceCodeLocation`
  (the repository, the driver or definition file, the commit SHA as `version`, the branch or
  tag), `documentation`, `ownership` (the owner tags) and `jobType`;
- the datasets are the DAG's nodes: external inputs are the inputs, every other node an
  output; a node that is a column of another (an `@extract_columns` or `@extract_fields`
  output) is a field of that node's dataset, with `schema` and `columnLineage` facets;
- `eventTime` is the commit's date and the run ID a UUID derived from the namespace, the DAG
  and the SHA, so a second export sends the same IDs and a catalog can deduplicate.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from openlineage.client import event_v2
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    documentation_job,
    job_type_job,
    ownership_job,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.generated.base import set_producer
from openlineage.client.serde import Serde
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.http_common import DEFAULT_RETRY_CONFIG
from requests.exceptions import RequestException

from lineage_history.dag.model import ROLE_INPUT, Node, Snapshot
from lineage_history.definitions.sources import DagSources
from lineage_history.definitions.toml_files import DagDefinition
from lineage_history.errors import LineageHistoryError, UserError, first_line
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.lineage_changes import LineageChange

PRODUCER = "https://pypi.org/project/lineage-history/"
set_producer(PRODUCER)  # the `_producer` of every facet built here (the client's is global)
_RUN_IDS = uuid.UUID("6f1f7d3e-4f0c-5b8e-9a55-3c1c2b7a9d10")  # the namespace of our run IDs


@dataclass(frozen=True)
class Source:
    """Where a DAG's code lives, for the `sourceCodeLocation` facet."""

    repo_url: str  # the remote's URL, else the repository's directory as a file: URL
    web_url: str  # where a browser shows the file at the commit (the repository URL else)
    path: str  # the driver script or the definition file, from the repository root
    branch: str | None = None
    tag: str | None = None


def run_id(namespace: str, dag: str, sha: str) -> str:
    """The same UUID every time for one DAG at one commit in one namespace."""
    return str(uuid.uuid5(_RUN_IDS, f"{namespace}\0{dag}\0{sha}"))


def columns_of(snapshot: Snapshot) -> dict[str, str]:
    """column node -> the node it is a column of: made by the same function as that node and
    depending on it alone (Hamilton's `@extract_columns` and `@extract_fields`)."""
    found = {}
    for node in snapshot.nodes.values():
        owner = node.function
        if (
            owner
            and owner != node.name
            and node.dependencies == (owner,)
            and owner in snapshot.nodes
        ):
            found[node.name] = owner
    return found


def _dataset_name(dag: str, node: str) -> str:
    return f"{dag}.{node}"


def _field_of(namespace: str, dag: str, node: str, columns: Mapping[str, str]) -> Any:
    table = columns.get(node, node)
    return column_lineage_dataset.InputField(namespace, _dataset_name(dag, table), node)


def _output(
    namespace: str, dag: str, node: Node, snapshot: Snapshot, columns: Mapping[str, str]
) -> Any:
    """A function node as a dataset: its fields (its columns, else itself) with their types,
    each computed from the fields the node depends on."""
    own = [name for name, table in columns.items() if table == node.name] or [node.name]
    fields = [
        schema_dataset.SchemaDatasetFacetFields(name=name, type=snapshot.nodes[name].type)
        for name in own
    ]
    sources = [_field_of(namespace, dag, dependency, columns) for dependency in node.dependencies]
    lineage = {name: column_lineage_dataset.Fields(inputFields=sources) for name in own}
    facets = {
        "schema": schema_dataset.SchemaDatasetFacet(fields=fields),
        "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(fields=lineage),
    }
    return event_v2.OutputDataset(namespace, _dataset_name(dag, node.name), facets=facets)


def _owners(snapshot: Snapshot, owner_tag: str) -> list[str]:
    found: list[str] = []
    for node in snapshot.nodes.values():
        value = node.tags.get(owner_tag)
        for owner in (value,) if isinstance(value, str) else value or ():
            if owner not in found:
                found.append(owner)
    return found


def _job_facets(change: LineageChange, source: Source, owner_tag: str) -> dict[str, Any]:
    snapshot = change.snapshot
    functions = sum(1 for node in snapshot.nodes.values() if node.role != ROLE_INPUT)
    inputs = len(snapshot.nodes) - functions
    description = (
        f"Hamilton DAG {change.dag} at {change.commit.sha[:12]} ({change.commit.subject}): "
        f"{functions} functions, {inputs} external inputs"
    )
    facets: dict[str, Any] = {
        "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
            type="git",
            url=source.web_url,
            repoUrl=source.repo_url,
            path=source.path,
            version=change.commit.sha,
            branch=source.branch,
            tag=source.tag,
        ),
        "documentation": documentation_job.DocumentationJobFacet(description=description),
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="HAMILTON", jobType="DAG"
        ),
    }
    owners = _owners(snapshot, owner_tag)
    if owners:
        facets["ownership"] = ownership_job.OwnershipJobFacet(
            owners=[ownership_job.Owner(name=owner, type="MAINTAINER") for owner in owners]
        )
    return facets


def lineage_event(
    change: LineageChange, namespace: str, source: Source, owner_tag: str = "owner"
) -> event_v2.RunEvent:
    """The run event of one lineage change."""
    snapshot, dag = change.snapshot, change.dag
    columns = columns_of(snapshot)
    nodes = snapshot.nodes.values()
    inputs = [
        event_v2.InputDataset(namespace, _dataset_name(dag, node.name))
        for node in nodes
        if node.role == ROLE_INPUT
    ]
    outputs = [
        _output(namespace, dag, node, snapshot, columns)
        for node in nodes
        if node.role != ROLE_INPUT and node.name not in columns
    ]
    when = datetime.fromtimestamp(change.commit.authored_at, timezone.utc)
    return event_v2.RunEvent(
        eventType=event_v2.RunState.COMPLETE,
        eventTime=when.isoformat(),
        run=event_v2.Run(runId=run_id(namespace, dag, change.commit.sha)),
        job=event_v2.Job(namespace, dag, facets=_job_facets(change, source, owner_tag)),
        producer=PRODUCER,
        inputs=inputs,
        outputs=outputs,
    )


def lineage_events(
    changes: Iterable[LineageChange],
    namespace: str,
    source_of: Callable[[LineageChange], Source],
    owner_tag: str = "owner",
) -> list[event_v2.RunEvent]:
    """The events of `changes`, each with where its DAG's code is (`source_of`)."""
    return [lineage_event(change, namespace, source_of(change), owner_tag) for change in changes]


def _web_url(remote: str | None, root: str, sha: str, path: str) -> tuple[str, str]:
    """(the repository's URL, where a browser shows `path` at `sha`). A GitHub or GitLab
    remote in any spelling gives a `blob` link; a repository without one, its `file:` URL."""
    if remote is None:
        url = Path(root).resolve().as_uri()
        return url, url
    web = re.sub(r"^(?:ssh://)?git@([^:/]+)[:/]", r"https://\1/", remote).removesuffix(".git")
    if web.startswith("https://") and any(host in web for host in ("github", "gitlab")):
        return remote, f"{web}/blob/{sha}/{path}"
    return remote, remote if "://" in remote else web


def _driver_path(definition: DagDefinition | None, dag: str) -> str:
    """The driver script (`path:line` without the line) or the definition file of a DAG."""
    if definition is not None and definition.source:
        return definition.source.rpartition(":")[0] or definition.source
    return dag


def repository_sources(handle: QueryHandle) -> Callable[[LineageChange], Source]:
    """Where each change's DAG code is: the repository (its remote, else its directory), the
    driver or definition file at that commit (read again from the commit's tree when the
    repository is on disk; else the DAG's name), and a branch and a tag at the commit."""
    repo = handle.repo
    if repo is None:
        row = next(r for r in handle.reader.repositories() if r.id == handle.repository_id)
        return lambda change: Source(
            *_web_url(None, row.path, change.commit.sha, change.dag), change.dag
        )
    remote, root = repo.remote_url(), str(repo.root)
    refs: dict[str, list[str]] = {}
    for ref, sha in repo.refs().items():
        refs.setdefault(sha, []).append(ref)
    sources = DagSources()

    def source_of(change: LineageChange) -> Source:
        sha = change.commit.sha
        try:
            definition = sources.definitions(repo.commit_tree(sha)).get(change.dag)
        except LineageHistoryError:
            definition = None
        path = _driver_path(definition, change.dag)
        at = refs.get(sha, [])
        branch = next(
            (r.removeprefix("refs/heads/") for r in at if r.startswith("refs/heads/")), None
        )
        tag = next((r.removeprefix("refs/tags/") for r in at if r.startswith("refs/tags/")), None)
        return Source(*_web_url(remote, root, sha, path), path, branch, tag)

    return source_of


def default_namespace(handle: QueryHandle) -> str:
    """The repository's remote URL, else its directory's name."""
    if handle.repo is not None:
        return handle.repo.remote_url() or handle.repo.main_worktree().name
    row = next(r for r in handle.reader.repositories() if r.id == handle.repository_id)
    return row.name


def to_json(event: event_v2.RunEvent) -> str:
    """One event as one line of JSON, as the client serializes it."""
    return Serde.to_json(event)


def send(events: Sequence[event_v2.RunEvent], *, to_file: Path | None, url: str | None) -> None:
    """Write the events as NDJSON to `to_file` (replacing it), or post each to the
    OpenLineage endpoint at `url` (Marquez's `/api/v1/lineage`), through the client's
    transports; one clear error when the endpoint refuses or cannot be reached."""
    if to_file is not None:
        to_file.write_text("")
        transport: Any = FileTransport(FileConfig(log_file_path=str(to_file), append=True))
    else:
        assert url is not None
        # The client's retries, but a refused connection (a wrong URL, more likely than a
        # passing outage) is given up after two tries, not five with back-off (9 s).
        retry = {**DEFAULT_RETRY_CONFIG, "connect": 2}
        transport = HttpTransport(HttpConfig(url=url, timeout=30.0, retry=retry))
    try:
        for event in events:
            transport.emit(event)
    except (OSError, RuntimeError, RequestException) as exc:
        where = to_file or url
        raise UserError(f"cannot send OpenLineage events to {where}: {first_line(exc)}") from None
    finally:
        transport.close()
