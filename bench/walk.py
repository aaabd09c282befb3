"""The one walk every reference scraper uses, kept free of heavy imports so it costs the floor nothing."""

from __future__ import annotations

import os
from pathlib import Path


def corpus_files(root: Path) -> list[str]:
    """Every file under `root` in a stable order: folder by folder, names sorted."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        found.extend(os.path.join(folder, name) for name in sorted(names))
    return found
