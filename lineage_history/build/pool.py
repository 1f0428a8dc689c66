"""Parent side of extraction: a pool of build servers (`_zygote`) fed from indexer threads.

Each server runs with a scrubbed environment and forks a fresh child per build, so a
commit's modules never leak into another build and a crash of user code is just a failure.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage_history.build.forked import ForkedProcess, forked_server
from lineage_history.dag.model import Snapshot
from lineage_history.defaults import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT

# The directory holding the `lineage_history` package: the build server imports it from there.
_INSTALLED_AT = Path(__file__).resolve().parents[2]

# The error of a build stopped by `close()`: not a failure of the commit, never recorded.
INTERRUPTED = "interrupted"

# Variables a build may see; everything else (database URLs, tokens, cloud credentials) is
# withheld. `--pass-env NAME` adds more.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")
FIXED_ENV = {
    "HAMILTON_TELEMETRY_ENABLED": "false",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class BuildRequest:
    files: tuple[tuple[str, bytes], ...]  # (path from the repository root, content)
    modules: tuple[tuple[str, str], ...]  # (path, dotted name to import it by)
    config: dict[str, Any]
    search: tuple[str, ...] = ("",)  # directories put first on sys.path, from the root
    local_names: tuple[str, ...] = ()  # top-level names that must come from the tree
    config_types: tuple[tuple[str, str], ...] = ()
    builder_options: dict[str, bool] = field(default_factory=dict)
    preload: tuple[str, ...] = ()
    forced_stand_ins: tuple[str, ...] = ()  # packages to stand in for even when installed
    projects: tuple[dict[str, Any], ...] = ()  # the commit's own project declarations


@dataclass(frozen=True)
class BuildOutcome:
    snapshot: Snapshot | None
    error: str | None
    seconds: float
    recipe: dict[str, Any] | None = None  # how the child fingerprinted (see `build.refresh`)


def build_environment(extra: Iterable[str] = ()) -> dict[str, str]:
    env = {name: os.environ[name] for name in (*PASSED_ENV, *extra) if name in os.environ}
    env.update(FIXED_ENV)
    env["PYTHONPATH"] = str(_INSTALLED_AT)
    return env


class _Server:
    """One build server process and its two pipes."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self._counter = 0
        forked = forked_server(env, cwd)
        if forked is not None:
            self.process: subprocess.Popen[str] | ForkedProcess = forked
            if self._read() is not None:
                return
            self.stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lineage_history.build.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            text=True,
            bufsize=1,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the indexer only
        )
        if self._read() is None:
            raise RuntimeError("the build server did not start")

    def _read(self) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def build(self, request: dict[str, Any]) -> dict[str, Any] | None:
        assert self.process.stdin is not None
        self._counter += 1
        request["id"] = self._counter
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._read()

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


class ExtractorPool:
    """Up to `size` concurrent builds; `build` is safe to call from several threads."""

    def __init__(
        self,
        size: int,
        work_root: Path,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        memory_mb: int = DEFAULT_MEMORY_MB,
        pass_env: Iterable[str] = (),
    ) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.work_root = work_root
        self._env = build_environment(pass_env)
        self._idle: queue.LifoQueue[_Server | None] = queue.LifoQueue()
        self._all: list[_Server] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._idle.put(None)  # started lazily: a no-op index spawns nothing

    def _checkout(self, request: BuildRequest, into: Path) -> None:
        for path, content in request.files:
            target = into / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)

    def build(self, request: BuildRequest) -> BuildOutcome:
        server = self._idle.get()
        workdir = Path(tempfile.mkdtemp(prefix=f"build-{os.getpid()}-", dir=self.work_root))
        try:
            if self._closed:
                return BuildOutcome(None, INTERRUPTED, 0.0)
            if server is None or server.process.poll() is not None:
                server = _Server(self._env, str(self.work_root))
                with self._lock:
                    self._all.append(server)
            tree = workdir / "tree"
            self._checkout(request, tree)
            reply = server.build(
                {
                    "workdir": str(tree),
                    "modules": [list(m) for m in request.modules],
                    "search": list(request.search),
                    "local_names": list(request.local_names),
                    "config": request.config,
                    "config_types": [list(t) for t in request.config_types],
                    "builder_options": request.builder_options,
                    "preload": list(request.preload),
                    "forced_stand_ins": list(request.forced_stand_ins),
                    "projects": list(request.projects),
                    "timeout": self.timeout,
                    "memory_mb": self.memory_mb,
                    "result_path": str(workdir / "result.json"),
                    "log_path": str(workdir / "output.log"),
                }
            )
            if reply is None:
                server.stop()
                server = None
                error = INTERRUPTED if self._closed else "the build server died"
                return BuildOutcome(None, error, 0.0)
            if reply.get("ok"):
                snapshot = Snapshot.from_dict(reply["snapshot"])
                recipe = reply["snapshot"].get("recipe")
                return BuildOutcome(snapshot, None, reply.get("seconds", 0.0), recipe)
            return BuildOutcome(None, reply.get("error") or "unknown error", reply["seconds"])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            self._idle.put(server)

    def close(self) -> None:
        """Stop every server and with it any build in flight."""
        self._closed = True
        with self._lock:
            servers, self._all = self._all, []
        for server in servers:
            server.stop()


def clean_stale_workdirs(work_root: Path) -> int:
    """Remove build directories left by indexer processes that no longer exist."""
    removed = 0
    if not work_root.is_dir():
        return 0
    for entry in work_root.glob("build-*-*"):
        try:
            pid = int(entry.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid() or pid_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    return removed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
