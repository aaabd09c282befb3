"""What worker processes do: probe a batch of files for their series, read one file of a series in full.

Every failure becomes a value-free reason; nothing a worker meets ends the run, and no file
takes longer than the time limit.
"""

from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import BinaryIO, cast

import pydicom
from pydicom.datadict import DicomDictionary
from pydicom.dataelem import RawDataElement
from pydicom.errors import InvalidDicomError

from dicomref.formats.scraped import ScrapedRecord
from dicomref.scrape.damage import META_REPEATED, find_damage, true_file_meta
from dicomref.scrape.discovery import ProbeError, SeriesProbe, probe_series_uid
from dicomref.scrape.extract import DEFER_BYTES, ExtractOptions, extract_elements
from dicomref.scrape.sources import Candidate, Opener
from dicomref.scrape.workers import TimeLimitExceeded, file_deadline

_DEFLATED = "1.2.840.10008.1.2.1.99"
Location = str | tuple[str, str]
# The reason listed for a file whose worker process died every time it was read (on a Dask cluster).
KILLED = "killed its worker process each time it was read"


@dataclass(frozen=True)
class ProbeBatch:
    """Files under one root whose series to learn; locations are small to send (see Candidate.location)."""

    root: str
    locations: list[Location]
    seconds: float  # time limit per file, 0 for none


@dataclass(frozen=True)
class ReadTask:
    """Files of one series tried in order until one reads in full; with `probe`, each is probed first (--all-files)."""

    members: list[Candidate]
    uid: str | None
    series_files: int
    options: ExtractOptions
    seconds: float
    probe: bool = False


@dataclass
class ReadResult:
    record: ScrapedRecord | None = None
    failures: list[tuple[Candidate, str]] = field(default_factory=list)
    damaged: list[tuple[Candidate, str]] = field(default_factory=list)  # read, but passed over for a sound file
    dicom: bool = False  # with `probe`: whether the file is DICOM at all


class Truncated(ProbeError):
    """A value is shorter than its declared length: the file ends inside it."""

    def __init__(self, tag: int):
        super().__init__(f"truncated in ({tag >> 16:04X},{tag & 0xFFFF:04X})")


def reason_for(exc: BaseException) -> str:
    """A short, value-free phrase for unreadable.csv."""
    seen: BaseException | None = exc
    while seen is not None:  # a time limit may surface wrapped by the library it interrupted
        if isinstance(seen, TimeLimitExceeded):
            return "took longer than the time limit"
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, ProbeError):
        return exc.reason
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "not a regular file"
    if isinstance(exc, (zlib.error, EOFError)) or type(exc).__name__ == "BadGzipFile":
        return "damaged compressed data"
    if isinstance(exc, (zipfile.BadZipFile, NotImplementedError)):
        return "damaged or unsupported zip member"
    if isinstance(exc, InvalidDicomError):
        return "not DICOM"
    if isinstance(exc, MemoryError):
        return "too large to read"
    if isinstance(exc, RecursionError):
        return "sequences nested too deeply"
    if isinstance(exc, OSError) and exc.errno is None:  # raised by pydicom, not by the system
        return "malformed or truncated DICOM"
    if isinstance(exc, OSError):
        return f"not readable ({exc.strerror or 'error'})"
    return f"unreadable DICOM ({type(exc).__name__})"


def probe_batch(batch: ProbeBatch) -> list[tuple[str | None, str | None]]:
    """(SeriesInstanceUID, None) for each DICOM file of the batch, (None, reason) for the others."""
    results: list[tuple[str | None, str | None]] = []
    probe = SeriesProbe()  # the batch's files follow one another in walk order: most are laid out alike
    with Opener(batch.root) as opener, file_deadline(batch.seconds) as deadline:
        for location in batch.locations:
            try:
                with deadline.file(), opener.open(location) as stream:
                    result: tuple[str | None, str | None] = (probe.series_uid(stream), None)
            except Exception as exc:  # every failure becomes a row in unreadable.csv
                result = (None, reason_for(exc))
            results.append(result)
    return results


def read_series(task: ReadTask) -> ReadResult:
    """The record of the first member that reads in full and sound, else of the first damaged one that reads;
    the members tried before it, with their reasons."""
    result = ReadResult()
    damaged: list[tuple[Candidate, ScrapedRecord]] = []
    with Opener(task.members[0].root) as opener, file_deadline(task.seconds) as deadline:
        for candidate in task.members:
            try:
                with deadline.file():
                    uid = _probe(opener, candidate) if task.probe else task.uid
                    result.dicom = True
                    record = _read(opener, candidate, uid, task)
            except Exception as exc:  # try the next file of the series
                result.failures.append((candidate, reason_for(exc)))
                continue
            if not record["source"]["damage"]:
                result.record = record
                result.damaged = [(c, _damage_reason(r)) for c, r in damaged]
                return result
            damaged.append((candidate, record))
    if damaged:
        result.record = damaged[0][1]
        result.damaged = [(c, _damage_reason(r)) for c, r in damaged[1:]]
    return result


def read_batch(tasks: list[ReadTask]) -> list[ReadResult]:
    """read_series for a few series in one task: sending a task to a worker costs about as much as reading a file."""
    return [read_series(task) for task in tasks]


def _damage_reason(record: ScrapedRecord) -> str:
    return "damaged: " + "; ".join(record["source"]["damage"])


def missing_paths(paths: list[str]) -> list[str]:
    """The paths this process cannot see: run on every Dask worker before the scrape starts."""
    return [path for path in paths if not os.path.exists(path)]


def probe_files_apart(
    batch: ProbeBatch, run: Callable[[ProbeBatch], list[tuple[str | None, str | None]] | None]
) -> list[tuple[str | None, str | None]]:
    """probe_batch for a batch whose worker died each time: one task per file, so the file that kills is named.

    `run` runs one task on the cluster and returns None when its worker died each time.
    """
    results: list[tuple[str | None, str | None]] = []
    for location in batch.locations:
        found = run(replace(batch, locations=[location]))
        results.extend([(None, KILLED)] if found is None else found)
    return results


def read_batch_apart(
    tasks: list[ReadTask], run: Callable[[list[ReadTask]], list[ReadResult] | None]
) -> list[ReadResult]:
    """read_batch for a batch whose worker died each time: each series apart, and each of its files apart."""

    def one(task: ReadTask) -> ReadResult | None:
        found = run([task])
        return None if found is None else found[0]

    return [read_members_apart(task, one) for task in tasks]


def read_members_apart(task: ReadTask, run: Callable[[ReadTask], ReadResult | None]) -> ReadResult:
    """read_series for a task whose worker died each time: one task per member, in order, until one reads sound."""
    result = ReadResult()
    damaged: list[tuple[Candidate, ScrapedRecord]] = []
    for candidate in task.members:
        one = run(replace(task, members=[candidate]))
        if one is None:
            result.failures.append((candidate, KILLED))
            continue
        result.failures.extend(one.failures)
        result.dicom = result.dicom or one.dicom
        if one.record is None:
            continue
        if not one.record["source"]["damage"]:
            result.damaged += [(c, _damage_reason(r)) for c, r in damaged]
            result.record = one.record
            return result
        damaged.append((candidate, one.record))
    if damaged:
        result.record = damaged[0][1]
        result.damaged += [(c, _damage_reason(r)) for c, r in damaged[1:]]
    return result


def _probe(opener: Opener, candidate: Candidate) -> str | None:
    with opener.open(candidate.location) as stream:
        return probe_series_uid(stream)


def _read(opener: Opener, candidate: Candidate, uid: str | None, task: ReadTask) -> ScrapedRecord:
    with opener.open(candidate.location, buffered=True) as stream:
        dataset = _dcmread(stream, DEFER_BYTES)
        source: BinaryIO | None = stream
        if str(dataset.file_meta.get("TransferSyntaxUID", "")) == _DEFLATED:
            # pydicom inflates the dataset in memory: offsets no longer point into the stream.
            stream.seek(0)
            dataset, source = _dcmread(stream, None), None
        _check_dicom(dataset)
        damage = _damage(stream, dataset, deflated=source is None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elements = extract_elements(dataset, task.options, source)
        record_source = _source(dataset, candidate, opener, uid, task.series_files)
        return cast(ScrapedRecord, {"source": record_source | {"damage": damage}, "elements": elements})


def _damage(stream: BinaryIO, dataset: pydicom.Dataset, deflated: bool) -> list[str]:
    """What is structurally wrong with the file; the file meta replaced by the true one when pydicom took a
    copy of group 0002 in the dataset for file meta. The stream is left where it was."""
    where = stream.tell()
    found = set()
    meta = true_file_meta(stream)
    if meta is not None:
        dataset.file_meta = meta
        found.add(META_REPEATED)
    implicit, little = dataset.original_encoding
    if not deflated and implicit is not None and little is not None:
        found.update(find_damage(stream, implicit, little))
    stream.seek(where)
    return sorted(found)


def _dcmread(stream: BinaryIO, defer: int | None) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(stream, stop_before_pixels=True, force=True, defer_size=defer)


def _check_dicom(dataset: pydicom.Dataset) -> None:
    """Bytes pydicom read as elements only because they followed a DICM marker are not DICOM; and pydicom
    keeps a value cut short by the end of the file, but such a file is truncated, not read."""
    if not any(tag in DicomDictionary for tag in [*dataset.file_meta.keys(), *dataset.keys()]):
        raise ProbeError("not DICOM (no known attribute)")
    for tag in dataset.keys():  # noqa: SIM118 (iterating a Dataset gives its elements, read in full)
        raw = dataset.get_item(tag, keep_deferred=True)
        value = raw.value if isinstance(raw, RawDataElement) else None
        if isinstance(value, bytes) and raw.length != 0xFFFFFFFF and len(value) < raw.length:  # type: ignore[unreachable]
            raise Truncated(int(tag))


def _text(dataset: pydicom.Dataset, keyword: str) -> str:
    for where in (dataset.file_meta, dataset):  # group 0002 is the file meta's, even when the dataset repeats it
        try:
            value = where.get(keyword)
        except Exception:
            return ""
        if value is not None:
            return str(value)
    return ""


def _source(dataset: pydicom.Dataset, candidate: Candidate, opener: Opener, uid: str | None, series_files: int) -> dict:
    """Provenance; `skipped` (files of the series tried before this one) is filled in by the caller."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "dataset": candidate.dataset,
            "path": candidate.display,
            "series_instance_uid": uid or "",
            "series_files": series_files,
            "sop_class_uid": _text(dataset, "SOPClassUID") or _text(dataset, "MediaStorageSOPClassUID"),
            "modality": _text(dataset, "Modality"),
            "transfer_syntax_uid": _text(dataset, "TransferSyntaxUID"),
            "manufacturer": _text(dataset, "Manufacturer"),
            "size": opener.size(candidate.location),
            "skipped": [],
        }
