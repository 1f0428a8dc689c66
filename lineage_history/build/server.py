"""The build server: a process that imports Hamilton and the pipelines' third-party packages
once, then forks one fresh, limited child per build request.

Protocol: one JSON request per line on stdin; one JSON reply per line on the file descriptor
that was stdout at start-up. Children never see that descriptor: their stdout and stderr go to
a log file, so user code that prints cannot corrupt the data channel.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from typing import Any

from lineage_history.build.interpreter import syntax_error_hint
from lineage_history.errors import describe_error

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# The build child running now: process-wide because the SIGTERM handler must kill it.
_current_child: int | None = None


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphan builds)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pipe closing still ends us
        pass


def _become_subreaper() -> None:
    """Orphans of a build (a daemon's double fork) become our children, not init's."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _children() -> list[int]:
    """Our child processes, from /proc (field 4 of /proc/PID/stat is the parent's pid)."""
    me, found = os.getpid(), []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry.name))
    return found


def _kill_descendants(rounds: int = 1000) -> None:
    """SIGKILL every process a build left behind. Killing one hands its own children to us
    (the subreaper), so repeat until none is left; reap them all."""
    if not os.path.isdir("/proc"):
        return
    for _ in range(rounds):
        children = _children()
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _kill_child(pid: int | None) -> None:
    """SIGKILL a build child's process group (the child and what it started in it)."""
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _on_term(signum: int, frame: Any) -> None:
    _kill_child(_current_child)
    os._exit(128 + signum)


def _preload(names: list[str], attempted: set[str]) -> None:
    for name in names:
        if name in attempted:
            continue
        attempted.add(name)
        try:
            importlib.import_module(name)
        except BaseException:
            pass


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _include_hint(exc: BaseException, workdir: str) -> str:
    """For a file missing from the build tree: the definition line that would add it."""
    if not isinstance(exc, FileNotFoundError) or not exc.filename:
        return ""
    path, root = os.path.realpath(os.fsdecode(exc.filename)), os.path.realpath(workdir)
    if not path.startswith(root + os.sep):
        return ""
    relative = os.path.relpath(path, root)
    return (
        f"; {relative} is not in the build, which holds only the modules' own files: "
        f'add `include = ["{relative}"]` to the DAG definition'
    )


def _run_child(request: dict[str, Any], protocol_fd: int) -> None:
    """In the forked child: isolate, limit, build, write the result file, exit."""
    os.setsid()
    die_with_parent()
    os.close(protocol_fd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log_fd = os.open(request["log_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    memory = int(request.get("memory_mb") or 0)
    if memory > 0:
        limit = memory * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.chdir(request["workdir"])
    try:
        from lineage_history.build.child import build_snapshot
        from lineage_history.build.standins.hooks import install_stand_ins

        stand_ins = install_stand_ins(request["workdir"], request.get("forced_stand_ins", ()))
        result: dict[str, Any] = {
            "ok": True,
            "snapshot": build_snapshot(request),
        }
        result["snapshot"]["stubbed"] = stand_ins.stubbed()
    except MemoryError:
        result = {"ok": False, "error": f"ran out of memory (limit {memory} MiB)"}
    except SystemExit as exc:
        result = {"ok": False, "error": f"a module called sys.exit({exc.code!r}) while loading"}
    except BaseException as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        user = [f for f in frames if f.filename.startswith(request["workdir"])]
        where = ""
        if user:
            rel = os.path.relpath(user[-1].filename, request["workdir"])
            where = f" ({rel}, line {user[-1].lineno})"
        text = describe_error(exc) + where + _include_hint(exc, request["workdir"])
        text += syntax_error_hint(exc, request.get("projects") or ())
        result = {"ok": False, "error": text}
    tmp_path = request["result_path"] + ".tmp"
    with open(tmp_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(tmp_path, request["result_path"])
    os._exit(0)


def _wait(pid: int, timeout: float) -> int | None:
    """Wait for the child; its wait status, or None when it ran past the timeout.

    On Linux this blocks on a pidfd, so the reply leaves the moment the child exits.
    """
    deadline = time.monotonic() + timeout
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if pidfd is not None:
                ready, _, _ = select.select([pidfd, sys.stdin], [], [], remaining)
                if sys.stdin in ready:  # the indexer writes nothing during a build: it is gone
                    _kill_child(pid)
                    _kill_descendants()
                    os._exit(0)
            else:
                time.sleep(min(0.005, remaining))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _outcome(request: dict[str, Any], status: int | None) -> dict[str, Any]:
    timeout = request["timeout"]
    if status is None:
        return {"ok": False, "error": f"timed out after {timeout:g} s"}
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        name = signal.Signals(signum).name
        hint = " (probably over the memory limit)" if signum == signal.SIGKILL else ""
        return {"ok": False, "error": f"crashed with signal {name}{hint}"}
    try:
        with open(request["result_path"], encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        code = os.WEXITSTATUS(status)
        tail = _tail(request["log_path"]).splitlines()
        last = f": {tail[-1][:300]}" if tail else ""
        return {"ok": False, "error": f"exited with status {code} before finishing{last}"}


def handle(request: dict[str, Any], protocol_fd: int, attempted: set[str]) -> dict[str, Any]:
    global _current_child
    _preload(request.get("preload", []), attempted)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _run_child(request, protocol_fd)
        finally:
            os._exit(70)
    _current_child = pid
    status = _wait(pid, float(request["timeout"]))
    if status is None:
        _kill_child(pid)
        os.waitpid(pid, 0)
    _kill_child(pid)  # whatever the child left behind in its process group
    _current_child = None
    _kill_descendants()  # and in other sessions (daemons), handed to us as the subreaper
    reply = _outcome(request, status)
    reply["id"] = request["id"]
    reply["seconds"] = round(time.monotonic() - started, 4)
    return reply


# What every build server imports before its first request (a zygote imports the same).
BASE_PRELOAD = (
    "hamilton.driver",
    "hamilton.graph_types",
    "hamilton.function_modifiers",
    "packaging",
    "lineage_history.build.child",
)


def preload_base() -> set[str]:
    """Import what every build needs; the names tried, so that a request does not retry them."""
    attempted: set[str] = set()
    _preload(list(BASE_PRELOAD), attempted)
    return attempted


def serve(attempted: set[str]) -> None:
    """Answer build requests from stdin until it closes; replies go where stdout was."""
    die_with_parent()
    _become_subreaper()
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the indexer decides when we stop
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    with os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1) as protocol:
        protocol.write(json.dumps({"ready": True}) + "\n")
        for line in sys.stdin:
            if not line.strip():
                continue
            reply = handle(json.loads(line), protocol.fileno(), attempted)
            protocol.write(json.dumps(reply) + "\n")


def main() -> None:
    die_with_parent()  # already while importing: the indexer may be stopped meanwhile
    serve(preload_base())


if __name__ == "__main__":
    main()
