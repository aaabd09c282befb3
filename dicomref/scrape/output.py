"""The scrape outputs: scraped.jsonl (written a whole line at a time, read back to resume and by the aggregate
stage) and unreadable.csv. The only module that reads or writes either."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic
from dicomref.pause import pause_point

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


def read_records(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Records of one scraped file; a last line cut short by a killed scrape is skipped."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DicomrefError(f"{path} not found (run `dicomref scrape` first)") from None
    except IsADirectoryError:
        raise DicomrefError(f"{path} is a folder, not a scraped JSON Lines file") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if on_bytes is not None:
                on_bytes(len(line))
            if not line.endswith(b"\n"):
                return
            try:
                record = json.loads(line)
                record["source"]["dataset"], record["source"]["path"], record["elements"]
            except (ValueError, KeyError, TypeError):
                raise DicomrefError(
                    f"{path}:{number}: not a scraped record (expected a line written by `dicomref scrape`)"
                ) from None
            yield record


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

    def write(self, record: dict) -> None:
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


def kept_unreadable(path: Path, datasets: set[str]) -> set[tuple[str, str]]:
    """Rows of an earlier unreadable.csv for datasets this run does not walk (it recomputes its own)."""
    if not path.is_file():
        return set()
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error):
        raise DicomrefError(
            f"{path} is not an unreadable.csv written by dicomref (move it, or choose another --out)"
        ) from None
    return {(row[0], row[1]) for row in rows[1:] if len(row) == 2 and row[0].split("/", 1)[0] not in datasets}


def write_unreadable(path: Path, rows: set[tuple[str, str]]) -> None:
    """`path,reason`, sorted; paths are `<dataset>/<path in dataset>` and reasons never hold values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "reason"])
    writer.writerows(sorted(rows))
    write_text_atomic(path, buffer.getvalue())
