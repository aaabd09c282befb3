"""The changes/ page: the IODs and modules new, renamed and removed since the prose's edition, and every Type change."""

from __future__ import annotations

from dicomref.site.pages import Crumb, Page, SiteModel, attribute_url, iod_url, module_url
from dicomref.standard import display_tag
from dicomref.standard.changes import Named, Renamed

CHANGES_URL = "changes/index.html"


def removed_anchor(kind: str, id: str) -> str:
    """The anchor of a removed IOD or module on the changes page, where its old address leads."""
    return f"removed-{kind}-{id}"


def changes_page(model: SiteModel) -> Page:
    standard = model.standard
    changes = standard.changes

    def present(kind: str, named: Named) -> dict:
        tables = standard.iods if kind == "iod" else standard.modules
        url = (iod_url if kind == "iod" else module_url)(named.id)
        return {"name": named.name, "id": named.id, "url": url if named.id in tables else None}

    def renamed(kind: str, rows: tuple[Renamed, ...]) -> list[dict]:
        return [{"old": {"name": r.old.name, "id": r.old.id}, "new": present(kind, r.new)} for r in rows]

    def removed(kind: str, rows: tuple[Named, ...]) -> list[dict]:
        return [{"name": r.name, "id": r.id, "anchor": removed_anchor(kind, r.id)} for r in rows]

    type_changes = []
    for change in changes.type_changes:
        module = standard.modules.get(change.module_id)
        if module is None:
            continue
        anchor = model.folded("module", module.id).anchors.get((change.path, change.tag))
        type_changes.append(
            {
                "tag": display_tag(change.tag),
                "name": model.name_of(change.tag),
                "url": attribute_url(change.tag) if standard.any_entry(change.tag) else None,
                "module": module.name,
                "module_url": module_url(module.id) + (f"#{anchor}" if anchor else ""),
                "path": [model.name_of(t) or display_tag(t) for t in change.path],
                "old": change.old or "none",
                "new": change.new or "none",
            }
        )
    sections = [
        {"id": "new-iods", "title": "New IODs", "kind": "new", "rows": [present("iod", n) for n in changes.new_iods]},
        {
            "id": "renamed-iods",
            "title": "Renamed IODs",
            "kind": "renamed",
            "rows": renamed("iod", changes.renamed_iods),
        },
        {
            "id": "removed-iods",
            "title": "Removed IODs",
            "kind": "removed",
            "rows": removed("iod", changes.removed_iods),
        },
        {
            "id": "new-modules",
            "title": "New modules",
            "kind": "new",
            "rows": [present("module", n) for n in changes.new_modules],
        },
        {
            "id": "renamed-modules",
            "title": "Renamed modules",
            "kind": "renamed",
            "rows": renamed("module", changes.renamed_modules),
        },
        {
            "id": "removed-modules",
            "title": "Removed modules",
            "kind": "removed",
            "rows": removed("module", changes.removed_modules),
        },
    ]
    return Page(
        CHANGES_URL,
        "changes.html",
        "Changes since the descriptions' edition",
        {
            "sections": sections,
            "type_changes": type_changes,
            "modules_edition": standard.modules_edition,
            "prose_edition": standard.prose_edition,
        },
        section="about",
        summary="The IODs and modules new, renamed and removed since 2020, and every attribute whose Type changed.",
        crumbs=(Crumb("Changes"),),
    )
