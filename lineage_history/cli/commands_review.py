"""`check`: lineage rules at a revision, or what a change introduces."""

from __future__ import annotations

from lineage_history.cli._common import DAG, DB, REPO, arg, command, echo, echo_json
from lineage_history.cli._common import output_format as format_option


@command(
    "check",
    arg(
        "first",
        nargs="?",
        help="The revision (default HEAD), the older of two, or a range A...B.",
    ),
    arg("second", nargs="?", help="The newer revision."),
    arg(
        "--rules",
        help="A TOML file with [[rules]] (default: the working tree's lineage-history.toml, "
        "else pyproject.toml).",
    ),
    arg(
        "--staged",
        action="store_true",
        help="Judge the index (what a pre-commit hook commits) instead of the working tree.",
    ),
    format_option(("table", "json", "markdown")),
    REPO,
    DB,
    DAG,
)
def check_command(
    first: str | None,
    second: str | None,
    rules: str | None,
    staged: bool,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> int:
    """Lineage rules: with no revision, the violations the working tree (--staged: the
    index) introduces against HEAD, as a pre-commit hook needs; every violation at REV; or
    only those that A B / A...B introduces.

    Exit 1 when there are violations, 0 when there are none, 2 for a broken rule file.
    """
    from lineage_history.definitions.rule_files import load_rules
    from lineage_history.output import markdown, tables
    from lineage_history.queries import handle, review

    with handle.opened(repo, db) as opened:
        rule_set = load_rules(opened.repo.root if opened.repo else None, rules)
        if review.checks_live(first, second, staged, opened, rule_set):
            from lineage_history.build.live import live_sides  # builds: imported only here

            report = review.check_live(rule_set, live_sides(opened, None, dag, staged=staged))
        else:
            report = review.check(opened, rule_set, first, second, dag)
    count = len(report.rules.rules)
    title = tables.check_title(report)
    change = report.base is not None
    if output_format == "json":
        from lineage_history.output.contract import check_json

        echo_json(check_json(report.violations))
    elif output_format == "markdown":
        echo(markdown.check_to_markdown(report.violations, title, count, change=change), nl=False)
    else:
        echo(tables.check_to_table(report.violations, title, count, change=change))
    return 1 if report.violations else 0
