"""The curated datasets manifest (data/datasets.toml): what to scrape and what may be published."""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dicomref.errors import DicomrefError


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    deidentified: bool  # every value was de-identified: safe to publish
    public: bool  # the files are already publicly distributed (test data on the package index): nothing new to reveal
    licence: str  # the licence the files are distributed under, as the manifest names it ("" if unknown)
    location: str  # as written in the manifest, for people
    root: Path | None  # None when the package or folder is missing here
    missing: str | None  # why it is not available, with the fix


_KEYS = {
    "name": str,
    "description": str,
    "deidentified": bool,
    "public": bool,
    "licence": str,
    "package": str,
    "folder": str,
    "pip": str,
    "path": str,
}


def _package_folder(package: str, folder: str, pip_name: str) -> tuple[Path | None, str | None]:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None, f"package '{package}' is not installed (pip install {pip_name})"
    root = Path(next(iter(spec.submodule_search_locations))) / folder
    if not root.is_dir():
        return None, f"folder '{folder}' not found in package '{package}'"
    return root, None


def _check_entry(entry: dict, where: str) -> None:
    """Known keys of the right type (other keys are left for other tools); a name usable in paths."""
    for key, value in entry.items():
        expected = _KEYS.get(key)
        if expected is not None and not isinstance(value, expected):
            raise DicomrefError(f"{where}: '{key}' must be {'true or false' if expected is bool else 'a string'}")
    name = entry.get("name")
    if not name or any(char in name for char in "/\\") or not name.isprintable():
        raise DicomrefError(f"{where}: 'name' must be a non-empty name without slashes")


def _dataset(entry: dict, base: Path, index: int, manifest: Path) -> Dataset:
    _check_entry(entry, f"manifest {manifest}, dataset #{index + 1}")
    name = entry["name"]
    if "package" in entry:
        package, folder = entry["package"], entry.get("folder", "")
        location = f"{package}:{folder}"
        root, missing = _package_folder(package, folder, entry.get("pip", package))
    elif "path" in entry:
        location = entry["path"]
        root = (base / location).resolve()
        missing = None if root.is_dir() else f"folder {location} does not exist"
        root = root if missing is None else None
    else:
        raise DicomrefError(f"manifest {manifest}: dataset '{name}' needs either 'package' and 'folder', or 'path'")
    return Dataset(
        name=name,
        description=entry.get("description", ""),
        deidentified=entry.get("deidentified", False),
        public=entry.get("public", False),
        licence=entry.get("licence", ""),
        location=location,
        root=root,
        missing=missing,
    )


def load_manifest(path: Path) -> list[Dataset]:
    """Read the manifest; relative paths resolve against the manifest's folder."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DicomrefError(f"manifest {path} not found (pass --datasets PATH)") from None
    except IsADirectoryError:
        raise DicomrefError(f"manifest {path} is a folder, not a file (pass --datasets PATH)") from None
    except UnicodeDecodeError:
        raise DicomrefError(f"manifest {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise DicomrefError(f"manifest {path} is not valid TOML: {exc}") from None
    entries = raw.get("dataset", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise DicomrefError(f"manifest {path}: expected [[dataset]] tables")
    datasets = [_dataset(entry, path.parent, i, path) for i, entry in enumerate(entries)]
    names = [d.name for d in datasets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DicomrefError(f"manifest {path}: duplicate dataset names: {', '.join(duplicates)}")
    return datasets
