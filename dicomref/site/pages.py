"""The page model: every page of the site as a path, a template and the data it shows.

All decisions live here (what a row says, which badge, which link); templates only render.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape as escape_html
from typing import Any

from dicomref.formats.aggregate import Aggregate
from dicomref.site.charts import Bar, bar_chart
from dicomref.site.conformance import conformance_rows
from dicomref.site.credits import Credits
from dicomref.site.fold import Folded, MacroFinder, Node, fold
from dicomref.site.parts import part_path, split
from dicomref.site.usage import (
    TYPE_MEANINGS,
    USAGE_MEANINGS,
    iod_groups,
    item_tree,
    place_groups,
)
from dicomref.site.values import attribute_values, referred_values
from dicomref.standard import DictEntry, Module, Standard, display_tag
from dicomref.standard.places import ItemIndex, Place, iods_reaching, places, why_in_no_table
from dicomref.standard.uids import UidRegistry, load_uid_registry

# The registry of data elements in PS3.6, where every attribute is defined.
NEMA_PART06 = "https://dicom.nema.org/medical/dicom/current/output/chtml/part06/chapter_6.html"

# A description repeated in one module is shown once; later rows point to it when it is at least this long.
REPEAT_POINTER_MIN = 120
# Entry points on the home page.
HOME_ATTRIBUTES = 12
HOME_IODS = 8
CHART_MODULES = 25
CHART_MODULE_MIN_ATTRIBUTES = 5  # smaller modules reach 100% with one file and would crowd the chart
CHART_IODS = 20

NAV = (
    ("iods", "IODs", "iods/index.html"),
    ("modules", "Modules", "modules/index.html"),
    ("attributes", "Attributes", "browse/groups/index.html"),
    ("uids", "UIDs", "uids/index.html"),
    ("coverage", "Coverage", "coverage/index.html"),
    ("about", "About", "about/index.html"),
)


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str | None = None  # None for the current page


@dataclass(frozen=True)
class Page:
    path: str  # output path relative to the site root, always ending in index.html or .html
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    section: str = ""  # the main navigation entry this page belongs to
    summary: str = ""  # the meta description
    crumbs: tuple[Crumb, ...] = ()
    base: str = ""  # an absolute base path, for a page served at any depth (404.html)

    @property
    def root(self) -> str:
        """The relative prefix from this page back to the site root ('' or '../../')."""
        return "" if self.base else root_of(self.path)


def root_of(path: str) -> str:
    return "../" * path.count("/")


def attribute_url(key: str) -> str:
    return f"attributes/{key}/index.html"


def module_url(module_id: str) -> str:
    return f"modules/{module_id}/index.html"


def macro_url(macro_id: str) -> str:
    return f"macros/{macro_id}/index.html"


def table_url(kind: str, table_id: str) -> str:
    """The page of a module or a macro."""
    return module_url(table_id) if kind == "module" else macro_url(table_id)


def iod_url(iod_id: str) -> str:
    return f"iods/{iod_id}/index.html"


def uid_url(uid: str) -> str:
    return f"uids/{uid}/index.html"


def group_url(group: str) -> str:
    return f"browse/groups/{group}/index.html"


def letter_url(letter: str) -> str:
    return f"browse/keywords/{letter}/index.html"


def pydicom_access(entry: DictEntry) -> list[str]:
    """How a developer reaches the attribute with pydicom."""
    if entry.repeating or entry.kind == "command":
        return []
    holder = "ds.file_meta" if entry.kind == "file meta" else "ds"
    access = [f"{holder}[0x{entry.tag[:4]}, 0x{entry.tag[4:]}]"]
    if entry.keyword:
        access.insert(0, f"{holder}.{entry.keyword}")
    return access


def visible(text: str | None) -> str | None:
    """Control characters (a NUL written as padding, say) shown as their symbols, U+2400 onwards."""
    if text is None or text.isprintable():
        return text
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 else "\u2421" if c == "\x7f" else c for c in text)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else many or word + 's'}"


@dataclass
class SiteModel:
    """The standard joined with the aggregate: what every page draws from."""

    standard: Standard
    aggregate: Aggregate
    credits: Credits = field(default_factory=Credits)
    _usage_in_iod: dict[tuple[str, str], str] = field(default_factory=dict)
    _folded: dict[tuple[str, str], Folded] = field(default_factory=dict)
    _finder: MacroFinder | None = None
    _items: ItemIndex | None = None
    _group_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for iod in self.standard.iods.values():
            for iod_module in iod.modules:
                self._usage_in_iod.setdefault((iod.id, iod_module.module_id), iod_module.usage)

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

    @property
    def items(self) -> ItemIndex:
        if self._items is None:
            self._items = ItemIndex(self.standard)
        return self._items

    def row_url(self, place: Place, key: str) -> str:
        """The row (or the macro block) showing the attribute on its module's or macro's page."""
        anchor = self.folded(place.kind, place.id).anchors[(place.attribute.path, key)]
        return table_url(place.kind, place.id) + "#" + anchor

    @property
    def coverage(self) -> dict:
        return self.aggregate["coverage"]

    @property
    def datasets(self) -> list[dict]:
        return self.aggregate["datasets"]

    def attribute_info(self, key: str) -> dict:
        return self.aggregate["attributes"].get(key, {})

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
        tables = {"module": (self.standard.modules, module_url), "macro": (self.standard.macros, macro_url)}
        tables["iod"] = (self.standard.iods, iod_url)
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
            file = example.get("file") or {}
            rows.append(
                {
                    "shown": shown,
                    "value": visible(example.get("value")),
                    "truncated": example.get("truncated", False),
                    "length": example.get("length"),
                    "bulk_length": example.get("bulk_length"),
                    "withheld": example.get("withheld"),
                    "count": example["count"],
                    "valid": example["valid"],
                    "problem": example.get("problem"),
                    "modalities": example["modalities"],
                    "sop_classes": [self.uid_link(u) for u in example["sop_classes"]],
                    "uids": self.registered_uids_in(example.get("value"), vr),
                    "datasets": example["datasets"],
                    "file": f"{file['dataset']}/{file['path']}" if file else "",
                    "collection": self.credits.collection_of(file["dataset"], file["path"]) if file else None,
                }
            )
        return rows


def _crumbs(*pairs: tuple[str, str | None]) -> tuple[Crumb, ...]:
    return (Crumb("Home", "index.html"), *(Crumb(label, url) for label, url in pairs))


def attribute_entries(standard: Standard) -> list[DictEntry]:
    """The dictionary, and the few tags the modules list that only the modules' own dictionary names."""
    extra = [
        standard.edition_entries[key]
        for key in sorted({*standard.usages, *standard.macro_usages})
        if key not in standard.dictionary.entries and key in standard.edition_entries
    ]
    return [*standard.dictionary, *extra]


def _attribute_pages(model: SiteModel) -> Iterator[Page]:
    standard = model.standard
    for entry in attribute_entries(standard):
        found = places(standard, entry.tag)
        modules = [p for p in found if p.kind == "module"]
        macros = [p for p in found if p.kind == "macro"]
        info = model.attribute_info(entry.tag)
        description = next((p.attribute.description.html for p in found if p.attribute.description.html), "")
        examples = model.examples(entry.tag)
        yield Page(
            attribute_url(entry.tag),
            "attribute.html",
            f"{entry.display} {entry.name}".strip(),
            {
                "entry": model.attribute_row(entry),
                "kind": entry.kind,
                "repeating": entry.repeating,
                "unnamed": not entry.name,
                "only_in_modules_edition": entry.tag not in standard.dictionary.entries,
                "newer_than_modules": standard.newer_than_modules(entry.tag),
                "modules_edition": standard.modules_edition,
                "dictionary_edition": standard.releases.get("data dictionary", ""),
                "pydicom": pydicom_access(entry) if entry.tag in standard.dictionary.entries else [],
                "description": description,
                "values": attribute_values(standard, entry.tag, module_url),
                "module_groups": place_groups(standard, entry.tag, modules, model.row_url),
                "module_count": len({p.id for p in modules}),
                "macro_groups": place_groups(standard, entry.tag, macros, model.row_url),
                "macro_count": len({p.id for p in macros}),
                "in_no_module": why_in_no_table(standard, entry.tag),
                "iods": iod_groups(iods_reaching(standard, entry.tag), table_url, iod_url),
                "items": item_tree(standard, model.items.items(entry.tag), attribute_url, table_url)
                if entry.vr == "SQ"
                else [],
                "examples": examples,
                "seen_text": _seen_text(info, len(examples)),
                "conformance": conformance_rows(model.aggregate, entry.tag, iod_url),
                "unseen_text": "" if examples else _unseen_text(entry, info),
                "paths": [
                    [{"display": display_tag(t), "name": model.name_of(t), "url": attribute_url(t)} for t in p]
                    for p in info.get("paths", [])
                    if p
                ],
                "identifying": entry.tag in standard.identifying,
                "nema_url": NEMA_PART06,
                "api_url": f"api/attributes/{entry.tag}.json",
            },
            section="attributes",
            summary=f"DICOM attribute {entry.display} {entry.name or '(no name)'} ({entry.keyword or 'no keyword'}), "
            f"VR {entry.vr}: its modules, macros, IODs and real example values.",
            crumbs=_crumbs(
                (f"Group {entry.group}", part_path(group_url(entry.group), model.index_in_group(entry.tag)))
                if entry.tag in standard.dictionary.entries
                else ("Attributes", "browse/groups/index.html"),
                (entry.display, None),
            ),
        )


def _seen_text(info: dict, shown: int) -> str:
    if not shown:
        return ""
    text = f"Seen in {plural(info['files'], 'scraped file')}, with {plural(info['distinct'], 'distinct value')}"
    return text + (f"; the {shown} most telling are shown." if shown < info["distinct"] else ".")


def _unseen_text(entry: DictEntry, info: dict) -> str:
    if info.get("files"):
        why = "a sequence has no value of its own" if entry.vr == "SQ" else "its values are binary and not kept"
        return f"Seen in {plural(info['files'], 'scraped file')}; {why}."
    return "No example yet: none of the curated datasets holds this attribute."


def _tree_rows(model: SiteModel, nodes: list[Node], first_with: dict[str, dict]) -> list[dict]:
    """The folded rows of a module or macro page; a long description repeated points to its first row."""
    rows = []
    for node in nodes:
        attribute = node.attribute
        depth = min(attribute.depth, 8)
        if node.macro is not None:
            rows.append(
                {
                    "id": node.anchor,
                    "depth": depth,
                    "macro": {"name": node.macro.name, "url": macro_url(node.macro.id), "rows": node.rows},
                    "children": [],
                }
            )
            continue
        entry = model.standard.any_entry(attribute.tag)
        html = attribute.description.html
        earlier = first_with.get(html) if len(html) >= REPEAT_POINTER_MIN else None
        row = {
            "id": node.anchor,
            "depth": depth,
            "macro": None,
            "display": display_tag(attribute.tag),
            "name": model.name_of(attribute.tag),
            "sequence": bool(entry and entry.vr == "SQ"),
            "url": attribute_url(attribute.tag) if entry else None,
            "type": attribute.type,
            "description": "" if earlier else html,
            "same_as": {"id": earlier["id"], "name": earlier["name"]} if earlier else None,
            "examples": model.example_status(attribute.tag),
            "values": referred_values(attribute),
        }
        first_with.setdefault(html, row)
        row["children"] = _tree_rows(model, node.children, first_with)
        rows.append(row)
    return rows


def _table_context(model: SiteModel, kind: str, table: Module) -> dict:
    """What a module page and a macro page both show: the folded rows and their counts."""
    folded = model.folded(kind, table.id)
    return {
        "rows": _tree_rows(model, folded.nodes, {}),
        "counts": {
            "rows": len(table.attributes),
            "nested": sum(1 for a in table.attributes if a.depth),
            "attributes": len({a.tag for a in table.attributes}),
            "macros": folded.blocks,
        },
        "types": [{"type": t, "meaning": m} for t, m in TYPE_MEANINGS.items()],
    }


def _module_pages(model: SiteModel) -> Iterator[Page]:
    coverage = model.coverage.get("by_module", {})
    for module in model.standard.modules.values():
        iod_ids = sorted(set(model.standard.iods_by_module.get(module.id, [])))
        iods = [
            {"name": model.standard.iods[i].name, "url": iod_url(i), **model.module_usage(i, module.id)}
            for i in iod_ids
            if i in model.standard.iods
        ]
        yield Page(
            module_url(module.id),
            "module.html",
            f"{module.name} Module",
            {
                "kind": "module",
                "module": module,
                "iods": sorted(iods, key=lambda i: i["name"]),
                "coverage": coverage.get(module.id),
                **_table_context(model, "module", module),
            },
            section="modules",
            summary=(
                f"The {module.name} Module of the DICOM standard: "
                "its attributes, nested sequences, types and real example values."
            ),
            crumbs=_crumbs(("Modules", "modules/index.html"), (module.name, None)),
        )


def _macro_pages(model: SiteModel) -> Iterator[Page]:
    standard = model.standard
    included_by: dict[str, dict[tuple[str, str], str]] = {}  # macro id -> the tables showing it as a block
    for kind, tables in (("module", standard.modules), ("macro", standard.macros)):
        for table in tables.values():
            for node in _blocks(model.folded(kind, table.id).nodes):
                included_by.setdefault(node.macro.id, {})[(kind, table.id)] = table.name
    for macro in standard.macros.values():
        groups = []
        for group in macro_functional_groups(standard, macro.id):
            groups.append({**group, "url": iod_url(group["iod_id"])})
        yield Page(
            macro_url(macro.id),
            "module.html",
            f"{macro.name} Macro",
            {
                "kind": "macro",
                "module": macro,
                "iods": [],
                "functional_groups": groups,
                "included_by": [
                    {"name": name, "url": table_url(kind, i) + "#macro-" + macro.id, "kind": kind}
                    for (kind, i), name in sorted(included_by.get(macro.id, {}).items(), key=lambda kv: kv[1])
                ],
                "coverage": None,
                **_table_context(model, "macro", macro),
            },
            section="modules",
            summary=f"The {macro.name} Macro of the DICOM standard: its attributes, the modules including it "
            "and the IODs using it as a functional group.",
            crumbs=_crumbs(("Macros", "macros/index.html"), (macro.name, None)),
        )


def _blocks(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        if node.macro is not None:
            yield node
        yield from _blocks(node.children)


def macro_functional_groups(standard: Standard, macro_id: str) -> list[dict]:
    """The IODs using the macro as a functional group, with its usage and condition there."""
    rows = []
    for iod_id in sorted(set(standard.iods_by_macro.get(macro_id, []))):
        iod = standard.iods.get(iod_id)
        for group in iod.functional_groups if iod else ():
            if group.macro_id == macro_id:
                rows.append(
                    {
                        "iod_id": iod_id,
                        "name": iod.name,
                        "usage": group.usage,
                        "usage_meaning": USAGE_MEANINGS.get(group.usage, ""),
                        "condition": group.condition,
                    }
                )
                break
    return sorted(rows, key=lambda r: r["name"])


def _iod_pages(model: SiteModel) -> Iterator[Page]:
    by_module = model.coverage.get("by_module", {})
    for iod in model.standard.iods.values():
        entities: dict[str, list[dict]] = {}
        for iod_module in iod.modules:
            module = model.standard.modules.get(iod_module.module_id)
            entities.setdefault(iod_module.information_entity or "Other", []).append(
                {
                    "name": module.name if module else iod_module.module_id,
                    "url": module_url(module.id) if module else None,
                    "usage": iod_module.usage,
                    "usage_meaning": USAGE_MEANINGS.get(iod_module.usage, ""),
                    "condition": iod_module.condition,
                    "attributes": len({a.tag for a in module.attributes}) if module else 0,
                    "coverage": by_module.get(iod_module.module_id),
                }
            )
        functional_groups = [
            {
                "name": model.standard.macros[g.macro_id].name if g.macro_id in model.standard.macros else g.macro_id,
                "url": macro_url(g.macro_id) if g.macro_id in model.standard.macros else None,
                "usage": g.usage,
                "usage_meaning": USAGE_MEANINGS.get(g.usage, ""),
                "condition": g.condition,
                "attributes": len({a.tag for a in model.standard.macros[g.macro_id].attributes})
                if g.macro_id in model.standard.macros
                else 0,
            }
            for g in iod.functional_groups
        ]
        yield Page(
            iod_url(iod.id),
            "iod.html",
            f"{iod.name} IOD",
            {
                "iod": iod,
                "sop_classes": [model.uid_link(s.uid) for s in iod.sop_classes],
                "functional_groups": functional_groups,
                "entities": [{"name": name, "modules": modules} for name, modules in entities.items()],
                "coverage": model.coverage.get("by_iod", {}).get(iod.id),
                "usage_counts": {u: sum(1 for m in iod.modules if m.usage == u) for u in USAGE_MEANINGS},
                "usages": [{"usage": u, "meaning": m} for u, m in USAGE_MEANINGS.items()],
            },
            section="iods",
            summary=(
                f"The {iod.name} IOD of the DICOM standard: "
                "its modules by information entity, with usage and conditions."
            ),
            crumbs=_crumbs(("IODs", "iods/index.html"), (iod.name, None)),
        )


def _listing_pages(model: SiteModel) -> Iterator[Page]:
    standard = model.standard
    coverage = model.coverage
    yield Page(
        "modules/index.html",
        "modules.html",
        "Modules",
        {
            "modules": [
                {
                    "name": m.name,
                    "url": module_url(m.id),
                    "attributes": len({a.tag for a in m.attributes}),
                    "iods": len(set(standard.iods_by_module.get(m.id, []))),
                    "coverage": coverage.get("by_module", {}).get(m.id),
                }
                for m in sorted(standard.modules.values(), key=lambda m: m.name.lower())
            ]
        },
        section="modules",
        summary=(
            "Every module of the DICOM standard, with how many attributes each has and how many have real examples."
        ),
        crumbs=_crumbs(("Modules", None)),
    )
    yield Page(
        "macros/index.html",
        "macros.html",
        "Macros",
        {
            "macros": [
                {
                    "name": m.name,
                    "url": macro_url(m.id),
                    "attributes": len({a.tag for a in m.attributes}),
                    "iods": len(set(standard.iods_by_macro.get(m.id, []))),
                }
                for m in sorted(standard.macros.values(), key=lambda m: m.name.lower())
            ]
        },
        section="modules",
        summary="Every macro of the DICOM standard: the attribute tables that modules include, and the functional "
        "groups of multi-frame IODs.",
        crumbs=_crumbs(("Macros", None)),
    )
    yield Page(
        "iods/index.html",
        "iods.html",
        "Information Object Definitions",
        {
            "iods": [
                {
                    "name": i.name,
                    "url": iod_url(i.id),
                    "modules": len(i.modules),
                    "coverage": coverage.get("by_iod", {}).get(i.id),
                }
                for i in sorted(standard.iods.values(), key=lambda i: i.name.lower())
            ]
        },
        section="iods",
        summary=(
            "Every Information Object Definition (IOD) of the DICOM standard, with its modules and example coverage."
        ),
        crumbs=_crumbs(("IODs", None)),
    )
    yield from _group_pages(model)
    yield from _keyword_pages(model)
    retired = [model.attribute_row(e) for e in standard.dictionary if e.retired]
    for part in split("browse/retired/index.html", retired, lambda r: r["display"]):
        yield _browse_page(
            (part.path, "retired.html", "Retired attributes" + _part_title(part.number, part.nav)),
            "retired",
            {"rows": part.rows, "count": len(retired), "parts": part.nav},
            "Retired DICOM attributes: no longer defined for new objects, still found in old files.",
            ("Retired", None),
        )


def _part_title(number: int, nav: list[dict]) -> str:
    return f" (part {number} of {len(nav)})" if nav else ""


def _browse_links(current: str) -> list[dict]:
    links = (
        ("groups", "By group", "browse/groups/index.html"),
        ("keywords", "By keyword", "browse/keywords/index.html"),
        ("retired", "Retired", "browse/retired/index.html"),
    )
    return [{"label": label, "url": url, "current": key == current} for key, label, url in links]


def _browse_page(
    where: tuple[str, str, str], tab: str, context: dict, summary: str, *crumbs: tuple[str, str | None]
) -> Page:
    """A page under Attributes: (path, template, title), the browse tab it shows as current,
    its crumbs below Attributes."""
    path, template, title = where
    return Page(
        path,
        template,
        title,
        {**context, "browse": _browse_links(tab)},
        section="attributes",
        summary=summary,
        crumbs=_crumbs(("Attributes", "browse/groups/index.html"), *crumbs),
    )


def _group_pages(model: SiteModel) -> Iterator[Page]:
    groups: dict[str, list[DictEntry]] = {}
    for entry in model.standard.dictionary:
        groups.setdefault(entry.group, []).append(entry)
    by_group = model.coverage.get("by_group", {})
    summary = []
    for group, entries in groups.items():
        summary.append(
            {
                "group": group,
                "url": group_url(group),
                "count": len(entries),
                "first": entries[0].name,
                "last": entries[-1].name,
                "coverage": by_group.get(group),
            }
        )
        rows = [model.attribute_row(e) for e in entries]
        for part in split(group_url(group), rows, lambda r: r["display"]):
            yield _browse_page(
                (part.path, "group.html", f"Group {group} attributes" + _part_title(part.number, part.nav)),
                "groups",
                {
                    "group": group,
                    "rows": part.rows,
                    "count": len(rows),
                    "parts": part.nav,
                    "coverage": by_group.get(group),
                    "groups": [{"group": g, "url": group_url(g)} for g in groups],
                },
                f"The {len(entries)} DICOM attributes of group {group}, with VR, VM and real examples.",
                (f"Group {group}", None),
            )
    yield Page(
        "browse/groups/index.html",
        "groups.html",
        "Attributes by group",
        {"groups": summary, "total": len(model.standard.dictionary), "browse": _browse_links("groups")},
        section="attributes",
        summary="Every attribute of the DICOM data dictionary, by group.",
        crumbs=_crumbs(("Attributes", None)),
    )


def _keyword_pages(model: SiteModel) -> Iterator[Page]:
    letters: dict[str, list[dict]] = {}
    for entry in sorted((e for e in model.standard.dictionary if e.keyword), key=lambda e: (e.keyword.lower(), e.tag)):
        letters.setdefault(entry.keyword[0].upper(), []).append(model.attribute_row(entry))
    index = [
        {
            "letter": letter,
            "url": letter_url(letter),
            "count": len(rows),
            "first": rows[0]["keyword"],
            "last": rows[-1]["keyword"],
        }
        for letter, rows in letters.items()
    ]
    for letter, rows in letters.items():
        for part in split(letter_url(letter), rows, lambda r: r["keyword"]):
            yield _browse_page(
                (part.path, "keywords.html", f"Keywords starting with {letter}" + _part_title(part.number, part.nav)),
                "keywords",
                {"letter": letter, "rows": part.rows, "parts": part.nav, "letters": index},
                f"DICOM attribute keywords starting with {letter}.",
                ("Keywords", "browse/keywords/index.html"),
                (letter, None),
            )
    yield _browse_page(
        ("browse/keywords/index.html", "keyword_index.html", "Keyword index"),
        "keywords",
        {"letters": index},
        "Every DICOM attribute keyword, A to Z.",
        ("Keywords", None),
    )


def _coverage_page(model: SiteModel) -> Page:
    path = "coverage/index.html"
    root = root_of(path)
    coverage = model.coverage
    total = coverage["overall"]["total"]
    by_module = sorted(
        ((i, m) for i, m in coverage.get("by_module", {}).items() if m["total"] >= CHART_MODULE_MIN_ATTRIBUTES),
        key=lambda kv: (-kv[1]["percent"], kv[1]["name"]),
    )
    by_iod = sorted(coverage.get("by_iod", {}).items(), key=lambda kv: (-kv[1]["percent"], kv[1]["name"]))
    datasets = [
        {
            **d,
            "contributed": coverage.get("by_dataset", {}).get(d["name"], {}).get("contributed", 0),
            "unique": coverage.get("by_dataset", {}).get(d["name"], {}).get("unique", 0),
        }
        for d in model.datasets
    ]
    return Page(
        path,
        "coverage.html",
        "Coverage",
        {
            "summary": _coverage_summary(coverage),
            "datasets": datasets,
            "chart_dataset": bar_chart(
                "Attributes with examples, by dataset", [Bar(d["name"], d["contributed"], total) for d in datasets]
            ),
            "chart_modality": bar_chart(
                "Attributes with examples, by modality",
                [Bar(m, r["contributed"], total) for m, r in coverage.get("by_modality", {}).items()],
            ),
            "chart_vr": bar_chart(
                "Coverage by value representation",
                [Bar(vr, r["covered"], r["total"]) for vr, r in coverage.get("by_vr", {}).items()],
            ),
            "chart_module": bar_chart(
                "Best covered modules",
                [Bar(m["name"], m["covered"], m["total"], module_url(i)) for i, m in by_module[:CHART_MODULES]],
                root,
            ),
            "chart_iod": bar_chart(
                "Best covered IODs",
                [Bar(m["name"], m["covered"], m["total"], iod_url(i)) for i, m in by_iod[:CHART_IODS]],
                root,
            ),
            "chart_counts": {
                "modules": min(CHART_MODULES, len(by_module)),
                "iods": min(CHART_IODS, len(by_iod)),
                "module_min": CHART_MODULE_MIN_ATTRIBUTES,
            },
            "most_wanted": [
                {**w, "display": display_tag(w["tag"]), "url": attribute_url(w["tag"])}
                for w in coverage.get("most_wanted", [])
            ],
            "empty_only": _empty_only(coverage),
        },
        section="coverage",
        summary=(
            "How much of the DICOM data dictionary has real example values: by dataset, modality, VR, module and IOD."
        ),
        crumbs=_crumbs(("Coverage", None)),
    )


def _empty_only(coverage: dict) -> dict:
    """Entries files hold only with empty values, apart from the covered ones (absent from older aggregates)."""
    empty = coverage.get("empty_only", {})
    entries = [
        {**e, "display": display_tag(e["tag"]), "url": attribute_url(e["tag"])} for e in empty.get("entries", [])
    ]
    return {"covered": empty.get("covered", 0), "entries": entries}


def _coverage_summary(coverage: dict) -> list[dict]:
    labels = (
        ("overall", "All dictionary entries"),
        ("value_bearing", "Entries that carry a value (not SQ or OB)"),
        ("value_bearing_current", "Current (not retired) entries that carry a value"),
    )
    return [{"label": label, **coverage[key]} for key, label in labels if key in coverage]


def _home_page(model: SiteModel) -> Page:
    standard = model.standard
    seen = sorted(
        (
            (info["files"], key)
            for key, info in model.aggregate["attributes"].items()
            if info.get("examples") and standard.entry(key) and standard.entry(key).kind == "data"
        ),
        key=lambda fk: (-fk[0], fk[1]),
    )
    by_iod = sorted(model.coverage.get("by_iod", {}).items(), key=lambda kv: (-kv[1]["percent"], kv[1]["name"]))
    return Page(
        "index.html",
        "home.html",
        "DICOM standard reference with real examples",
        {
            "summary": _coverage_summary(model.coverage),
            "overall": model.coverage["overall"],
            "datasets": model.datasets,
            "counts": {
                "attributes": len(standard.dictionary),
                "modules": len(standard.modules),
                "iods": len(standard.iods),
                "series": sum(d["scraped"] for d in model.datasets),
            },
            "popular": [
                {**model.attribute_row(standard.entry(key)), "files": files, "example": model.examples(key)[0]}
                for files, key in seen[:HOME_ATTRIBUTES]
            ],
            "iods": [
                {"name": r["name"], "url": iod_url(i), "coverage": r}
                for i, r in by_iod[:HOME_IODS]
                if i in standard.iods
            ],
            "browse": _browse_links(""),
        },
        summary=(
            "A fast, static reference of the DICOM standard: every attribute, module and IOD, "
            "with example values from real DICOM files."
        ),
    )


def all_pages(model: SiteModel) -> Iterator[Page]:
    yield _home_page(model)
    yield Page(
        "about/index.html",
        "about.html",
        "About",
        {
            "datasets": model.datasets,
            "releases": model.standard.releases,
            "collections": model.credits.about([d["name"] for d in model.datasets]),
        },
        section="about",
        summary="Where dicomref's data comes from, how the examples were gathered, and its JSON API.",
        crumbs=_crumbs(("About", None)),
    )
    yield _coverage_page(model)
    yield search_page()
    yield from _listing_pages(model)
    yield from _iod_pages(model)
    yield from _module_pages(model)
    yield from _macro_pages(model)
    yield from _attribute_pages(model)


def search_page() -> Page:
    """The results page (`search/?q=`): its script lists every match of the query in the address."""
    return Page(
        "search/index.html",
        "search.html",
        "Search",
        summary="Search every attribute, module, macro, IOD and UID of the DICOM standard.",
        crumbs=_crumbs(("Search", None)),
    )


def not_found_page(base_path: str) -> Page:
    """GitHub Pages serves 404.html at any depth, so its links resolve from the site's absolute base path."""
    return Page("404.html", "404.html", "Page not found", summary="There is no page at this address.", base=base_path)
