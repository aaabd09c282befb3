"""Stable, non-reversible labels for the series of datasets declared neither de-identified nor public.

A file path can name a patient, a scanner or a study (`In/Galan/10006_DTI_ALL/0001.dcm`) and a Series
Instance UID can be looked up, so provenance from such a dataset names the dataset and a label instead:
an HMAC-SHA-256 of the dataset name and the series' UID (its path when it has none) under a secret key
kept beside the scraped output and never published. The same series keeps its label across runs, shards
and orders; without the key nobody can tell which series, file or folder it was.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

KEY_FILE = "series-labels.key"
_LABEL_HEX = 12


def label_key_for(scraped: Iterable[Path]) -> bytes:
    """The secret beside the first scraped file (in sorted order, so any order of shards agrees), made once."""
    first = min(Path(p) for p in scraped)
    return read_or_make_key(first.parent / KEY_FILE)


def read_or_make_key(path: Path) -> bytes:
    """The key file's secret; a new random one, readable by its owner only, when the file is missing."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another run made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_bytes().strip()


def series_label(key: bytes, dataset: str, series_uid: str, path: str) -> str:
    """'series-3fa9c1d2e0b4': the same for every file of a series; reveals neither the UID nor the path."""
    what = f"uid\x00{series_uid}" if series_uid else f"path\x00{path}"
    digest = hmac.new(key, f"{dataset}\x00{what}".encode(), hashlib.sha256).hexdigest()
    return f"series-{digest[:_LABEL_HEX]}"
