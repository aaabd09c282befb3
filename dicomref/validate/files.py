"""Check files as scrape reads them (files, folders, .gz files, zip members), one report per file."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.uid import DeflatedExplicitVRLittleEndian

from dicomref.forked import in_order
from dicomref.scrape.discovery import probe_series_uid
from dicomref.scrape.extract import DEFER_BYTES
from dicomref.scrape.sources import Candidate, Opener, Unreadable, printable_path, walk
from dicomref.scrape.tasks import Truncated, _check_dicom, reason_for
from dicomref.validate.engine import Report, Validator
from dicomref.validate.view import from_dataset

_NO_DELIMITER = "End of file reached before delimiter"
UNDEFINED_LENGTH = 0xFFFFFFFF
UNTERMINATED = "truncated: the file ends inside a value of undefined length, before its delimiter"


@dataclass(frozen=True)
class Checked:
    """One file: its report, or why it could not be checked (not DICOM, truncated, an unknown SOP class)."""

    path: str
    report: Report | None
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        """One line of `dicomref validate --json`; the inspect page's "Save report" writes the same."""
        report = self.report
        return {
            "path": self.path,
            "sop_class_uid": report.sop_class_uid if report else None,
            "iod": report.iod if report else None,
            "problem": self.problem or None,
            "findings": [f.to_json() for f in report.findings] if report else [],
        }


def candidates(paths: list[Path]) -> Iterator[tuple[str, Candidate | Unreadable]]:
    """Every file under the paths, each with the path people see: the argument, then the path below it."""
    for given in paths:
        base = printable_path(str(given))
        folder = given.is_dir()
        for found in walk(base, given):
            if folder:
                yield f"{base.rstrip('/')}/{found.display}", found
            elif isinstance(found, Candidate) and found.member is not None:
                yield f"{base}/{printable_path(found.member)}", found
            else:
                yield base, found


def check_paths(
    paths: list[Path],
    validator: Validator,
    first_per_series: bool = False,
    on_file: Callable[[int, int], None] | None = None,
    jobs: int = 1,
) -> Iterator[Checked]:
    """Reports in walk order, the same from any number of worker processes (`jobs`); with `first_per_series`,
    files of a series met before are passed over."""
    found = list(candidates(paths))
    if first_per_series:
        found = list(_first_per_series(found))
    # The model's objects are left out of garbage collection from here on: collecting them again and again cost a
    # fifth of the run, and in a forked worker every object a collection touches is copied. The collector runs
    # after each file (_check_each) rather than as objects are made: reading a file makes next to no cycles, and
    # walking its objects while it is read cost another 7%.
    gc.freeze()
    try:
        with collection_paused():
            work = functools.partial(_check_each, found, validator)
            for number, checked in enumerate(in_order(work, len(found), jobs), 1):
                if on_file is not None:
                    on_file(number, len(found))
                yield checked
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """For loading the model and compiling the rules: millions of objects kept to the end, which the collector
    would walk again and again as they are made (a third of the start-up); and for checking files, collected after
    each file."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _openers() -> Iterator[Callable[[str], Opener]]:
    """An Opener per root, each keeping its last zip archive open for the members that follow; closed at the end."""
    openers: dict[str, Opener] = {}
    try:
        yield lambda root: openers.setdefault(root, Opener(root))
    finally:
        for opener in openers.values():
            opener.close()


def _first_per_series(found: list[tuple[str, Candidate | Unreadable]]) -> Iterator[tuple[str, Candidate | Unreadable]]:
    """The files of a series not met before; a file whose series cannot be told is kept, for its check to say why."""
    seen_series: set[str] = set()
    with _openers() as opener_for:
        for shown, candidate in found:
            if isinstance(candidate, Candidate):
                try:
                    with opener_for(candidate.root).open(candidate.location, buffered=True) as stream:
                        uid = probe_series_uid(stream)
                except Exception:
                    uid = None
                if uid in seen_series:
                    continue
                if uid:
                    seen_series.add(uid)
            yield shown, candidate


def _check_each(
    found: list[tuple[str, Candidate | Unreadable]], validator: Validator, indexes: Iterable[int]
) -> Iterator[tuple[int, Checked]]:
    """The files at `indexes`, in turn, each with its index."""
    with _openers() as opener_for:
        for index in indexes:
            shown, candidate = found[index]
            if isinstance(candidate, Unreadable):
                yield index, Checked(shown, None, candidate.reason)
                continue
            try:
                checked = _check(opener_for(candidate.root), candidate, shown, validator)
            except Exception as exc:  # every failure is one line; the run goes on
                checked = Checked(shown, None, reason_for(exc))
            yield index, checked
            gc.collect(0)  # the cycles this file made, if any: the objects made since the last file


def _check_deferred(dataset: pydicom.Dataset, stream: BinaryIO) -> None:
    """A value too long to be read (deferred) may still run past the end of the file: then it is truncated, as a
    value read short is. A deflated dataset's values lie in its inflated bytes."""
    size = stream.seek(0, os.SEEK_END)
    if dataset.file_meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian:
        stream.seek(0)
        read_preamble(stream, True)
        _read_file_meta_info(stream)
        size = len(zlib.decompressobj(-zlib.MAX_WBITS).decompress(stream.read()))
    for tag in dataset.keys():  # noqa: SIM118 (iterating a Dataset gives its elements, read in full)
        raw: object = dataset.get_item(tag, keep_deferred=True)  # a raw element while it is not converted
        if not isinstance(raw, RawDataElement) or raw.value is not None or raw.length == UNDEFINED_LENGTH:
            continue
        if raw.value_tell + raw.length > size:
            raise Truncated(int(tag))


def _check(opener: Opener, candidate: Candidate, shown: str, validator: Validator) -> Checked:
    with opener.open(candidate.location, buffered=True) as stream:
        probe_series_uid(stream)  # raises, with the reason scrape gives, when the file is not readable DICOM
        stream.seek(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dataset = pydicom.dcmread(stream, force=True, defer_size=DEFER_BYTES)
            _check_dicom(dataset)
            _check_deferred(dataset, stream)
            # pydicom keeps none of the elements read when a value of undefined length runs to the end of the file.
            if any(str(w.message).startswith(_NO_DELIMITER) for w in caught):
                return Checked(shown, None, UNTERMINATED)
            report = validator.check(from_dataset(dataset, validator.standard.dictionary.key_for))
    return Checked(shown, report, report.problem)
