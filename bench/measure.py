"""Run whole processes and measure them: wall time, CPU time and peak memory of the process tree.

The machine is shared and noisy, so commands that are compared run alternating (the order
rotates each round), each once untimed first so all start from the same warm page cache,
and the figures kept are medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.05
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Command:
    """A process to time; `prepare` runs untimed before each run (e.g. removing a previous output)."""

    argv: list[str]
    env: dict[str, str] | None = None
    cwd: Path | None = None
    prepare: Callable[[], None] | None = None


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system over the whole tree
    tree_peak_bytes: int  # highest sum of RSS over the process and its descendants, sampled every 50 ms
    process_peak_bytes: int  # highest RSS of any single process of the tree (from wait4)


@dataclass
class Series:
    """Repeated runs of one command."""

    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def tree_peak_bytes(self) -> int:
        return int(statistics.median(r.tree_peak_bytes for r in self.runs))

    @property
    def process_peak_bytes(self) -> int:
        return int(statistics.median(r.process_peak_bytes for r in self.runs))


def _processes() -> dict[int, tuple[int, int, int]]:
    """pid -> (parent pid, own CPU clock ticks, resident pages) of every process visible in /proc."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue  # the process ended while we looked
            fields = stat[stat.rindex(b")") + 2 :].split()  # from field 3 (state) on: see proc(5)
            found[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]))
    return found


def tree(root: int) -> dict[int, tuple[int, int]]:
    """pid -> (own CPU clock ticks, resident pages) of `root` and all its descendants right now."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        if pid in processes:
            found[pid] = processes[pid][1:]
    return found


class _Sampler(threading.Thread):
    """Samples the process tree until stopped: the highest RSS sum, and each process's CPU time.

    Worker processes are often reaped by a process that never reports them (a forkserver), so
    their CPU time is taken from /proc while they run; the last 50 ms of each may be missed.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_bytes = pid, 0
        self._ticks: dict[int, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            now = tree(self.pid)
            self.peak_bytes = max(self.peak_bytes, sum(pages for _, pages in now.values()) * PAGE_BYTES)
            for pid, (ticks, _) in now.items():
                self._ticks[pid] = max(ticks, self._ticks.get(pid, 0))
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> tuple[int, float]:
        """(peak tree bytes, CPU seconds seen)."""
        self._stop_event.set()
        self.join()
        return self.peak_bytes, sum(self._ticks.values()) / CLOCK_TICKS


def run_once(command: Command, log: Path) -> Run:
    """Run `command` to completion; its output goes to `log` (shown when it fails)."""
    if command.prepare:
        command.prepare()
    env = None if command.env is None else {**os.environ, **command.env}
    with open(log, "wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command.argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=command.cwd
        )
        sampler = _Sampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    tree_peak, tree_cpu = sampler.stop()
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(command.argv)} exited with {process.returncode}:\n{tail}")
    process_peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    cpu = max(usage.ru_utime + usage.ru_stime, tree_cpu)
    return Run(seconds, cpu, max(tree_peak, process_peak), process_peak)


def alternate(commands: dict[str, Command], repeats: int, logs: Path, warm: bool = True) -> dict[str, Series]:
    """Each command once untimed (when `warm`), then `repeats` rounds in rotating order."""
    logs.mkdir(parents=True, exist_ok=True)
    names = list(commands)
    if warm:
        for name in names:
            run_once(commands[name], logs / f"{name}.warm.log")
    results = {name: Series() for name in names}
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            results[name].runs.append(run_once(commands[name], logs / f"{name}.{round_}.log"))
    return results


def alternate_calls(calls: dict[str, Callable[[], object]], repeats: int, warm: bool = True) -> dict[str, list[float]]:
    """The same for functions run in this process: one untimed call each, then rotating timed rounds."""
    names = list(calls)
    for name in names if warm else ():
        calls[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            started = time.perf_counter()
            calls[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds
