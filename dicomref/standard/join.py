"""Join the current tables (structure: IODs, modules, Types, SOP classes) with the 2020 export (prose).

A module row keeps the 2020 description and value sets where the same module lists the same tag
at the same sequence path; a row, module or IOD the export does not have says that its
description is not in the installed sources and links to the standard's current text.
"""

from __future__ import annotations

import html
import re

from pydicom.uid import UID_dictionary

from dicomref.standard.changes import Changes, Named, Renamed, TypeChange
from dicomref.standard.current import CurrentTables
from dicomref.standard.descriptions import Description
from dicomref.standard.model import Iod, IodModule, Module, ModuleAttribute, SopClass

PART3 = "https://dicom.nema.org/medical/dicom/current/output/chtml/part03/PS3.3.html"
IOD_ANNEX = "https://dicom.nema.org/medical/dicom/current/output/chtml/part03/chapter_A.html"
_RENAMED_MODULE = 0.8  # share of (path, tag) rows a removed and a new module must have in common to be one
_WORD = re.compile(r"[^\s]+")


def undescribed(url: str, what: str, prose: str) -> Description:
    """The description of a row, module or IOD newer than the prose source."""
    text = f"Newer than {prose}: the description of this {what} is not in the installed sources."
    link = f'<a href="{html.escape(url)}">the standard\'s current text</a>'
    return Description(f"<p>{html.escape(text)} See {link}.</p>", f"{text} See the standard's current text.")


class Namer:
    """Names for ids the export does not have, spelled as the export spells its words ('rt' -> 'RT')."""

    def __init__(self, names: list[str]) -> None:
        self._words: dict[str, str] = {}
        for name in names:
            for word in _WORD.findall(name):
                word = word.strip("(),")
                self._words.setdefault(word.lower(), word)
                for part in word.split("-"):
                    self._words.setdefault(part.lower(), part)

    def __call__(self, id: str) -> str:
        parts, words, i = id.split("-"), [], 0
        while i < len(parts):
            pair = "-".join(parts[i : i + 2])
            if i + 1 < len(parts) and pair in self._words:
                words.append(self._words[pair])
                i += 2
                continue
            words.append(self._words.get(parts[i], parts[i].capitalize()))
            i += 1
        return " ".join(words)


def join(
    tables: CurrentTables,
    modules_2020: dict[str, Module],
    iods_2020: dict[str, Iod],
    macros: dict[str, Module],
    prose: str,
) -> tuple[dict[str, Module], dict[str, Iod], Changes]:
    """The current modules and IODs with the 2020 prose where it still matches, and what changed."""
    name = Namer([*(m.name for m in modules_2020.values()), *(i.name for i in iods_2020.values())])
    in_macros = _MacroRows(macros)
    renamed_modules = _renamed_modules(tables, modules_2020)
    modules: dict[str, Module] = {}
    type_changes: list[TypeChange] = []
    for module_id, rows in tables.modules.items():
        old_module = modules_2020.get(module_id) or modules_2020.get(renamed_modules.get(module_id, ""))
        module, module_changes = _module(module_id, rows, old_module, in_macros, name, prose)
        modules[module_id] = module
        type_changes.extend(module_changes)
    renamed_iods = _renamed_iods(tables, iods_2020)
    iods = {}
    for iod_id, iod_rows in tables.iods.items():
        old_iod = iods_2020.get(iod_id) or iods_2020.get(renamed_iods.get(iod_id, ""))
        keep_name = old_iod is not None and old_iod.id == iod_id
        iods[iod_id] = Iod(
            id=iod_id,
            name=old_iod.name if old_iod is not None and keep_name else name(iod_id),
            description=old_iod.description if old_iod is not None else undescribed(IOD_ANNEX, "IOD", prose),
            url=old_iod.url if old_iod is not None else IOD_ANNEX,
            modules=tuple(_iod_modules(iod_rows, old_iod)),
            sop_classes=_sop_classes(tables, iod_id, old_iod),
            functional_groups=old_iod.functional_groups if old_iod is not None else (),
        )
    changes = Changes(
        new_iods=_named(iods, set(tables.iods) - set(iods_2020) - set(renamed_iods)),
        renamed_iods=tuple(
            Renamed(Named(old, iods_2020[old].name), Named(new, iods[new].name))
            for new, old in sorted(renamed_iods.items())
        ),
        removed_iods=_named(iods_2020, set(iods_2020) - set(tables.iods) - set(renamed_iods.values())),
        new_modules=_named(modules, set(tables.modules) - set(modules_2020) - set(renamed_modules)),
        renamed_modules=tuple(
            Renamed(Named(old, modules_2020[old].name), Named(new, modules[new].name))
            for new, old in sorted(renamed_modules.items())
        ),
        removed_modules=_named(modules_2020, set(modules_2020) - set(tables.modules) - set(renamed_modules.values())),
        type_changes=tuple(type_changes),
    )
    return modules, dict(sorted(iods.items())), changes


def _named(tables: dict, ids: set[str]) -> tuple[Named, ...]:
    return tuple(Named(id, tables[id].name) for id in sorted(ids))


class _MacroRows:
    """The 2020 macros' rows by tag, to describe a row of a macro the 2020 module did not expand."""

    def __init__(self, macros: dict[str, Module]) -> None:
        self._rows: dict[tuple[str, tuple[str, ...]], ModuleAttribute] = {}
        for macro in macros.values():
            for attribute in macro.attributes:
                self._rows.setdefault((attribute.tag, attribute.path), attribute)

    def find(self, tag: str, path: tuple[str, ...]) -> ModuleAttribute | None:
        """The first macro row of the tag whose own path ends the row's path, the longest such path first."""
        for start in range(len(path) + 1):
            row = self._rows.get((tag, path[start:]))
            if row is not None:
                return row
        return None


def _module(
    module_id: str, rows: tuple, old: Module | None, in_macros: _MacroRows, name: Namer, prose: str
) -> tuple[Module, list[TypeChange]]:
    """One current module; each row joined to the 2020 row of the same tag at the same path, taken in order.

    A row without one takes the prose of the same tag elsewhere in the 2020 module, else of a
    2020 macro listing the tag at the end of the row's path; only a row at the same place can
    tell a Type change.
    """
    url = old.url if old is not None else PART3
    waiting: dict[tuple[tuple[str, ...], str], list[ModuleAttribute]] = {}
    by_tag: dict[str, ModuleAttribute] = {}
    for attribute in old.attributes if old is not None else ():
        waiting.setdefault((attribute.path, attribute.tag), []).append(attribute)
        by_tag.setdefault(attribute.tag, attribute)
    missing = undescribed(url, "attribute", prose)
    attributes, changes = [], []
    for row in rows:
        matches = waiting.get((row.path, row.tag))
        before = matches.pop(0) if matches else None
        if before is not None and before.type != row.type:
            changes.append(TypeChange(module_id, row.tag, row.path, before.type, row.type))
        prose_row = before or by_tag.get(row.tag) or in_macros.find(row.tag, row.path)
        attributes.append(
            ModuleAttribute(
                tag=row.tag,
                path=row.path,
                type=row.type,
                description=prose_row.description if prose_row is not None else missing,
                value_sets=prose_row.value_sets if prose_row is not None else (),
                described=prose_row is not None,
            )
        )
    module = Module(
        id=module_id,
        name=old.name if old is not None and old.id == module_id else name(module_id),
        description=old.description if old is not None else undescribed(url, "module", prose),
        url=url,
        attributes=tuple(attributes),
    )
    return module, changes


def _iod_modules(rows: tuple, old: Iod | None) -> list[IodModule]:
    conditions = {m.module_id: m.condition for m in old.modules} if old is not None else {}
    return [IodModule(r.module_id, r.information_entity, r.usage, conditions.get(r.module_id, "")) for r in rows]


def _sop_classes(tables: CurrentTables, iod_id: str, old: Iod | None) -> tuple[SopClass, ...]:
    """The IOD's SOP classes, named as pydicom's registry names them (else as the export did, else unnamed)."""
    names = {s.uid: s.name for s in old.sop_classes} if old is not None else {}
    return tuple(
        SopClass(uid, UID_dictionary[uid][0] if uid in UID_dictionary else names.get(uid, ""))
        for uid, iod in tables.sop_classes.items()
        if iod == iod_id
    )


def _renamed_iods(tables: CurrentTables, iods_2020: dict[str, Iod]) -> dict[str, str]:
    """New id -> 2020 id of the IODs that changed id: the SOP classes they define are the same."""
    renamed = {}
    for old in iods_2020.values():
        if old.id in tables.iods:
            continue
        now = {tables.sop_classes.get(s.uid) for s in old.sop_classes} - {None}
        if len(now) == 1 and (new := now.pop()) not in iods_2020 and new is not None:
            renamed[new] = old.id
    return renamed


def _renamed_modules(tables: CurrentTables, modules_2020: dict[str, Module]) -> dict[str, str]:
    """New id -> 2020 id of modules that changed id: most of their rows (tag at path) are the same."""
    gone = {m.id: {(a.path, a.tag) for a in m.attributes} for m in modules_2020.values() if m.id not in tables.modules}
    renamed = {}
    for module_id, rows in tables.modules.items():
        if module_id in modules_2020 or not gone:
            continue
        now = {(r.path, r.tag) for r in rows}
        best = max(gone, key=lambda old: len(now & gone[old]) / len(now | gone[old] or {None}))
        if len(now & gone[best]) >= _RENAMED_MODULE * len(now | gone[best]):
            renamed[module_id] = best
            del gone[best]
    return renamed
