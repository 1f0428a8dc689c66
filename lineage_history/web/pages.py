"""Each page and each JSON answer as a function of one query handle: `serve` calls these per
request (the framework stays in `server.py`), `report` calls the page functions to write files.

A question's user error (an unknown revision, DAG or node) becomes `NotFound`; a commit whose
build failed becomes a page that shows the build error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from lineage_history.definitions.rule_files import review_settings
from lineage_history.errors import BuildFailedError, UserError
from lineage_history.output import contract
from lineage_history.queries import at_commit, diffs, node_log, status, timeline
from lineage_history.queries.handle import QueryHandle
from lineage_history.web.render import error_page, render
from lineage_history.web.views import (
    Links,
    dags_view,
    diff_view,
    graph_view,
    node_history_view,
    timeline_view,
)


class NotFound(Exception):
    """What the user asked for does not exist; the message says which, in one sentence."""


def _asked(ask: Callable[[], Any]) -> Any:
    try:
        return ask()
    except BuildFailedError:
        raise
    except UserError as error:
        raise NotFound(str(error)) from error


def split_dag_path(
    handle: QueryHandle, rest: str, kinds: Sequence[str]
) -> tuple[str, str, str] | None:
    """`(dag, kind, argument)` of `NAME/KIND/ARGUMENT`, where NAME (which may hold slashes,
    as a discovered DAG's does) is the shortest prefix that names an indexed DAG; None for a
    bare `NAME`."""
    parts = rest.split("/")
    candidates = [
        ("/".join(parts[:i]), parts[i], "/".join(parts[i + 1 :]))
        for i in range(1, len(parts) - 1)
        if parts[i] in kinds and any(parts[i + 1 :])
    ]
    for dag, kind, argument in candidates:
        if handle.reader.has_dag(handle.repository_id, dag):
            return dag, kind, argument
    if candidates:  # nothing before a marker is a DAG: say so of the first reading
        known_dag(handle, candidates[0][0])
    known_dag(handle, rest)
    return None


def known_dag(handle: QueryHandle, name: str) -> str:
    """`name`, when it is an indexed DAG; else NotFound with the known ones."""
    return _asked(lambda: handle.pick_dag(name))


def home_page(
    handle: QueryHandle,
    links: Links,
    dag: str | None,
    *,
    branch: str | None = None,
    changed_only: bool = False,
    page: int = 1,
    cache: timeline.CountsCache | None = None,
    summaries: dict[Any, Any] | None = None,
) -> str:
    """The DAGs, and the timeline of `dag` (the first DAG by default)."""
    dags = dags_view(handle, links, summaries)
    if dag is None and dags:
        dag = dags[0]["name"]
    found = None
    if dag is not None:
        found = _asked(
            lambda: timeline_view(
                handle,
                links,
                dag,
                branch=branch,
                changed_only=changed_only,
                page=page,
                cache=cache,
            )
        )
    pager = _pager(links, found, branch, changed_only) if found else None
    return render(
        "home.html",
        links,
        title=found["dag"] if found else "DAGs",
        dags=dags,
        timeline=found,
        branches=timeline.branches(handle),
        filters=not links.static,
        pager=pager,
    )


def _pager(
    links: Links, found: dict[str, Any], branch: str | None, changed_only: bool
) -> dict[str, str | None]:
    def page_link(number: int) -> str | None:
        if links.static or not 1 <= number <= found["pages"]:
            return None
        query = {"dag": found["dag"], "branch": branch or "", "page": number}
        if changed_only:
            query["changed"] = 1
        return links.prefix + "?" + urlencode(query)

    return {"prev": page_link(found["page"] - 1), "next": page_link(found["page"] + 1)}


def graph_page(
    handle: QueryHandle, links: Links, dag: str, rev: str, tags: Sequence[str] = ()
) -> str:
    try:
        view = _asked(lambda: graph_view(handle, links, dag, rev, tags))
    except BuildFailedError as failed:
        return render("failed.html", links, title="Build failed", message=str(failed))
    return render("graph.html", links, title=f"{view['dag']} at {rev}", view=view, filters=True)


def diff_page(handle: QueryHandle, links: Links, dag: str, spec: str) -> str:
    if ".." not in spec:
        raise NotFound(f"{spec!r} is not a range: use BASE...HEAD or BASE..HEAD")
    try:
        view = _asked(lambda: diff_view(handle, links, dag, spec))
    except BuildFailedError as failed:
        return render("failed.html", links, title="Build failed", message=str(failed))
    return render("diff.html", links, title=f"{view['dag']} {spec}", view=view)


def node_page(
    handle: QueryHandle, links: Links, dag: str, name: str, rev: str = "HEAD", follow: bool = False
) -> str:
    view = _asked(lambda: node_history_view(handle, links, dag, name, rev, follow))
    return render("node.html", links, title=name, view=view)


def not_found_page(links: Links, message: str) -> str:
    return error_page(links, message)


# -- the JSON of the command line's `--format json` ----------------------------------------


def show_json(handle: QueryHandle, dag: str, rev: str, tags: Sequence[str]) -> Any:
    from lineage_history.dag.selectors import parse_tag_filters

    filters = parse_tag_filters(list(tags))
    return contract.show_json(_asked(lambda: at_commit.show(handle, rev, dag, filters)))


def diff_json(handle: QueryHandle, dag: str, spec: str) -> Any:
    if ".." not in spec:
        raise NotFound(f"{spec!r} is not a range: use BASE...HEAD or BASE..HEAD")
    report = _asked(lambda: diffs.diff_revisions(handle, spec, None, dag))
    settings, _ = review_settings(handle.repo.root if handle.repo else None)
    return contract.diff_report_json(report, diffs.impact_of(report, settings.contract_tags))


def log_json(handle: QueryHandle, dag: str, name: str, rev: str, follow: bool) -> Any:
    return contract.log_json(_asked(lambda: node_log.log(handle, name, rev, dag, follow)))


def related_json(
    handle: QueryHandle, dag: str, name: str, at: str, tags: Sequence[str], up: bool
) -> Any:
    from lineage_history.dag.selectors import parse_tag_filters

    ask = at_commit.upstream if up else at_commit.downstream
    filters = parse_tag_filters(list(tags))
    return contract.related_json(_asked(lambda: ask(handle, name, at, dag, filters)))


def status_json(handle: QueryHandle) -> Any:
    return contract.status_json(status.repository_status(handle))


def dags_json(repo: str | None, db: str | None, rev: str) -> Any:
    """`dags` reads the DAG definitions from the repository's files."""
    from lineage_history.definitions.listing import dags_at

    if repo is None:
        raise NotFound(
            "the DAG definitions are read from the repository on disk, and this server was "
            "started without one (pass --repo)"
        )
    return contract.dags_json(_asked(lambda: dags_at(repo, db, rev, None)))
