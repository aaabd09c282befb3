"""Rules compiled once from the model of the standard: per IOD its modules with usage, per module its rows.

Only the model's public shape is read (Standard.iods, Standard.modules, the dictionary), so the
rules follow whichever tables the model is built from. Every rule is plain data with `to_json`,
for the browser's interpreter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dicomref.standard import Standard
from dicomref.standard.descriptions import ValueSet
from dicomref.validate.conditions import All, AnyOf, Condition, NotEvaluated, NotRequiredByIod, compile_condition

CONTENT_SEQUENCE = "0040A730"
# The Shared and the Per-Frame Functional Groups Sequences: a functional group macro's rows apply in one or the
# other item (which, the IOD's functional group table and the file decide), so their items are not checked by row.
FUNCTIONAL_GROUP_SEQUENCES = frozenset({"52009229", "52009230"})
_OVERRIDES = re.compile(r"\bshall override the definition in the (.+?) Module\b", re.IGNORECASE)
# Allowed values by 1-based position (None: every value), as (position, values) pairs.
Terms = tuple[tuple[int | None, tuple[str, ...]], ...]


@dataclass(frozen=True)
class RowRule:
    tag: str  # dictionary key, e.g. '00280101' or '60xx0010'
    path: tuple[str, ...]  # enclosing sequence keys, outermost first
    type: str  # 1, 1C, 2, 2C, 3 or ''
    condition: Condition | None  # for 1C and 2C rows
    enumerated: Terms = ()
    defined: Terms = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "path": list(self.path),
            "type": self.type,
            "condition": self.condition.to_json() if self.condition is not None else None,
            "enumerated": [[p, list(v)] for p, v in self.enumerated],
            "defined": [[p, list(v)] for p, v in self.defined],
        }


@dataclass(frozen=True)
class ModuleRule:
    id: str
    name: str
    rows: tuple[RowRule, ...]

    @functools.cached_property
    def content_tree(self) -> bool:
        """An SR content tree (rows under Content Sequence): its rows apply by Value Type and template."""
        return any(CONTENT_SEQUENCE in row.path for row in self.rows)

    @functools.cached_property
    def top_level(self) -> frozenset[str]:
        return frozenset(row.tag for row in self.rows if not row.path)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "rows": [row.to_json() for row in self.rows]}


@dataclass(frozen=True)
class IodModuleRule:
    module_id: str
    usage: str  # M, C or U
    condition: Condition | None  # for C modules

    def to_json(self) -> dict[str, Any]:
        condition = self.condition.to_json() if self.condition is not None else None
        return {"module": self.module_id, "usage": self.usage, "condition": condition}


@dataclass(frozen=True)
class IodRule:
    id: str
    name: str
    modules: tuple[IodModuleRule, ...]
    # Rows whose Type "shall override the definition in the <name> Module": (tag, path, that module's name, Type).
    overrides: tuple[tuple[str, tuple[str, ...], str, str], ...] = ()
    # Of the attributes conditions ask whether "image ... require[s]" them, those the IOD requires (NotRequiredByIod).
    requires: tuple[str, ...] = ()

    def type_of(self, row: RowRule, module_name: str) -> str:
        for tag, path, overridden, type_ in self.overrides:
            if tag == row.tag and path == row.path and overridden.lower() == module_name.lower():
                return type_
        return row.type

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "modules": [m.to_json() for m in self.modules],
            "overrides": [[tag, list(path), module, type_] for tag, path, module, type_ in self.overrides],
            "requires": list(self.requires),
        }


@dataclass
class Rules:
    iods: dict[str, IodRule]
    modules: dict[str, ModuleRule]
    iod_of_sop_class: dict[str, str]
    _allowed: dict[str, frozenset[str]] = field(default_factory=dict)

    def allowed(self, iod_id: str) -> frozenset[str]:
        """Top-level attributes any module of the IOD lists (whatever its usage)."""
        if iod_id not in self._allowed:
            iod = self.iods[iod_id]
            tags: set[str] = set()
            for usage in iod.modules:
                if usage.module_id in self.modules:
                    tags |= self.modules[usage.module_id].top_level
            self._allowed[iod_id] = frozenset(tags)
        return self._allowed[iod_id]

    def conditions(self) -> list[Condition]:
        """Every compiled condition of a module row or an IOD's module, once per place."""
        found = [row.condition for m in self.modules.values() for row in m.rows if row.condition is not None]
        found += [u.condition for iod in self.iods.values() for u in iod.modules if u.condition is not None]
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "iods": {k: v.to_json() for k, v in sorted(self.iods.items())},
            "modules": {k: v.to_json() for k, v in sorted(self.modules.items())},
            "sop_classes": dict(sorted(self.iod_of_sop_class.items())),
        }


def _terms(value_sets: tuple[ValueSet, ...], kind: str) -> Terms:
    if not value_sets:  # most rows: no list to sort
        return ()
    by_position: dict[int | None, tuple[str, ...]] = {}
    for value_set in value_sets:
        if value_set.retired:
            continue
        limits = value_set.kind == "enumerated" and value_set.condition is None
        # A list under a condition ("if Bits Stored = 8") limits only where it holds: it counts as known terms.
        if (kind == "enumerated" and limits) or (kind == "defined" and not limits):
            by_position[value_set.position] = by_position.get(value_set.position, ()) + value_set.values
    return tuple(sorted(by_position.items(), key=lambda pair: -1 if pair[0] is None else pair[0]))


def compile_rules(standard: Standard) -> Rules:
    cache: dict[str, Condition] = {}

    def compiled(text: str) -> Condition:
        if text not in cache:
            cache[text] = compile_condition(text)
        return cache[text]

    modules = {}
    for module in standard.modules.values():
        rows = tuple(
            RowRule(
                attribute.tag,
                attribute.path,
                attribute.type,
                compiled(attribute.description.text) if attribute.type in {"1C", "2C"} else None,
                _terms(attribute.value_sets, "enumerated"),
                _terms(attribute.value_sets, "defined"),
            )
            for attribute in module.attributes
            if FUNCTIONAL_GROUP_SEQUENCES.isdisjoint(attribute.path)
        )
        modules[module.id] = ModuleRule(module.id, module.name, rows)
    # Rows whose Type overrides another module's, found once per module (most IODs share most modules).
    module_overrides = {
        module.id: tuple(
            (attribute.tag, attribute.path, found.group(1), attribute.type)
            for attribute in module.attributes
            if "override" in attribute.description.text and (found := _OVERRIDES.search(attribute.description.text))
        )
        for module in standard.modules.values()
    }
    asked = frozenset(tag for condition in cache.values() for tag in _asked_of_iod(condition))
    iods: dict[str, IodRule] = {}
    iod_of_sop_class: dict[str, str] = {}
    for iod_id in sorted(standard.iods):
        iod = standard.iods[iod_id]
        usages = tuple(
            IodModuleRule(m.module_id, m.usage, compiled(m.condition) if m.usage == "C" else None) for m in iod.modules
        )
        overrides = tuple(found for m in iod.modules for found in module_overrides.get(m.module_id, ()))
        iods[iod_id] = IodRule(iod_id, iod.name, usages, overrides, _required(standard, iod_id, asked))
        for sop in iod.sop_classes:
            iod_of_sop_class.setdefault(sop.uid, iod_id)
    return Rules(iods, modules, iod_of_sop_class)


def _asked_of_iod(condition: Condition) -> Iterator[str]:
    if isinstance(condition, NotRequiredByIod):
        yield from condition.tags
    elif isinstance(condition, (All, AnyOf)):
        for term in condition.terms:
            yield from _asked_of_iod(term)


def _required(standard: Standard, iod_id: str, asked: frozenset[str]) -> tuple[str, ...]:
    """Of the attributes asked about, those a mandatory module of the IOD lists as Type 1, 1C, 2 or 2C at any depth,
    its functional groups included: the IOD requires them, at least under a condition. So a row "required if image
    does not require" them is required only where the IOD never requires them."""
    found = {
        attribute.tag
        for usage in standard.iods[iod_id].modules
        if usage.usage == "M" and usage.module_id in standard.modules
        for attribute in standard.modules[usage.module_id].attributes
        if attribute.tag in asked and attribute.type in {"1", "1C", "2", "2C"}
    }
    return tuple(sorted(found))


def not_evaluated(condition: Condition | None) -> bool:
    return isinstance(condition, NotEvaluated)
