"""The standard's current IODs, modules, Types and SOP classes: highdicom's `_standard` tables, typed.

highdicom ships three JSON tables generated from the standard's current edition: each IOD's
modules with usage and information entity, each module's rows (macros expanded inline) with
keyword, Type and sequence path, and each SOP class's IOD. They are read from the installed
distribution as package data (nothing is imported from highdicom) or from a `--standard` folder
holding files of the same names.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.uid import UID_dictionary

from dicomref.errors import DicomrefError
from dicomref.standard.dictionary import Dictionary, dictionary_release

DISTRIBUTION = "highdicom"
# The tables by their file names in highdicom/_standard/.
CURRENT_TABLES = ("iod_module_map", "module_attribute_map", "sop_class_iod_map")
# When each highdicom release went to the package index: its tables name no edition of the standard.
PUBLISHED = {"0.28.2": "October 2026"}


@dataclass(frozen=True)
class CurrentRow:
    """One attribute row of a module as the current edition lists it."""

    tag: str  # dictionary key, e.g. '00700084' or '60xx0010'
    path: tuple[str, ...]  # enclosing sequence tags, outermost first
    keyword: str
    type: str  # 1, 1C, 2, 2C, 3, or '' where the standard gives none


@dataclass(frozen=True)
class CurrentIodModule:
    module_id: str
    usage: str  # M, C or U
    information_entity: str


@dataclass(frozen=True)
class CurrentTables:
    iods: dict[str, tuple[CurrentIodModule, ...]]
    modules: dict[str, tuple[CurrentRow, ...]]
    sop_classes: dict[str, str]  # SOP Class UID -> IOD id


def highdicom_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def packaged_current_release() -> str:
    """'highdicom 0.28.2, published October 2026'; without the date for a release not known here."""
    version = highdicom_version()
    published = PUBLISHED.get(version)
    return f"highdicom {version}" + (f", published {published}" if published else "")


def packaged_current_dir() -> Path:
    """The installed highdicom's `_standard/` folder."""
    try:
        files = importlib.metadata.distribution(DISTRIBUTION).files or []
    except importlib.metadata.PackageNotFoundError:
        raise DicomrefError("package highdicom is not installed (pip install highdicom)") from None
    for file in files:
        if file.name == "module_attribute_map.json" and file.parent.name == "_standard":
            return Path(str(file.locate())).resolve().parent
    raise DicomrefError("highdicom is installed but its _standard/*.json tables are missing")


def current_tables(raw: dict[str, Any], dictionary: Dictionary) -> CurrentTables:
    """Type the three tables; a keyword that names no dictionary entry is a one-line error."""

    def key(keyword: str) -> str:
        entry = dictionary.by_keyword(keyword)
        if entry is None:
            raise DicomrefError(f"module_attribute_map: keyword {keyword!r} is in no dictionary entry")
        return entry.tag

    try:
        modules = {
            module_id: tuple(
                CurrentRow(
                    key(row["keyword"]),
                    tuple(key(k) for k in row["path"]),
                    row["keyword"],
                    "" if row["type"] in (None, "None") else row["type"],
                )
                for row in rows
            )
            for module_id, rows in sorted(raw["module_attribute_map"].items())
        }
        iods = {
            iod_id: tuple(CurrentIodModule(row["key"], row["usage"], row["ie"]) for row in rows)
            for iod_id, rows in sorted(raw["iod_module_map"].items())
        }
        sop_classes = dict(sorted((str(uid), str(iod)) for uid, iod in raw["sop_class_iod_map"].items()))
    except (KeyError, TypeError, AttributeError) as exc:
        raise DicomrefError(
            f"iod_module_map / module_attribute_map / sop_class_iod_map: not laid out as highdicom's "
            f"_standard tables ({type(exc).__name__}: {exc})"
        ) from None
    return CurrentTables(iods, modules, sop_classes)


def newest_content(sop_classes: dict[str, str]) -> str:
    """What the tables hold that the data dictionary's edition does not: the SOP classes its registry lacks."""
    newer = sorted({iod for uid, iod in sop_classes.items() if uid not in UID_dictionary})
    if not newer:
        return ""
    count = sum(1 for uid in sop_classes if uid not in UID_dictionary)
    return f"content newer than DICOM {dictionary_release()}: {count} SOP classes it lacks, of {', '.join(newer)}"
