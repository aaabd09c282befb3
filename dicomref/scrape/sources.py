"""Walk dataset folders in sorted order and open what they hold: plain files, .gz files and .zip members.

The walk runs in the main process for every file of an archive, so it lists folders with
`os.scandir` (the file type comes with the listing, no `stat` per file) and leaves opening,
sizing and reading to the worker processes.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple, cast

# More members than this in one archive is treated as a zip bomb.
MAX_MEMBERS = 100_000
_GZIP_MAGIC = b"\x1f\x8b"


class Candidate(NamedTuple):
    """One file to read: `relpath` is relative to the dataset root; a zip member also names its `member`.

    A named tuple, not a dataclass: the walk makes one per file in the main process, and a tuple
    costs a fifth of the time to build.
    """

    dataset: str
    root: str
    relpath: str
    member: str | None = None  # the name inside the zip archive at `relpath`

    @property
    def location(self) -> str | tuple[str, str]:
        """What a worker needs to open the file, small to send between processes."""
        return self.relpath if self.member is None else (self.relpath, self.member)

    @property
    def display(self) -> str:
        """The path as people, JSON and CSV see it (never raises on bytes that are not UTF-8)."""
        shown = self.relpath if self.member is None else f"{self.relpath}/{self.member}"
        return printable_path(shown)


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


class Opener:
    """Opens files under one root, keeping the last zip archive open for the members that follow."""

    def __init__(self, root: str):
        self._root = root
        self._archive: tuple[str, zipfile.ZipFile] | None = None

    def open(self, location: str | tuple[str, str], *, buffered: bool = False) -> BinaryIO:
        """The file's bytes, decompressed for .gz files and zip members; `buffered` for many small reads."""
        if isinstance(location, tuple):
            relpath, member = location
            return cast(BinaryIO, self._zip(relpath).open(member))
        path = os.path.join(self._root, location)
        if location.lower().endswith(".gz"):
            with open(path, "rb", buffering=0) as raw:
                is_gzip = raw.read(2) == _GZIP_MAGIC
            if is_gzip:
                return gzip.open(path, "rb")  # type: ignore[return-value]
        return open(path, "rb", buffering=-1 if buffered else 0)

    def size(self, location: str | tuple[str, str]) -> int:
        """Bytes on disk; for a zip member, its uncompressed size."""
        if isinstance(location, tuple):
            relpath, member = location
            return self._zip(relpath).getinfo(member).file_size
        return os.stat(os.path.join(self._root, location)).st_size

    def _zip(self, relpath: str) -> zipfile.ZipFile:
        if self._archive is None or self._archive[0] != relpath:
            self.close()
            self._archive = (relpath, zipfile.ZipFile(os.path.join(self._root, relpath)))
        return self._archive[1]

    def close(self) -> None:
        if self._archive is not None:
            self._archive[1].close()
            self._archive = None

    def __enter__(self) -> Opener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def walk(dataset: str, root: str | os.PathLike[str]) -> Iterator[Candidate | Unreadable]:
    """Depth-first with each folder's names sorted, so each series' first file (lowest path) is met first.

    A symlink to a folder is followed unless that folder was walked already: a link back to an
    enclosing folder is a "symlink loop", any other to a folder already walked a duplicate.
    """
    root_str = os.path.abspath(root)  # workers may not share this process's working folder
    if os.path.isdir(root_str):
        yield from _tree(dataset, root_str)
    elif os.path.isfile(root_str):
        yield from _file(dataset, *os.path.split(root_str))
    else:
        yield Unreadable(dataset, os.path.basename(root_str), "not a regular file")


def _tree(dataset: str, root: str) -> Iterator[Candidate | Unreadable]:
    """The walk of a folder, kept on an explicit stack so that no depth of folders exhausts the call stack."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[tuple[int, int], str, Iterator[os.DirEntry[str]]]] = []  # open folders and the entries left

    def enter(rel: str) -> Unreadable | None:
        path = os.path.join(root, rel) if rel else root
        try:
            info = os.stat(path)
            key = (info.st_dev, info.st_ino)
            if key in seen:
                enclosing = any(key == open_key for open_key, _, _ in stack)
                return Unreadable(
                    dataset, rel, "symlink loop" if enclosing else "folder already walked through another link"
                )
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except PermissionError:
            return Unreadable(dataset, rel, "permission denied")
        except OSError as exc:
            return Unreadable(dataset, rel, f"folder not readable ({exc.strerror or 'error'})")
        seen.add(key)
        stack.append((key, rel, iter(entries)))
        return None

    problem = enter("")
    if problem is not None:
        yield problem
    while stack:
        _, rel, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        child = f"{rel}/{entry.name}" if rel else entry.name
        try:
            info = os.stat(entry.path) if entry.is_symlink() else None
            is_dir = stat.S_ISDIR(info.st_mode) if info else entry.is_dir(follow_symlinks=False)
            is_file = stat.S_ISREG(info.st_mode) if info else entry.is_file(follow_symlinks=False)
        except FileNotFoundError:
            yield Unreadable(dataset, child, "broken symlink")
            continue
        except OSError as exc:
            yield Unreadable(
                dataset,
                child,
                "symlink loop" if exc.errno == errno.ELOOP else f"not readable ({exc.strerror or 'error'})",
            )
            continue
        if is_dir:
            problem = enter(child)
            if problem is not None:
                yield problem
        elif is_file:
            yield from _file(dataset, root, child)
        else:
            yield Unreadable(dataset, child, "not a regular file")


def _file(dataset: str, root: str, rel: str) -> Iterator[Candidate | Unreadable]:
    if rel.lower().endswith(".zip"):
        yield from _zip_members(dataset, root, rel)
    else:
        yield Candidate(dataset, root, rel)


def _zip_members(dataset: str, root: str, relpath: str) -> Iterator[Candidate | Unreadable]:
    """The members of a zip archive in name order; a file that is not a zip archive is read as it is."""
    try:
        with zipfile.ZipFile(os.path.join(root, relpath)) as archive:
            infos = archive.infolist()
    except PermissionError:
        yield Unreadable(dataset, relpath, "permission denied")
        return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        yield Candidate(dataset, root, relpath)  # named .zip but not one: probe it like any file
        return
    if len(infos) > MAX_MEMBERS:
        yield Unreadable(dataset, relpath, f"zip archive with more than {MAX_MEMBERS:,} members")
        return
    duplicates = {name for name, count in Counter(info.filename for info in infos).items() if count > 1}
    for info in sorted(infos, key=lambda item: item.filename):
        if info.is_dir():
            continue
        name = info.filename
        if name.startswith("/") or ".." in name.replace("\\", "/").split("/"):
            yield Unreadable(dataset, f"{relpath}/{name}", "zip member path leaves the archive")
        elif name in duplicates:
            yield Unreadable(dataset, f"{relpath}/{name}", "zip member name used twice")
        else:
            yield Candidate(dataset, root, relpath, name)
