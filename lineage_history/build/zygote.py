"""A warm factory of build servers: it imports what every build server imports once, then
forks a fresh server for each indexer that asks on its Unix socket.

A build server spends about a second importing Hamilton before its first build. A process
that starts many short `index` runs (the test suite starts hundreds) runs one zygote and
names its socket in `LINEAGE_HISTORY_BUILD_ZYGOTE`; each run's pool then gets its servers
forked from it, in the state a freshly started server would be in. A run whose interpreter or
start-up environment differs from the zygote's is refused and starts its own servers.

Protocol: one datagram from the pool carrying JSON (`executable`, `env`, `cwd`) and two file
descriptors (the server's stdin and stdout); one JSON reply, `{"pid": N}` or `{"refused": why}`.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from lineage_history.build import server
from lineage_history.build.pool import FIXED_ENV

# Variables read while the interpreter and the preloaded libraries start: a server forked from
# the zygote has the zygote's values, so a request must have the same ones. The pool fixes
# most of them for every build; the locale comes from the indexer's environment.
START_UP_VARIABLES = ("PYTHONPATH", *FIXED_ENV, "LANG", "LC_ALL", "LC_CTYPE")
MESSAGE_BYTES = 1 << 16


def refusal(request: dict[str, Any], own: Mapping[str, str]) -> str | None:
    """Why a server forked from a zygote whose environment is `own` would not be the server
    the request would start; None when it would be."""
    if request.get("executable") != sys.executable:
        return f"another interpreter ({request.get('executable')})"
    env = request.get("env") or {}
    for name in START_UP_VARIABLES:
        if env.get(name) != own.get(name):
            return f"another {name}"
    return None


def _become_server(
    request: dict[str, Any], stdin_fd: int, stdout_fd: int, attempted: set[str]
) -> None:
    """In the forked child: take the pipes, directory and environment a fresh server started by
    the pool would have, then serve."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the server waits for its build children
    os.dup2(stdin_fd, 0)
    os.dup2(stdout_fd, 1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    for fd in (stdin_fd, stdout_fd, devnull):
        os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (the server's stdin)
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # `python -m` puts the working directory first
    sys.argv = [server.__file__]
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    tempfile.tempdir = None
    importlib.invalidate_caches()  # packages installed since the zygote started are found
    server.serve(attempted)


def _answer(connection: socket.socket, listener: socket.socket, attempted: set[str]) -> None:
    message, fds, _, _ = socket.recv_fds(connection, MESSAGE_BYTES, 2)
    try:
        try:
            request = json.loads(message)
            why = refusal(request, os.environ) if len(fds) == 2 else "two pipes are needed"
        except (ValueError, AttributeError):
            why = "not a request"
        if why is not None:
            connection.send(json.dumps({"refused": why}).encode())
            return
        pid = os.fork()
        if pid == 0:
            try:
                listener.close()
                connection.close()
                _become_server(request, fds[0], fds[1], attempted)
            finally:
                os._exit(0)
        print(json.dumps({"forked": pid}), flush=True)  # before the reply: a log to rely on
        connection.send(json.dumps({"pid": pid}).encode())
    finally:
        for fd in fds:
            os.close(fd)


def main(path: str) -> None:
    """Preload, listen on `path`, fork servers until stopped; print one line when ready and
    one per server forked."""
    server.die_with_parent()
    attempted = server.preload_base()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked servers are reaped by the kernel
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as listener:
        listener.bind(path)
        listener.listen(16)
        print(json.dumps({"ready": True}), flush=True)
        while True:
            connection, _ = listener.accept()
            with connection:
                try:
                    _answer(connection, listener, attempted)
                except OSError:  # the indexer went away mid-request: it starts its own server
                    pass


if __name__ == "__main__":
    main(sys.argv[1])
