"""Work shared out to forked processes: each takes one share, tells its progress, and sends back its result.

Forked workers see the parent's objects as they are (the loaded standard, compiled rules and templates), so
nothing large is pickled on the way in; only progress messages and each share's result come back. A worker's
exception is raised again in the parent, as the same work done in one process would raise it.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from dicomref.errors import DicomrefError

Result = TypeVar("Result")
Message = TypeVar("Message")
# Objects made since the last collection that start one (Python's default is 700): pages and records make and free
# hundreds of thousands of small objects, nearly all freed by reference counting.
YOUNG_OBJECTS = 100_000
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
    except BaseException as exc:  # raised again by the parent
        exc.add_note("in a worker process:\n" + "".join(traceback.format_exception(exc)))
        try:
            pipe.send(("error", exc))
        except Exception:  # an exception that does not pickle
            pipe.send(("error", DicomrefError(f"a worker process failed: {type(exc).__name__}: {exc}")))
