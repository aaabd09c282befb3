"""The fork server the scrape's worker processes are forked from, startable before the scrape's own imports.

A worker needs pydicom and the scrape's tasks; the fork server imports them once for all the
workers. Started first thing, it imports them while this process imports the same modules,
rather than after. This module imports nothing but the standard library, so that it can.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver
from multiprocessing.context import ForkServerContext

# Modules every worker needs, imported once by the fork server instead of once per worker.
PRELOAD = ["dicomref.scrape.tasks"]


def context() -> ForkServerContext:
    """The start method the worker pool uses."""
    found = multiprocessing.get_context("forkserver")
    found.set_forkserver_preload(PRELOAD)
    return found


def start() -> None:
    """Start the fork server now; it would otherwise start with the first worker."""
    context()
    forkserver.ensure_running()
