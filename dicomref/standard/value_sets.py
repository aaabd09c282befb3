"""An attribute's values as the standard lists them, by value position, gathered over every module and macro row.

Image Type (0008,0008) has Value 1 ORIGINAL or DERIVED, Value 2 PRIMARY or SECONDARY, and
terms for Value 3 that depend on the IOD; a developer reads them position by position, each
list with where it applies. The same list repeated by many rows (Modality's Defined Terms in
every series module referring to Section C.7.3.1.1.1) is shown once, with all its places.
"""

from __future__ import annotations

from dataclasses import dataclass

from dicomref.standard.descriptions import ValueSet
from dicomref.standard.model import Standard

KIND_LABELS = {"enumerated": "Enumerated Values", "defined": "Defined Terms"}


@dataclass(frozen=True)
class TermList:
    """One list of terms and every module and macro row that gives it."""

    kind: str  # "enumerated" or "defined"
    values: tuple[str, ...]
    meanings: tuple[str, ...]  # parallel to values; "" where the standard gives none
    condition: str | None
    retired: bool
    sources: tuple[str, ...]  # the sections (NEMA URLs) the rows refer to for the list; empty when listed in the rows
    modules: tuple[str, ...]  # module ids, in the standard's order
    macros: tuple[str, ...]  # macro ids

    @property
    def label(self) -> str:
        return ("Retired " if self.retired else "") + KIND_LABELS[self.kind]


@dataclass(frozen=True)
class PositionValues:
    """The lists for one value position, the most widely given first, retired terms last."""

    position: int | None  # 1 for Value 1; None for lists that apply to every value
    lists: tuple[TermList, ...]

    @property
    def label(self) -> str:
        return f"Value {self.position}" if self.position else "Every value"


def values_by_position(standard: Standard, key: str) -> tuple[PositionValues, ...]:
    """Every value list given for the attribute, grouped by position (Value 1, 2, ...; lists for every value first)."""
    places: list[tuple[str, str, ValueSet]] = [
        ("module", u.module_id, v) for u in standard.usages.get(key, []) for v in u.attribute.value_sets
    ]
    places += [("macro", u.macro_id, v) for u in standard.macro_usages.get(key, []) for v in u.attribute.value_sets]
    grouped: dict[tuple, dict] = {}
    for where, table_id, value_set in places:
        group = grouped.setdefault(
            (value_set.position, value_set.kind, value_set.values, value_set.condition, value_set.retired),
            {"set": value_set, "sources": {}, "module": {}, "macro": {}},
        )
        if value_set.source:
            group["sources"][value_set.source] = None
        group[where][table_id] = None
    by_position: dict[int | None, list[TermList]] = {}
    for (position, kind, values, condition, retired), group in grouped.items():
        first: ValueSet = group["set"]
        by_position.setdefault(position, []).append(
            TermList(
                kind=kind,
                values=values,
                meanings=first.meanings if len(first.meanings) == len(values) else ("",) * len(values),
                condition=condition,
                retired=retired,
                sources=tuple(group["sources"]),
                modules=tuple(group["module"]),
                macros=tuple(group["macro"]),
            )
        )
    return tuple(
        PositionValues(position, tuple(sorted(lists, key=_list_order)))
        for position, lists in sorted(by_position.items(), key=lambda pl: pl[0] or 0)
    )


def _list_order(term_list: TermList) -> tuple:
    """The lists given by the most rows first (Modality's Defined Terms before each series module's one value),
    enumerated before defined among equals, conditional ones after, retired ones last."""
    places = len(term_list.modules) + len(term_list.macros)
    return (term_list.retired, -places, term_list.kind != "enumerated", term_list.condition is not None)


def values_json(positions: tuple[PositionValues, ...]) -> list[dict]:
    """Plain data for `dicomref show --json` and the site's JSON API."""
    return [
        {
            "position": p.position,
            "which": p.label if p.position else None,
            "lists": [
                {
                    "kind": t.kind,
                    "retired": t.retired,
                    "condition": t.condition,
                    "values": list(t.values),
                    "meanings": list(t.meanings),
                    "sections": list(t.sources),
                    "modules": list(t.modules),
                    "macros": list(t.macros),
                }
                for t in p.lists
            ],
        }
        for p in positions
    ]
