"""`diff`: the lineage diff between two revisions."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from lineage_history.cli._common import DagOpt, DbOpt, RepoOpt, app, colour, echo_json


class DiffFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"


# -- diff -----------------------------------------------------------------------------------


@app.command("diff")
def diff_command(
    base: Annotated[
        str | None,
        typer.Argument(help="The older revision, or a range A...B (from the merge base) or A..B."),
    ] = None,
    head: Annotated[str | None, typer.Argument(help="The newer revision.")] = None,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code", help="Exit with 1 when the lineage differs, 0 when it does not."
        ),
    ] = False,
    staged: Annotated[
        bool, typer.Option("--staged", help="Compare with the index instead of the working tree.")
    ] = False,
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f")] = DiffFormat.table,
    repo: RepoOpt = None,
    db: DbOpt = None,
    dag: DagOpt = None,
) -> None:
    """The lineage diff: A B, A..B, A...B (from the merge base), or REV (default HEAD)
    against the working tree (--staged: the index), built on the fly and not stored."""
    from lineage_history import queries, render

    with queries.opened(repo, db) as handle:
        report = queries.diff_revisions(handle, base, head, dag, staged=staged)
    base, head = report.base_rev, report.head_rev
    mermaid, left_out = None, ()
    if output_format in (DiffFormat.markdown, DiffFormat.mermaid):
        from lineage_history.pictures import diff_mermaid

        mermaid, left_out = diff_mermaid(report)
    head_sha = report.head.sha if report.head is not None else None
    title = f"lineage diff {report.dag or '(no DAG)'}: {base} ({report.base.sha[:10]}) -> " + (
        f"{head} ({head_sha[:10]})" if head_sha else head
    )
    if output_format is DiffFormat.json:
        from lineage_history.contract import diff_json

        echo_json(
            diff_json(
                report.diff,
                report.dag,
                {"rev": base, "sha": report.base.sha},
                {"rev": head, "sha": head_sha},
            )
        )
    elif output_format is DiffFormat.markdown:
        picture = None if report.diff.is_empty else mermaid
        typer.echo(render.diff_to_markdown(report.diff, title, picture, left_out), nl=False)
    elif output_format is DiffFormat.mermaid:
        typer.echo(mermaid, nl=False)
    else:
        typer.echo(render.diff_to_table(report.diff, title, colour=colour()))
    if exit_code and not report.diff.is_empty:
        raise typer.Exit(1)
