"""Runs one benchmark phase in a fresh process and measures it:

    python scripts/_bench_phase.py OUT_JSON CMDS_JSON

CMDS_JSON is a JSON list of commands (argument lists, or objects with `argv`, `cwd`, `stdout`
(a file path to write the command's stdout to) and `sample` (false: no RSS sampling, for
short commands)); they run one after the other,
each must succeed. OUT_JSON receives each command's wall-clock seconds (from just before
starting it to just after it exited), the largest resident set of any process of the phase
(`getrusage(RUSAGE_CHILDREN).ru_maxrss`, which covers every descendant that was waited for,
so build servers and their forked build children too), and the peak of the summed resident
sets of the whole process tree, sampled from /proc every 20 ms.

Being a fresh process is the point: RUSAGE_CHILDREN only ever grows, so each phase needs
its own parent to be measured on its own.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_stats() -> Iterator[tuple[int, bytes, list[bytes]]]:
    """(pid, command name, the fields after it) of every process in /proc/PID/stat."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        name = stat[stat.index(b"(") + 1 : stat.rindex(b")")]
        yield int(entry.name), name, stat[stat.rindex(b")") + 2 :].split()


def _tree_rss(root: int) -> int:
    """Summed RSS in bytes of `root` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for pid, _name, fields in proc_stats():
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.pid: int | None = None
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            if self.pid is not None:
                self.peak = max(self.peak, _tree_rss(self.pid))


def main() -> None:
    out, commands = sys.argv[1], json.loads(sys.argv[2])
    sampler = _Sampler()
    sampler.start()
    seconds = []
    for command in commands:
        if isinstance(command, list):
            command = {"argv": command}
        stdout = open(command["stdout"], "wb") if command.get("stdout") else subprocess.DEVNULL  # noqa: SIM115
        started = time.perf_counter()
        process = subprocess.Popen(
            command["argv"],
            cwd=command.get("cwd"),
            stdout=stdout,
            stderr=subprocess.PIPE,
            env={**os.environ, **command.get("env", {})},
        )
        # Read commands are timed without the sampler, whose walks of /proc every 20 ms would
        # take CPU from a process that runs for about 0.1 s.
        sampler.pid = process.pid if command.get("sample", True) else None
        _, stderr = process.communicate()
        seconds.append(time.perf_counter() - started)
        sampler.pid = None
        if stdout is not subprocess.DEVNULL:
            stdout.close()
        if process.returncode != 0:
            sys.stderr.write(stderr.decode("utf-8", "replace"))
            raise SystemExit(f"failed with status {process.returncode}: {command['argv']}")
        if command.get("stderr"):
            Path(command["stderr"]).write_bytes(stderr)
    sampler.stopped.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "max_rss_bytes": usage.ru_maxrss * 1024,
                "peak_tree_rss_bytes": sampler.peak,
                "user_seconds": usage.ru_utime,
                "system_seconds": usage.ru_stime,
            }
        )
    )


if __name__ == "__main__":
    main()
