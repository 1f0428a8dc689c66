"""Questions to the history: `log`, `show`, `upstream`, `downstream`, `path`, `blame`, `viz`."""

from __future__ import annotations

from pathlib import Path

from lineage_history._text import plural
from lineage_history.cli._common import DAG, DB, REPO, arg, command, echo, echo_json, output_format

TAGS = arg(
    "--tag",
    "-t",
    dest="tags",
    action="append",
    metavar="KEY[=VALUE]",
    help="Keep nodes with this tag: KEY=VALUE, or KEY alone for any value. Repeat to AND.",
)
AT = arg("--at", default="HEAD", help="The revision to ask about (default: HEAD).")
FORMAT = output_format()


# -- log --------------------------------------------------------------------------------------


@command(
    "log",
    arg("node", nargs="?", help="The node whose history to show (with --reach: REV)."),
    arg("rev", nargs="?", help="Walk the history reachable from here (default: HEAD)."),
    arg("--follow", action="store_true", help="Continue through renames under the old name."),
    arg(
        "--reach",
        nargs=2,
        metavar=("FROM", "TO"),
        help="Instead: the commits where FROM started or stopped reaching TO.",
    ),
    FORMAT,
    REPO,
    DB,
    DAG,
)
def log_command(
    node: str | None,
    rev: str | None,
    follow: bool,
    reach: tuple[str, str] | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    """The commits, newest first, that added, changed or removed NODE, and what changed;
    or, with --reach FROM TO [REV], where FROM started or stopped reaching TO."""
    from lineage_history.errors import UserError
    from lineage_history.output import contract, tables
    from lineage_history.queries import handle, node_log, review

    if reach is not None:
        if rev is not None or follow:
            raise UserError("log --reach FROM TO takes one revision and no --follow")
        with handle.opened(repo, db) as opened:
            reached = review.reach_log(opened, *reach, node or "HEAD", dag)
        if output_format == "json":
            echo_json(contract.reach_json(reached))
        else:
            echo(tables.reach_text(reached))
        return
    if node is None:
        raise UserError("log needs a NODE, or --reach FROM TO")
    rev = rev or "HEAD"
    with handle.opened(repo, db) as opened:
        result = node_log.log(opened, node, rev, dag, follow)
    if output_format == "json":
        echo_json(contract.log_json(result))
    else:
        echo(tables.log_text(result, node, rev, follow=follow))


# -- show -------------------------------------------------------------------------------------


@command(
    "show",
    arg("rev", nargs="?", default="HEAD", help="The revision (default: HEAD)."),
    TAGS,
    arg("--role", choices=("input", "function"), help="Only inputs or functions."),
    FORMAT,
    REPO,
    DB,
    DAG,
)
def show_command(
    rev: str,
    tags: list[str] | None,
    role: str | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    """The nodes at REV with type, tags and dependencies, filtered by tags and role."""
    from lineage_history.dag import selectors
    from lineage_history.output import contract, tables
    from lineage_history.queries import at_commit, handle

    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as opened:
        shown = at_commit.show(opened, rev, dag, filters, role)
    if output_format == "json":
        echo_json(contract.show_json(shown))
    else:
        echo(tables.show_text(shown, rev, filters, role))


# -- upstream / downstream --------------------------------------------------------------------


def _related(
    direction: str,
    node: str,
    at: str,
    tags: list[str] | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    from lineage_history.dag import selectors
    from lineage_history.output import contract, tables
    from lineage_history.queries import at_commit, handle

    ask = at_commit.upstream if direction == "upstream" else at_commit.downstream
    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as opened:
        result = ask(opened, node, at, dag, filters)
    if output_format == "json":
        echo_json(contract.related_json(result))
    else:
        echo(tables.related_text(result, filters))


@command("upstream", arg("node", help="The node."), AT, TAGS, FORMAT, REPO, DB, DAG)
def upstream_command(
    node: str,
    at: str,
    tags: list[str] | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    """Every node NODE depends on, directly or not, nearest first."""
    _related("upstream", node, at, tags, output_format, repo, db, dag)


@command("downstream", arg("node", help="The node."), AT, TAGS, FORMAT, REPO, DB, DAG)
def downstream_command(
    node: str,
    at: str,
    tags: list[str] | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    """Every node that depends on NODE, directly or not, nearest first."""
    _related("downstream", node, at, tags, output_format, repo, db, dag)


# -- path -------------------------------------------------------------------------------------


@command(
    "path",
    arg("source", help="Where the data comes from."),
    arg("target", help="Where it goes."),
    AT,
    TAGS,
    FORMAT,
    REPO,
    DB,
    DAG,
)
def path_command(
    source: str,
    target: str,
    at: str,
    tags: list[str] | None,
    output_format: str,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> int:
    """How data flows from SOURCE to TARGET: the paths and the nodes on them (exit 1: none)."""
    from lineage_history.dag import selectors
    from lineage_history.output import contract, tables
    from lineage_history.queries import at_commit, handle

    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as opened:
        result = at_commit.path(opened, source, target, at, dag, filters)
    if output_format == "json":
        echo_json(contract.path_json(result))
    else:
        echo(tables.path_text(result, filters))
    return 0 if result.path_count else 1


# -- blame ------------------------------------------------------------------------------------


@command(
    "blame",
    arg("tag", help="KEY=VALUE, or KEY alone for its current value."),
    arg("rev", nargs="?", default="HEAD", help="The revision (default: HEAD)."),
    FORMAT,
    REPO,
    DB,
    DAG,
)
def blame_command(
    tag: str, rev: str, output_format: str, repo: str | None, db: str | None, dag: str | None
) -> None:
    """For each node carrying TAG at REV, the commit that put the tag (value) on it."""
    from lineage_history.dag import selectors
    from lineage_history.output import contract, tables
    from lineage_history.queries import handle, tag_blame

    wanted = selectors.TagFilter.parse(tag)
    with handle.opened(repo, db) as opened:
        result = tag_blame.blame(opened, wanted, rev, dag)
    if output_format == "json":
        echo_json(contract.blame_json(result))
    else:
        echo(tables.blame_text(result, wanted, rev))


# -- viz --------------------------------------------------------------------------------------


@command(
    "viz",
    arg("rev", help="The revision to draw, or a range A...B or A..B to draw its diff."),
    arg("--output", "-o", type=Path, required=True, help="The picture: .svg, .png, .dot or .mmd."),
    arg("--base", help="Draw the diff from this revision to REV (A...: from the merge base)."),
    arg("--node", help="Draw only this node and its lineage."),
    arg("--upstream", dest="up", action="store_true", help="With --node: its upstream."),
    arg("--downstream", dest="down", action="store_true", help="With --node: its downstream."),
    REPO,
    DB,
    DAG,
)
def viz_command(
    rev: str,
    output: Path,
    base: str | None,
    node: str | None,
    up: bool,
    down: bool,
    repo: str | None,
    db: str | None,
    dag: str | None,
) -> None:
    """Draw the DAG at REV, or the diff from --base to REV, styled and with a legend."""
    from lineage_history.errors import UserError
    from lineage_history.output import viz as pictures
    from lineage_history.queries import handle

    if (up or down) and node is None:
        raise UserError("--upstream and --downstream need --node")
    with handle.opened(repo, db) as opened:
        drawing = pictures.draw(opened, rev, output, dag, base, node, up, down)
    echo(f"wrote {drawing.path} ({plural(drawing.nodes, 'node')}, {plural(drawing.edges, 'edge')})")
