"""The changes/ page: the IODs and modules new, renamed and removed since the prose's edition, and every Type change."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from dicomref import urls
from dicomref.site.model import SiteModel
from dicomref.site.page import Page, PageContext, PageSource, crumbs
from dicomref.standard import display_tag
from dicomref.standard.changes import Named, Renamed


def removed_anchor(kind: str, id_: str) -> str:
    """The anchor of a removed IOD or module on the changes page, where its old address leads."""
    return f"removed-{kind}-{id_}"


@dataclass(frozen=True)
class ChangesSection:
    id: str
    title: str
    kind: str  # "new", "renamed" or "removed": how its rows are listed
    rows: list[dict]


@dataclass(frozen=True)
class ChangesContext(PageContext):
    sections: list[ChangesSection]
    type_changes: list[dict]
    modules_edition: str
    prose_edition: str


def changes_pages(model: SiteModel) -> list[PageSource]:
    """Built by whichever worker takes it: its rows' anchors come from the site's tables, which the workers load."""
    return [PageSource(urls.CHANGES, functools.partial(changes_page, model))]


def changes_page(model: SiteModel) -> Page:
    standard = model.standard
    changes = standard.changes

    def present(kind: str, named: Named) -> dict:
        tables = standard.iods if kind == "iod" else standard.modules
        url = urls.page_url(kind, named.id) if named.id in tables else None
        return {"name": named.name, "id": named.id, "url": url}

    def renamed(kind: str, rows: tuple[Renamed, ...]) -> list[dict]:
        return [{"old": {"name": r.old.name, "id": r.old.id}, "new": present(kind, r.new)} for r in rows]

    def removed(kind: str, rows: tuple[Named, ...]) -> list[dict]:
        return [{"name": r.name, "id": r.id, "anchor": removed_anchor(kind, r.id)} for r in rows]

    type_changes = []
    for change in changes.type_changes:
        module = standard.modules.get(change.module_id)
        if module is None:
            continue
        anchor = model.row_anchor("module", module.id, change.path, change.tag)
        type_changes.append(
            {
                "tag": display_tag(change.tag),
                "name": model.name_of(change.tag),
                "url": urls.attribute_url(change.tag) if standard.any_entry(change.tag) else None,
                "module": module.name,
                "module_url": urls.module_url(module.id) + (f"#{anchor}" if anchor else ""),
                "path": [model.name_of(t) or display_tag(t) for t in change.path],
                "old": change.old or "none",
                "new": change.new or "none",
            }
        )
    sections = [
        ChangesSection("new-iods", "New IODs", "new", [present("iod", n) for n in changes.new_iods]),
        ChangesSection("renamed-iods", "Renamed IODs", "renamed", renamed("iod", changes.renamed_iods)),
        ChangesSection("removed-iods", "Removed IODs", "removed", removed("iod", changes.removed_iods)),
        ChangesSection("new-modules", "New modules", "new", [present("module", n) for n in changes.new_modules]),
        ChangesSection("renamed-modules", "Renamed modules", "renamed", renamed("module", changes.renamed_modules)),
        ChangesSection("removed-modules", "Removed modules", "removed", removed("module", changes.removed_modules)),
    ]
    return Page(
        urls.CHANGES,
        "changes.html",
        "Changes since the descriptions' edition",
        ChangesContext(
            sections=sections,
            type_changes=type_changes,
            modules_edition=standard.modules_edition,
            prose_edition=standard.prose_edition,
        ),
        section="about",
        summary="The IODs and modules new, renamed and removed since 2020, and every attribute whose Type changed.",
        crumbs=crumbs(("Changes", None)),
    )
