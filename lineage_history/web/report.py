"""`report`: the views of `serve` written as a static site that opens from `file://` with no
server and no network. Each page embeds its data; the scripts and styles are copied beside.

Per DAG (those named, else with a base those whose lineage changed since it, else every DAG):
its timeline (the commits of `BASE..REV`, or the newest ones reachable from REV), the graph
at REV, the diff `BASE...REV`, and for each commit of the timeline that changed the lineage
its graph and its diff with its parent."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage_history.errors import BuildFailedError, UserError
from lineage_history.queries.handle import QueryHandle
from lineage_history.queries.timeline import CountsCache
from lineage_history.web import pages
from lineage_history.web.render import STATIC
from lineage_history.web.views import Links, dags_view, file_name, timeline_view

NEWEST = 30  # commits in a DAG's timeline without --base


@dataclass(frozen=True)
class _Page:
    path: str  # the view's path, as `serve` spells it
    make: Callable[[], str]


def write_report(
    handle: QueryHandle, out: Path, rev: str, base: str | None, dags: Sequence[str]
) -> int:
    """Write the site into `out` (created; an existing report there is replaced); the number
    of pages written."""
    head = handle.resolve(rev)
    if base is not None:
        handle.resolve(base)  # an unknown base fails before anything is written
    links = Links(static=True)
    names = list(dags) or [d["name"] for d in dags_view(handle, links)]
    for name in names:
        handle.pick_dag(name)
    cache: CountsCache = {}
    planned: list[_Page] = []
    for name in names:
        planned += _dag_pages(handle, links, name, head.sha, base, cache, bool(dags))
    links.pages = {file_name(page.path) for page in planned}
    out.mkdir(parents=True, exist_ok=True)
    static = out / "static"
    if static.exists():
        shutil.rmtree(static)
    shutil.copytree(STATIC, static)
    written: dict[str, str] = {}
    for page in planned:
        written[page.path] = page.make()
        (out / file_name(page.path)).write_text(written[page.path], encoding="utf-8")
    first = next((p.path for p in planned if p.path.endswith("/timeline")), None)
    index = written[first] if first else pages.home_page(handle, links, None)
    (out / "index.html").write_text(index, encoding="utf-8")
    return len(planned) + 1


def _dag_pages(
    handle: QueryHandle,
    links: Links,
    dag: str,
    head: str,
    base: str | None,
    cache: CountsCache,
    explicit: bool,
) -> list[_Page]:
    found = _timeline(handle, links, dag, head, base, cache)
    changed = [e for e in found["entries"] if e["changed"]]
    if base is not None and not changed and not explicit:
        return []  # nothing to review in this DAG
    if not found["entries"] and not _defined_at(handle, dag, head):
        return []
    made: list[_Page] = [
        _Page(Links.timeline_path(dag), _timeline_maker(handle, links, dag, head, base, cache)),
        _Page(Links.graph_path(dag, head), _graph_maker(handle, links, dag, head)),
    ]
    if base is not None:
        path = Links.diff_path(dag, base, head, "...")
        made.append(_Page(path, _diff_maker(handle, links, dag, f"{base}...{head}")))
    for entry in changed:  # an unchanged commit's graph is its parent's
        sha = entry["sha"]
        if entry["status"] == "ok" and sha != head:
            made.append(_Page(Links.graph_path(dag, sha), _graph_maker(handle, links, dag, sha)))
        if entry["base"] and entry["status"] != "failed":
            spec = f"{entry['base']}..{sha}"
            path = Links.diff_path(dag, entry["base"], sha)
            made.append(_Page(path, _diff_maker(handle, links, dag, spec)))
    return made


def _timeline(
    handle: QueryHandle, links: Links, dag: str, head: str, base: str | None, cache: CountsCache
) -> dict[str, Any]:
    """The DAG's timeline from `head` (down to `base`). Planning asks for it to choose the
    pages; each page then asks again once `links` knows which pages exist (the change counts
    come from `cache` the second time)."""
    return timeline_view(
        handle,
        links,
        dag,
        branch=head,
        since=base,
        per_page=NEWEST if base is None else 10_000,
        cache=cache,
    )


def _graph_maker(handle: QueryHandle, links: Links, dag: str, sha: str) -> Callable[[], str]:
    return lambda: pages.graph_page(handle, links, dag, sha)


def _diff_maker(handle: QueryHandle, links: Links, dag: str, spec: str) -> Callable[[], str]:
    return lambda: pages.diff_page(handle, links, dag, spec)


def _timeline_maker(
    handle: QueryHandle,
    links: Links,
    dag: str,
    head: str,
    base: str | None,
    cache: CountsCache,
) -> Callable[[], str]:
    return lambda: _timeline_page(handle, links, dag, head, base, cache)


def _timeline_page(
    handle: QueryHandle,
    links: Links,
    dag: str,
    head: str,
    base: str | None,
    cache: CountsCache,
) -> str:
    from lineage_history.web.render import render

    found = _timeline(handle, links, dag, head, base, cache)
    dags = [d for d in dags_view(handle, links) if d["href"]]
    rev = head[:10]
    highlights = [(f"the graph at {rev}", links.graph(dag, head))]
    if base is not None:
        highlights.insert(0, (f"the diff {base}...{rev}", links.diff(dag, base, head, "...")))
    return render(
        "home.html",
        links,
        title=dag,
        dags=dags,
        timeline=found,
        branches=[],
        filters=False,
        highlights=highlights,
    )


def _defined_at(handle: QueryHandle, dag: str, sha: str) -> bool:
    try:
        return bool(handle.snapshot_at(handle.resolve(sha), dag).nodes)
    except BuildFailedError:
        return True
    except UserError:
        return False
