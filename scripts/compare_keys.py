"""Indexes a real repository twice, with structure keys (the default) and with `--exact-keys`
(every commit whose DAG files changed is built), and checks that both store the same state at
every (commit, DAG): the same status and, where it was built, the same snapshot digest. The
digest covers every node (name, type, role, dependencies, tags, documentation, code
fingerprint, module, function) and the config, so equal digests are equal snapshots.

Prints each mode's wall time and summary line, the ratio, and every difference (at most 20).

    python scripts/compare_keys.py --repo ~/src/hamilton --all
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATES = """
SELECT c.sha, d.dag, d.status, s.digest
FROM commit_dags d
JOIN commits c ON c.id = d.commit_id
LEFT JOIN builds b ON b.id = d.build_id
LEFT JOIN snapshots s ON s.id = b.snapshot_id
"""


def index(repo: Path, db: Path, extra: list[str]) -> tuple[float, str]:
    """One cold `lineage-history index` of `repo` into `db`: its wall time and summary line."""
    command = [sys.executable, "-m", "lineage_history", "index", "--db", str(db), *extra]
    started = time.monotonic()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"index {' '.join(extra)} failed:\n{done.stderr}")
    return seconds, done.stdout.strip().splitlines()[-1]


def states(db: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(commit SHA, DAG) -> (status, snapshot digest) for every state of the database."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(STATES).fetchall()
    return {(sha, dag): (status, digest) for sha, dag, status, digest in rows}


def differences(structure: dict, exact: dict) -> list[str]:
    found = [f"only with structure keys: {pair}" for pair in structure.keys() - exact.keys()]
    found += [f"only with exact keys: {pair}" for pair in exact.keys() - structure.keys()]
    for pair in sorted(structure.keys() & exact.keys()):
        if structure[pair] != exact[pair]:
            found.append(f"{pair[0][:10]} {pair[1]}: {structure[pair]} != {exact[pair]}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="a clone to index (read only)")
    parser.add_argument("--workdir", type=Path, help="where the two databases go (kept)")
    parser.add_argument("revs", nargs="*", default=[], help="what to index (default: HEAD)")
    args, index_options = parser.parse_known_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="compare-keys-"))
    workdir.mkdir(parents=True, exist_ok=True)
    found = {}
    for mode, extra in (("structure", []), ("exact", ["--exact-keys"])):
        db = workdir / f"{mode}.sqlite"
        db.unlink(missing_ok=True)
        seconds, summary = index(args.repo, db, [*args.revs, *index_options, *extra])
        print(f"{mode:9} {seconds:7.1f} s  {summary}", flush=True)
        found[mode] = (seconds, states(db))
    (fast, structure), (slow, exact) = found["structure"], found["exact"]
    built = sum(1 for _, digest in structure.values() if digest is not None)
    print(f"states compared: {len(structure)} ({built} with a snapshot); ratio {slow / fast:.2f}x")
    problems = differences(structure, exact)
    for line in problems[:20]:
        print("  differs:", line)
    print("identical" if not problems else f"{len(problems)} states differ")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
