"""The scrape stage: learn every file's series from its head, then read in full only the first file of each series.

Files are walked in sorted order, so the first file met of a series is its first file. The
walk streams through the workers in batches; per file only its series number is kept (four
bytes), so memory grows with the number of series, not files. Records are written in walk
order whatever the number of workers, which makes a resumed run's output the same as an
uninterrupted one's.
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby, islice
from pathlib import Path
from typing import TYPE_CHECKING

from dicomref.datasets import load_manifest
from dicomref.errors import DicomrefError
from dicomref.formats.scraped import Done, RecordWriter, read_done
from dicomref.formats.unreadable import kept_unreadable, unreadable_path, write_unreadable
from dicomref.scrape.extract import ExtractOptions
from dicomref.scrape.sources import Candidate, Unreadable, walk
from dicomref.scrape.tasks import ProbeBatch, ReadResult, ReadTask, probe_batch, read_batch, read_series
from dicomref.scrape.workers import Workers

if TYPE_CHECKING:
    from dicomref.scrape.cluster import ClusterWorkers

# Later files of a series tried, in order, when its first file cannot be read in full; when
# these fail too, the rest of the series is found by walking again and tried one by one.
SPARES = 3
PROBE_BATCH = 1024  # files per discovery task sent to a worker
READ_BATCH = 8  # series per extraction task


@dataclass(frozen=True)
class ScrapeInput:
    """A folder (or file) to scrape, named as the dataset its records are attributed to."""

    name: str
    root: Path


@dataclass(frozen=True)
class ScrapeOptions:
    extract: ExtractOptions = ExtractOptions()
    jobs: int = 0  # 0: one process per core
    all_files: bool = False
    time_limit: float = 120.0  # seconds any one file may take; 0: no limit
    cluster: str | None = None  # a Dask scheduler's address, or "local"; None: this machine's worker pool
    resume: bool = False  # add to an output that holds records of other inputs (else refused)


@dataclass
class ScrapeSummary:
    files_seen: int = 0
    dicom_files: int = 0
    series: int = 0
    scraped: int = 0  # records in the output, including those kept from an earlier run
    resumed: int = 0  # records found already in the output
    unreadable: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True)
class ScrapeProgress:
    phase: str  # "discover" (probing every file) or "extract" (reading files in full)
    done: int
    total: int | None
    series: int


@dataclass
class _Series:
    number: int
    key: tuple[str, str]  # (dataset, SeriesInstanceUID), or (dataset, "path:" + path) without one
    uid: str | None
    members: list[Candidate] = field(default_factory=list)  # the first file and up to SPARES more
    count: int = 0


def _row(candidate: Candidate | Unreadable, reason: str) -> tuple[str, str]:
    return (f"{candidate.dataset}/{candidate.display}", reason)


class _Run:
    """One scrape: the inputs, the options, and what has been counted and found unreadable so far."""

    def __init__(
        self, inputs: list[ScrapeInput], options: ScrapeOptions, done: Done, report: Callable[[ScrapeProgress], None]
    ):
        self.inputs = inputs
        self.options = options
        self.done = done
        self.report = report
        self.summary = ScrapeSummary(resumed=done.records, scraped=done.records)
        self.unreadable: set[tuple[str, str]] = set(done.unreadable)

    def candidates(self) -> Iterator[Candidate]:
        """Every file of every input in walk order, counted; what cannot even be opened goes to unreadable."""
        for found in _walk(self.inputs):
            self.summary.files_seen += 1
            if isinstance(found, Unreadable):
                self.unreadable.add(_row(found, found.reason))
            else:
                yield found

    def is_done(self, series: _Series) -> bool:
        if series.uid and not self.options.all_files:
            return (series.key[0], series.uid) in self.done.series
        return (series.key[0], series.members[0].display) in self.done.paths

    def read_task(self, series: _Series, members: list[Candidate]) -> ReadTask:
        return ReadTask(members, series.uid, series.count, self.options.extract, self.options.time_limit)

    def write(self, writer: RecordWriter, result: ReadResult, skipped: list[tuple[Candidate, str]]) -> None:
        """The record (with the files of its series tried before it) to the output, the failures to unreadable."""
        for candidate, reason in result.failures:
            self.unreadable.add(_row(candidate, reason))
        if result.record is not None:
            tried = [*skipped, *result.failures, *result.damaged]
            result.record["source"]["skipped"] = [[candidate.display, reason] for candidate, reason in tried]
            writer.write(result.record)
            self.summary.scraped += 1

    # Series mode -------------------------------------------------------------------------

    def discover(self, workers: Workers | ClusterWorkers) -> tuple[dict[tuple[str, str], _Series], array]:
        """Every file's series, from its head: the series in order of their first file,
        and each file's series number."""
        series: dict[tuple[str, str], _Series] = {}
        member_of = array("i")  # per file in walk order: its series number, -1 if not DICOM
        for candidates, found in workers.map(probe_batch, self._probe_batches()):
            for candidate, (uid, reason) in zip(candidates, found, strict=True):
                if reason is not None:
                    self.unreadable.add(_row(candidate, reason))
                    member_of.append(-1)
                    continue
                self.summary.dicom_files += 1
                key = (candidate.dataset, uid) if uid else (candidate.dataset, "path:" + candidate.display)
                entry = series.get(key)
                if entry is None:
                    entry = series[key] = _Series(len(series), key, uid)
                entry.count += 1
                if len(entry.members) <= SPARES:
                    entry.members.append(candidate)
                member_of.append(entry.number)
            self.report(ScrapeProgress("discover", len(member_of), None, len(series)))
        self.summary.series = len(series)
        self.report(ScrapeProgress("discover", len(member_of), len(member_of), len(series)))
        return series, member_of

    def _probe_batches(self) -> Iterator[tuple[list[Candidate], ProbeBatch]]:
        """Consecutive files under the same root, PROBE_BATCH at a time."""
        for root, files in groupby(self.candidates(), key=lambda candidate: candidate.root):
            while chunk := list(islice(files, PROBE_BATCH)):
                yield chunk, ProbeBatch(root, [candidate.location for candidate in chunk], self.options.time_limit)

    def scrape_series(self, workers: Workers | ClusterWorkers, writer: RecordWriter) -> None:
        series, member_of = self.discover(workers)
        todo = [entry for entry in series.values() if not self.is_done(entry)]
        failed: dict[int, list[tuple[Candidate, str]]] = {}
        tasks = ((entry, self.read_task(entry, entry.members)) for entry in todo)
        for index, (entry, result) in enumerate(_read(workers, tasks), 1):
            self.write(writer, result, [])
            if result.record is None and entry.count > len(entry.members):
                failed[entry.number] = result.failures
            self.report(ScrapeProgress("extract", index, len(todo), len(series)))
        if failed:
            self.retry(
                workers, writer, [entry for entry in todo if entry.number in failed], member_of, failed, len(todo)
            )

    def retry(
        self,
        workers: Workers | ClusterWorkers,
        writer: RecordWriter,
        entries: list[_Series],
        member_of: array,
        failed: dict[int, list[tuple[Candidate, str]]],
        done_so_far: int,
    ) -> None:
        """Series whose first files all failed: walk again to find their other files, and try those in order."""
        rest: dict[int, list[Candidate]] = {entry.number: [] for entry in entries}
        tried = {candidate for entry in entries for candidate in entry.members}
        files = (found for found in _walk(self.inputs) if isinstance(found, Candidate))
        for candidate, number in zip(files, member_of, strict=True):
            if number in rest and candidate not in tried:
                rest[number].append(candidate)
        tasks = ((entry, self.read_task(entry, rest[entry.number])) for entry in entries)
        total = done_so_far + len(entries)
        for index, (entry, result) in enumerate(_read(workers, tasks), done_so_far + 1):
            self.write(writer, result, failed[entry.number])
            self.report(ScrapeProgress("extract", index, total, self.summary.series))

    # All-files mode ----------------------------------------------------------------------

    def scrape_all_files(self, workers: Workers | ClusterWorkers, writer: RecordWriter) -> None:
        """Every file probed and read in full, streamed: nothing is kept per file."""
        found: set[tuple[str, str]] = set()
        tasks = (
            (candidate, ReadTask([candidate], None, 1, self.options.extract, self.options.time_limit, probe=True))
            for candidate in self.candidates()
            if (candidate.dataset, candidate.display) not in self.done.paths
        )
        for index, (candidate, result) in enumerate(workers.map(read_series, tasks), 1):
            self.summary.dicom_files += result.dicom
            self.write(writer, result, [])
            if result.record is not None:
                source = result.record["source"]
                found.add((candidate.dataset, source["series_instance_uid"] or "path:" + source["path"]))
            self.report(ScrapeProgress("discover", index, None, len(found)))
        self.summary.series = len(found)


def _read(
    workers: Workers | ClusterWorkers, pairs: Iterator[tuple[_Series, ReadTask]]
) -> Iterator[tuple[_Series, ReadResult]]:
    """(series, its result) for every (series, task), in order, READ_BATCH series per task sent to a worker."""
    batches = (([entry for entry, _ in chunk], [task for _, task in chunk]) for chunk in _chunks(pairs, READ_BATCH))
    for entries, results in workers.map(read_batch, batches, window=2 * workers.jobs):
        yield from zip(entries, results, strict=True)


def _chunks(pairs: Iterator[tuple[_Series, ReadTask]], size: int) -> Iterator[list[tuple[_Series, ReadTask]]]:
    while chunk := list(islice(pairs, size)):
        yield chunk


def _walk(inputs: list[ScrapeInput]) -> Iterator[Candidate | Unreadable]:
    for item in inputs:
        yield from walk(item.name, item.root)


def manifest_inputs(manifest: Path) -> list[ScrapeInput]:
    """The manifest's datasets as scrape inputs; a dataset that is not available here is an error."""
    entries = load_manifest(manifest)
    missing = [d for d in entries if d.root is None]
    if missing:
        raise DicomrefError(f"dataset {missing[0].name}: {missing[0].missing}")
    if not entries:
        raise DicomrefError(f"manifest {manifest} lists no datasets")
    return [ScrapeInput(d.name, d.root) for d in entries if d.root is not None]


def check_inputs(inputs: list[ScrapeInput]) -> None:
    """One-line errors for inputs that cannot be scraped: none, missing, empty, or two with one name."""
    if not inputs:
        raise DicomrefError("nothing to scrape: give a folder or file, or a manifest with datasets")
    names = [item.name for item in inputs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DicomrefError(f"two inputs are both named {duplicates[0]!r}: scrape them into separate --out files")
    for item in inputs:
        if not os.path.exists(item.root):
            raise DicomrefError(f"{item.root} does not exist")
        if next(walk(item.name, item.root), None) is None:
            raise DicomrefError(f"{item.root} holds no files: nothing to scrape there")


def _workers(inputs: list[ScrapeInput], options: ScrapeOptions) -> Workers | ClusterWorkers:
    """Where tasks run: this machine's pool, or a Dask cluster; the same tasks either way."""
    if options.cluster is None:
        return Workers(options.jobs or os.cpu_count() or 1)
    from dicomref.scrape.cluster import ClusterWorkers

    return ClusterWorkers(options.cluster, options.jobs, [_first_file(item) for item in inputs])


def _first_file(item: ScrapeInput) -> str:
    """The path of the input's first file: a worker that sees it sees the input (an empty mount point does not)."""
    first = next((found for found in walk(item.name, item.root) if isinstance(found, Candidate)), None)
    return os.path.abspath(item.root) if first is None else os.path.join(first.root, first.relpath)


def scrape(
    inputs: list[ScrapeInput],
    out: Path,
    options: ScrapeOptions = ScrapeOptions(),
    unreadable_csv: Path | None = None,
    on_progress: Callable[[ScrapeProgress], None] | None = None,
) -> ScrapeSummary:
    """Scrape `inputs` into `out` (JSON Lines), resuming any earlier run into the same file.

    Every check that can fail with a DicomrefError runs before the first progress report.
    """
    started = time.monotonic()
    check_inputs(inputs)
    unreadable_csv = unreadable_csv or unreadable_path(out)
    done = read_done(out)
    others = sorted({dataset for dataset, _ in done.paths} - {item.name for item in inputs})
    if others and not options.resume:
        raise DicomrefError(
            f"{out} already holds records of other inputs ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})"
            ": pass --resume to add to it, or choose another output"
        )
    run = _Run(inputs, options, done, on_progress or (lambda progress: None))
    run.unreadable |= kept_unreadable(unreadable_csv, {item.name for item in inputs})
    with _workers(inputs, options) as workers, RecordWriter(out) as writer:
        if options.all_files:
            run.scrape_all_files(workers, writer)
        else:
            run.scrape_series(workers, writer)
    write_unreadable(unreadable_csv, run.unreadable)
    run.summary.unreadable = len(run.unreadable)
    run.summary.elapsed = time.monotonic() - started
    return run.summary
