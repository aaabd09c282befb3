"""Run tasks in worker processes, results in submission order, with a bound on the time any one file takes.

Results come back in the order tasks were given, so the output of a parallel run is the output
of a serial one. At most `window` tasks are in flight: the walk feeding them is consumed as the
workers keep up, so memory does not grow with the number of files.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

from dicomref import forkserver
from dicomref.errors import DicomrefError

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")


class TimeLimitExceeded(Exception):
    """Reading one file took longer than the time limit."""


class Deadline:
    """Bounds the time each file of a task may take, using SIGALRM (in the main thread; elsewhere no bound).

    Arming the timer costs two system calls, more than probing a small file's head, so it is
    re-armed only once half the limit has passed: every file still gets at least half the limit,
    and none runs longer than the limit. The alarm raises only while a file is being read.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._armed_at = -math.inf
        self._reading = False
        self._previous: Any = None
        self._enabled = bool(seconds) and threading.current_thread() is threading.main_thread()

    def __enter__(self) -> Deadline:
        if self._enabled:
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._enabled:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self._reading:
            raise TimeLimitExceeded

    @contextmanager
    def file(self) -> Iterator[None]:
        """The body reads one file; it is interrupted with TimeLimitExceeded when over the limit."""
        if self._enabled:
            now = time.monotonic()
            if now - self._armed_at > self.seconds / 2:
                # Repeats every second after expiry, in case the interrupted code swallows the first one.
                signal.setitimer(signal.ITIMER_REAL, self.seconds, min(1.0, self.seconds))
                self._armed_at = now
        self._reading = True
        try:
            yield
        finally:
            self._reading = False


class ThreadDeadline:
    """Bounds the time each file of a task may take in a thread other than the main one, where no signal reaches.

    Dask runs tasks in worker threads. There a watchdog thread raises TimeLimitExceeded in the
    reading thread (PyThreadState_SetAsyncExc); Python delivers it between two bytecodes, as it
    does a signal handler's exception, and only while a file is being read. As with the alarm,
    it repeats every second after expiry, in case the interrupted code swallows the first one.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._reader = threading.get_ident()
        self._changed = threading.Condition()
        self._due: float | None = None  # when the file being read is over its limit; None between files
        self._pending = False  # an exception was raised in the reader and may not have been delivered yet
        self._closed = False
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="dicomref-deadline")

    def __enter__(self) -> ThreadDeadline:
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._watchdog.join()

    @contextmanager
    def file(self) -> Iterator[None]:
        """The body reads one file; it is interrupted with TimeLimitExceeded when over the limit."""
        with self._changed:
            idle = self._due is None
            self._due = time.monotonic() + self.seconds
            if idle:
                self._changed.notify()
        try:
            yield
        finally:
            self._due = None  # first, and a plain store: no exception is delivered before it
            with self._changed:
                self._due = None  # again: the watchdog may have set the next repeat meanwhile
                if self._pending:  # drop one raised just as the file ended
                    _raise_in_thread(self._reader, None)
                    self._pending = False

    def _watch(self) -> None:
        with self._changed:
            while not self._closed:
                due = self._due
                now = time.monotonic()
                if due is not None and now >= due:
                    _raise_in_thread(self._reader, TimeLimitExceeded)
                    self._pending = True
                    self._due = now + min(1.0, self.seconds)
                    continue
                self._changed.wait(None if due is None else due - now)


def _raise_in_thread(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in the thread at its next bytecode; None withdraws one not yet raised there."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exception is None else ctypes.py_object(exception)
    )


def file_deadline(seconds: float) -> Deadline | ThreadDeadline:
    """The per-file time limit fitting the calling thread: a signal in the main thread, a watchdog elsewhere."""
    if seconds and threading.current_thread() is not threading.main_thread():
        return ThreadDeadline(seconds)
    return Deadline(seconds)


def _exit_with_parent() -> None:
    """Pool workers wait for tasks forever: if the scrape is killed, they must exit rather than linger."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_closed, args=(parent.sentinel,), daemon=True).start()


def _exit_when_closed(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


class Workers:
    """`jobs` worker processes, or the calling process itself when jobs is 1."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        if self.jobs > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=forkserver.context(), initializer=_exit_with_parent
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map(
        self, func: Callable[[T], R], pairs: Iterable[tuple[K, T]], window: int | None = None
    ) -> Iterator[tuple[K, R]]:
        """(key, func(task)) for every (key, task), in order; keys stay here, at most `window` tasks in flight."""
        if self._pool is None:
            for key, task in pairs:
                yield key, func(task)
            return
        pending: deque[tuple[K, Future[R]]] = deque()
        limit = window or 4 * self.jobs
        try:
            for key, task in pairs:
                pending.append((key, self._pool.submit(func, task)))
                if len(pending) >= limit:
                    key, future = pending.popleft()
                    yield key, future.result()
            while pending:
                key, future = pending.popleft()
                yield key, future.result()
        except BrokenProcessPool:
            raise DicomrefError(
                "a worker process died while reading files (out of memory?); re-run the same command to resume"
            ) from None
        finally:
            for _, future in pending:
                future.cancel()
