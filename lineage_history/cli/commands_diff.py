"""`diff`: the lineage diff between two revisions."""

from __future__ import annotations

from lineage_history.cli._common import DAG, DB, REPO, arg, colour, command, echo, echo_json
from lineage_history.cli._common import output_format as format_option


@command(
    "diff",
    arg(
        "base",
        nargs="?",
        help="The older revision, or a range A...B (from the merge base) or A..B; alone: "
        "against the working tree (default HEAD).",
    ),
    arg("head", nargs="?", help="The newer revision."),
    arg(
        "--exit-code",
        action="store_true",
        help="Exit with 1 when the lineage differs, 0 when it does not.",
    ),
    arg(
        "--staged", action="store_true", help="Compare with the index instead of the working tree."
    ),
    format_option(("table", "json", "markdown", "mermaid")),
    REPO,
    DB,
    DAG,
)
def diff_command(
    base: str | None,
    head: str | None,
    exit_code: bool,
    staged: bool,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> int:
    """The lineage diff: A B, A..B, A...B (from the merge base), or REV (default HEAD)
    against the working tree (--staged: the index), built on the fly and not stored."""
    from lineage_history.output import markdown, tables
    from lineage_history.queries import diffs, handle

    with handle.opened(repo, db) as opened:
        if diffs.is_live(base, head):
            from lineage_history.build.live import diff_live  # builds: imported only here

            report = diff_live(opened, base, dag, staged=staged)
        else:
            assert base is not None
            report = diffs.diff_revisions(opened, base, head, dag, staged=staged)
    base, head = report.base_rev, report.head_rev
    mermaid, left_out = "", tuple[str, ...]()
    if output_format in ("markdown", "mermaid"):
        from lineage_history.output.viz import diff_mermaid

        mermaid, left_out = diff_mermaid(report)
    head_sha = report.head.sha if report.head is not None else None
    title = f"lineage diff {report.dag or '(no DAG)'}: {base} ({report.base.sha[:10]}) -> " + (
        f"{head} ({head_sha[:10]})" if head_sha else head
    )
    if output_format == "json":
        from lineage_history.output.contract import diff_json

        echo_json(
            diff_json(
                report.diff,
                report.dag,
                {"rev": base, "sha": report.base.sha},
                {"rev": head, "sha": head_sha},
            )
        )
    elif output_format == "markdown":
        picture = None if report.diff.is_empty else mermaid
        echo(markdown.diff_to_markdown(report.diff, title, picture, left_out), nl=False)
    elif output_format == "mermaid":
        echo(mermaid, nl=False)
    else:
        echo(tables.diff_to_table(report.diff, title, colour=colour()))
    return 1 if exit_code and not report.diff.is_empty else 0
