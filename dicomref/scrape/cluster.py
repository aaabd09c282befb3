"""Run the scrape's tasks on a Dask cluster: the local pool's task functions, results in submission order.

The client walks the inputs and writes the outputs; the workers probe and read, so they must
see the inputs at the same paths (a shared filesystem), which is checked first. A worker that
dies loses nothing: Dask runs its tasks again elsewhere. A task whose worker dies each time it
runs (Dask's KilledWorker, after `distributed.scheduler.allowed-failures` deaths) runs again
one file per task, so the file that kills is listed as unreadable instead of tried forever.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from contextlib import ExitStack
from typing import Any, TypeVar

from dicomref.errors import DicomrefError
from dicomref.scrape.tasks import (
    missing_paths,
    probe_batch,
    probe_files_apart,
    read_batch,
    read_batch_apart,
    read_members_apart,
    read_series,
)

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")

LOCAL = "local"  # --cluster local: a cluster of --jobs worker processes on this machine
INSTALL_HINT = "--cluster needs Dask: pip install 'dicomref[cluster]'"
WORKER_WAIT_SECONDS = 60.0  # how long a scheduler may take to get its first worker
# How each task function runs one file per task once a worker died each time it ran the whole task.
_APART: dict[Callable[..., Any], Callable[..., Any]] = {
    probe_batch: probe_files_apart,
    read_batch: read_batch_apart,
    read_series: read_members_apart,
}


class ClusterWorkers:
    """Dask workers behind the local pool's interface (`jobs`, `map`): a scheduler's address, or LOCAL."""

    def __init__(self, address: str, jobs: int, paths: list[str]):
        self.address = address
        self.jobs = jobs  # for LOCAL, worker processes to start; once entered, the cluster's threads
        self.paths = paths  # files every worker must see: one in each input
        self._stack = ExitStack()
        self._client: Any = None
        self._killed_worker: type[Exception] = Exception

    def __enter__(self) -> ClusterWorkers:
        try:
            import distributed
        except ImportError:
            raise DicomrefError(INSTALL_HINT) from None
        self._killed_worker = distributed.KilledWorker
        try:
            self._client = self._stack.enter_context(self._connect(distributed))
            self._check_workers()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _connect(self, distributed: Any) -> Any:
        if self.address == LOCAL:
            cluster = self._stack.enter_context(
                distributed.LocalCluster(
                    n_workers=self.jobs or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # Dask's HTTP endpoints on a free port, never a clash
                    silence_logs=logging.CRITICAL,  # the scrape reports what matters; Dask's chatter would not
                )
            )
            return distributed.Client(cluster)
        try:
            return distributed.Client(self.address)
        except (OSError, ValueError) as exc:
            raise DicomrefError(f"cannot reach the Dask scheduler at {self.address} ({exc})") from None

    def _check_workers(self) -> None:
        """At least one worker, and every worker sees every input: one line saying which does not."""
        try:
            self._client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise DicomrefError(
                f"no Dask worker joined the scheduler at {self.address} in {WORKER_WAIT_SECONDS:.0f} s "
                "(start some with `dask worker ADDRESS`)"
            ) from None
        try:
            missing = self._client.run(missing_paths, self.paths)
        except ImportError:
            raise DicomrefError("the Dask workers cannot import dicomref: install it where they run") from None
        for worker, paths in sorted(missing.items()):
            if paths:
                raise DicomrefError(
                    f"the Dask worker at {worker} cannot see {paths[0]}: "
                    "workers must read the inputs at the same paths (a shared filesystem)"
                )
        self.jobs = sum(self._client.nthreads().values())

    def map(
        self, func: Callable[[T], R], pairs: Iterable[tuple[K, T]], window: int | None = None
    ) -> Iterator[tuple[K, R]]:
        """(key, func(task)) for every (key, task), in order; keys stay here, at most `window` tasks in flight."""
        pending: deque[tuple[K, T, Any]] = deque()
        limit = window or 4 * self.jobs
        try:
            for key, task in pairs:
                pending.append((key, task, self._client.submit(func, task, pure=False)))
                if len(pending) >= limit:
                    key, task, future = pending.popleft()
                    yield key, self._result(func, task, future)
            while pending:
                key, task, future = pending.popleft()
                yield key, self._result(func, task, future)
        finally:
            for _, _, future in pending:
                future.cancel()

    def _result(self, func: Callable[[T], R], task: T, future: Any) -> R:
        try:
            return future.result()
        except self._killed_worker:
            return _APART[func](task, lambda part: self._run_once(func, part))
        except (CancelledError, OSError):
            raise DicomrefError(
                f"lost the Dask scheduler at {self.address}; re-run the same command to resume"
            ) from None

    def _run_once(self, func: Callable[[T], R], task: T) -> R | None:
        """func(task) on the cluster; None when its worker died each time."""
        try:
            return self._client.submit(func, task, pure=False).result()
        except self._killed_worker:
            return None
