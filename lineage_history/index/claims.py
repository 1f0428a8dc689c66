"""The build-claim protocol that lets indexers share one database: a run claims a build key
before building it, keeps its claims alive with a heartbeat while the builds run, and
releases them when done. A dead run's claims lapse after the claim timeout (or at once, for
a run on this machine whose process is gone); a claim that could not be kept is reported."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

from lineage_history._text import plural
from lineage_history.build.pool import pid_alive
from lineage_history.errors import driver_reason
from lineage_history.store.writer import Store


class BuildClaims:
    """One run's claims on build keys, under an owner name `host:pid:random`."""

    def __init__(self, store: Store, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def take(self, key: str) -> bool:
        """Claim a key; False while another run holds it (and its claim has not lapsed)."""
        return self.store.claims.claim(key, self.owner, self.ttl)

    def release(self, key: str) -> None:
        self.store.claims.release(key, self.owner)

    def release_dead_owners(self) -> None:
        """Claims of killed indexers on this machine need not wait for their timeout."""
        host = socket.gethostname()
        for owner in self.store.claims.owners():
            parts = owner.split(":")  # host:pid:random
            dead = (
                len(parts) == 3
                and parts[0] == host
                and parts[1].isdigit()
                and not pid_alive(int(parts[1]))
            )
            if dead:
                self.store.claims.release_all(owner)

    def heartbeat(self) -> ClaimHeartbeat:
        """A started heartbeat for the claims of the builds this run is running."""
        return ClaimHeartbeat(self.store, self.owner, self.ttl)


class ClaimHeartbeat:
    """Keeps this run's claims alive while their builds run; a dead run's claims lapse.

    Every third of the claim timeout it renews each claim. What went wrong is kept for the
    run to report (`reports()`, from its own thread): a renewal the database refused (the
    error is also kept in `last_error`), a claim that lapsed because renewals failed or came
    late, and a claim another indexer holds now, which it may be building as well.
    """

    def __init__(self, store: Store, owner: str, ttl: float) -> None:
        self._store, self._owner, self._ttl = store, owner, ttl
        self._renewed: dict[str, float] = {}  # key -> when its claim was last renewed
        self._lock = threading.Lock()  # held while renewing, so no key is renewed once gone
        self._reports: list[str] = []
        self._failures = 0  # renewals failed in a row
        self.last_error: str | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="claim-heartbeat")
        self._thread.start()

    def add(self, key: str) -> None:
        """Keep the claim on `key` alive; it was taken just now."""
        with self._lock:
            self._renewed[key] = time.monotonic()

    def discard(self, key: str) -> None:
        with self._lock:
            self._renewed.pop(key, None)

    def reports(self) -> list[str]:
        """What went wrong since the last call, one message each."""
        with self._lock:
            reports, self._reports = self._reports, []
        return reports

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:  # waits for a renewal under way; none renews a claim after this
            self._renewed.clear()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stopped.wait(max(0.2, self._ttl / 3)):
            self.renew()

    def renew(self) -> None:
        """Renew every claim once; note what could not be renewed."""
        with self._lock:
            if not self._renewed:
                return
            started = time.monotonic()
            held: dict[str, bool] = {}  # key -> whether this run still holds its claim
            try:
                for key in self._renewed:
                    held[key] = self._store.claims.claim(key, self._owner, self._ttl)
            except Exception as exc:
                self._failed(exc)
                return
            if self._failures:
                self._reports.append(
                    f"build claims renewed again after {self._failures} failed attempt(s)"
                )
                self._failures = 0
            for key, still_ours in held.items():
                self._renewed_now(key, still_ours, started)

    def _renewed_now(self, key: str, still_ours: bool, now: float) -> None:
        if not still_ours:
            del self._renewed[key]  # not renewed again: another indexer holds it
            self._reports.append(
                f"lost the claim on build {key[:12]} to another indexer, which may build it as well"
            )
            return
        late = now - self._renewed[key] - self._ttl
        if late > 0:  # another indexer could have taken, built and released it meanwhile
            self._reports.append(
                f"the claim on build {key[:12]} lapsed for {late:.1f} s before it was renewed; "
                "another indexer may have built it as well"
            )
        self._renewed[key] = now

    def _failed(self, exc: Exception) -> None:
        error = driver_reason(exc)
        self._failures += 1
        if self._failures == 1 or error != self.last_error:
            self._reports.append(
                f"could not renew {plural(len(self._renewed), 'build claim')}: {error} (a claim "
                f"lapses {self._ttl:g} s after its last renewal; another indexer may then build "
                "the same key)"
            )
        self.last_error = error
