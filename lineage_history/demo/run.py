"""The `demo` command's run: build the demo repository, index it, and the diff from the first
pipeline to `main` with the commands to try next."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from lineage_history._text import plural
from lineage_history.demo.builder import build_demo_repo
from lineage_history.index.run import IndexOptions
from lineage_history.index.session import index_once, indexing
from lineage_history.output.diff_text import diff_to_table
from lineage_history.queries.diffs import diff_revisions
from lineage_history.queries.handle import opened

NEXT_STEPS = """\
  lineage-history status
  lineage-history diff demo/sex-pii~1 demo/sex-pii
  lineage-history diff demo/v1 main --format markdown
  lineage-history log family_count --follow
  lineage-history blame PII=true
  lineage-history downstream sex --tag artifact
  lineage-history upstream fit_random_forest --at demo/v1
  lineage-history viz main --base demo/v1 -o lineage-diff.mmd"""


def _path_hint() -> str:
    """An `export PATH=...` line when this `lineage-history` is not the one on PATH (a venv)."""
    executable = Path(sys.argv[0]).resolve()
    on_path = shutil.which("lineage-history")
    if executable.name != "lineage-history" or (on_path and Path(on_path).resolve() == executable):
        return ""
    return f"  export PATH={executable.parent}:$PATH\n"


def run_demo(
    directory: Path | None, jobs: int, notify: Callable[[str], None], *, colour: bool = False
) -> str:
    """Build, index and diff the demo repository (in `directory`, else a new temporary one);
    what to print: the diff and the commands to try next."""
    target = directory or Path(tempfile.mkdtemp(prefix="lineage-history-demo-")) / "titanic"
    notify(f"building the demo repository in {target} ...")
    shas = build_demo_repo(target)
    notify(f"{plural(len(shas), 'commit')} written; indexing ...")
    db_path = target / ".git" / "lineage-history.sqlite"
    with indexing(str(target), str(db_path)) as index:
        result = index_once(index, IndexOptions(all_refs=True, jobs=jobs), notify=notify)
    notify(f"{result.summary()}; the failure is the story's broken reference (demo/broken)")
    with opened(str(target), str(db_path)) as history:
        report = diff_revisions(history, "demo/v1", "main", None)
    table = diff_to_table(
        report.diff, "lineage diff: demo/v1 (the first pipeline) -> main", colour=colour
    )
    return (
        f"{table}\n\nThe demo repository is {target}; each story step is a tag (git tag -l).\n"
        f"Try, from there:\n{_path_hint()}  cd {target}\n{NEXT_STEPS}"
    )
