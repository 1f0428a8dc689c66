"""Commands that write the history: `index`, and `status` and `demo` around it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from lineage_history.cli.app import (
    BuildTimeout,
    Db,
    Format,
    MemoryLimit,
    Repo,
    app,
    colour,
    echo,
    echo_json,
    format_option,
    info,
)
from lineage_history.cli.completion import complete_revision
from lineage_history.defaults import DEFAULT_CLAIM_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT

CORES = os.cpu_count() or 1


@app.command(rich_help_panel="Index")
def index(
    revs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="REVS",
            help="Revisions whose history to index (default: HEAD and all local branches).",
            autocompletion=complete_revision,
            show_default=False,
        ),
    ] = None,
    all_refs: Annotated[bool, typer.Option("--all", help="Index every ref.")] = False,
    config: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="A DAG definition file that applies to every commit.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            envvar="LINEAGE_HISTORY_JOBS",
            show_envvar=False,
            help="Parallel builds (default: $LINEAGE_HISTORY_JOBS, else the number of cores).",
        ),
    ] = CORES,
    timeout: BuildTimeout = DEFAULT_TIMEOUT,
    memory: MemoryLimit = DEFAULT_MEMORY_MB,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Build the failed commits again.")
    ] = False,
    rebuild_stubbed: Annotated[
        bool,
        typer.Option(
            "--rebuild-stubbed",
            help="Build again the commits whose builds used stand-ins (after installing their "
            "missing packages).",
        ),
    ] = False,
    pass_env: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="An environment variable builds may see (repeatable).",
            show_default=False,
        ),
    ] = None,
    claim_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            min=1,
            help="Seconds after which a build claimed by an indexer that stopped refreshing it "
            "may be taken over.",
        ),
    ] = DEFAULT_CLAIM_TIMEOUT,
    exact_keys: Annotated[
        bool,
        typer.Option(
            "--exact-keys",
            help="Build every change to the files a DAG imports, even one that only edits "
            "function bodies (by default their snapshots are refreshed without a build).",
        ),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", help="Keep indexing every --interval seconds until SIGTERM or Ctrl-C."
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between --watch rounds.")
    ] = 60.0,
    fetch: Annotated[
        bool, typer.Option("--fetch", help="Run `git fetch --all` before each --watch round.")
    ] = False,
    workers: Annotated[
        str | None,
        typer.Option(
            "--workers",
            metavar="BROKER",
            help="Queue the builds on this Celery broker (redis://... or amqp://...) for "
            "`lineage-history worker` processes to build, and wait for them; needs a shared "
            "--db (PostgreSQL).",
            show_default=False,
        ),
    ] = None,
    repo: Repo = None,
    db: Db = None,
) -> int:
    """Index the DAG of every commit reachable from REVS.

    Incremental and idempotent: a run indexes only what is new, and two runs at once share
    the work. Safe to run from cron; --watch keeps running.
    """
    from lineage_history.cli.progress import progress_reporter, report_failures, report_stand_ins
    from lineage_history.definitions.toml_files import load_override
    from lineage_history.index import session
    from lineage_history.index.run import IndexOptions

    options = IndexOptions(
        revs=tuple(revs or ()),
        all_refs=all_refs,
        override=load_override(config) if config else None,
        jobs=jobs,
        timeout=timeout,
        memory_mb=memory,
        retry_failed=retry_failed,
        rebuild_stubbed=rebuild_stubbed,
        pass_env=tuple(pass_env or ()),
        claim_timeout=claim_timeout,
        exact_keys=exact_keys,
    )
    bind_workers = None
    if workers:  # Celery is imported on this path only
        from lineage_history.workers.service import connect

        db, bind_workers = connect(workers, db)
    with session.indexing(repo, db) as handle, contextlib.ExitStack() as stack:
        remote = bind_workers(handle.repo, info) if bind_workers else None
        if remote is not None:
            stack.callback(remote.close)
        if watch:
            session.watch(
                handle, options, interval, fetch=fetch, notify=info, log=echo, remote=remote
            )
            return 0
        if fetch:
            handle.repo.fetch()
        update, stop = progress_reporter()
        try:
            result = session.index_once(
                handle, options, progress=update, notify=info, remote=remote
            )
        finally:
            stop()
    report_stand_ins(result.stubbed, result.stand_ins)
    report_failures(result.failures)
    echo(result.summary())
    return 130 if result.interrupted else 0


@app.command(rich_help_panel="Index")
def status(
    output_format: Annotated[Format, format_option()] = Format.table,
    all_repos: Annotated[
        bool, typer.Option("--all-repos", help="Every repository in the database.")
    ] = False,
    repo: Repo = None,
    db: Db = None,
) -> None:
    """What is indexed: commits, snapshots, failures, the last run.

    Also how many commits of the refs are not indexed yet, and the failed builds.
    """
    from lineage_history.output import contract, tables
    from lineage_history.queries import handle, status

    if all_repos:
        statuses = status.all_repositories_status(db)
        if output_format == Format.json:
            echo_json(contract.all_statuses_json(statuses))
        else:
            echo(tables.all_statuses_text(statuses))
        return
    with handle.opened(repo, db) as opened:
        found = status.repository_status(opened)
    if output_format == Format.json:
        echo_json(contract.status_json(found))
    else:
        echo(tables.status_text(found))


@app.command(rich_help_panel="Index")
def demo(
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIRECTORY",
            help="Where to build the demo repository (default: a new temporary directory).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", metavar="N", min=1, help="Parallel builds.")
    ] = CORES,
) -> None:
    """Build a demo repository, index it and show a diff.

    The repository holds a scripted history of the example Titanic pipeline; each step is a
    tag, so every command can be tried on it.
    """
    from lineage_history.demo.run import run_demo

    echo(run_demo(directory, jobs, notify=info, colour=colour()))
