"""The page of each IOD: its modules by information entity, with usage and conditions, and its functional groups."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from dicomref import urls
from dicomref.site.model import SiteModel
from dicomref.site.page import Page, PageContext, PageSource, crumbs
from dicomref.site.usage import USAGE_MEANINGS
from dicomref.standard.model import Iod
from dicomref.urls import iod_url, macro_url, module_url


@dataclass(frozen=True)
class IodContext(PageContext):
    iod: Iod
    sop_classes: list[dict]
    functional_groups: list[dict]
    entities: list[dict]
    coverage: dict | None
    usage_counts: dict[str, int]
    usages: list[dict]


def iod_pages(model: SiteModel) -> list[PageSource]:
    return [
        PageSource(iod_url(iod.id), functools.partial(iod_page, model, iod)) for iod in model.standard.iods.values()
    ]


def iod_page(model: SiteModel, iod: Iod) -> Page:
    by_module = model.coverage.get("by_module", {})
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
    return Page(
        iod_url(iod.id),
        "iod.html",
        f"{iod.name} IOD",
        IodContext(
            iod=iod,
            sop_classes=[model.uid_link(s.uid) for s in iod.sop_classes],
            functional_groups=functional_groups,
            entities=[{"name": name, "modules": modules} for name, modules in entities.items()],
            coverage=model.coverage.get("by_iod", {}).get(iod.id),
            usage_counts={u: sum(1 for m in iod.modules if m.usage == u) for u in USAGE_MEANINGS},
            usages=[{"usage": u, "meaning": m} for u, m in USAGE_MEANINGS.items()],
        ),
        section="iods",
        summary=(
            f"The {iod.name} IOD of the DICOM standard: its modules by information entity, with usage and conditions."
        ),
        crumbs=crumbs(("IODs", urls.IODS), (iod.name, None)),
    )
