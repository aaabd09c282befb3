"""Atomic file and folder replacement, so a killed run never leaves half an output."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dicomref.forked import run_shares
from dicomref.pause import pause_point


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` beside `path`, then rename over it: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes files private; outputs are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        pause_point(f"replace:{path.name}")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps_json(data: Any) -> str:
    """Canonical JSON for generated files: sorted keys, UTF-8, trailing newline."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, dumps_json(data))


def replace_dir(built: Path, target: Path, jobs: int = 1) -> None:
    """Swap a fully built folder into place; the previous one is removed only afterwards, by `jobs` processes."""
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        remove_tree(old, jobs)
    if target.exists():
        os.replace(target, old)
        pause_point(f"swap:{target.name}")
    os.replace(built, target)
    if old.exists():
        remove_tree(old, jobs)


def remove_tree(folder: Path, jobs: int = 1) -> None:
    """The folder and all it holds removed; its subfolders' entries shared out to `jobs` forked processes, as a
    site holds thousands of files."""
    if jobs > 1:
        entries = sorted(entry for top in folder.iterdir() if top.is_dir() for entry in top.iterdir())

        def remove_share(share: int, _report: Callable[[None], None]) -> None:
            for entry in entries[share::jobs]:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()

        run_shares(remove_share, jobs, lambda _: None, "removal")
    shutil.rmtree(folder)
