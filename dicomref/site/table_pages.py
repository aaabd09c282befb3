"""The pages of modules and macros: their folded attribute trees, and who includes them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dicomref import urls
from dicomref.site.fold import Node
from dicomref.site.model import SiteModel
from dicomref.site.page import Page, PageContext, PageSource, crumbs, plural
from dicomref.site.usage import TYPE_MEANINGS, USAGE_MEANINGS
from dicomref.site.values import referred_values
from dicomref.standard import Module, Standard, display_tag
from dicomref.urls import attribute_url, iod_url, macro_url, module_url, table_url

# A description repeated in one module is shown once; later rows point to it when it is at least this long.
REPEAT_POINTER_MIN = 120


@dataclass(frozen=True)
class TableContext(PageContext):
    """A module page or a macro page: one template shows both."""

    kind: str  # "module" or "macro"
    module: Module
    eyebrow: str  # "Module" or "Macro"
    heading: str
    rows: list[dict]
    counts: dict[str, int]
    macros_text: str  # '3 included macros', '' when none
    types: list[dict]
    coverage: dict | None
    iods: list[dict] = field(default_factory=list)
    iods_text: str = ""
    functional_groups: list[dict] = field(default_factory=list)
    functional_groups_text: str = ""
    included_by: list[dict] = field(default_factory=list)
    included_by_text: str = ""


def module_pages(model: SiteModel) -> list[PageSource]:
    return [
        PageSource(module_url(module.id), functools.partial(module_page, model, module))
        for module in model.standard.modules.values()
    ]


def module_page(model: SiteModel, module: Module) -> Page:
    iod_ids = sorted(set(model.standard.iods_by_module.get(module.id, [])))
    iods = [
        {"name": model.standard.iods[i].name, "url": iod_url(i), **model.module_usage(i, module.id)}
        for i in iod_ids
        if i in model.standard.iods
    ]
    context = TableContext(
        iods=sorted(iods, key=lambda i: i["name"]),
        iods_text=f"Used by {plural(len(iods), 'IOD')}",
        coverage=model.coverage.get("by_module", {}).get(module.id),
        **_table_fields(model, "module", module),
    )
    return Page(
        module_url(module.id),
        "module.html",
        f"{module.name} Module",
        context,
        section="modules",
        summary=(
            f"The {module.name} Module of the DICOM standard: "
            "its attributes, nested sequences, types and real example values."
        ),
        crumbs=crumbs(("Modules", urls.MODULES), (module.name, None)),
    )


def macro_pages(model: SiteModel) -> list[PageSource]:
    including = functools.cache(lambda: _included_by(model))
    return [
        PageSource(macro_url(macro.id), functools.partial(macro_page, model, macro, including))
        for macro in model.standard.macros.values()
    ]


def _included_by(model: SiteModel) -> dict[str, dict[tuple[str, str], str]]:
    """Macro id -> the tables showing it as a block: (kind, id) -> name."""
    included_by: dict[str, dict[tuple[str, str], str]] = {}
    for kind, tables in (("module", model.standard.modules), ("macro", model.standard.macros)):
        for table in tables.values():
            for node in _blocks(model.folded(kind, table.id).nodes):
                assert node.macro is not None
                included_by.setdefault(node.macro.id, {})[(kind, table.id)] = table.name
    return included_by


def macro_page(model: SiteModel, macro: Module, including: Callable[[], dict[str, dict[tuple[str, str], str]]]) -> Page:
    groups = [{**group, "url": iod_url(group["iod_id"])} for group in macro_functional_groups(model.standard, macro.id)]
    included_by = [
        {"name": name, "url": table_url(kind, i) + "#macro-" + macro.id, "kind": kind}
        for (kind, i), name in sorted(including().get(macro.id, {}).items(), key=lambda kv: kv[1])
    ]
    context = TableContext(
        functional_groups=groups,
        functional_groups_text=f"A functional group of {plural(len(groups), 'IOD')}",
        included_by=included_by,
        included_by_text=f"Included by {plural(len(included_by), 'module')} and "
        f"{'macro' if len(included_by) == 1 else 'macros'}",
        coverage=None,
        **_table_fields(model, "macro", macro),
    )
    return Page(
        macro_url(macro.id),
        "module.html",
        f"{macro.name} Macro",
        context,
        section="modules",
        summary=f"The {macro.name} Macro of the DICOM standard: its attributes, the modules including it "
        "and the IODs using it as a functional group.",
        crumbs=crumbs(("Macros", urls.MACROS), (macro.name, None)),
    )


def _table_fields(model: SiteModel, kind: str, table: Module) -> dict:
    """What a module page and a macro page both show: the folded rows and their counts."""
    folded = model.folded(kind, table.id)
    return {
        "kind": kind,
        "module": table,
        "eyebrow": "Macro" if kind == "macro" else "Module",
        "heading": f"{table.name} Macro" if kind == "macro" else table.name,
        "rows": _tree_rows(model, folded.nodes, {}),
        "counts": {
            "rows": len(table.attributes),
            "nested": sum(1 for a in table.attributes if a.depth),
            "attributes": len({a.tag for a in table.attributes}),
            "macros": folded.blocks,
        },
        "macros_text": f"{plural(folded.blocks, 'included macro')}" if folded.blocks else "",
        "types": [{"type": t, "meaning": m} for t, m in TYPE_MEANINGS.items()],
    }


def _block_rows(rows: int, of: int) -> str:
    """What a macro block stands for: '12 rows', or '12 of its 14 rows' when the module holds only some of them."""
    return f"{rows:,} rows" if rows == of else f"{rows:,} of its {of:,} rows"


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
                    "macro": {
                        "name": node.macro.name,
                        "url": macro_url(node.macro.id),
                        "rows": _block_rows(node.rows, len(node.macro.attributes)),
                    },
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
        row["items_text"] = f"Items of {row['name']}: {plural(len(node.children), 'row')}"
        rows.append(row)
    return rows


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
        if iod is None:
            continue
        for group in iod.functional_groups:
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
