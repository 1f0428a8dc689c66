"""How fast `serve` starts and answers, on an indexed history, against the command line:

    python scripts/bench_web.py --repo /tmp/hamilton-web --db /tmp/hamilton-web.sqlite \\
        [--dag NAME] [--repeat 5]

Starts the real `serve` (port 0) in a child process and times: its start (until it prints
its URL), then, two seconds later, each page cold (its first request) and warm (the median
of the next ones): the
home page, a DAG's timeline (first page, a later page, "changed the lineage" only, one
branch), the graph at HEAD, a diff over the last 50 commits, a node's history, and the same
questions' JSON. The baseline, in the same run: the equivalent command (`show`, `diff`, `log`,
`status` with `--format json`), each a fresh process as a person runs it. The DAG defaults to
the one defined at the most commits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote


def start(repo: str, db: str) -> tuple[subprocess.Popen[str], str, float]:
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_HISTORY_DB"}
    started = time.monotonic()
    where = ["--repo", repo, "--db", db]
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_history", "serve", "--port", "0", *where],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("serving "):
        process.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return process, line.split()[1], time.monotonic() - started


def fetch(url: str) -> tuple[float, int]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=120) as answer:
        size = len(answer.read())
    return time.monotonic() - started, size


def cli(repo: str, db: str, *args: str) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lineage_history", *args, "--repo", repo, "--db", db],
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args}: {done.stderr}")
    return time.monotonic() - started


def busiest_dag(db: str) -> str:
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT dag FROM commit_dags WHERE dag <> '' GROUP BY dag ORDER BY count(*) DESC"
        ).fetchone()
    return row[0]


def a_node(url: str, dag: str) -> str:
    with urllib.request.urlopen(f"{url}api/dag/{quote(dag)}/show/HEAD") as answer:
        nodes = json.loads(answer.read())["nodes"]
    return max(nodes, key=lambda n: len(n["dependencies"]))["name"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--dag")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    repo, db = options.repo, options.db
    dag = options.dag or busiest_dag(db)
    process, url, start_seconds = start(repo, db)
    time.sleep(2)  # as a person would take to open the URL: the first page is made meanwhile
    try:
        node = a_node(url, dag)
        d = quote(dag)
        pages = {
            "home (first DAG)": "",
            "timeline": f"?dag={d}",
            "timeline, page 20": f"?dag={d}&page=20",
            "timeline, changed only": f"?dag={d}&changed=1",
            "timeline, branch main": f"?dag={d}&branch=main",
            "graph at HEAD": f"dag/{d}/at/HEAD",
            "diff HEAD~50..HEAD": f"dag/{d}/diff/HEAD~50..HEAD",
            f"node history ({node})": f"dag/{d}/node/{node}",
            "JSON show HEAD": f"api/dag/{d}/show/HEAD",
            "JSON diff HEAD~50..HEAD": f"api/dag/{d}/diff/HEAD~50..HEAD",
            "JSON status": "api/status",
        }
        print(f"serve {repo} ({dag}): started in {start_seconds:.2f} s\n")
        print(f"{'page':42} {'cold s':>8} {'warm s':>8} {'bytes':>9}")
        for name, path in pages.items():
            cold, size = fetch(url + path)
            warm = statistics.median(fetch(url + path)[0] for _ in range(options.repeat))
            print(f"{name:42} {cold:8.3f} {warm:8.3f} {size:9d}")
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=30)
    print(f"\nserve stopped on SIGTERM with status {status}\n")
    baseline = {
        "show HEAD --format json": ("show", "HEAD", "--dag", dag, "--format", "json"),
        "diff HEAD~50..HEAD --format json": (
            "diff",
            "HEAD~50..HEAD",
            "--dag",
            dag,
            "--format",
            "json",
        ),
        f"log {node} --format json": ("log", node, "--dag", dag, "--format", "json"),
        "status --format json": ("status", "--format", "json"),
    }
    print(f"{'the command line (a fresh process each)':42} {'s':>8}")
    for name, args in baseline.items():
        print(f"{name:42} {min(cli(repo, db, *args) for _ in range(3)):8.3f}")


if __name__ == "__main__":
    main()
