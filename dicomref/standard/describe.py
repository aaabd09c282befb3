"""Everything known about one attribute, as plain data for `dicomref show`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dicomref.standard.descriptions import ValueSet
from dicomref.standard.lookup import find_entry, parse_tag
from dicomref.standard.model import Module, ModuleAttribute, Standard
from dicomref.standard.value_sets import values_by_position, values_json


def describe(standard: Standard, query: str, attributes: dict) -> dict:
    """Dictionary entry, every module and macro using it with Type and sanitised description,
    value sets, profile action and examples.

    attributes is the `attributes` object of aggregate.json (empty before a build).
    """
    entry = find_entry(standard.dictionary, query)
    key = parse_tag(query)
    profile = standard.profile_actions.get(entry.tag)
    info = attributes.get(entry.tag, {})
    return {
        "tag": entry.tag,
        "display": entry.display,
        "matched": key if key is not None and key != entry.tag else None,
        "keyword": entry.keyword,
        "name": entry.name,
        "vr": entry.vr,
        "vm": entry.vm,
        "retired": entry.retired,
        "kind": entry.kind,
        "repeating": entry.repeating,
        "identifying": entry.tag in standard.identifying,
        "profile": None if profile is None else {"basic": profile.basic, "options": dict(profile.options)},
        "value_sets": [_value_set(v) for v in standard.value_sets_for(entry.tag)],
        "values": values_json(values_by_position(standard, entry.tag)),
        "modules": _places(standard.modules, ((u.module_id, u.attribute) for u in standard.usages.get(entry.tag, []))),
        "macros": [
            {**row, "functional_group_of": sorted(set(standard.iods_by_macro.get(row["id"], [])))}
            for row in _places(
                standard.macros, ((u.macro_id, u.attribute) for u in standard.macro_usages.get(entry.tag, []))
            )
        ],
        "files": info.get("files", 0),
        "examples": info.get("examples", []),
        "release": standard.release,
    }


def _places(tables: Mapping[str, Module], usages: Iterable[tuple[str, ModuleAttribute]]) -> list[dict]:
    """One row per module (or macro) and sequence path holding the attribute, in the standard's order."""
    rows: dict[tuple[str, tuple[str, ...]], dict] = {}
    for table_id, attribute in usages:
        if table_id in tables:
            rows.setdefault(
                (table_id, attribute.path),
                {
                    "id": table_id,
                    "name": tables[table_id].name,
                    "type": attribute.type,
                    "path": list(attribute.path),
                    "description": attribute.description.html,
                    "text": attribute.description.text,
                    "value_sets": [_value_set(v) for v in attribute.value_sets],
                },
            )
    return list(rows.values())


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
