"""The pool's side of a build zygote (`build.zygote`): ask it for a server, and hold that
server as a process like one the pool started itself."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
from typing import IO

ZYGOTE_VARIABLE = "LINEAGE_HISTORY_BUILD_ZYGOTE"


class ForkedProcess:
    """A build server forked by the zygote: what the pool uses of `subprocess.Popen`."""

    def __init__(self, pid: int, pidfd: int, stdin: IO[str], stdout: IO[str]) -> None:
        self.pid = pid
        self.stdin: IO[str] | None = stdin
        self.stdout: IO[str] | None = stdout
        self._pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.wait(0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """The zygote reaps its servers, so the exit status is not ours to read: 0 once gone."""
        if self.returncode is None:
            ready, _, _ = select.select([self._pidfd], [], [], timeout)
            if not ready:
                if timeout:
                    raise subprocess.TimeoutExpired(f"build server {self.pid}", timeout)
                return None
            self.returncode = 0
        return self.returncode

    def __del__(self) -> None:  # the pidfd lives as long as the object: threads may select on it
        try:
            os.close(self._pidfd)
        except OSError:
            pass


def forked_server(env: dict[str, str], cwd: str) -> ForkedProcess | None:
    """A server forked by the zygote named in the environment; None without one, or when it
    refuses (another interpreter or start-up environment) or cannot be reached."""
    path = os.environ.get(ZYGOTE_VARIABLE)
    if not path:
        return None
    server_in, to_server = os.pipe()
    from_server, server_out = os.pipe()
    request = {"executable": sys.executable, "env": env, "cwd": cwd}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
            connection.connect(path)
            socket.send_fds(connection, [json.dumps(request).encode()], [server_in, server_out])
            reply = json.loads(connection.recv(1 << 16) or b"{}")
        pidfd = os.pidfd_open(reply["pid"])
    except (OSError, ValueError, KeyError):
        for fd in (to_server, from_server):
            os.close(fd)
        return None
    finally:
        os.close(server_in)
        os.close(server_out)
    return ForkedProcess(
        reply["pid"],
        pidfd,
        os.fdopen(to_server, "w", encoding="utf-8", buffering=1),
        os.fdopen(from_server, encoding="utf-8"),
    )
