"""Everything known about one attribute, as plain data for `dicomref show`."""

from __future__ import annotations

from dicomref.standard.lookup import find_entry
from dicomref.standard.model import Standard


def describe(standard: Standard, query: str, attributes: dict) -> dict:
    """Dictionary entry, every module using it with Type and sanitised description, and any examples."""
    entry = find_entry(standard.dictionary, query)
    modules = []
    seen = set()
    for usage in standard.usages.get(entry.tag, []):
        if usage.module_id in seen or usage.module_id not in standard.modules:
            continue
        seen.add(usage.module_id)
        modules.append(
            {
                "id": usage.module_id,
                "name": standard.modules[usage.module_id].name,
                "type": usage.attribute.type,
                "path": list(usage.attribute.path),
                "description": usage.attribute.description.html,
            }
        )
    info = attributes.get(entry.tag, {})
    return {
        "tag": entry.tag,
        "display": entry.display,
        "keyword": entry.keyword,
        "name": entry.name,
        "vr": entry.vr,
        "vm": entry.vm,
        "retired": entry.retired,
        "identifying": entry.tag in standard.identifying,
        "modules": modules,
        "files": info.get("files", 0),
        "examples": info.get("examples", []),
    }
