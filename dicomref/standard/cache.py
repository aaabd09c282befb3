"""A cache of the built model, so that loading skips 50 MB of JSON and 18,000 HTML fragments.

One pickle per combination of sources, under the user cache directory (or DICOMREF_CACHE_DIR),
named by a hash of everything the model is built from: the tables' bytes, the code that builds
them, and the versions of dicomref, pydicom and Python. A stale or damaged file is never read
as valid: it is rebuilt and replaced. Tables derived from the model (the site's, say) are kept the same way,
under the model's key joined with their own code's digest.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.metadata
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import platformdirs
import pydicom

import dicomref
from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic
from dicomref.standard.model import Standard

if TYPE_CHECKING:
    from dicomref.standard.sources import Sources

Kept = TypeVar("Kept")

CACHE_DIR_VARIABLE = "DICOMREF_CACHE_DIR"
_PREFIX = "standard-"
_SUFFIX = ".pickle"
_KEPT = 4  # the newest caches kept, e.g. for a few --standard folders used in turn
# Each source file's digest by its path, size, modification time and inode: 80 MB are hashed once, not by every
# command. A file rewritten in place gets a new modification time, so it is hashed again.
DIGESTS_FILE = "source-digests.json"


def cache_dir() -> Path:
    """DICOMREF_CACHE_DIR when set, else the platform's user cache directory for dicomref."""
    return Path(os.environ.get(CACHE_DIR_VARIABLE) or platformdirs.user_cache_dir("dicomref"))


def cache_key(sources: Sources) -> str:
    digest = hashlib.blake2b(digest_size=16)
    # nh3 and BeautifulSoup shape the cleaned descriptions as much as our own code does.
    versions = [importlib.metadata.version(package) for package in ("nh3", "beautifulsoup4")]
    for part in (dicomref.__version__, pydicom.__version__, *versions, sys.version, _code_digest()):
        digest.update(part.encode() + b"\0")
    for table, table_digest in sorted(sources.digests.items()):
        digest.update(f"{table}={table_digest}\0".encode())
    return digest.hexdigest()


def _code_digest() -> str:
    """The model's code: a change to how it is built invalidates what it built before."""
    return code_digest(sorted(Path(__file__).parent.glob("*.py")))


def code_digest(paths: list[Path]) -> str:
    """A digest of the code in these files, for keys of what that code builds."""
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def file_digests(paths: dict[str, Path]) -> dict[str, str]:
    """blake2b of each file's bytes, by table; a file unchanged since it was last hashed is not read again."""
    memo_path = cache_dir() / DIGESTS_FILE
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
        if not isinstance(memo, dict):
            memo = {}
    except (OSError, ValueError):
        memo = {}
    digests, fresh = {}, {}
    for table, path in paths.items():
        try:
            stat = path.stat()
            seen = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
            kept = memo.get(str(path))
            if isinstance(kept, dict) and kept.get("stat") == seen and isinstance(kept.get("digest"), str):
                digests[table] = kept["digest"]
                continue
            with open(path, "rb") as handle:
                digests[table] = hashlib.file_digest(handle, "blake2b").hexdigest()
        except OSError as exc:
            raise DicomrefError(f"cannot read {table}.json of the standard: {exc.strerror or exc}") from None
        fresh[str(path)] = {"stat": seen, "digest": digests[table]}
    if fresh:
        with contextlib.suppress(OSError):  # an unwritable cache only costs time
            write_text_atomic(memo_path, json.dumps({**memo, **fresh}, sort_keys=True))
    return digests


def read_cached(key: str) -> Standard | None:
    """The cached model for key, or None when there is none or it cannot be read back whole."""
    return _read_pickle(_PREFIX, key, Standard)


def write_cached(key: str, standard: Standard) -> None:
    _write_pickle(_PREFIX, key, standard)


def kept_derived(
    standard: Standard, prefix: str, code: list[Path], kind: type[Kept], build: Callable[[], Kept]
) -> Kept:
    """What `build` derives from the model alone, kept under the model's key and the digest of `code` (the files
    deriving it) when the model came from its cache; built each time for a model that did not (or was changed)."""
    if not standard.source_key:
        return build()
    key = f"{standard.source_key}-{code_digest(code)}"
    kept = _read_pickle(prefix, key, kind)
    if kept is None:
        kept = build()
        _write_pickle(prefix, key, kept)
    return kept


def _read_pickle(prefix: str, key: str, kind: type[Kept]) -> Kept | None:
    """What was kept under prefix and key, if it is a `kind` read back whole; else None."""
    path = cache_dir() / f"{prefix}{key}{_SUFFIX}"
    # The collector would walk the half-built object graph again and again while it is unpickled.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as handle:
            kept = pickle.load(handle)
        # Straight into the oldest generation (both moves take no time): else the next young collections would
        # walk every object just read, each time moving them one generation on.
        gc.freeze()
        gc.unfreeze()
    except Exception:  # missing, truncated, or from an incompatible build: rebuild it
        return None
    finally:
        if collecting:
            gc.enable()
    return kept if isinstance(kept, kind) else None


def _write_pickle(prefix: str, key: str, kept: object) -> None:
    """Write atomically and drop all but the newest few of the prefix; what cannot be written is skipped."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{prefix}", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{prefix}{key}{_SUFFIX}")
        finally:
            Path(tmp).unlink(missing_ok=True)
        by_age = sorted(folder.glob(f"{prefix}*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in by_age[_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
