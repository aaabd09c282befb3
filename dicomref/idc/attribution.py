"""Attribution files: one JSON file per IDC collection naming its sources' licence, citation and DOI.

`dicomref idc fetch` writes them beside the files it fetches; the site reads them (through the
manifest's `attribution` folder) to credit every collection on About. Standard library only, so the
site needs no optional extra.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.files import write_json_atomic

# Collection ids name folders: lower-case words joined by underscores in IDC (`4d_lung`).
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Source:
    title: str
    doi: str
    url: str
    licence: str
    licence_url: str
    citation: str


@dataclass(frozen=True)
class CollectionCredit:
    collection_id: str
    name: str
    sources: tuple[Source, ...]


def write_credits(folder: Path, credits: list[CollectionCredit]) -> None:
    """One file per collection; files of collections no longer credited are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    keep = set()
    for credit in credits:
        data = asdict(credit)
        data["sources"] = [asdict(s) for s in sorted(credit.sources, key=lambda s: s.doi)]
        write_json_atomic(folder / f"{credit.collection_id}.json", data)
        keep.add(f"{credit.collection_id}.json")
    for stale in folder.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()


def _credit(path: Path) -> CollectionCredit:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        credit = CollectionCredit(
            str(data["collection_id"]), str(data["name"]), tuple(Source(**s) for s in data["sources"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        raise DicomrefError(f"attribution file {path} is not one that `dicomref idc fetch` writes") from None
    if not SAFE_NAME.fullmatch(credit.collection_id):
        raise DicomrefError(f"attribution file {path}: collection id is not a plain name")
    return credit


def read_credits(folder: Path) -> list[CollectionCredit]:
    """The credits in a folder, by collection id; a missing folder credits nothing."""
    if not folder.is_dir():
        return []
    return sorted((_credit(path) for path in folder.glob("*.json")), key=lambda c: c.collection_id)
