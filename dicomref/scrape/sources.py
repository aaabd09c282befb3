"""Walk dataset folders in sorted order, yielding every file to probe (plain, .gz, or inside a .zip)."""

from __future__ import annotations

import gzip
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A zip member larger than this (uncompressed) is not read: it is listed as unreadable instead.
MAX_MEMBER_BYTES = 2 * 1024**3
# More members than this in one archive is treated as a zip bomb.
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class Candidate:
    """One file to probe. `relpath` is relative to the dataset root; zip members add '/member'."""

    dataset: str
    root: str
    relpath: str
    size: int
    member: str | None = None  # the name inside the zip archive at `archive`
    archive: str | None = None  # relpath of the zip archive holding the member

    @property
    def display(self) -> str:
        """The path as people and JSON see it (never raises on bytes that are not UTF-8)."""
        return printable_path(self.relpath)

    def open(self) -> BinaryIO:
        if self.archive is not None:
            archive = zipfile.ZipFile(os.path.join(self.root, self.archive))
            try:
                return _ZipMemberStream(archive, archive.open(self.member))
            except BaseException:
                archive.close()
                raise
        path = os.path.join(self.root, self.relpath)
        if self.relpath.lower().endswith(".gz"):
            return gzip.open(path, "rb")
        return open(path, "rb")


class _ZipMemberStream:
    """A zip member's stream that also closes its archive."""

    def __init__(self, archive: zipfile.ZipFile, stream: BinaryIO) -> None:
        self._archive, self._stream = archive, stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def close(self) -> None:
        self._stream.close()
        self._archive.close()

    def __enter__(self) -> "_ZipMemberStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Unreadable:
    """A path that could not be walked or opened, with a value-free reason."""

    dataset: str
    relpath: str
    reason: str

    @property
    def display(self) -> str:
        return printable_path(self.relpath)


def printable_path(relpath: str) -> str:
    """Paths may hold bytes that are not UTF-8 (kept as surrogates); show them as U+FFFD."""
    return relpath.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _zip_members(dataset: str, root: str, relpath: str) -> Iterator[Candidate | Unreadable]:
    try:
        with zipfile.ZipFile(os.path.join(root, relpath)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                yield Unreadable(dataset, relpath, f"zip archive with more than {MAX_MEMBERS} members")
                return
            for info in sorted(infos, key=lambda i: i.filename):
                if info.is_dir():
                    continue
                member_path = f"{relpath}/{info.filename}"
                if info.filename.startswith("/") or ".." in info.filename.split("/"):
                    yield Unreadable(dataset, member_path, "zip member path leaves the archive")
                elif info.file_size > MAX_MEMBER_BYTES:
                    yield Unreadable(dataset, member_path, "zip member too large")
                else:
                    yield Candidate(dataset, root, member_path, info.file_size, info.filename, relpath)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        yield Unreadable(dataset, relpath, "damaged zip archive")


def walk(dataset: str, root: Path) -> Iterator[Candidate | Unreadable]:
    """Depth-first in sorted order, so each series' first file (lowest path) is met first.

    Symlinks to folders are followed once: a folder already visited (a loop) is skipped.
    """
    root_str = os.fspath(root)
    seen: set[tuple[int, int]] = set()
    if os.path.isfile(root_str):
        parent, name = os.path.split(root_str)
        yield from _entry(dataset, parent, name, seen)
        return
    yield from _folder(dataset, root_str, "", seen)


def _folder(dataset: str, root: str, rel: str, seen: set[tuple[int, int]]) -> Iterator[Candidate | Unreadable]:
    path = os.path.join(root, rel) if rel else root
    try:
        info = os.stat(path)
        if (info.st_dev, info.st_ino) in seen:
            yield Unreadable(dataset, rel, "symlink loop")
            return
        seen.add((info.st_dev, info.st_ino))
        names = sorted(os.listdir(path))
    except PermissionError:
        yield Unreadable(dataset, rel, "permission denied")
        return
    except OSError as exc:
        yield Unreadable(dataset, rel, f"folder not readable ({exc.strerror or 'error'})")
        return
    for name in names:
        yield from _entry(dataset, root, os.path.join(rel, name) if rel else name, seen)


def _entry(dataset: str, root: str, rel: str, seen: set[tuple[int, int]]) -> Iterator[Candidate | Unreadable]:
    path = os.path.join(root, rel)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        yield Unreadable(dataset, rel, "broken symlink" if os.path.islink(path) else "vanished")
        return
    except PermissionError:
        yield Unreadable(dataset, rel, "permission denied")
        return
    except OSError as exc:
        reason = "symlink loop" if exc.errno == 40 else f"not readable ({exc.strerror or 'error'})"
        yield Unreadable(dataset, rel, reason)
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _folder(dataset, root, rel, seen)
    elif not stat.S_ISREG(info.st_mode):
        yield Unreadable(dataset, rel, "not a regular file")
    elif rel.lower().endswith(".zip"):
        yield from _zip_members(dataset, root, rel)
    else:
        yield Candidate(dataset, root, rel, info.st_size)
