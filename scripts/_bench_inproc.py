"""Times lineage-history's query functions inside one Python process (for bench_service.py):

    python scripts/_bench_inproc.py OUT_JSON SPEC_JSON

SPEC_JSON: {"repo": PATH, "db": URL, "calls": N, "opens": M, "queries": [[LABEL, FUNCTION,
[ARGS...]], ...]} where FUNCTION is one of diff, log, show, upstream, downstream, blame and
ARGS are what the command line would take (diff: A B; log, upstream, downstream: NODE; show:
TAG; blame: TAG), all at HEAD.

OUT_JSON receives the seconds of the imports, of opening the database M times (what every
command does first: engine, schema check, repository lookup) and, per query, N timed calls
on one open context two ways: `cold` clears the store's snapshot cache before each call (so
every call reads its snapshots from the database, as a fresh command does) and `warm` keeps
it (what a long-running service would see after the first call).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

started = time.perf_counter()
from lineage_history.dag import selectors  # noqa: E402
from lineage_history.queries import at_commit, diffs, handle, node_log, tag_blame  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - started


def call(function: str, args: list[str]) -> Callable[[handle.QueryHandle], Any]:
    if function == "diff":
        return lambda c: diffs.diff_revisions(c, args[0], args[1], None)
    if function == "log":
        return lambda c: node_log.log(c, args[0], "HEAD")
    if function == "show":
        filters = selectors.parse_tag_filters(args)
        return lambda c: at_commit.show(c, "HEAD", None, filters)
    if function == "upstream":
        return lambda c: at_commit.upstream(c, args[0], "HEAD")
    if function == "downstream":
        return lambda c: at_commit.downstream(c, args[0], "HEAD")
    if function == "blame":
        wanted = selectors.TagFilter.parse(args[0])
        return lambda c: tag_blame.blame(c, wanted, "HEAD")
    raise SystemExit(f"unknown function {function!r}")


def timed(action: Callable[[], Any]) -> float:
    begin = time.perf_counter()
    action()
    return time.perf_counter() - begin


def main() -> None:
    out, spec = sys.argv[1], json.loads(sys.argv[2])
    repo, db, calls = spec["repo"], spec["db"], spec["calls"]
    opens = []
    for _ in range(spec["opens"]):
        begin = time.perf_counter()
        handle.open_for_query(repo, db).close()
        opens.append(time.perf_counter() - begin)
    results: dict[str, Any] = {}
    context = handle.open_for_query(repo, db)
    try:
        for label, function, args in spec["queries"]:
            run = call(function, args)
            run(context)  # once untimed: connection pool, statement caches
            gc.collect()
            cold = []
            for _ in range(calls):
                context.reader.clear_cache()
                cold.append(timed(lambda run=run: run(context)))
            warm = [timed(lambda run=run: run(context)) for _ in range(calls)]
            results[label] = {"cold": cold, "warm": warm}
    finally:
        context.close()
    Path(out).write_text(
        json.dumps({"import_seconds": IMPORT_SECONDS, "open_seconds": opens, "queries": results})
    )


if __name__ == "__main__":
    main()
