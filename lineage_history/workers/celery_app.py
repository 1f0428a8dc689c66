"""The Celery side of `index --workers` and `worker`: one app per broker URL, a queue per
repository, the build task, the indexer's `RemoteBuilds` on it and the worker's main loop.

Delivery is at least once: a task is acknowledged only after its build is stored, and a
worker that dies puts its tasks back (`acks_late`, `task_reject_on_worker_lost`, one
prefetched task per build slot); the store keeps one build per key, so a second delivery
finds the first's build or replaces nothing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from celery import Celery
from celery.exceptions import Reject
from celery.result import AsyncResult
from celery.signals import worker_ready
from kombu.exceptions import OperationalError

from lineage_history.dag.model import sha256_hex
from lineage_history.errors import LineageHistoryError, UserError, first_line
from lineage_history.index.remote import BuildJob, RemoteOutcome
from lineage_history.store.urls import describe
from lineage_history.workers.builder import WorkerBuilder, WorkerStopping

TASK = "lineage_history.build"
BROKER_SCHEMES = ("amqp", "amqps", "pyamqp", "redis", "rediss")
# Redis has no connection-bound acknowledgements: a task a dead worker held is delivered
# again only after this many seconds. RabbitMQ does it as soon as the connection drops.
REDIS_VISIBILITY_TIMEOUT = 900
POLL_WINDOW = 200  # results asked about per poll
NO_WORKER_AFTER = 5.0  # seconds without a finished build before asking whether workers listen


def queue_name(roots: Iterable[str]) -> str:
    """The queue of one repository, named by its root commits: every clone agrees on it."""
    return "lineage-history." + sha256_hex("\n".join(sorted(roots)))[:16]


def make_app(broker: str) -> Celery:
    """An app for one broker; results through Redis itself, or RabbitMQ's reply queues."""
    scheme = broker.split("://", 1)[0] if "://" in broker else ""
    if scheme not in BROKER_SCHEMES:
        raise UserError(
            f"unsupported broker URL {describe(broker)!r}: give redis://HOST:6379/0 or "
            "amqp://USER:PASSWORD@HOST:5672//"
        )
    backend = broker if scheme.startswith("redis") else "rpc://"
    app = Celery("lineage_history", broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        result_expires=24 * 3600,  # the indexer forgets each result once it has read it
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": REDIS_VISIBILITY_TIMEOUT},
    )
    return app


def check_broker(app: Celery) -> None:
    """One clear line, not a retry loop, when the broker cannot be reached."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=5)
    except Exception as exc:
        where = describe(str(app.conf.broker_url))
        raise UserError(f"cannot reach the broker at {where}: {first_line(exc)}") from None


class CeleryBuilds:
    """The indexer's `RemoteBuilds`: jobs sent to the repository's queue, results polled."""

    def __init__(self, app: Celery, queue: str, notify: Callable[[str], None]) -> None:
        self.app, self.queue, self.notify = app, queue, notify
        self._results: dict[str, AsyncResult] = {}
        self._ask_workers_at: float | None = None  # when to check that a worker listens

    def submit(self, jobs: Sequence[BuildJob]) -> None:
        with _broker_errors(self.app):
            for job in jobs:
                self._results[job.key] = self.app.send_task(
                    TASK, args=[job.message()], queue=self.queue
                )
        self._ask_workers_at = time.monotonic() + NO_WORKER_AFTER

    def _check_served(self) -> None:
        """Once, when no build has ended for a while: say so if no worker serves the queue."""
        self._ask_workers_at = None
        if not self._served():
            self.notify(
                f"{len(self._results)} build(s) queued on {self.queue}, which no worker serves "
                "yet: start `lineage-history worker --broker URL --repo CLONE --db URL` (waiting)"
            )

    def _served(self) -> bool:
        """Whether a running worker consumes this repository's queue."""
        try:
            queues = self.app.control.inspect(timeout=1.0).active_queues() or {}
        except Exception:  # the question is a courtesy; the builds are queued either way
            return True
        return any(q.get("name") == self.queue for found in queues.values() for q in found)

    def finished(self, wait: float) -> dict[str, RemoteOutcome]:
        time.sleep(wait)
        ended: dict[str, RemoteOutcome] = {}
        # The oldest results first, a window of them: builds end roughly in queue order, and
        # asking a Redis backend costs a round trip per result.
        window = list(itertools.islice(self._results.items(), POLL_WINDOW))
        with _broker_errors(self.app):
            for key, result in window:
                if result.ready():
                    del self._results[key]
                    ended[key] = _outcome(result)
                    result.forget()
        if ended:
            self._ask_workers_at = None
        elif self._ask_workers_at is not None and time.monotonic() > self._ask_workers_at:
            self._check_served()
        return ended

    def close(self) -> None:
        self.app.close()


def _outcome(result: AsyncResult) -> RemoteOutcome:
    if result.successful():
        value: dict[str, Any] = result.result
        stand_ins = tuple(value.get("stand_ins", ()))
        return RemoteOutcome(value.get("error"), stand_ins, bool(value.get("built", True)))
    return RemoteOutcome(f"the worker failed: {first_line(result.result)}")


@contextlib.contextmanager
def _broker_errors(app: Celery) -> Iterator[None]:
    """The broker or result backend lost in the middle of a run: one line, no traceback."""
    try:
        yield
    except (OSError, OperationalError, ConnectionError) as exc:
        where = describe(str(app.conf.broker_url))
        raise LineageHistoryError(f"lost the broker at {where}: {first_line(exc)}") from None


def serve(
    app: Celery, builder: WorkerBuilder, queue: str, concurrency: int, ready_line: str
) -> None:
    """Consume the queue until SIGTERM or Ctrl-C (which let the builds in flight finish);
    `ready_line` is logged once the worker consumes."""
    worker_ready.connect(lambda **_: builder.log(ready_line), weak=False)

    @app.task(name=TASK)
    def build(message: dict[str, Any]) -> dict[str, Any]:
        try:
            return builder.run(message)
        except WorkerStopping:
            raise Reject("the worker stopped", requeue=True) from None

    worker = app.Worker(
        hostname=f"lineage-history-{os.getpid()}@{socket.gethostname()}",
        pool="threads",  # builds run in the build servers' processes, not in Celery's
        concurrency=concurrency,
        queues=[queue],
        loglevel="WARNING",
        quiet=True,
        without_mingle=True,
        without_gossip=True,
    )
    try:
        worker.start()
    finally:
        builder.close()
