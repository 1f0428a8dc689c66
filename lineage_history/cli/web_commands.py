"""The history as pages: `serve` (a local web server) and `report` (a static site)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lineage_history.cli.app import Db, Repo, app, echo
from lineage_history.cli.completion import complete_revision


@app.command(rich_help_panel="Ask")
def serve(
    host: Annotated[
        str, typer.Option(metavar="HOST", help="The address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="The port (0: any free one).")] = 8765,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the first page in a browser.")
    ] = False,
    repo: Repo = None,
    db: Db = None,
) -> None:
    """Browse the history in a web browser: timelines, graphs, diffs.

    A local server that only reads the database; it prints its URL and stops on Ctrl-C.
    """
    from lineage_history.web.server import serve as run

    run(repo, db, host, port, open_browser)


@app.command(rich_help_panel="Ask")
def report(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="DIR", help="The directory to write the site to."),
    ],
    rev: Annotated[
        str,
        typer.Argument(
            metavar="REV", help="The revision to draw.", autocompletion=complete_revision
        ),
    ] = "HEAD",
    base: Annotated[
        str | None,
        typer.Option(
            metavar="REV",
            help="Also the diff BASE...REV, and the timeline of those commits.",
            autocompletion=complete_revision,
            show_default=False,
        ),
    ] = None,
    repo: Repo = None,
    db: Db = None,
    dag: Annotated[
        list[str] | None,
        typer.Option("--dag", metavar="NAME", help="The DAG (repeat; default: every DAG)."),
    ] = None,
) -> None:
    """The views of `serve` as a static site, for CI to publish.

    The timeline, the graph at REV and the diff from --base, opening from the file system
    with no server and no network.
    """
    from lineage_history.queries import handle
    from lineage_history.web.report import write_report

    with handle.opened(repo, db) as opened:
        written = write_report(opened, output, rev, base, dag or [])
    echo(f"wrote {written} pages to {output}; open {output / 'index.html'}")
