"""The page of each attribute: its dictionary entry, where the standard uses it, and the examples seen."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from dataclasses import dataclass

from dicomref import urls
from dicomref.formats.aggregate import Attribute
from dicomref.site.conformance import conformance_rows
from dicomref.site.model import SiteModel, attribute_entries, pydicom_access
from dicomref.site.page import Page, PageContext, PageSource, crumbs, plural
from dicomref.site.parts import part_path
from dicomref.site.usage import item_tree, place_groups
from dicomref.site.values import attribute_values
from dicomref.standard import DictEntry, display_tag
from dicomref.standard.documents import type_change
from dicomref.standard.places import Place, why_in_no_table
from dicomref.urls import api_url, attribute_url, group_url, iod_url, module_url, table_url

# The registry of data elements in PS3.6, where every attribute is defined.
NEMA_PART06 = "https://dicom.nema.org/medical/dicom/current/output/chtml/part06/chapter_6.html"
# Sequences the attribute was found inside, named on the page; the rest are counted.
PATHS_SHOWN = 6


@dataclass(frozen=True)
class AttributeContext(PageContext):
    entry: dict
    kind: str
    repeating: bool
    unnamed: bool
    only_in_modules_edition: bool
    newer_than_modules: bool
    modules_edition: str
    prose_edition: str
    type_changes: list[dict]  # the attribute's Type changes since the prose's edition, each linked to its row
    dictionary_edition: str
    pydicom: list[str]
    description: str
    values: list[dict]
    module_groups: list[dict]
    module_count: int
    macro_groups: list[dict]
    macro_count: int
    in_no_module: str | None
    iods: dict
    iods_key: Hashable  # the same key, the same IODs section (see SiteModel.iod_groups)
    items: list[dict]
    examples: list[dict]
    seen_text: str
    conformance: list[dict]  # per IOD requiring it, how the files seen met the requirement
    unseen_text: str
    paths: list[list[dict]]  # the first PATHS_SHOWN sequence paths the attribute was found at
    more_paths: str  # how many more, as said after them ('' when none)
    identifying: bool
    nema_url: str
    api_url: str


def attribute_pages(model: SiteModel) -> list[PageSource]:
    return [
        PageSource(attribute_url(entry.tag), functools.partial(attribute_page, model, entry))
        for entry in attribute_entries(model.standard)
    ]


def attribute_page(model: SiteModel, entry: DictEntry) -> Page:
    standard = model.standard
    placed = model.placement(entry.tag)
    found = placed.places
    modules = [p for p in found if p.kind == "module"]
    macros = [p for p in found if p.kind == "macro"]
    info = model.attribute_info(entry.tag)
    description = _usual_description(found)
    iods_key, iods = model.iod_groups(entry.tag)
    examples = model.examples(entry.tag)
    paths = [
        [{"display": display_tag(t), "name": model.name_of(t), "url": attribute_url(t)} for t in p]
        for p in info.get("paths", [])
        if p
    ]
    context = AttributeContext(
        entry=model.attribute_row(entry),
        kind=entry.kind,
        repeating=entry.repeating,
        unnamed=not entry.name,
        only_in_modules_edition=entry.tag not in standard.dictionary.entries,
        newer_than_modules=standard.newer_than_modules(entry.tag),
        modules_edition=standard.modules_edition,
        prose_edition=standard.prose_edition,
        type_changes=_type_changes(model, entry.tag),
        dictionary_edition=standard.releases.get("data dictionary", ""),
        pydicom=pydicom_access(entry) if entry.tag in standard.dictionary.entries else [],
        description=description,
        values=attribute_values(standard, entry.tag, module_url),
        module_groups=place_groups(standard, entry.tag, modules, model.row_url),
        module_count=len({p.id for p in modules}),
        macro_groups=place_groups(standard, entry.tag, macros, model.row_url),
        macro_count=len({p.id for p in macros}),
        in_no_module=why_in_no_table(standard, entry.tag),
        iods=iods,
        iods_key=iods_key,
        items=item_tree(standard, model.items.items(entry.tag), attribute_url, table_url) if entry.vr == "SQ" else [],
        examples=examples,
        seen_text=_seen_text(info, len(examples)),
        conformance=conformance_rows(model.aggregate, entry.tag, iod_url),
        unseen_text="" if examples else _unseen_text(entry, info),
        paths=paths[:PATHS_SHOWN],
        more_paths=f" and {len(paths) - PATHS_SHOWN} more" if len(paths) > PATHS_SHOWN else "",
        identifying=entry.tag in standard.identifying,
        nema_url=NEMA_PART06,
        api_url=api_url("attribute", entry.tag),
    )
    return Page(
        attribute_url(entry.tag),
        "attribute.html",
        f"{entry.display} {entry.name}".strip(),
        context,
        section="attributes",
        summary=f"DICOM attribute {entry.display} {entry.name or '(no name)'} ({entry.keyword or 'no keyword'}), "
        f"VR {entry.vr}: its modules, macros, IODs and real example values.",
        crumbs=crumbs(
            (f"Group {entry.group}", part_path(group_url(entry.group), model.index_in_group(entry.tag)))
            if entry.tag in standard.dictionary.entries
            else ("Attributes", urls.GROUPS),
            (entry.display, None),
        ),
    )


def _usual_description(found: list[Place]) -> str:
    """The description most of the attribute's rows give (the first of those tied), of the rows the prose describes."""
    counts: dict[str, int] = {}
    for place in found:
        if place.attribute.described and place.attribute.description.html:
            counts[place.attribute.description.html] = counts.get(place.attribute.description.html, 0) + 1
    return max(counts, key=lambda html: counts[html], default="")


def _type_changes(model: SiteModel, key: str) -> list[dict]:
    """The attribute's Type changes since the prose's edition, each linked to its row."""
    rows = []
    for change in model.standard.changes.by_tag.get(key, ()):
        if change.module_id not in model.standard.modules:
            continue
        anchor = model.row_anchor("module", change.module_id, change.path, key)
        rows.append(
            {
                **type_change(model.standard, change),
                "old": change.old or "none",
                "new": change.new or "none",
                "path": [model.name_of(t) or display_tag(t) for t in change.path],
                "url": module_url(change.module_id) + (f"#{anchor}" if anchor else ""),
            }
        )
    return rows


def _seen_text(info: Attribute, shown: int) -> str:
    if not shown:
        return ""
    text = f"Seen in {plural(info['files'], 'scraped file')}, with {plural(info['distinct'], 'distinct value')}"
    return text + (f"; the {shown} most telling are shown." if shown < info["distinct"] else ".")


def _unseen_text(entry: DictEntry, info: Attribute) -> str:
    if info.get("files"):
        why = "a sequence has no value of its own" if entry.vr == "SQ" else "its values are binary and not kept"
        return f"Seen in {plural(info['files'], 'scraped file')}; {why}."
    return "No example yet: none of the curated datasets holds this attribute."
