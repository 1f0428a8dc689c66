"""Build the lineage-history demo repository: `python scripts/make_demo_repo.py DIR`.

Prints each story tag with its commit SHA. DIR must be missing or empty.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lineage_history.demo.builder import build_demo_repo
from lineage_history.errors import LineageHistoryError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="directory to create the repository in")
    args = parser.parse_args(argv)
    try:
        shas = build_demo_repo(args.dest)
    except LineageHistoryError as error:
        print(f"error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 1)
    width = max(len(tag) for tag in shas)
    for tag, sha in shas.items():
        print(f"{tag:<{width}}  {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
