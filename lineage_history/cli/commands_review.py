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
    format_option(("table", "json", "markdown")),
    REPO,
    DB,
    DAG,
)
def check_command(
    first: str | None,
    second: str | None,
    rules: str | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> int:
    """Lineage rules: every violation at REV, or only those that A B / A...B introduces.

    Exit 1 when there are violations, 0 when there are none, 2 for a broken rule file.
    """
    from lineage_history.definitions.rule_files import load_rules
    from lineage_history.output import markdown, tables
    from lineage_history.queries import handle, review

    with handle.opened(repo, db) as opened:
        rule_set = load_rules(opened.repo.root if opened.repo else None, rules)
        report = review.check(opened, rule_set, first, second, dag)
    head = f"{report.head_rev} ({report.head.sha[:10]})"
    if report.base is None:
        where = f"at {head}"
    else:
        where = f"{report.base_rev} ({report.base.sha[:10]}) → {head}"
    count = len(report.rules.rules)
    origin = f", {count} rules from {report.rules.source}" if report.rules.source else ""
    title = f"lineage check of {report.dag or '(no DAG)'}: {where}{origin}"
    change = report.base is not None
    if output_format == "json":
        from lineage_history.output.contract import check_json

        echo_json(check_json(report.violations))
    elif output_format == "markdown":
        echo(markdown.check_to_markdown(report.violations, title, count, change=change), nl=False)
    else:
        echo(tables.check_to_table(report.violations, title, count, change=change))
    return 1 if report.violations else 0
