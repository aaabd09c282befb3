"""IODs, modules and Type changes as plain data: the JSON API's IOD and module documents and `dicomref show`."""

from __future__ import annotations

from dicomref.standard.changes import TypeChange
from dicomref.standard.model import Iod, Module, Standard


def type_change(standard: Standard, change: TypeChange) -> dict:
    """One Type change since the prose's edition: the module, the sequence path and the Types before and now."""
    module = standard.modules.get(change.module_id)
    return {
        "module": change.module_id,
        "module_name": module.name if module else change.module_id,
        "path": list(change.path),
        "old": change.old,
        "new": change.new,
    }


def type_changes(standard: Standard, key: str) -> list[dict]:
    return [type_change(standard, c) for c in standard.changes.by_tag.get(key, ())]


def iod_document(standard: Standard, iod: Iod) -> dict:
    """The IOD's modules (usage, information entity, condition where the prose gives one) and SOP classes."""
    return {
        "id": iod.id,
        "name": iod.name,
        "url": iod.url,
        "description": iod.description.text,
        "modules": [
            {
                "id": m.module_id,
                "name": standard.modules[m.module_id].name if m.module_id in standard.modules else m.module_id,
                "usage": m.usage,
                "information_entity": m.information_entity,
                "condition": m.condition or None,
            }
            for m in iod.modules
        ],
        "functional_groups": [
            {"id": g.macro_id, "usage": g.usage, "condition": g.condition or None} for g in iod.functional_groups
        ],
        "sop_classes": [{"uid": s.uid, "name": s.name} for s in iod.sop_classes],
        "release": standard.release,
    }


def module_document(standard: Standard, module: Module) -> dict:
    """Every row of the module: tag path, keyword, Type and description where the prose has one."""
    return {
        "id": module.id,
        "name": module.name,
        "url": module.url,
        "iods": sorted(set(standard.iods_by_module.get(module.id, []))),
        "rows": [
            {
                "tag": a.tag,
                "path": list(a.path),
                "keyword": entry.keyword if (entry := standard.any_entry(a.tag)) else "",
                "type": a.type,
                "description": a.description.html if a.described else None,
            }
            for a in module.attributes
        ],
        "type_changes": [type_change(standard, c) for c in standard.changes.type_changes if c.module_id == module.id],
        "release": standard.release,
    }
