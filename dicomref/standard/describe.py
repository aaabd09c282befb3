"""Everything known about one attribute, as plain data: `dicomref show --json` and the site's JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dicomref.standard.descriptions import ValueSet
from dicomref.standard.dictionary import DictEntry
from dicomref.standard.documents import type_changes
from dicomref.standard.lookup import find_entry, parse_tag
from dicomref.standard.model import Standard
from dicomref.standard.places import ItemIndex, ItemNode, Place, Placement, placement, why_in_no_table
from dicomref.standard.value_sets import values_by_position, values_json


def describe(standard: Standard, query: str, attributes: dict, items: ItemIndex | None = None) -> dict:
    """Everything known about the attribute a tag, keyword or name stands for (see attribute_document).

    attributes is the `attributes` object of aggregate.json (empty before a build).
    """
    entry = find_entry(standard.dictionary, query)
    key = parse_tag(query)
    items = items or ItemIndex(standard, only=entry.tag)
    document = attribute_document(standard, entry, attributes.get(entry.tag, {}), items)
    return {**document, "matched": key if key is not None and key != entry.tag else None}


def attribute_document(
    standard: Standard,
    entry: DictEntry,
    info: Mapping[str, Any],
    items: ItemIndex,
    placed: Placement | None = None,
) -> dict:
    """The attribute as `dicomref show --json` prints it and the site's JSON API publishes it.

    Dictionary entry; every module and macro listing it with Type, sequence path and sanitised
    description; the IODs reaching it through a module or a functional group macro; for a
    sequence, what its items hold; why no module lists it, when none does; value sets, profile
    action and examples (info is the attribute's object in aggregate.json, empty when unseen); `placed` is where
    it is used, when already found.
    """
    profile = standard.profile_actions.get(entry.tag)
    placed = placed or placement(standard, entry.tag)
    found = placed.places
    return {
        "tag": entry.tag,
        "display": entry.display,
        "keyword": entry.keyword,
        "name": entry.name,
        "vr": entry.vr,
        "vm": entry.vm,
        "retired": entry.retired,
        "kind": entry.kind,
        "repeating": entry.repeating,
        "identifying": entry.tag in standard.identifying,
        "newer_than_modules": standard.newer_than_modules(entry.tag),
        "type_changes": type_changes(standard, entry.tag),
        "profile": None if profile is None else {"basic": profile.basic, "options": dict(profile.options)},
        "value_sets": [_value_set(v) for v in standard.value_sets_for(entry.tag)],
        "values": values_json(values_by_position(standard, entry.tag)),
        "modules": _tables(standard, [p for p in found if p.kind == "module"]),
        "macros": [
            {**row, "functional_group_of": sorted(set(standard.iods_by_macro.get(row["id"], [])))}
            for row in _tables(standard, [p for p in found if p.kind == "macro"])
        ],
        "in_no_module": why_in_no_table(standard, entry.tag),
        "iods": [
            {
                "id": reach.iod_id,
                "name": reach.iod_name,
                "via": [{"kind": v.kind, "id": v.id, "name": v.name, "usage": v.usage} for v in reach.via],
            }
            for reach in placed.iods
        ],
        "items": [_item(standard, node) for node in items.items(entry.tag)] if entry.vr == "SQ" else [],
        "files": info.get("files", 0),
        "distinct": info.get("distinct", 0),
        "paths": info.get("paths", []),
        "examples": info.get("examples", []),
        "release": standard.release,
    }


def _tables(standard: Standard, found: list[Place]) -> list[dict]:
    """One row per module or macro: its first place in full, the other sequence paths with their Type."""
    rows: dict[str, dict] = {}
    for place in found:
        attribute = place.attribute
        if place.id in rows:
            rows[place.id]["other_paths"].append({"path": list(attribute.path), "type": attribute.type})
            continue
        rows[place.id] = {
            "id": place.id,
            "name": place.name,
            "type": attribute.type,
            "path": list(attribute.path),
            "path_names": [_name(standard, t) for t in attribute.path],
            "description": attribute.description.html,
            "text": attribute.description.text,
            "value_sets": [_value_set(v) for v in attribute.value_sets],
            "other_paths": [],
        }
    return list(rows.values())


def _item(standard: Standard, node: ItemNode) -> dict:
    return {
        "tag": node.tag,
        "name": _name(standard, node.tag),
        "types": list(node.types),
        "in": [{"kind": kind, "id": table_id, "name": name} for (kind, table_id), name in node.tables.items()],
        "items": [_item(standard, child) for child in node.children.values()],
    }


def _name(standard: Standard, key: str) -> str:
    entry = standard.any_entry(key)
    return entry.name if entry else ""


def _value_set(value_set: ValueSet) -> dict:
    return {
        "kind": value_set.kind,
        "values": list(value_set.values),
        "which": value_set.which,
        "position": value_set.position,
        "condition": value_set.condition,
        "retired": value_set.retired,
        "section": value_set.source or None,
    }
