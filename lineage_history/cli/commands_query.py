"""Questions to the history: `log`, `show`, `upstream`, `downstream`, `path`, `blame`, `viz`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage_history._text import plain, plural
from lineage_history.cli._common import DAG, DB, REPO, arg, command, echo, echo_json, output_format

if TYPE_CHECKING:
    from lineage_history.dag.model import Node, TagValue
    from lineage_history.store.records import StoredCommit

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


# -- text helpers -----------------------------------------------------------------------------


def _tag_text(value: TagValue) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _tags_text(node: Node) -> str:
    return ", ".join(f"{key}={_tag_text(value)}" for key, value in node.tags.items())


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as left-aligned columns; the last column is not padded."""
    if not rows:
        return []
    from lineage_history._text import display_width, ljust, plain

    shown = [[plain(cell) for cell in row] for row in rows]  # one line each, wide chars counted
    widths = [max(display_width(row[i]) for row in shown) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in shown:
        cells = [ljust(cell, width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def _where(rev: str, commit: StoredCommit) -> str:
    return f"{rev} ({commit.sha[:10]})"


def _day(commit: StoredCommit) -> str:
    from lineage_history.output.contract import iso_date

    return iso_date(commit.authored_at)[:10]


def _filters_text(tags: Sequence[Any]) -> str:
    return f" with {' and '.join(str(t) for t in tags)}" if tags else ""


# -- log --------------------------------------------------------------------------------------


def _print_reach(result: Any, output_format: str) -> None:
    if output_format == "json":
        from lineage_history.output.contract import reach_json

        echo_json(reach_json(result))
        return
    echo(f"when {result.source} reached {result.target}, from {_where(result.rev, result.head)}")
    if not result.entries:
        echo(f"{result.source} never started or stopped reaching {result.target} here")
    rows = [
        (e.commit.sha[:10], _day(e.commit), e.commit.author_name, e.change, e.commit.subject)
        for e in result.entries
    ]
    for line, entry in zip(_columns(rows), result.entries, strict=True):
        echo(line)
        echo(f"{'':12}{'+' if entry.change == 'started' else '-'} {' -> '.join(entry.path)}")


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
    from lineage_history.queries import handle, node_log, review

    if reach is not None:
        if rev is not None or follow:
            raise UserError("log --reach FROM TO takes one revision and no --follow")
        with handle.opened(repo, db) as handle:
            reached = review.reach_log(handle, *reach, node or "HEAD", dag)
        _print_reach(reached, output_format)
        return
    if node is None:
        raise UserError("log needs a NODE, or --reach FROM TO")
    rev = rev or "HEAD"
    with handle.opened(repo, db) as handle:
        result = node_log.log(handle, node, rev, dag, follow)
    if output_format == "json":
        from lineage_history.output.contract import log_json

        echo_json(log_json(result))
        return
    following = ", following renames" if follow else ""
    echo(f"log of {node} from {_where(rev, result.head)}{following}")
    if not result.entries:
        echo(f"no commit in this history added, changed or removed {node}")
    rows = []
    for entry in result.entries:
        change = entry.change if isinstance(entry.change, str) else ", ".join(entry.change)
        change += " (stubbed)" if entry.stubbed else ""
        rows.append(
            (
                entry.commit.sha[:10],
                _day(entry.commit),
                entry.commit.author_name,
                change,
                entry.commit.subject,
            )
        )
    width = len(rows[0][0]) + 2 if rows else 0
    for line, entry in zip(_columns(rows), result.entries, strict=True):
        echo(line)
        for detail in entry.details:
            echo(f"{'':{width}}{plain(detail)}")


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
    from lineage_history.queries import at_commit, handle

    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as handle:
        shown = at_commit.show(handle, rev, dag, filters, role)
    if output_format == "json":
        from lineage_history.output.contract import show_json

        echo_json(show_json(shown))
        return
    kind = f" {role}" if role else ""
    echo(
        f"{shown.dag or '(no DAG)'} at {_where(rev, shown.commit)}: "
        f"{plural(len(shown.nodes), kind.lstrip() + ' node' if kind else 'node')}"
        f"{_filters_text(filters)}"
    )
    if shown.stubbed:
        echo(f"built with stand-ins for: {', '.join(shown.stubbed)}")
    rows = [("NAME", "ROLE", "TYPE", "DEPENDENCIES", "TAGS")] + [
        (n.name, n.role, n.type, ", ".join(n.dependencies) or "-", _tags_text(n) or "-")
        for n in shown.nodes
    ]
    if shown.nodes:
        for line in _columns(rows):
            echo(line)


# -- upstream / downstream --------------------------------------------------------------------


def _print_related(result: Any, filters: Sequence[Any], output_format: str) -> None:
    if output_format == "json":
        from lineage_history.output.contract import related_json

        echo_json(related_json(result))
        return
    echo(
        f"{result.direction} of {result.node} at {_where(result.rev, result.commit)}: "
        f"{plural(len(result.nodes), 'node')}{_filters_text(filters)}"
    )
    rows = [("DIST", "NAME", "TYPE", "TAGS")] + [
        (str(d), n.name, n.type, _tags_text(n) or "-") for n, d in result.nodes
    ]
    if result.nodes:
        for line in _columns(rows):
            echo(line)


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
    from lineage_history.dag import selectors
    from lineage_history.queries import at_commit, handle

    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as handle:
        result = at_commit.upstream(handle, node, at, dag, filters)
    _print_related(result, filters, output_format)


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
    from lineage_history.dag import selectors
    from lineage_history.queries import at_commit, handle

    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as handle:
        result = at_commit.downstream(handle, node, at, dag, filters)
    _print_related(result, filters, output_format)


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
    from lineage_history.queries import at_commit, handle

    filters = selectors.parse_tag_filters(tags)
    with handle.opened(repo, db) as handle:
        result = at_commit.path(handle, source, target, at, dag, filters)
    if output_format == "json":
        from lineage_history.output.contract import path_json

        echo_json(path_json(result))
    elif not result.path_count:
        hint = f" (but {target} feeds {source}: try `path {target} {source}`)"
        echo(
            f"no path from {source} to {target} at {_where(at, result.commit)}"
            + (hint if result.reverse_exists else "")
        )
    else:
        echo(
            f"{plural(result.path_count, 'path')} from {source} to {target} "
            f"at {_where(at, result.commit)}"
        )
        if filters:
            echo(f"nodes on them{_filters_text(filters)}:")
            for node in result.nodes:
                echo(f"  {node.name}  {_tags_text(node)}")
        else:
            for trail in result.paths:
                echo("  " + " -> ".join(trail))
            if result.path_count > len(result.paths):
                echo(f"  ... and {result.path_count - len(result.paths)} more")
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
    from lineage_history.queries import handle, tag_blame

    wanted = selectors.TagFilter.parse(tag)
    with handle.opened(repo, db) as handle:
        result = tag_blame.blame(handle, wanted, rev, dag)
    if output_format == "json":
        from lineage_history.output.contract import blame_json

        echo_json(blame_json(result))
        return
    echo(f"blame {wanted} at {_where(rev, result.commit)}: {plural(len(result.lines), 'node')}")
    rows = [
        (
            line.node,
            f"{wanted.key}={_tag_text(line.value)}",
            line.commit.sha[:10],
            _day(line.commit),
            line.commit.author_name,
            line.commit.subject,
        )
        for line in result.lines
    ]
    for line in _columns(rows):
        echo(line)


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
    with handle.opened(repo, db) as handle:
        drawing = pictures.draw(handle, rev, output, dag, base, node, up, down)
    echo(f"wrote {drawing.path} ({plural(drawing.nodes, 'node')}, {plural(drawing.edges, 'edge')})")
