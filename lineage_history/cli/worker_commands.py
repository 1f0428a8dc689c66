"""`worker`: build what `index --workers` queues, on any machine with a clone and the shared
database."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lineage_history.cli.app import BuildTimeout, Db, MemoryLimit, Repo, app, info
from lineage_history.defaults import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT


@app.command(rich_help_panel="Index")
def worker(
    broker: Annotated[
        str,
        typer.Option(
            metavar="URL",
            help="The Celery broker `index --workers` queues on (redis://... or amqp://...).",
            show_default=False,
        ),
    ],
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            metavar="N",
            min=1,
            help="Builds at a time (default: the number of cores).",
        ),
    ] = os.cpu_count() or 1,
    timeout: BuildTimeout = DEFAULT_TIMEOUT,
    memory: MemoryLimit = DEFAULT_MEMORY_MB,
    repo: Repo = None,
    db: Db = None,
) -> None:
    """Build the DAGs `index --workers` queues, until stopped.

    Run any number, on machines with a clone of the repository and access to the shared
    PostgreSQL database; each builds the jobs of the clone's repository until SIGTERM or
    Ctrl-C. A job whose commit the clone lacks is fetched first.
    """
    from lineage_history.workers.service import run_worker

    run_worker(
        broker,
        repo,
        db,
        concurrency=concurrency,
        timeout=timeout,
        memory_mb=memory,
        log=info,
    )
