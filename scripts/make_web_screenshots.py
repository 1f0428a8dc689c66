"""The screenshots of docs/web.md, from the demo history in headless Chromium:

    python scripts/make_web_screenshots.py [--out docs/images]

Builds and indexes the demo repository in a scratch directory, starts `serve` on it, and
saves the timeline, the graph at `main` (a node selected) and the diff `demo/v1...main` (a
modified node selected) as PNG files. Needs Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SHOTS = [
    ("web-timeline.png", "?dag=titanic", None),
    ("web-graph.png", "dag/titanic/at/main", 'g.node[data-node="family_count"]'),
    ("web-diff.png", "dag/titanic/diff/demo/v1...main", 'g.node[data-node="training_set"]'),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/images")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    from lineage_history.demo.builder import build_demo_repo

    with tempfile.TemporaryDirectory() as scratch:
        repo, db = Path(scratch) / "titanic", Path(scratch) / "lineage.sqlite"
        build_demo_repo(repo)
        where = ["--repo", str(repo), "--db", str(db)]
        command = [sys.executable, "-m", "lineage_history"]
        subprocess.run([*command, "index", "--all", *where], check=True, capture_output=True)
        server = subprocess.Popen(
            [*command, "serve", "--port", "0", *where], stdout=subprocess.PIPE, text=True
        )
        assert server.stdout is not None
        url = server.stdout.readline().split()[1]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 760})
                for name, path, click in SHOTS:
                    page.goto(url + path)
                    if click:
                        page.wait_for_selector("body[data-graph-ready=true]")
                        page.click(click)
                    page.screenshot(path=str(out / name))
                    print(out / name)
                browser.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
