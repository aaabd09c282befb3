"""unreadable.csv: `path,reason` for every file a scrape could not read, never values. The only module that reads or
writes it, and the one place that says where it goes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic

FILENAME = "unreadable.csv"


def unreadable_path(scraped: Path) -> Path:
    """Where the list of unreadable files of a scrape into `scraped` goes: beside it."""
    return scraped.parent / FILENAME


def read_unreadable(path: Path) -> list[tuple[str, str]]:
    """The rows of a file written by `write_unreadable`, in file order."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error):
        raise DicomrefError(
            f"{path} is not an unreadable.csv written by dicomref (move it, or choose another --out)"
        ) from None
    return [(row[0], row[1]) for row in rows[1:] if len(row) == 2]


def kept_unreadable(path: Path, datasets: set[str]) -> set[tuple[str, str]]:
    """Rows of an earlier unreadable.csv for datasets this run does not walk (it recomputes its own)."""
    if not path.is_file():
        return set()
    return {row for row in read_unreadable(path) if row[0].split("/", 1)[0] not in datasets}


def write_unreadable(path: Path, rows: set[tuple[str, str]]) -> None:
    """`path,reason`, sorted; paths are `<dataset>/<path in dataset>` and reasons never hold values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "reason"])
    writer.writerows(sorted(rows))
    write_text_atomic(path, buffer.getvalue())
