"""A module's or macro's rows as a tree that folds: sequences hold their items, included macros stay one block.

The standard's export lists every module with its macros already expanded, row by row: the
Ophthalmic Axial Measurements Module has 1,567 rows, most of them the Code Sequence Macro again
and again. Where a run of rows is exactly a macro's table (same tags, nesting and Types), the
page shows one block naming and linking the macro instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dicomref.standard import Macro, Module, ModuleAttribute, Standard

# A macro shorter than this is shown row by row: two rows are as short as the block, and often a coincidence.
MACRO_MIN_ROWS = 3


@dataclass
class Node:
    """A row of the table, or a block standing for an included macro's rows."""

    anchor: str
    attribute: ModuleAttribute  # the row, or the macro's first row
    macro: Macro | None = None  # set for a block
    rows: int = 1  # rows of the table this node stands for
    children: list[Node] = field(default_factory=list)  # a sequence's items


@dataclass(frozen=True)
class Folded:
    nodes: list[Node]  # the top level
    anchors: dict[tuple[tuple[str, ...], str], str]  # (path, tag) of every row -> the anchor showing it
    blocks: int  # how many macro blocks


class MacroFinder:
    """Finds which macro a run of rows is, by the macros' first attribute."""

    def __init__(self, standard: Standard) -> None:
        self._by_first: dict[str, list[Macro]] = {}
        for macro in standard.macros.values():
            rows = macro.attributes
            if len(rows) >= MACRO_MIN_ROWS and not rows[0].path:
                self._by_first.setdefault(rows[0].tag, []).append(macro)
        for candidates in self._by_first.values():
            candidates.sort(key=lambda m: (-len(m.attributes), m.id))  # the longest match wins

    def at(self, rows: tuple[ModuleAttribute, ...], start: int, own_id: str) -> Macro | None:
        """The longest macro whose rows are those from start on, at the same nesting; never the table itself."""
        first = rows[start]
        depth = first.depth
        for macro in self._by_first.get(first.tag, ()):
            if macro.id == own_id or len(macro.attributes) > len(rows) - start:
                continue
            if all(_same(rows[start + i], row, first.path, depth) for i, row in enumerate(macro.attributes)):
                return macro
        return None


def _same(row: ModuleAttribute, macro_row: ModuleAttribute, parent: tuple[str, ...], depth: int) -> bool:
    return (
        row.tag == macro_row.tag
        and row.type == macro_row.type
        and row.path[:depth] == parent
        and row.path[depth:] == macro_row.path
    )


def fold(table: Module, finder: MacroFinder) -> Folded:
    """The table's rows as a tree, each included macro one block; anchors are unique within the page."""
    rows = table.attributes
    top: list[Node] = []
    stack: list[tuple[int, list[Node]]] = [(-1, top)]  # (depth of the sequence row, its children)
    anchors: dict[tuple[tuple[str, ...], str], str] = {}
    taken: set[str] = set()
    blocks = 0
    i = 0
    while i < len(rows):
        row = rows[i]
        macro = finder.at(rows, i, table.id)
        anchor = _unique("-".join((*row.path, row.tag)) if macro is None else f"macro-{macro.id}", taken)
        node = Node(anchor, row, macro, len(macro.attributes) if macro else 1)
        while stack[-1][0] >= row.depth:
            stack.pop()
        stack[-1][1].append(node)
        for covered in rows[i : i + node.rows]:
            anchors.setdefault((covered.path, covered.tag), anchor)
        if macro is None:
            stack.append((row.depth, node.children))
        blocks += macro is not None
        i += node.rows
    return Folded(top, anchors, blocks)


def _unique(anchor: str, taken: set[str]) -> str:
    found, suffix = anchor, 2
    while found in taken:
        found, suffix = f"{anchor}-{suffix}", suffix + 1
    taken.add(found)
    return found
