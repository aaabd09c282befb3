"""Where `dicomref scrape` spends its time, phase by phase, measured in this process on the files the pooled run read.

Listing is the walk over every file. Opening, reading and parsing are timed over stretches of
consecutive files spread over the corpus: a discovery task probes consecutive files, and a file
laid out like one before it is parsed by comparing bytes, so a scattered sample would not be
parsed the way the scrape parses it. The task's bookkeeping is what `probe_batch` takes over
the same stretches beyond those three (the time limit, the opener, the list of results).
Extraction is `read_series` on the first files of sampled series, taken from the pooled run's
output. The pool's overhead is what the pooled run's wall time leaves once its fixed cost and
all this work, shared among the worker processes, are taken away.
"""

from __future__ import annotations

import io
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.measure import alternate_calls
from dicomref.formats.scraped import read_records
from dicomref.scrape.discovery import SeriesProbe
from dicomref.scrape.extract import ExtractOptions
from dicomref.scrape.runner import PROBE_BATCH
from dicomref.scrape.sources import Candidate, Opener, walk
from dicomref.scrape.tasks import ProbeBatch, ReadTask, probe_batch, read_series

DATASET = "bench"
FIRST_READ = 8 * 1024  # what the probe reads first; a file whose head is longer is read on
STRETCHES = 8
EXTRACTED_SERIES = 64
TIME_LIMIT = 120.0  # the scrape's default per file


@dataclass(frozen=True)
class ScrapePhases:
    files: int
    series: int
    workers: int
    sampled_files: int
    sampled_series: int
    listing_us: float  # per file, in the main process
    opening_us: float  # per file: open and close
    reading_us: float  # per file: the first read, beyond opening
    parsing_us: float  # per file: SeriesProbe on the bytes read
    bookkeeping_us: float  # per file: the rest of probe_batch
    extraction_ms: float  # per series: reading its first file in full
    fixed_seconds: float  # the pooled run on a one-file archive
    pooled_seconds: float  # the pooled run on this corpus
    pool_overhead_seconds: float

    def share_seconds(self, per_file_us: float) -> float:
        """What a per-file phase adds to the pooled run's wall time, shared among the workers."""
        return per_file_us * 1e-6 * self.files / self.workers


def stretches(files: list[Candidate], count: int, size: int) -> list[list[Candidate]]:
    """`count` runs of `size` consecutive files, spread evenly over the walk."""
    size = max(1, min(size, len(files) // count))
    step = max(size, len(files) // count)
    return [files[start : start + size] for start in range(0, len(files) - size + 1, step)][:count]


def _open_each(runs: list[list[Candidate]]) -> None:
    for run in runs:
        with Opener(run[0].root) as opener:
            for candidate in run:
                opener.open(candidate.location).close()


def _read_each(runs: list[list[Candidate]]) -> None:
    for run in runs:
        with Opener(run[0].root) as opener:
            for candidate in run:
                with opener.open(candidate.location) as stream:
                    stream.read(FIRST_READ)


def _parse_each(heads: list[list[bytes]]) -> None:
    for run in heads:
        probe = SeriesProbe()  # one per task, as probe_batch makes
        for raw in run:
            probe.series_uid(io.BytesIO(raw))


def _probe_each(runs: list[list[Candidate]]) -> None:
    for run in runs:
        probe_batch(ProbeBatch(run[0].root, [candidate.location for candidate in run], TIME_LIMIT))


def _extract_each(tasks: list[ReadTask]) -> None:
    for task in tasks:
        read_series(task)


def _extraction_tasks(root: Path, scraped: Path, count: int) -> list[ReadTask]:
    """The first files of `count` series spread over the pooled run's records, as the scrape reads them."""
    records = list(read_records(scraped))
    step = max(1, len(records) // count)
    tasks = []
    for record in records[::step][:count]:
        source = record["source"]
        candidate = Candidate(DATASET, os.path.abspath(root), source["path"])
        tasks.append(
            ReadTask([candidate], source["series_instance_uid"], source["series_files"], ExtractOptions(), TIME_LIMIT)
        )
    return tasks


def measure_phases(
    root: Path, scraped: Path, pooled_seconds: float, fixed_seconds: float, repeats: int, warm: bool = True
) -> ScrapePhases:
    """The phases of the scrape of `root`, whose pooled run (all cores) wrote `scraped` in `pooled_seconds`."""
    listing = alternate_calls({"listing": lambda: list(walk(DATASET, root))}, repeats, warm)["listing"]
    files = [found for found in walk(DATASET, root) if isinstance(found, Candidate)]
    runs = stretches(files, STRETCHES, PROBE_BATCH)
    sampled = sum(len(run) for run in runs)
    heads = [[Path(candidate.root, candidate.relpath).read_bytes() for candidate in run] for run in runs]
    tasks = _extraction_tasks(root, scraped, EXTRACTED_SERIES)
    seconds = alternate_calls(
        {
            "opening": lambda: _open_each(runs),
            "reading": lambda: _read_each(runs),
            "parsing": lambda: _parse_each(heads),
            "probing": lambda: _probe_each(runs),
            "extraction": lambda: _extract_each(tasks),
        },
        repeats,
        warm,
    )
    per_file = {name: statistics.median(seconds[name]) / sampled * 1e6 for name in ("opening", "reading", "parsing")}
    per_file["probing"] = statistics.median(seconds["probing"]) / sampled * 1e6
    series = sum(1 for _ in read_records(scraped))
    workers = os.cpu_count() or 1
    opening, parsing = per_file["opening"], per_file["parsing"]
    reading = max(0.0, per_file["reading"] - opening)
    bookkeeping = max(0.0, per_file["probing"] - per_file["reading"] - parsing)
    listing_us = statistics.median(listing) / len(files) * 1e6
    extraction_ms = statistics.median(seconds["extraction"]) / max(1, len(tasks)) * 1e3
    work = (listing_us + per_file["probing"]) * 1e-6 * len(files) + extraction_ms * 1e-3 * series
    return ScrapePhases(
        files=len(files),
        series=series,
        workers=workers,
        sampled_files=sampled,
        sampled_series=len(tasks),
        listing_us=listing_us,
        opening_us=opening,
        reading_us=reading,
        parsing_us=parsing,
        bookkeeping_us=bookkeeping,
        extraction_ms=extraction_ms,
        fixed_seconds=fixed_seconds,
        pooled_seconds=pooled_seconds,
        pool_overhead_seconds=pooled_seconds - fixed_seconds - work / workers,
    )
