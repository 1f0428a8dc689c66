"""`check`: lineage rules at a revision, or what a change introduces."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from lineage_history.cli._common import DagOpt, DbOpt, RepoOpt, app, echo_json


class CheckFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command("check")
def check_command(
    first: Annotated[
        str | None,
        typer.Argument(help="The revision (default HEAD), the older of two, or a range A...B."),
    ] = None,
    second: Annotated[str | None, typer.Argument(help="The newer revision.")] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="A TOML file with [[rules]] (default: the working tree's "
            "lineage-history.toml, else pyproject.toml).",
        ),
    ] = None,
    output_format: Annotated[CheckFormat, typer.Option("--format", "-f")] = CheckFormat.table,
    repo: RepoOpt = None,
    db: DbOpt = None,
    dag: DagOpt = None,
) -> None:
    """Lineage rules: every violation at REV, or only those that A B / A...B introduces.

    Exit 1 when there are violations, 0 when there are none, 2 for a broken rule file.
    """
    from lineage_history import queries, render
    from lineage_history.queries import review

    with queries.opened(repo, db) as handle:
        report = review.check(handle, first, second, dag, rules)
    head = f"{report.head_rev} ({report.head.sha[:10]})"
    if report.base is None:
        where = f"at {head}"
    else:
        where = f"{report.base_rev} ({report.base.sha[:10]}) → {head}"
    count = len(report.rules.rules)
    origin = f", {count} rules from {report.rules.source}" if report.rules.source else ""
    title = f"lineage check of {report.dag or '(no DAG)'}: {where}{origin}"
    change = report.base is not None
    if output_format is CheckFormat.json:
        from lineage_history.contract import check_json

        echo_json(check_json(report.violations))
    elif output_format is CheckFormat.markdown:
        typer.echo(
            render.check_to_markdown(report.violations, title, count, change=change), nl=False
        )
    else:
        typer.echo(render.check_to_table(report.violations, title, count, change=change))
    if report.violations:
        raise typer.Exit(1)
