"""Work shared out to forked processes: each takes one share, tells its progress, and sends back its result
(run_shares), drawing its items from Claims where they differ in cost; or each claims the next index from Claims, so
one slow item holds up no other, and the results come back in index order, as a serial run gives them (in_order).

Forked workers see the parent's objects as they are (the loaded standard, compiled rules and templates), so
nothing large is pickled on the way in; only progress messages and each share's result come back. A worker's
exception is raised again in the parent, as the same work done in one process would raise it.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.sharedctypes import Synchronized
from typing import Any, TypeVar

from dicomref.errors import DicomrefError

Result = TypeVar("Result")
Message = TypeVar("Message")
# Objects made since the last collection that start one (Python's default is 700): pages and records make and free
# hundreds of thousands of small objects, nearly all freed by reference counting.
YOUNG_OBJECTS = 100_000
# Work over the indexes it is given, in turn, yielding each index with its result (see in_order).
Work = Callable[[Iterable[int]], Iterator[tuple[int, Result]]]
# One share's work: its number and a way to tell the parent of progress; its result goes back to the parent.
Share = Callable[[int, Callable[[Message], None]], Result]


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects made so far (the standard, the rules, the templates) left out of garbage collection meanwhile:
    collecting them again and again costs much, and in a forked worker every object a collection touches is
    copied. What is made meanwhile is mostly freed by reference counting, so collections run less often. Only the
    young generations are collected first: a full collection walks every object of the model for little."""
    gc.collect(1)
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_shares(
    work: Share[Message, Result], shares: int, on_progress: Callable[[Message], None], what: str
) -> list[Result]:
    """The results of `work` for shares 0 .. shares-1, in share order; one share runs in this process.

    `on_progress` hears every worker's progress messages in this process; `what` names the work in the error
    told when a worker dies before sending its result.
    """
    if shares <= 1:
        return [work(0, on_progress)]
    context = multiprocessing.get_context("fork")
    pipes: dict[multiprocessing.connection.Connection, int] = {}
    workers = []
    for share in range(shares):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(work, share, sender), daemon=True)
        process.start()
        sender.close()
        pipes[receiver] = share
        workers.append(process)
    results: dict[int, Result] = {}
    try:
        while pipes:
            for ready in multiprocessing.connection.wait(list(pipes)):
                assert isinstance(ready, multiprocessing.connection.Connection)
                try:
                    kind, value = ready.recv()
                except EOFError:
                    raise DicomrefError(f"a {what} worker process ended before its work was done") from None
                if kind == "progress":
                    on_progress(value)
                elif kind == "done":
                    results[pipes.pop(ready)] = value
                else:
                    raise value
    finally:
        for process in workers:
            if process.is_alive():
                process.kill()
            process.join()
    return [results[share] for share in range(shares)]


def _worker(work: Share, share: int, pipe: multiprocessing.connection.Connection) -> None:
    try:
        pipe.send(("done", work(share, lambda message: pipe.send(("progress", message)))))
    except BaseException as exc:
        _send_failure(pipe, exc)


def _send_failure(pipe: multiprocessing.connection.Connection, exc: BaseException) -> None:
    """A worker's exception, to be raised again by the parent as the same work in one process would raise it."""
    exc.add_note("in a worker process:\n" + "".join(traceback.format_exception(exc)))
    try:
        pipe.send(("error", exc))
    except Exception:  # an exception that does not pickle
        pipe.send(("error", DicomrefError(f"a worker process failed: {type(exc).__name__}: {exc}")))


class Claims:
    """The numbers 0 .. count-1, each handed to whichever process asks for the next first. Made before the workers
    are forked, so that they all draw from it: a worker slowed by a large item takes fewer of the rest."""

    def __init__(self, count: int) -> None:
        self._counter: Synchronized[int] = multiprocessing.get_context("fork").Value("q", 0)
        self._count = count

    def __iter__(self) -> Iterator[int]:
        while True:
            with self._counter.get_lock():
                number = self._counter.value
                self._counter.value += 1
            if number >= self._count:
                return
            yield number


def in_order(work: Work[Result], count: int, jobs: int) -> Iterator[Result]:
    """The results of `work` over range(count), from `jobs` forked processes (in this process when jobs is 1)."""
    if jobs <= 1 or count <= 1:
        for _index, result in work(range(count)):
            yield result
        return
    context = multiprocessing.get_context("fork")
    claims = Claims(count)
    pipes: list[multiprocessing.connection.Connection] = []
    workers = []
    try:
        for _ in range(min(jobs, count)):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_claiming_worker, args=(work, claims, sender), daemon=True)
            process.start()
            sender.close()
            pipes.append(receiver)
            workers.append(process)
        early: dict[int, Result] = {}
        for index in range(count):
            while index not in early:
                _receive(pipes, early)
            yield early.pop(index)
    finally:
        for process in workers:
            if process.is_alive():
                process.kill()
            process.join()


def _receive(pipes: list[multiprocessing.connection.Connection], early: dict[int, Any]) -> None:
    """The messages ready on any pipe: results kept by index, a worker's end or its exception."""
    if not pipes:
        raise DicomrefError("the worker processes ended with work left")
    for ready in multiprocessing.connection.wait(pipes):
        assert isinstance(ready, multiprocessing.connection.Connection)
        try:
            kind, value = ready.recv()
        except EOFError:
            raise DicomrefError("a worker process ended before its work was done") from None
        if kind == "result":
            index, result = value
            early[index] = result
        elif kind == "done":
            pipes.remove(ready)
        else:
            raise value


def _claiming_worker(work: Work[Any], claims: Claims, pipe: multiprocessing.connection.Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle: it ends the workers
    try:
        for found in work(iter(claims)):
            pipe.send(("result", found))
        pipe.send(("done", None))
    except BaseException as exc:
        _send_failure(pipe, exc)
