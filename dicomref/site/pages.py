"""The page model: every page of the site as a path, a template and the data it shows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dicomref.site.charts import bar_chart
from dicomref.standard import DictEntry, Standard, display_tag

# How many modules an attribute page describes in full; the rest are listed by name.
MODULES_IN_FULL = 25


@dataclass(frozen=True)
class Page:
    path: str  # output path relative to the site root, always ending in index.html or .html
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> str:
        """The relative prefix from this page back to the site root ('' or '../../')."""
        return "../" * self.path.count("/")


def attribute_url(key: str) -> str:
    return f"attributes/{key}/index.html"


def module_url(module_id: str) -> str:
    return f"modules/{module_id}/index.html"


def iod_url(iod_id: str) -> str:
    return f"iods/{iod_id}/index.html"


def pydicom_access(entry: DictEntry) -> list[str]:
    """How a developer reaches the attribute with pydicom."""
    if entry.repeating or entry.kind == "command":
        return []
    access = [f"ds[0x{entry.tag[:4]}, 0x{entry.tag[4:]}]"]
    if entry.keyword:
        access.insert(0, f"ds.file_meta.{entry.keyword}" if entry.kind == "file meta" else f"ds.{entry.keyword}")
    return access


@dataclass
class SiteModel:
    """The standard joined with the aggregate: what every page draws from."""

    standard: Standard
    aggregate: dict

    def attribute_info(self, key: str) -> dict:
        return self.aggregate.get("attributes", {}).get(key, {})

    def has_examples(self, key: str) -> bool:
        return bool(self.attribute_info(key).get("examples"))

    def sop_class_name(self, uid: str) -> str:
        return self.standard.sop_class_names.get(uid, uid)

    def name_of(self, key: str) -> str:
        entry = self.standard.entry(key)
        return entry.name if entry else display_tag(key)

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
            "has_examples": self.has_examples(entry.tag),
        }

    def examples(self, key: str) -> list[dict]:
        rows = []
        for example in self.attribute_info(key).get("examples", []):
            rows.append({**example, "sop_class_names": [self.sop_class_name(u) for u in example["sop_classes"]]})
        return rows

    def usages(self, key: str) -> tuple[list[dict], list[dict]]:
        """Modules using the attribute: the first MODULES_IN_FULL in full, the rest as links."""
        by_module: dict[str, dict] = {}
        for usage in self.standard.usages.get(key, []):
            if usage.module_id in by_module or usage.module_id not in self.standard.modules:
                continue
            module = self.standard.modules[usage.module_id]
            by_module[usage.module_id] = {
                "id": module.id,
                "name": module.name,
                "url": module_url(module.id),
                "type": usage.attribute.type,
                "path": [{"display": display_tag(t), "name": self.name_of(t), "url": attribute_url(t)} for t in usage.attribute.path],
                "description": usage.attribute.description.html,
                "iods": len(self.standard.iods_by_module.get(module.id, [])),
            }
        rows = sorted(by_module.values(), key=lambda r: (len(r["path"]), -r["iods"], r["name"]))
        return rows[:MODULES_IN_FULL], rows[MODULES_IN_FULL:]

    def iods_using(self, key: str) -> list[dict]:
        ids = {iod for u in self.standard.usages.get(key, []) for iod in self.standard.iods_by_module.get(u.module_id, [])}
        return [{"id": i, "name": self.standard.iods[i].name, "url": iod_url(i)} for i in sorted(ids) if i in self.standard.iods]


def _attribute_pages(model: SiteModel) -> Iterator[Page]:
    for entry in model.standard.dictionary:
        full, more = model.usages(entry.tag)
        info = model.attribute_info(entry.tag)
        description = next((u["description"] for u in full if u["description"]), "")
        yield Page(
            attribute_url(entry.tag),
            "attribute.html",
            f"{entry.display} {entry.name}",
            {
                "entry": model.attribute_row(entry),
                "kind": entry.kind,
                "repeating": entry.repeating,
                "pydicom": pydicom_access(entry),
                "description": description,
                "modules": full,
                "more_modules": more,
                "iods": model.iods_using(entry.tag),
                "examples": model.examples(entry.tag),
                "files": info.get("files", 0),
                "distinct": info.get("distinct", 0),
                "paths": [[{"display": display_tag(t), "url": attribute_url(t)} for t in p] for p in info.get("paths", []) if p],
                "identifying": entry.tag in model.standard.identifying,
                "nema_url": "https://dicom.nema.org/medical/dicom/current/output/chtml/part06/chapter_6.html",
            },
        )


def _module_pages(model: SiteModel) -> Iterator[Page]:
    for module in model.standard.modules.values():
        rows = []
        for attribute in module.attributes:
            entry = model.standard.entry(attribute.tag)
            rows.append(
                {
                    "depth": attribute.depth,
                    "display": display_tag(attribute.tag),
                    "name": entry.name if entry else display_tag(attribute.tag),
                    "url": attribute_url(attribute.tag) if entry else None,
                    "type": attribute.type,
                    "description": attribute.description.html,
                    "has_examples": model.has_examples(attribute.tag),
                }
            )
        iods = [{"id": i, "name": model.standard.iods[i].name, "url": iod_url(i)} for i in sorted(set(model.standard.iods_by_module.get(module.id, [])))]
        yield Page(
            module_url(module.id),
            "module.html",
            f"{module.name} Module",
            {"module": module, "rows": rows, "iods": iods, "coverage": model.aggregate.get("coverage", {}).get("by_module", {}).get(module.id)},
        )


def _iod_pages(model: SiteModel) -> Iterator[Page]:
    for iod in model.standard.iods.values():
        entities: dict[str, list[dict]] = {}
        for iod_module in iod.modules:
            module = model.standard.modules.get(iod_module.module_id)
            entities.setdefault(iod_module.information_entity or "Other", []).append(
                {
                    "name": module.name if module else iod_module.module_id,
                    "url": module_url(module.id) if module else None,
                    "usage": iod_module.usage,
                    "condition": iod_module.condition,
                }
            )
        yield Page(
            iod_url(iod.id),
            "iod.html",
            f"{iod.name} IOD",
            {"iod": iod, "entities": list(entities.items()), "coverage": model.aggregate.get("coverage", {}).get("by_iod", {}).get(iod.id)},
        )


def _listing_pages(model: SiteModel) -> Iterator[Page]:
    standard = model.standard
    coverage = model.aggregate.get("coverage", {})
    yield Page(
        "modules/index.html",
        "modules.html",
        "Modules",
        {"modules": [{"name": m.name, "url": module_url(m.id), "attributes": len({a.tag for a in m.attributes}), "coverage": coverage.get("by_module", {}).get(m.id)} for m in sorted(standard.modules.values(), key=lambda m: m.name)]},
    )
    yield Page(
        "iods/index.html",
        "iods.html",
        "Information Object Definitions",
        {"iods": [{"name": i.name, "url": iod_url(i.id), "modules": len(i.modules), "coverage": coverage.get("by_iod", {}).get(i.id)} for i in sorted(standard.iods.values(), key=lambda i: i.name)]},
    )
    groups: dict[str, list[dict]] = {}
    for entry in standard.dictionary:
        groups.setdefault(entry.group, []).append(model.attribute_row(entry))
    yield Page("browse/groups/index.html", "groups.html", "Attributes by group", {"groups": list(groups.items())})
    by_keyword = sorted((model.attribute_row(e) for e in standard.dictionary if e.keyword), key=lambda r: r["keyword"].lower())
    letters: dict[str, list[dict]] = {}
    for row in by_keyword:
        letters.setdefault(row["keyword"][0].upper(), []).append(row)
    yield Page("browse/keywords/index.html", "keywords.html", "Keyword index", {"letters": list(letters.items())})
    yield Page("browse/retired/index.html", "retired.html", "Retired attributes", {"rows": [model.attribute_row(e) for e in standard.dictionary if e.retired]})


def _coverage_page(model: SiteModel) -> Page:
    coverage = model.aggregate.get("coverage", {})
    by_module = sorted(coverage.get("by_module", {}).items(), key=lambda kv: (-kv[1]["percent"], kv[1]["name"]))
    module_rows = [(m["name"], m["covered"], m["total"], module_url(i)) for i, m in by_module if m["total"]]
    vr_rows = [(vr, r["covered"], r["total"], None) for vr, r in coverage.get("by_vr", {}).items()]
    dataset_rows = [(name, d["contributed"], coverage.get("overall", {}).get("total", 0), None) for name, d in coverage.get("by_dataset", {}).items()]
    return Page(
        "coverage/index.html",
        "coverage.html",
        "Coverage",
        {
            "coverage": coverage,
            "datasets": model.aggregate.get("datasets", []),
            "chart_vr": bar_chart("Coverage by value representation", vr_rows),
            "chart_dataset": bar_chart("Attributes with examples, by dataset", dataset_rows),
            "chart_module": bar_chart("Best covered modules", module_rows[:25]),
            "most_wanted": [{**w, "display": display_tag(w["tag"]), "url": attribute_url(w["tag"])} for w in coverage.get("most_wanted", [])],
        },
    )


def all_pages(model: SiteModel) -> Iterator[Page]:
    coverage = model.aggregate.get("coverage", {})
    yield Page(
        "index.html",
        "home.html",
        "DICOM standard reference",
        {"coverage": coverage, "datasets": model.aggregate.get("datasets", []), "counts": {"attributes": len(model.standard.dictionary), "modules": len(model.standard.modules), "iods": len(model.standard.iods)}},
    )
    yield Page("about/index.html", "about.html", "About", {"datasets": model.aggregate.get("datasets", [])})
    yield _coverage_page(model)
    yield from _listing_pages(model)
    yield from _iod_pages(model)
    yield from _module_pages(model)
    yield from _attribute_pages(model)
