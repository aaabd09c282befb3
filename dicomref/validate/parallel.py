"""Work over many indexes shared out to forked processes, its results given back in index order.

Forked workers share the loaded standard and the compiled rules with this process as they are: nothing is
pickled but each result. Each worker claims the next index from a shared counter, so one slow file holds up
no other; this process keeps the results that come early until their turn, so the output is a serial run's.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.sharedctypes import Synchronized
from typing import Any, TypeVar

from dicomref.errors import DicomrefError

Result = TypeVar("Result")
# Work over the indexes it is given, in turn, yielding each index with its result.
Work = Callable[[Iterable[int]], Iterator[tuple[int, Result]]]


def in_order(work: Work[Result], count: int, jobs: int) -> Iterator[Result]:
    """The results of `work` over range(count), from `jobs` forked processes (in this process when jobs is 1)."""
    if jobs <= 1 or count <= 1:
        for _index, result in work(range(count)):
            yield result
        return
    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0)  # the next index to claim
    pipes: list[multiprocessing.connection.Connection] = []
    workers = []
    try:
        for _ in range(min(jobs, count)):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(work, count, counter, sender), daemon=True)
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


def _claimed(counter: Synchronized[int], count: int) -> Iterator[int]:
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= count:
            return
        yield index


def _worker(
    work: Work[Any], count: int, counter: Synchronized[int], pipe: multiprocessing.connection.Connection
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle: it ends the workers
    try:
        for found in work(_claimed(counter, count)):
            pipe.send(("result", found))
        pipe.send(("done", None))
    except BaseException as exc:  # raised again by this process's parent, as a run in one process would
        exc.add_note("in a worker process:\n" + "".join(traceback.format_exception(exc)))
        try:
            pipe.send(("error", exc))
        except Exception:  # an exception that does not pickle
            pipe.send(("error", DicomrefError(f"a worker process failed: {type(exc).__name__}: {exc}")))
