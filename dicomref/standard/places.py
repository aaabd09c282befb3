"""Where an attribute is used: the modules and macros listing it, the IODs reaching it, what a sequence's items hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from dicomref.standard.model import Module, ModuleAttribute, Standard

# How deep a sequence's item tree goes below the sequence; deeper levels are on the nested sequences' pages.
ITEM_TREE_DEPTH = 2


@dataclass(frozen=True)
class Place:
    """One module or macro listing the attribute, at one sequence path (its first row there)."""

    kind: str  # "module" or "macro"
    id: str
    name: str
    attribute: ModuleAttribute


@dataclass(frozen=True)
class Via:
    """How an IOD reaches an attribute: through one of its modules, or one of its functional group macros."""

    kind: str  # "module" or "functional group"
    id: str  # the module's or the macro's id
    name: str
    usage: str  # M, C or U in the IOD
    condition: str


@dataclass(frozen=True)
class Reach:
    iod_id: str
    iod_name: str
    via: tuple[Via, ...]


@dataclass(frozen=True)
class Placement:
    """Where an attribute is used: the places listing it, and the IODs those reach."""

    places: list[Place]
    iods: list[Reach]


def placement(standard: Standard, key: str) -> Placement:
    found = places(standard, key)
    return Placement(found, iods_reaching(standard, found))


@dataclass
class ItemNode:
    """An attribute of a sequence's items, with where that is so and, for a sequence, its own items."""

    tag: str
    types: dict[str, None] = field(default_factory=dict)  # in the order first met
    tables: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> name
    children: dict[str, ItemNode] = field(default_factory=dict)


def tables(standard: Standard) -> Iterator[tuple[str, Module]]:
    """Every module, then every macro, with its kind."""
    for module in standard.modules.values():
        yield "module", module
    for macro in standard.macros.values():
        yield "macro", macro


def places(standard: Standard, key: str) -> list[Place]:
    """The modules, then the macros, listing the attribute: one place per table and sequence path, in order."""
    found: dict[tuple[str, str, tuple[str, ...]], Place] = {}
    rows = [("module", u.module_id, u.attribute) for u in standard.usages.get(key, [])]
    rows += [("macro", u.macro_id, u.attribute) for u in standard.macro_usages.get(key, [])]
    for kind, table_id, attribute in rows:
        table = (standard.modules if kind == "module" else standard.macros).get(table_id)
        if table is not None:
            found.setdefault((kind, table_id, attribute.path), Place(kind, table_id, table.name, attribute))
    return list(found.values())


def iods_reaching(standard: Standard, found: list[Place]) -> list[Reach]:
    """Each IOD that includes a module, or a functional group macro, of the attribute's places; sorted by name."""
    vias: dict[str, dict[tuple[str, str], Via]] = {}
    for table_id, name in {(p.id, p.name): None for p in found if p.kind == "module"}:
        for iod_id, included in standard.module_inclusions.get(table_id, []):
            via = Via("module", table_id, name, included.usage, included.condition)
            vias.setdefault(iod_id, {}).setdefault(("module", table_id), via)
    for table_id, name in {(p.id, p.name): None for p in found if p.kind == "macro"}:
        for iod_id, group in standard.group_inclusions.get(table_id, []):
            via = Via("functional group", table_id, name, group.usage, group.condition)
            vias.setdefault(iod_id, {}).setdefault(("functional group", table_id), via)
    reaches = [
        Reach(iod_id, standard.iods[iod_id].name, tuple(found.values()))
        for iod_id, found in vias.items()
        if iod_id in standard.iods
    ]
    return sorted(reaches, key=lambda r: (r.iod_name.lower(), r.iod_id))


def why_in_no_table(standard: Standard, key: str) -> str | None:
    """Why no module and no macro lists the attribute; None when one does."""
    if standard.tables_holding(key):
        return None
    entry = standard.any_entry(key)
    if entry is None:
        return None
    if entry.retired:
        return "It is retired: the standard no longer uses it in any module."
    if standard.newer_than_modules(key):
        return (
            "It was added to the standard after the descriptions' edition "
            f"({standard.prose_edition}), and no module of {standard.modules_edition} lists it."
        )
    if entry.kind == "command":
        return "It is a command element of DIMSE messages (PS3.7), not part of any IOD's modules."
    if entry.kind == "file meta":
        return "It is a File Meta Information element (PS3.10), written before the data set, not in modules."
    return (
        "PS3.6 defines it, but no module or macro of PS3.3 lists it: it is used elsewhere, "
        "for example in query and retrieve messages (PS3.4) or by other standards."
    )


def _child(nodes: dict[str, ItemNode], tag: str) -> ItemNode:
    """The node of tag, made when it is first met (and only then: this runs for every row of every table)."""
    node = nodes.get(tag)
    if node is None:
        node = nodes[tag] = ItemNode(tag)
    return node


class ItemIndex:
    """The attributes of every sequence's items, gathered once from every module and macro."""

    def __init__(self, standard: Standard, only: str | None = None) -> None:
        """Every sequence's items, or with `only` just that sequence's (what one `dicomref show` needs)."""
        self._roots: dict[str, ItemNode] = {}
        for kind, table in tables(standard):
            for attribute in table.attributes:
                path = attribute.path
                if only is not None and only not in path:
                    continue
                for k, parent in enumerate(path):
                    below = path[k + 1 :]
                    if len(below) >= ITEM_TREE_DEPTH:
                        continue
                    node = _child(self._roots, parent)
                    for tag in below:
                        node = _child(node.children, tag)
                    leaf = _child(node.children, attribute.tag)
                    if attribute.type:
                        leaf.types.setdefault(attribute.type)
                    leaf.tables.setdefault((kind, table.id), table.name)

    def items(self, key: str) -> list[ItemNode]:
        """The attributes a sequence's items hold, in the order the standard first lists them."""
        root = self._roots.get(key)
        return list(root.children.values()) if root else []
