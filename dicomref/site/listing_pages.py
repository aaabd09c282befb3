"""The listings: every module, macro and IOD, and the attributes browsed by group, by keyword and retired."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

from dicomref import urls
from dicomref.formats.aggregate import Ratio
from dicomref.site.model import SiteModel
from dicomref.site.page import Page, PageContext, PageSource, crumbs, ready
from dicomref.site.parts import split
from dicomref.standard import DictEntry
from dicomref.urls import group_url, iod_url, letter_url, macro_url, module_url


@dataclass(frozen=True)
class ListingContext(PageContext):
    """Every module, every macro or every IOD, one row each."""

    modules: list[dict] = field(default_factory=list)
    macros: list[dict] = field(default_factory=list)
    iods: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class BrowseContext(PageContext):
    """A page under Attributes, with the browse tabs: a group, a letter of keywords, the retired, or an index."""

    browse: list[dict]
    rows: list[dict] = field(default_factory=list)
    count: int = 0
    parts: list[dict] = field(default_factory=list)
    group: str = ""
    groups: list[dict] = field(default_factory=list)
    total: int = 0
    coverage: Ratio | None = None
    letter: str = ""
    letters: list[dict] = field(default_factory=list)


def listing_pages(model: SiteModel) -> list[PageSource]:
    return [ready(page) for page in _listings(model)]


def _listings(model: SiteModel) -> Iterator[Page]:
    standard = model.standard
    coverage = model.coverage
    yield Page(
        urls.MODULES,
        "modules.html",
        "Modules",
        ListingContext(
            modules=[
                {
                    "name": m.name,
                    "url": module_url(m.id),
                    "attributes": len({a.tag for a in m.attributes}),
                    "iods": len(set(standard.iods_by_module.get(m.id, []))),
                    "coverage": coverage.get("by_module", {}).get(m.id),
                }
                for m in sorted(standard.modules.values(), key=lambda m: m.name.lower())
            ]
        ),
        section="modules",
        summary=(
            "Every module of the DICOM standard, with how many attributes each has and how many have real examples."
        ),
        crumbs=crumbs(("Modules", None)),
    )
    yield Page(
        urls.MACROS,
        "macros.html",
        "Macros",
        ListingContext(
            macros=[
                {
                    "name": m.name,
                    "url": macro_url(m.id),
                    "attributes": len({a.tag for a in m.attributes}),
                    "iods": len(set(standard.iods_by_macro.get(m.id, []))),
                }
                for m in sorted(standard.macros.values(), key=lambda m: m.name.lower())
            ]
        ),
        section="modules",
        summary="Every macro of the DICOM standard: the attribute tables that modules include, and the functional "
        "groups of multi-frame IODs.",
        crumbs=crumbs(("Macros", None)),
    )
    yield Page(
        urls.IODS,
        "iods.html",
        "Information Object Definitions",
        ListingContext(
            iods=[
                {
                    "name": i.name,
                    "url": iod_url(i.id),
                    "modules": len(i.modules),
                    "coverage": coverage.get("by_iod", {}).get(i.id),
                }
                for i in sorted(standard.iods.values(), key=lambda i: i.name.lower())
            ]
        ),
        section="iods",
        summary=(
            "Every Information Object Definition (IOD) of the DICOM standard, with its modules and example coverage."
        ),
        crumbs=crumbs(("IODs", None)),
    )
    yield from _group_pages(model)
    yield from _keyword_pages(model)
    retired = [model.attribute_row(e) for e in standard.dictionary if e.retired]
    for part in split(urls.RETIRED, retired, lambda r: r["display"]):
        yield _browse_page(
            (part.path, "retired.html", "Retired attributes" + _part_title(part.number, part.nav)),
            "retired",
            BrowseContext(browse=[], rows=part.rows, count=len(retired), parts=part.nav),
            "Retired DICOM attributes: no longer defined for new objects, still found in old files.",
            ("Retired", None),
        )


def _part_title(number: int, nav: list[dict]) -> str:
    return f" (part {number} of {len(nav)})" if nav else ""


def browse_links(current: str) -> list[dict]:
    links = (
        ("groups", "By group", urls.GROUPS),
        ("keywords", "By keyword", urls.KEYWORDS),
        ("retired", "Retired", urls.RETIRED),
    )
    return [{"label": label, "url": url, "current": key == current} for key, label, url in links]


def _browse_page(
    where: tuple[str, str, str], tab: str, context: BrowseContext, summary: str, *trail: tuple[str, str | None]
) -> Page:
    """A page under Attributes: (path, template, title), the browse tab it shows as current,
    its crumbs below Attributes."""
    path, template, title = where
    return Page(
        path,
        template,
        title,
        dataclasses.replace(context, browse=browse_links(tab)),
        section="attributes",
        summary=summary,
        crumbs=crumbs(("Attributes", urls.GROUPS), *trail),
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
                "last": entries[-1].name if len(entries) > 1 else "",
                "coverage": by_group.get(group),
            }
        )
        rows = [model.attribute_row(e) for e in entries]
        for part in split(group_url(group), rows, lambda r: r["display"]):
            yield _browse_page(
                (part.path, "group.html", f"Group {group} attributes" + _part_title(part.number, part.nav)),
                "groups",
                BrowseContext(
                    browse=[],
                    group=group,
                    rows=part.rows,
                    count=len(rows),
                    parts=part.nav,
                    coverage=by_group.get(group),
                    groups=[{"group": g, "url": group_url(g)} for g in groups],
                ),
                f"The {len(entries)} DICOM attributes of group {group}, with VR, VM and real examples.",
                (f"Group {group}", None),
            )
    yield Page(
        urls.GROUPS,
        "groups.html",
        "Attributes by group",
        BrowseContext(browse=browse_links("groups"), groups=summary, total=len(model.standard.dictionary)),
        section="attributes",
        summary="Every attribute of the DICOM data dictionary, by group.",
        crumbs=crumbs(("Attributes", None)),
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
                BrowseContext(browse=[], letter=letter, rows=part.rows, parts=part.nav, letters=index),
                f"DICOM attribute keywords starting with {letter}.",
                ("Keywords", urls.KEYWORDS),
                (letter, None),
            )
    yield _browse_page(
        (urls.KEYWORDS, "keyword_index.html", "Keyword index"),
        "keywords",
        BrowseContext(browse=[], letters=index),
        "Every DICOM attribute keyword, A to Z.",
        ("Keywords", None),
    )
