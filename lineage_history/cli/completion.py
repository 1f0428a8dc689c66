"""Shell completion of revisions, DAG names and node names, from the lineage database (and
the repository's refs). A completion never fails: whatever goes wrong completes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from lineage_history.queries.handle import QueryHandle


@contextlib.contextmanager
def _history(ctx: typer.Context) -> Iterator[QueryHandle]:
    from lineage_history.queries.handle import opened

    with opened(ctx.params.get("repo"), ctx.params.get("db")) as handle:
        yield handle


def _quietly(find: Callable[[typer.Context], list[str]]) -> Callable[..., list[str]]:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            return sorted(name for name in find(ctx) if name.startswith(incomplete))
        except Exception:
            return []

    return complete


def _short(ref: str) -> str:
    """`main` for `refs/heads/main`, `v1` for `refs/tags/v1`, `origin/x` for a remote's."""
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/"):
        if ref.startswith(prefix):
            return ref.removeprefix(prefix)
    return ref


@_quietly
def complete_revision(ctx: typer.Context) -> list[str]:
    """Branches and tags, as the repository has them, else as they were last indexed."""
    with _history(ctx) as handle:
        if handle.repo is not None:
            refs = list(handle.repo.refs())
        else:
            refs = handle.reader.ref_names(handle.repository_id)
        return [_short(ref) for ref in refs]


@_quietly
def complete_dag(ctx: typer.Context) -> list[str]:
    with _history(ctx) as handle:
        return handle.reader.dag_names(handle.repository_id)


@_quietly
def complete_node(ctx: typer.Context) -> list[str]:
    """The nodes at HEAD (or `--at`) of the DAG named, or of the only one."""
    with _history(ctx) as handle:
        dag = handle.pick_dag(ctx.params.get("dag"))
        commit = handle.resolve(ctx.params.get("at") or "HEAD")
        return list(handle.snapshot_at(commit, dag).nodes)
