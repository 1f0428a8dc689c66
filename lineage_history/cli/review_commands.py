"""Commands for reviewing a change: `diff`, `check`; and `dags` and `init`, which say where
the DAGs are."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lineage_history.cli.app import (
    CheckFormat,
    Dag,
    Db,
    DiffFormat,
    Format,
    Repo,
    app,
    colour,
    echo,
    echo_json,
    format_option,
    info,
)
from lineage_history.cli.completion import complete_revision
from lineage_history.dag.rules import RuleSet


def review_settings(root: Path | None) -> RuleSet:
    """The repository's review settings, saying on stderr when its rules file is unusable."""
    from lineage_history.definitions.rule_files import review_settings as read_settings

    settings, warning = read_settings(root)
    if warning is not None:
        info(f"lineage-history: warning: {warning}")
    return settings


def _revision(metavar: str, help_text: str) -> typer.models.ArgumentInfo:
    return typer.Argument(
        metavar=metavar, help=help_text, autocompletion=complete_revision, show_default=False
    )


@app.command(rich_help_panel="Review")
def diff(
    base: Annotated[
        str | None,
        _revision(
            "BASE",
            "The older revision, or a range A...B (from the merge base) or A..B; alone: against "
            "the working tree (default HEAD).",
        ),
    ] = None,
    head: Annotated[str | None, _revision("HEAD", "The newer revision.")] = None,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code", help="Exit with 1 when the lineage differs, 0 when it does not."
        ),
    ] = False,
    staged: Annotated[
        bool, typer.Option("--staged", help="Compare with the index instead of the working tree.")
    ] = False,
    output_format: Annotated[DiffFormat, format_option()] = DiffFormat.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> int:
    """The lineage diff of two revisions, or of the working tree.

    BASE HEAD, BASE..HEAD, or BASE...HEAD (from the merge base); with one revision (default
    HEAD), that revision against the working tree (--staged: the index), built on the fly
    and not stored.
    """
    from lineage_history.dag.impact import owners
    from lineage_history.output import contract, diff_text, markdown
    from lineage_history.queries import diffs, handle

    with handle.opened(repo, db) as opened:
        if diffs.is_live(base, head):
            from lineage_history.build.live import diff_live  # builds: imported only here

            report = diff_live(opened, base, dag, staged=staged)
        else:
            assert base is not None
            report = diffs.diff_revisions(opened, base, head, dag, staged=staged)
        settings = review_settings(opened.repo.root if opened.repo else None)
    impact = diffs.impact_of(report, settings.contract_tags)
    if output_format == DiffFormat.json:
        echo_json(contract.diff_report_json(report, impact))
    elif output_format == DiffFormat.table:
        title = diff_text.diff_title(report)
        echo(diff_text.diff_to_table(report.diff, title, colour=colour(), impact=impact))
    else:
        from lineage_history.output.viz import diff_mermaid

        mermaid, left_out = diff_mermaid(report)
        if output_format == DiffFormat.mermaid:
            echo(mermaid, nl=False)
        else:
            picture = None if report.diff.is_empty else mermaid
            asked = owners(impact, report.old, report.new, settings.owner_tag)
            body = markdown.diff_to_markdown(
                report.diff,
                diff_text.diff_title(report),
                picture,
                left_out,
                impact=impact,
                owners=asked,
            )
            echo(body, nl=False)
    return 1 if exit_code and not report.diff.is_empty else 0


@app.command(rich_help_panel="Review")
def check(
    first: Annotated[
        str | None,
        _revision("FIRST", "The revision (default HEAD), the older of two, or a range A...B."),
    ] = None,
    second: Annotated[str | None, _revision("SECOND", "The newer revision.")] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="A TOML file with [[rules]] (default: the working tree's lineage-history.toml, "
            "else pyproject.toml).",
            show_default=False,
        ),
    ] = None,
    staged: Annotated[
        bool,
        typer.Option(
            "--staged",
            help="Judge the index (what a pre-commit hook commits) instead of the working tree.",
        ),
    ] = False,
    output_format: Annotated[CheckFormat, format_option()] = CheckFormat.table,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> int:
    """Lineage rules: the violations a change brings, or all at REV.

    With no revision, what the working tree (--staged: the index) introduces against HEAD,
    as a pre-commit hook needs; with REV every violation there; with two (or A...B) only
    those the change introduces. Exit status 1 when there are violations, 0 when there are
    none, 2 for a broken rules file.
    """
    from lineage_history.definitions.rule_files import load_rules
    from lineage_history.output import contract, diff_text, markdown
    from lineage_history.queries import handle, review

    with handle.opened(repo, db) as opened:
        rule_set = load_rules(opened.repo.root if opened.repo else None, rules)
        if review.checks_live(first, second, staged, opened, rule_set):
            from lineage_history.build.live import live_sides  # builds: imported only here

            report = review.check_live(rule_set, live_sides(opened, None, dag, staged=staged))
        else:
            report = review.check(opened, rule_set, first, second, dag)
    title, count = diff_text.check_title(report), len(report.rules.rules)
    change = report.base is not None
    if output_format == CheckFormat.json:
        echo_json(contract.check_json(report.violations))
    elif output_format == CheckFormat.markdown:
        echo(markdown.check_to_markdown(report.violations, title, count, change=change), nl=False)
    else:
        echo(diff_text.check_to_table(report.violations, title, count, change=change))
    return 1 if report.violations else 0


@app.command(rich_help_panel="Review")
def export(
    first: Annotated[
        str | None,
        _revision("FIRST", "The commit to export (default HEAD), or the older end of a range."),
    ] = None,
    second: Annotated[
        str | None, _revision("SECOND", "The newer end: export the commits in FIRST..SECOND.")
    ] = None,
    openlineage: Annotated[
        bool, typer.Option("--openlineage", help="Export OpenLineage events (the only format).")
    ] = False,
    every_commit: Annotated[
        bool, typer.Option("--all", help="Every indexed commit: backfill a catalog.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write NDJSON here.", show_default=False
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Post each event to this OpenLineage endpoint (e.g. Marquez: "
            "http://localhost:5000; the path api/v1/lineage is added).",
            show_default=False,
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The jobs' namespace (default: the repository's remote URL, else its "
            "directory's name).",
            show_default=False,
        ),
    ] = None,
    repo: Repo = None,
    db: Db = None,
    dag: Dag = None,
) -> None:
    """Send the lineage history to a catalog as OpenLineage events.

    One event per DAG and commit that changed its lineage, with the commit's SHA as the
    source code version and the commit's date as the event time; run IDs are the same on
    every export, so a catalog can deduplicate. NDJSON on stdout unless -o or --url.
    """
    from lineage_history.errors import UserError
    from lineage_history.output import openlineage as ol
    from lineage_history.queries import handle, lineage_changes

    if not openlineage:
        raise UserError("export needs a format: --openlineage")
    if output is not None and url is not None:
        raise UserError("give -o FILE or --url URL, not both")
    with handle.opened(repo, db) as opened:
        changes = lineage_changes.lineage_changes(
            opened, first, second, every_commit=every_commit, dag=dag
        )
        settings = review_settings(opened.repo.root if opened.repo else None)
        events = ol.lineage_events(
            changes,
            namespace or ol.default_namespace(opened),
            ol.repository_sources(opened),
            settings.owner_tag,
        )
    if output is None and url is None:
        for event in events:
            echo(ol.to_json(event))
        return
    ol.send(events, to_file=output, url=url)
    where = output or url
    info(f"sent {len(events)} OpenLineage event{'s' if len(events) != 1 else ''} to {where}")


@app.command(rich_help_panel="Set up")
def dags(
    rev: Annotated[
        str,
        typer.Argument(
            metavar="REV", help="The revision to look at.", autocompletion=complete_revision
        ),
    ] = "HEAD",
    config: Annotated[
        str | None,
        typer.Option(
            help="A DAG definition file to list instead of the commit's own.", show_default=False
        ),
    ] = None,
    output_format: Annotated[Format, format_option()] = Format.table,
    repo: Repo = None,
    db: Db = None,
) -> None:
    """The DAGs at REV (defined or discovered) and their builds.

    Defined in lineage-history.toml or pyproject.toml, else discovered from driver code; each
    with its modules, config, where it was found and how its build went.
    """
    from lineage_history.definitions.listing import dags_at
    from lineage_history.output import contract, tables

    listings = dags_at(repo, db, rev, config)
    for warning in tables.dags_warnings(listings):
        info(warning)
    if output_format == Format.json:
        echo_json(contract.dags_json(listings))
    else:
        echo(tables.dags_text(listings, rev))


@app.command(rich_help_panel="Set up")
def init(
    rev: Annotated[
        str,
        typer.Argument(
            metavar="REV",
            help="The revision whose driver code to read.",
            autocompletion=complete_revision,
        ),
    ] = "HEAD",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing lineage-history.toml.")
    ] = False,
    repo: Repo = None,
) -> None:
    """Write the DAGs discovered at REV to lineage-history.toml.

    A start to curate: once the file exists, it replaces discovery.
    """
    from lineage_history.definitions.listing import write_config

    path, count = write_config(repo, rev, force=force)
    echo(f"wrote {count} DAG{'s' if count != 1 else ''} to {path}")
