"""Regenerate docs/demo-diff.svg: the lineage diff demo/v1 -> main of a fresh demo repository.

    python scripts/make_readme_svg.py [--output docs/demo-diff.svg]

Builds and indexes the demo repository in a temporary directory (`lineage-history demo`),
then draws it with `lineage-history viz main --base demo/v1`. Needs graphviz's `dot`.
The demo's commits are reproducible, so the picture only changes with the story or the style.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lineage_history(*args: str) -> None:
    """Run the real command line; stop with its message when it fails."""
    proc = subprocess.run(
        [sys.executable, "-m", "lineage_history", *args], capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(proc.stderr.strip() or f"lineage-history {args[0]} failed ({proc.returncode})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "demo-diff.svg")
    options = parser.parse_args(argv)
    output = options.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lineage-history-readme-") as scratch:
        repo = Path(scratch) / "titanic"
        lineage_history("demo", str(repo))
        lineage_history("viz", "main", "--base", "demo/v1", "-o", str(output), "--repo", str(repo))
    print(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


if __name__ == "__main__":
    main()
