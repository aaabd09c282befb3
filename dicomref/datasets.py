"""The curated datasets manifest (data/datasets.toml): what to scrape and what may be published."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic


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
    attribution: Path | None = None  # folder of credits per collection (written by `dicomref idc fetch`)


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
    "attribution": str,
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
        attribution=(base / entry["attribution"]).resolve() if "attribution" in entry else None,
    )


def load_manifest(path: Path) -> list[Dataset]:
    """Read the manifest; relative paths resolve against the manifest's folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DicomrefError(f"manifest {path} not found (pass --datasets PATH)") from None
    except IsADirectoryError:
        raise DicomrefError(f"manifest {path} is a folder, not a file (pass --datasets PATH)") from None
    except UnicodeDecodeError:
        raise DicomrefError(f"manifest {path} is not UTF-8 text") from None
    return load_manifest_text(text, path)


def load_manifest_text(text: str, path: Path) -> list[Dataset]:
    """Read manifest text as if it were the file at `path`."""
    try:
        raw = tomllib.loads(text)
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


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dataset_entry(
    name: str, path: str, description: str, deidentified: bool, attribution: str | None = None, comment: str = ""
) -> str:
    """A [[dataset]] table of a local folder, as TOML text to write into a manifest."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += ["[[dataset]]", f"name = {_toml_string(name)}", f"path = {_toml_string(path)}"]
    if attribution is not None:
        lines.append(f"attribution = {_toml_string(attribution)}")
    lines += [f"description = {_toml_string(description)}", f"deidentified = {'true' if deidentified else 'false'}"]
    return "\n".join(lines) + "\n"


def add_dataset(manifest: Path, entry: str) -> bool:
    """Append an entry to a manifest unless a dataset of that name is there already with the same folder.

    Returns whether it was added; a dataset of the same name elsewhere is an error, never overwritten.
    """
    new = load_manifest_text(entry, manifest)[0]
    existing = {d.name: d for d in load_manifest(manifest)} if manifest.exists() else {}
    old = existing.get(new.name)
    if old is not None:
        if old.location == new.location and old.attribution == new.attribution:
            return False
        raise DicomrefError(f"manifest {manifest} already has a dataset named {new.name!r} in {old.location}")
    text = manifest.read_text(encoding="utf-8") if manifest.exists() else ""
    separator = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    write_text_atomic(manifest, text + separator + entry)
    return True
