"""The lineage review of a pull request, for CI: index base and head, build the comment body
(`diff BASE...HEAD` and `check BASE...HEAD`, both as Markdown) and the job's exit status.

    python lineage_review.py cache-key [--base SHA]    # the CI cache key (or its prefix)
    python lineage_review.py db-path [--cache-dir DIR] # the database file in the cache
    python lineage_review.py review --base SHA --head SHA [--cache-dir DIR | --db FILE]
        [--rules FILE] [--dag NAME]... [--output FILE] [--no-index]
        [--report DIR [--report-url URL]]
    ... | python lineage_review.py find-comment         # the id of our earlier comment

`review` exits 0 (nothing new is wrong), 1 (the change introduces rule violations) or 2 (the
review itself failed: a broken build, rule file or revision; the body says what). Posting the
body is the platform's job: see post_comment.sh. Needs only the standard library and an
installed lineage-history.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "<!-- lineage-history-review -->"
MAX_BODY = 60_000  # GitHub refuses comments over 65,536 characters
_KEY_PREFIX = "lineage-history"


def schema_name() -> str:
    """`<lineage-history version>-<database schema revision>`: what a cached database fits."""
    from importlib.metadata import version

    from lineage_history.store.records import HEAD_REVISION

    return f"{version('lineage-history')}-{HEAD_REVISION}"


def cache_key(base: str | None) -> str:
    """The cache key for a review whose base is `base`; without it, the prefix of all keys."""
    prefix = f"{_KEY_PREFIX}-{schema_name()}-"
    return prefix + base if base else prefix


@dataclass(frozen=True)
class Step:
    """One run of the lineage-history command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit status {self.returncode}"


def lineage_history(*args: str) -> Step:
    done = subprocess.run(
        [sys.executable, "-m", "lineage_history", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return Step(args, done.returncode, done.stdout, done.stderr)


def _failed(what: str, step: Step) -> str:
    command = " ".join(("lineage-history", *step.args[:2]))
    error = step.error.replace("`", "'")
    return f"**{what} failed** (`{command}`, exit {step.returncode}):\n\n```\n{error}\n```\n"


@dataclass(frozen=True)
class Review:
    body: str
    status: int  # 0 fine, 1 new violations, 2 the review failed


def _review_dag(
    span: str, dag: str | None, common: Sequence[str], rules: Sequence[str]
) -> tuple[list[str], int]:
    """The diff and check sections of one DAG, and their status."""
    which = ("--dag", dag) if dag else ()
    of = f" of {dag}" if dag else ""
    sections: list[str] = []
    status = 0
    diffed = lineage_history("diff", span, "--format", "markdown", *which, *common)
    if diffed.returncode == 0:
        sections.append(diffed.stdout)
    else:
        sections.append(_failed(f"The lineage diff{of}", diffed))
        status = 2
    checked = lineage_history("check", span, "--format", "markdown", *which, *rules, *common)
    if checked.returncode in (0, 1):
        sections.append(checked.stdout)
        status = max(status, checked.returncode)
    else:
        sections.append(_failed(f"The lineage check{of}", checked))
        status = 2
    return sections, status


def review(
    base: str,
    head: str,
    *,
    repo: str,
    db: str,
    rules: str | None = None,
    dags: Sequence[str] = (),
    index: bool = True,
    report: str | None = None,
    report_url: str | None = None,
) -> Review:
    """Index (when asked), diff and check `base...head`; the comment body and exit status."""
    common = ("--repo", repo, "--db", db)
    sections = [MARKER, f"## Lineage review: `{base[:10]}...{head[:10]}`", ""]
    if index:
        indexed = lineage_history("index", base, head, *common)
        if indexed.returncode != 0:
            sections.append(_failed("Indexing", indexed))
            return Review(_finish(sections), 2)
    status = 0
    rules_args = ("--rules", rules) if rules else ()
    for dag in dags or (None,):
        found, dag_status = _review_dag(f"{base}...{head}", dag, common, rules_args)
        sections += found
        status = max(status, dag_status)
    if report is not None:
        sections += _report(base, head, report, report_url, common, dags)
    return Review(_finish(sections), status)


def _report(
    base: str,
    head: str,
    out: str,
    url: str | None,
    common: Sequence[str],
    dags: Sequence[str],
) -> list[str]:
    """`lineage-history report` of the change (the CI job publishes the directory); a line
    that links to it. A report that fails is said in the body, never the job's verdict."""
    dag_args = [arg for dag in dags for arg in ("--dag", dag)]
    made = lineage_history("report", "-o", out, head, "--base", base, *common, *dag_args)
    if made.returncode != 0:
        return [_failed("The interactive report", made)]
    where = f"[the interactive lineage report]({url})" if url else f"`{out}/index.html`"
    return [f"Timeline, graphs and diff to click through: {where} (a static site).", ""]


def _finish(sections: list[str]) -> str:
    footer = "<sub>posted by lineage-history; this comment is updated on every push</sub>\n"
    body = "\n".join(sections).rstrip("\n") + "\n\n" + footer
    if len(body) > MAX_BODY:
        cut = body[: MAX_BODY - 200].rsplit("\n", 1)[0]
        cut += "\n```" if cut.count("```") % 2 else ""  # close a cut code block
        body = f"{cut}\n\n*(cut at {MAX_BODY} characters: run the review locally)*\n\n{footer}"
    return body


def _json_values(text: str) -> Iterator[Any]:
    """Every JSON value in `text`: one array, JSON lines, or arrays one after another (as
    `gh api --paginate` prints them)."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        value, position = decoder.raw_decode(text, position)
        yield from value if isinstance(value, list) else [value]


def find_comment(text: str) -> str | None:
    """The id of the first comment (GitHub) or note (GitLab) whose body carries our marker."""
    for comment in _json_values(text):
        if isinstance(comment, dict) and MARKER in str(comment.get("body") or ""):
            return str(comment["id"])
    return None


def _db_in(cache_dir: str) -> str:
    """The database file for this schema in the cache directory; stale ones are removed."""
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    current = directory / f"{cache_key(None).rstrip('-')}.sqlite"
    for stale in directory.glob(f"{_KEY_PREFIX}-*.sqlite*"):
        if not stale.name.startswith(current.name):
            stale.unlink()
    return str(current)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("cache-key", help="print the CI cache key")
    key.add_argument("--base", help="the base commit (without it: the key prefix)")
    path = commands.add_parser("db-path", help="print the database file in the cache directory")
    path.add_argument("--cache-dir", default=".lineage-history", help="default: %(default)s")
    run = commands.add_parser("review", help="build the comment body; exit 0, 1 or 2")
    run.add_argument("--base", required=True)
    run.add_argument("--head", required=True)
    run.add_argument("--repo", default=".")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--db", help="the lineage database (a file or URL)")
    where.add_argument("--cache-dir", default=".lineage-history", help="default: %(default)s")
    run.add_argument("--rules", help="a rules file (default: the working tree's)")
    run.add_argument("--dag", action="append", default=[], help="repeat for several DAGs")
    run.add_argument("--output", help="write the body here (default: stdout)")
    run.add_argument("--no-index", action="store_true", help="the database is already indexed")
    run.add_argument("--report", metavar="DIR", help="also write the static report here")
    run.add_argument("--report-url", metavar="URL", help="where CI publishes that report")
    commands.add_parser("find-comment", help="read comments as JSON on stdin, print our id")
    args = parser.parse_args(argv)
    if args.command == "cache-key":
        print(cache_key(args.base))
        return 0
    if args.command == "db-path":
        print(_db_in(args.cache_dir))
        return 0
    if args.command == "find-comment":
        found = find_comment(sys.stdin.read())
        if found:
            print(found)
        return 0
    db = args.db or _db_in(args.cache_dir)
    result = review(
        args.base, args.head, repo=args.repo, db=db, rules=args.rules, dags=args.dag,
        index=not args.no_index, report=args.report, report_url=args.report_url,
    )  # fmt: skip
    if args.output:
        Path(args.output).write_text(result.body, encoding="utf-8")
    else:
        sys.stdout.write(result.body)
    verdict = {0: "no new violations", 1: "new lineage rule violations", 2: "the review failed"}
    print(f"lineage review: {verdict[result.status]}", file=sys.stderr)
    return result.status


if __name__ == "__main__":
    sys.exit(main())
