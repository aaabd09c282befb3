"""The scrape stage: probe every file's series cheaply, then fully read the first file of each series."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic
from dicomref.scrape.discovery import ProbeError, probe_series_uid
from dicomref.scrape.extract import ExtractOptions, extract_elements
from dicomref.scrape.sources import Candidate, Unreadable, walk

# Later files of a series tried, in order, when its first file cannot be read in full.
SPARES = 3


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


@dataclass
class ScrapeSummary:
    files_seen: int = 0
    dicom_files: int = 0
    series: int = 0
    scraped: int = 0  # records in the output, including those kept from an earlier run
    resumed: int = 0  # series found already scraped in the output
    unreadable: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True)
class ScrapeProgress:
    phase: str  # "discover" or "extract"
    done: int
    total: int | None
    series: int


@dataclass
class _Group:
    key: tuple[str, str]
    uid: str | None
    members: list[Candidate] = field(default_factory=list)  # the first file and up to SPARES more
    count: int = 0


def _reason_for(exc: BaseException) -> str:
    if isinstance(exc, ProbeError):
        return exc.reason
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, (zlib.error, EOFError)) or type(exc).__name__ == "BadGzipFile":
        return "damaged gzip data"
    if isinstance(exc, zipfile.BadZipFile):
        return "damaged zip archive"
    if isinstance(exc, InvalidDicomError):
        return "not DICOM"
    if isinstance(exc, OSError):
        return f"not readable ({exc.strerror or 'error'})"
    return f"unreadable DICOM ({type(exc).__name__})"


def _probe(candidate: Candidate) -> tuple[Candidate, str | None, str | None]:
    """(candidate, series uid, failure reason): runs in worker processes."""
    try:
        with candidate.open() as stream:
            return candidate, probe_series_uid(stream), None
    except Exception as exc:  # every failure becomes a row in unreadable.csv
        return candidate, None, _reason_for(exc)


def _read_dataset(candidate: Candidate) -> pydicom.Dataset:
    with candidate.open() as stream:
        source = stream if candidate.archive is None and not candidate.relpath.lower().endswith(".gz") else io.BytesIO(stream.read())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(source, stop_before_pixels=True, force=True)


def _text(dataset: pydicom.Dataset, keyword: str) -> str:
    value = dataset.get(keyword) if keyword in dataset else dataset.file_meta.get(keyword) if dataset.file_meta else None
    return "" if value is None else str(value)


def _record(candidate: Candidate, dataset: pydicom.Dataset, uid: str | None, count: int, options: ExtractOptions) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elements = extract_elements(dataset, options)
        source = {
            "dataset": candidate.dataset,
            "path": candidate.display,
            "series_instance_uid": uid or "",
            "series_files": count,
            "sop_class_uid": _text(dataset, "SOPClassUID") or _text(dataset, "MediaStorageSOPClassUID"),
            "modality": _text(dataset, "Modality"),
            "transfer_syntax_uid": _text(dataset, "TransferSyntaxUID"),
            "manufacturer": _text(dataset, "Manufacturer"),
            "size": candidate.size,
        }
    return {"source": source, "elements": elements}


def _extract(job: tuple[_Group, ExtractOptions]) -> tuple[dict | None, list[tuple[Candidate, str]]]:
    """Read the first readable file of a series in full: runs in worker processes."""
    group, options = job
    failures: list[tuple[Candidate, str]] = []
    for candidate in group.members:
        try:
            dataset = _read_dataset(candidate)
            return _record(candidate, dataset, group.uid, group.count, options), failures
        except Exception as exc:  # try the next file of the series
            failures.append((candidate, _reason_for(exc)))
    return None, failures


def _done_keys(out: Path) -> set[tuple[str, str]]:
    """Series already in the output; a trailing line cut short by a killed run is dropped."""
    if not out.exists():
        return set()
    keys: set[tuple[str, str]] = set()
    good_bytes = 0
    with open(out, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                source = json.loads(line)["source"]
            except (ValueError, KeyError, TypeError):
                break
            keys.add(_source_key(source))
            good_bytes += len(line)
    if good_bytes != out.stat().st_size:
        os.truncate(out, good_bytes)
    return keys


def _source_key(source: dict) -> tuple[str, str]:
    uid = source.get("series_instance_uid") or ""
    return (source["dataset"], uid if uid else "path:" + source["path"])


def _group_key(candidate: Candidate, uid: str | None, all_files: bool) -> tuple[str, str]:
    if all_files or not uid:
        return (candidate.dataset, "path:" + candidate.display)
    return (candidate.dataset, uid)


def _pool_map(jobs: int, func: Callable, items: Iterable, chunksize: int) -> Iterator:
    if jobs == 1:
        yield from map(func, items)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield from pool.map(func, items, chunksize=chunksize)


def _write_unreadable(path: Path, rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "reason"])
    writer.writerows(sorted(set(rows)))
    write_text_atomic(path, buffer.getvalue())


def scrape(
    inputs: list[ScrapeInput],
    out: Path,
    options: ScrapeOptions = ScrapeOptions(),
    unreadable_csv: Path | None = None,
    on_progress: Callable[[ScrapeProgress], None] | None = None,
) -> ScrapeSummary:
    """Scrape `inputs` into `out` (JSON Lines), resuming any earlier run into the same file."""
    started = time.monotonic()
    for item in inputs:
        if not item.root.exists():
            raise DicomrefError(f"{item.root} does not exist")
    jobs = options.jobs or os.cpu_count() or 1
    summary = ScrapeSummary()
    unreadable: list[tuple[str, str]] = []
    groups: dict[tuple[str, str], _Group] = {}
    report = on_progress or (lambda progress: None)

    def candidates() -> Iterator[Candidate]:
        for item in inputs:
            for found in walk(item.name, item.root):
                if isinstance(found, Unreadable):
                    unreadable.append((f"{found.dataset}/{found.display}", found.reason))
                else:
                    yield found

    for candidate, uid, reason in _pool_map(jobs, _probe, candidates(), chunksize=32):
        summary.files_seen += 1
        if reason is not None:
            unreadable.append((f"{candidate.dataset}/{candidate.display}", reason))
        else:
            summary.dicom_files += 1
            key = _group_key(candidate, uid, options.all_files)
            group = groups.setdefault(key, _Group(key, uid))
            group.count += 1
            if len(group.members) <= SPARES:
                group.members.append(candidate)
        if summary.files_seen % 64 == 0:
            report(ScrapeProgress("discover", summary.files_seen, None, len(groups)))
    summary.series = len(groups)
    report(ScrapeProgress("discover", summary.files_seen, summary.files_seen, summary.series))

    out.parent.mkdir(parents=True, exist_ok=True)
    done = _done_keys(out)
    todo = [group for group in groups.values() if group.key not in done]
    summary.resumed = summary.series - len(todo)
    summary.scraped = len(done)
    with open(out, "ab") as handle:
        jobs_iter = ((group, options.extract) for group in todo)
        for index, (record, failures) in enumerate(_pool_map(jobs, _extract, jobs_iter, chunksize=1), 1):
            for candidate, reason in failures:
                unreadable.append((f"{candidate.dataset}/{candidate.display}", reason))
            if record is not None:
                line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
                os.write(handle.fileno(), line.encode("utf-8"))  # one write: a kill never splits a line
                summary.scraped += 1
            report(ScrapeProgress("extract", index, len(todo), summary.series))

    summary.unreadable = len(set(unreadable))
    _write_unreadable(unreadable_csv or out.parent / "unreadable.csv", unreadable)
    summary.elapsed = time.monotonic() - started
    return summary
