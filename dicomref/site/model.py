"""The standard joined with the aggregate: what every page draws from, each derived table built once."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape as escape_html

from dicomref.formats.aggregate import (
    Aggregate,
    Attribute,
    Coverage,
    DatasetSummary,
    ExampleFile,
    unseen_attribute,
)
from dicomref.site.credits import Credits
from dicomref.site.fold import Folded, MacroFinder, fold
from dicomref.site.page import noun, plural, visible
from dicomref.site.tables import SiteTables, site_tables
from dicomref.site.usage import USAGE_MEANINGS, iod_groups
from dicomref.standard import DictEntry, Standard, display_tag
from dicomref.standard.places import ItemIndex, Place, Placement, Reach, iods_reaching, places
from dicomref.standard.uids import UidRegistry, load_uid_registry
from dicomref.urls import attribute_url, iod_url, macro_url, module_url, table_url, uid_url

# The modules and macros listing an attribute, in their order: attributes listed by the same tables reach the
# same IODs the same ways, so their IOD sections are made once.
Tables = tuple[tuple[str, str], ...]


def pydicom_access(entry: DictEntry) -> list[str]:
    """How a developer reaches the attribute with pydicom."""
    if entry.repeating or entry.kind == "command":
        return []
    holder = "ds.file_meta" if entry.kind == "file meta" else "ds"
    access = [f"{holder}[0x{entry.tag[:4]}, 0x{entry.tag[4:]}]"]
    if entry.keyword:
        access.insert(0, f"{holder}.{entry.keyword}")
    return access


def listing_tables(found: list[Place]) -> Tables:
    """The modules and macros of the places, each once, in their order: what the IODs reached depend on."""
    return tuple(dict.fromkeys((place.kind, place.id) for place in found))


def attribute_entries(standard: Standard) -> list[DictEntry]:
    """The dictionary, and the few tags the modules list (or listed in 2020) that only the 2020 dictionary names."""
    extra = [
        standard.edition_entries[key]
        for key in sorted({*standard.usages, *standard.macro_usages, *standard.listed_in_2020})
        if key not in standard.dictionary.entries and key in standard.edition_entries
    ]
    return [*standard.dictionary, *extra]


@dataclass
class SiteModel:
    """The standard joined with the aggregate: what every page draws from."""

    standard: Standard
    aggregate: Aggregate
    credits: Credits = field(default_factory=Credits)
    _usage_in_iod: dict[tuple[str, str], str] = field(default_factory=dict)
    _folded: dict[tuple[str, str], Folded] = field(default_factory=dict)
    _finder: MacroFinder | None = None
    _group_index: dict[str, int] = field(default_factory=dict)
    _placements: dict[str, Placement] = field(default_factory=dict)
    _reaches: dict[Tables, list[Reach]] = field(default_factory=dict)
    _iod_groups: dict[Tables, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for iod in self.standard.iods.values():
            for iod_module in iod.modules:
                self._usage_in_iod.setdefault((iod.id, iod_module.module_id), iod_module.usage)

    def placement(self, key: str) -> Placement:
        """Where the attribute is used, found once for its page and its API document; the IODs it reaches found
        once for all attributes listed by the same tables."""
        placed = self._placements.get(key)
        if placed is None:
            found = places(self.standard, key)
            tables = listing_tables(found)
            reaches = self._reaches.get(tables)
            if reaches is None:
                reaches = self._reaches[tables] = iods_reaching(self.standard, found)
            placed = self._placements[key] = Placement(found, reaches)
        return placed

    def iod_groups(self, key: str) -> tuple[Tables, dict]:
        """The attribute's IODs as its page groups them, with the tables that decide them (the same tables, the
        same groups): made once for all attributes listed by the same tables."""
        placed = self.placement(key)
        tables = listing_tables(placed.places)
        groups = self._iod_groups.get(tables)
        if groups is None:
            groups = self._iod_groups[tables] = iod_groups(placed.iods, table_url, iod_url)
        return tables, groups

    def index_in_group(self, key: str) -> int:
        """Where the attribute stands in its group's listing, which may span several pages."""
        if not self._group_index:
            counts: dict[str, int] = {}
            for entry in self.standard.dictionary:
                self._group_index[entry.tag] = counts.get(entry.group, 0)
                counts[entry.group] = counts.get(entry.group, 0) + 1
        return self._group_index.get(key, 0)

    def module_usage(self, iod_id: str, module_id: str) -> dict:
        """How an IOD includes a module: M, C or U, and what that means."""
        usage = self._usage_in_iod.get((iod_id, module_id), "")
        return {"usage": usage, "usage_meaning": USAGE_MEANINGS.get(usage, "")}

    def folded(self, kind: str, table_id: str) -> Folded:
        """A module's or macro's rows as the page shows them, built once."""
        if (kind, table_id) not in self._folded:
            if self._finder is None:
                self._finder = MacroFinder(self.standard)
            table = (self.standard.modules if kind == "module" else self.standard.macros)[table_id]
            self._folded[(kind, table_id)] = fold(table, self._finder)
        return self._folded[(kind, table_id)]

    @functools.cached_property
    def tables(self) -> SiteTables:
        return site_tables(self.standard)

    @property
    def items(self) -> ItemIndex:
        return self.tables.items

    def row_anchor(self, kind: str, table_id: str, path: tuple[str, ...], key: str) -> str | None:
        """The anchor of the row (or the macro block) showing the attribute at path on the table's page."""
        return self.tables.anchors[(kind, table_id)].get((path, key))

    def row_url(self, place: Place, key: str) -> str:
        """The row (or the macro block) showing the attribute on its module's or macro's page."""
        anchor = self.tables.anchors[(place.kind, place.id)][(place.attribute.path, key)]
        return table_url(place.kind, place.id) + "#" + anchor

    @property
    def coverage(self) -> Coverage:
        return self.aggregate["coverage"]

    @property
    def datasets(self) -> list[DatasetSummary]:
        return self.aggregate["datasets"]

    def attribute_info(self, key: str) -> Attribute:
        """The aggregate's record of the attribute; one of no files when no file held it."""
        return self.aggregate["attributes"].get(key) or unseen_attribute()

    def example_status(self, key: str) -> dict:
        """What a row says about the attribute's examples: values, seen without a value, or nothing."""
        info = self.attribute_info(key)
        if info.get("examples"):
            return {
                "kind": "values",
                "label": plural(info["distinct"], "value"),
                "url": attribute_url(key) + "#examples",
            }
        if info.get("files"):
            return {"kind": "seen", "label": "seen", "url": attribute_url(key) + "#examples"}
        return {"kind": "none", "label": "", "url": None}

    @functools.cached_property
    def uids(self) -> UidRegistry:
        return load_uid_registry(self.standard)

    def uid_link(self, uid: str) -> dict:
        """A UID as provenance shows it: its registered name linked to its page, else the UID as written."""
        registered = self.uids.get(uid)
        if registered is None:
            return {"name": uid, "uid": uid, "url": None}  # the registry holds every SOP class the standard names
        return {"name": registered.label, "uid": uid, "url": uid_url(uid)}

    def registered_uids_in(self, text: str | None, vr: str) -> list[dict]:
        """The registered UIDs a UI value holds, each named and linked to its page."""
        if not text or vr != "UI":
            return []
        return [self.uid_link(u.uid) for u in self.uids.registered_in(text)]

    @functools.cached_property
    def local_targets(self) -> dict[str, str]:
        """Links of descriptions to a module, macro or IOD table of the standard, mapped to our page of it.

        Both sides as they are written in the sanitised HTML's href attributes.
        """
        tables: dict[str, tuple[Mapping[str, object], Callable[[str], str]]] = {
            "module": (self.standard.modules, module_url),
            "macro": (self.standard.macros, macro_url),
            "iod": (self.standard.iods, iod_url),
        }
        described = [
            *(
                a.description
                for t in [*self.standard.modules.values(), *self.standard.macros.values()]
                for a in t.attributes
            ),
            *(t.description for t in [*self.standard.modules.values(), *self.standard.macros.values()]),
            *(iod.description for iod in self.standard.iods.values()),
        ]
        targets: dict[str, str] = {}
        for description in described:
            for link in description.local:
                known, url = tables[link.kind]
                if link.id in known:
                    targets[escape_html(link.href)] = escape_html(url(link.id))
        return targets

    def name_of(self, key: str) -> str:
        entry = self.standard.any_entry(key)
        return entry.name if entry and entry.name else display_tag(key)

    def attribute_row(self, entry: DictEntry) -> dict:
        return {
            "tag": entry.tag,
            "display": entry.display,
            "name": entry.name,
            "keyword": entry.keyword,
            "vr": entry.vr,
            "vm": entry.vm,
            "retired": entry.retired,
            "url": attribute_url(entry.tag),
            "examples": self.example_status(entry.tag),
        }

    def examples(self, key: str) -> list[dict]:
        entry = self.standard.entry(key)
        vr = entry.vr if entry else ""
        rows = []
        for example in self.attribute_info(key).get("examples", []):
            if example.get("bulk_length") is not None:
                shown = "binary"
            elif example.get("value") is None:
                shown = "withheld"
            else:
                shown = "value"
            file = example.get("file")
            rows.append(
                {
                    "shown": shown,
                    "value": visible(example.get("value")),
                    "truncated": example.get("truncated", False),
                    "length": example.get("length"),
                    "bulk_length": example.get("bulk_length"),
                    "withheld": example.get("withheld"),
                    "count": example["count"],
                    "files_word": noun(example["count"], "file"),
                    "valid": example["valid"],
                    "problem": example.get("problem"),
                    "modalities": example["modalities"],
                    "sop_classes": [self.uid_link(u) for u in example["sop_classes"]],
                    "uids": self.registered_uids_in(example.get("value"), vr),
                    "datasets": example["datasets"],
                    "file": _provenance_file(file),
                    "collection": (
                        self.credits.collection_of(file["dataset"], file["path"]) if file and file["path"] else None
                    ),
                }
            )
        return rows


def _provenance_file(file: ExampleFile | None) -> str:
    """'dataset/path/of/file.dcm', or for a dataset declared neither de-identified nor public 'dataset, series-…'
    (its paths are never published)."""
    if not file:
        return ""
    if file.get("path"):
        return f"{file['dataset']}/{file['path']}"
    return f"{file['dataset']}, {file['series']}" if file.get("series") else file["dataset"]
