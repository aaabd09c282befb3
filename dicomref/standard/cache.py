"""A cache of the built model, so that loading skips 50 MB of JSON and 18,000 HTML fragments.

One pickle per combination of sources, under the user cache directory (or DICOMREF_CACHE_DIR),
named by a hash of everything the model is built from: the tables' bytes, the code that builds
them, and the versions of dicomref, pydicom and Python. A stale or damaged file is never read
as valid: it is rebuilt and replaced.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import os
import pickle
import sys
import tempfile
from pathlib import Path

import platformdirs
import pydicom

import dicomref
from dicomref.standard.model import Standard
from dicomref.standard.sources import Sources

CACHE_DIR_VARIABLE = "DICOMREF_CACHE_DIR"
_PREFIX = "standard-"
_SUFFIX = ".pickle"
_KEPT = 4  # the newest caches kept, e.g. for a few --standard folders used in turn


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
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def read_cached(key: str) -> Standard | None:
    """The cached model for key, or None when there is none or it cannot be read back whole."""
    path = cache_dir() / f"{_PREFIX}{key}{_SUFFIX}"
    # The collector would walk the half-built object graph again and again while it is unpickled.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as handle:
            standard = pickle.load(handle)
    except Exception:  # missing, truncated, or from an incompatible build: rebuild it
        return None
    finally:
        if collecting:
            gc.enable()
    return standard if isinstance(standard, Standard) else None


def write_cached(key: str, standard: Standard) -> None:
    """Write atomically and drop all but the newest few caches; a cache that cannot be written is skipped."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{_PREFIX}", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(standard, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{_PREFIX}{key}{_SUFFIX}")
        finally:
            Path(tmp).unlink(missing_ok=True)
        by_age = sorted(folder.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in by_age[_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
