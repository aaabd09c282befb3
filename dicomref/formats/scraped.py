"""scraped.jsonl: one record per scraped file, written a whole line at a time, read back to resume a scrape and by
the aggregate stage. The only module that reads or writes it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NotRequired, TypedDict

from dicomref.errors import DicomrefError
from dicomref.pause import pause_point


class ScrapedElement(TypedDict):
    """One element of a scraped file; bulk binary elements carry no `value`."""

    tag: str  # 8 uppercase hex digits
    vr: str
    value: NotRequired[str]
    length: int
    truncated: bool
    path: list[str]  # tags of the enclosing sequences, outermost first


class ScrapedSource(TypedDict):
    """Where a record comes from; `skipped` lists the files of its series tried before it, with why."""

    dataset: str
    path: str  # relative to the dataset's root
    series_instance_uid: str
    series_files: int
    sop_class_uid: str
    modality: str
    transfer_syntax_uid: str
    manufacturer: str
    size: int
    skipped: list[list[str]]
    damage: list[str]


class ScrapedRecord(TypedDict):
    source: ScrapedSource
    elements: list[ScrapedElement]


# Every record line starts so (keys are sorted): how a line cut short by a kill is told from foreign data.
_RECORD_START = b'{"elements": '


@dataclass
class Done:
    """What an earlier run already wrote to the output."""

    series: set[tuple[str, str]] = field(default_factory=set)  # (dataset, SeriesInstanceUID)
    paths: set[tuple[str, str]] = field(default_factory=set)  # (dataset, path) of every record
    unreadable: set[tuple[str, str]] = field(default_factory=set)  # files recorded as skipped in those records
    records: int = 0


def read_done(out: Path) -> Done:
    """The records already in `out`; a last line cut short by a killed run is removed."""
    done = Done()
    if not out.exists():
        return done
    if not out.is_file():
        raise DicomrefError(f"--out {out} is not a file")
    good_bytes = 0
    with open(out, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith(b"\n"):
                if line.startswith(_RECORD_START):
                    break
                raise DicomrefError(f"{out}:{number}: not a scraped record (choose another --out)")
            try:
                source = json.loads(line)["source"]
                dataset, path, uid = source["dataset"], source["path"], source.get("series_instance_uid") or ""
                skipped = source.get("skipped", [])
            except (ValueError, KeyError, TypeError):
                raise DicomrefError(f"{out}:{number}: not a scraped record (choose another --out)") from None
            done.paths.add((dataset, path))
            if uid:
                done.series.add((dataset, uid))
            done.unreadable.update((f"{dataset}/{row[0]}", row[1]) for row in skipped)
            done.records += 1
            good_bytes += len(line)
    if good_bytes != out.stat().st_size:
        os.truncate(out, good_bytes)
    return done


def read_records(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[ScrapedRecord]:
    """Records of one scraped file; a last line cut short by a killed scrape is skipped."""
    for number, line in record_lines(path, on_bytes):
        yield parse_record(path, number, line)


def size_of_records(path: Path) -> int:
    """The size of a scraped file, or why it cannot be read."""
    if path.is_dir():
        raise DicomrefError(f"{path} is a folder, not a scraped JSON Lines file")
    if not path.exists():
        raise DicomrefError(f"{path} not found (run `dicomref scrape` first)")
    return path.stat().st_size


def line_start(path: Path, offset: int) -> int:
    """The offset of the first line starting at or after `offset`."""
    if offset == 0:
        return 0
    with open(path, "rb") as handle:
        handle.seek(offset - 1)
        handle.readline()
        return handle.tell()


def record_lines(
    path: Path, on_bytes: Callable[[int], None] | None = None, start: int = 0, end: int | None = None, number: int = 1
) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the whole lines from byte `start` (where line `number` begins) to `end`; a last line
    cut short by a killed scrape is left out."""
    size_of_records(path)
    with open(path, "rb") as handle:
        handle.seek(start)
        offset = start
        for line in handle:
            if end is not None and offset >= end:
                return
            if on_bytes is not None:
                on_bytes(len(line))
            if not line.endswith(b"\n"):
                return
            yield number, line
            number += 1
            offset += len(line)


def parse_record(path: Path, number: int, line: bytes) -> ScrapedRecord:
    """The record of line `number` of `path`, or an error naming the line."""
    try:
        record = json.loads(line)
        record["source"]["dataset"], record["source"]["path"], record["elements"]
    except (ValueError, KeyError, TypeError):
        raise DicomrefError(
            f"{path}:{number}: not a scraped record (expected a line written by `dicomref scrape`)"
        ) from None
    return record


SOP_INSTANCE_UID = "00080018"
MEDIA_STORAGE_SOP_INSTANCE_UID = "00020003"
_INSTANCE_TAGS = (SOP_INSTANCE_UID, MEDIA_STORAGE_SOP_INSTANCE_UID)
_SOURCE_START = b', "source": '
# How a top-level element of a tag starts after its length, keys sorted; its last key is "vr".
_TOP_LEVEL = {tag: f'"path": [], "tag": "{tag}", '.encode() for tag in _INSTANCE_TAGS}
_LAST_KEY = b', "vr": '


@dataclass(frozen=True)
class Identity:
    """What tells two records of the same file apart from records of other files."""

    dataset: str
    path: str
    instance_uid: str | None  # the SOP Instance UID, else the Media Storage SOP Instance UID; None: neither


def identity_of(record: ScrapedRecord) -> Identity:
    """The record's identity; KeyError, TypeError or AttributeError when an element is not as the scrape writes it."""
    uids = {e["tag"]: e.get("value") for e in record["elements"] if not e["path"] and e["tag"] in _INSTANCE_TAGS}
    source = record["source"]
    uid = uids.get(SOP_INSTANCE_UID) or uids.get(MEDIA_STORAGE_SOP_INSTANCE_UID) or None
    return Identity(source["dataset"], source["path"], uid)


def peek_identity(line: bytes) -> Identity | None:
    """The identity of a record line as `dicomref scrape` writes it, read from its source and its instance UIDs
    without parsing the rest; None when the line is not so written (then parse it whole)."""
    at = line.rfind(_SOURCE_START)
    if at < 0 or not line.endswith(b"}\n"):
        return None
    try:
        source = json.loads(line[at + len(_SOURCE_START) : -2])
        elements = line[:at]
        uid = _top_level_value(elements, SOP_INSTANCE_UID) or _top_level_value(elements, MEDIA_STORAGE_SOP_INSTANCE_UID)
        return Identity(source["dataset"], source["path"], uid)
    except (ValueError, KeyError, TypeError):
        return None


def _top_level_value(elements: bytes, tag: str) -> str | None:
    """The value of the one top-level element of `tag`, None without one; ValueError when there are several or it
    cannot be read."""
    start = _TOP_LEVEL[tag]
    found = elements.count(start)
    if found == 0:
        return None
    at = elements.find(start)
    begin, end = elements.rfind(b"{", 0, at), elements.find(_LAST_KEY, at)
    if found > 1 or begin < 0 or end < 0:
        raise ValueError(tag)
    value = json.loads(elements[begin:end] + b"}").get("value")
    if value is not None and not isinstance(value, str):
        raise ValueError(tag)
    return value or None


class RecordWriter:
    """Appends records to the output, each line with whole writes, so a kill leaves complete lines only."""

    def __init__(self, out: Path):
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except (FileExistsError, NotADirectoryError):
            raise DicomrefError(f"cannot write {out}: {out.parent} is not a folder") from None
        except OSError as exc:
            raise DicomrefError(f"cannot write {out}: {exc.strerror or exc}") from None
        self.written = 0

    def write(self, record: ScrapedRecord) -> None:
        data = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        while data:
            data = data[os.write(self._fd, data) :]
        self.written += 1
        pause_point("scrape-record", self.written)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
