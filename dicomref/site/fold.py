"""A module's or macro's rows as a tree that folds: sequences hold their items, included macros stay one block.

The current tables list every module with its macros already expanded, row by row: the
Ophthalmic Axial Measurements Module has 1,567 rows, most of them the Code Sequence Macro again
and again. Where a run of rows is a macro's table (same tags, nesting and Types, in any order:
the current expansion orders a macro's rows its own way), the page shows one block naming and
linking the macro instead. The 2020 macro tables are older than the expansions: a run holding
most of a macro's rows (a row the current edition dropped, say) is a block too, which says how
many of the macro's rows it stands for; rows the macro gained since, at the run's own level and
holding no others, are shown after the block, row by row.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from dicomref.standard import Macro, Module, ModuleAttribute, Standard

# A macro shorter than this is shown row by row: two rows are as short as the block, and often a coincidence.
MACRO_MIN_ROWS = 3
# The share of a macro's rows a run must hold to be shown as the macro.
MACRO_MIN_SHARE = 0.8


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
    """Finds which macro a run of rows is, by the attributes at the top of the macros' tables."""

    def __init__(self, standard: Standard) -> None:
        self._by_tag: dict[str, list[tuple[Macro, Counter]]] = {}
        for macro in standard.macros.values():
            rows = macro.attributes
            if len(rows) >= MACRO_MIN_ROWS and not rows[0].path:
                table = Counter((row.path, row.tag, row.type) for row in rows)
                for tag in dict.fromkeys(row.tag for row in rows if not row.path):
                    self._by_tag.setdefault(tag, []).append((macro, table))
        for candidates in self._by_tag.values():
            candidates.sort(key=lambda m: (-len(m[0].attributes), m[0].id))  # the longest match wins

    def at(self, rows: tuple[ModuleAttribute, ...], start: int, own_id: str) -> Run | None:
        """The macro the rows from start on are, at the same nesting, and which rows it covers.

        The run takes rows of the macro's table (each at most as often as the table lists it),
        and rows it lacks at the first row's level that hold no others, until a row is neither,
        then ends where a row of the first row's level follows; the run covering most rows of
        a macro wins, when they are enough of it; never the table itself.
        """
        first = rows[start]
        depth, parent = first.depth, first.path
        best: Run | None = None
        for macro, table in self._by_tag.get(first.tag, ()):
            length = len(macro.attributes)
            needed = max(MACRO_MIN_ROWS, math.ceil(MACRO_MIN_SHARE * length))
            if macro.id == own_id or needed > len(rows) - start or (best and best.covered >= length):
                continue
            left, covered, extra, run = table.copy(), 0, [], None
            for i in range(start, len(rows)):
                row = rows[i]
                following = rows[i + 1] if i + 1 < len(rows) else None
                level = following is None or following.depth <= depth
                key = (row.path[depth:], row.tag, row.type)
                if row.path[:depth] != parent:
                    break
                if left[key]:
                    left[key] -= 1
                    covered += 1
                elif row.path == parent and level and i > start:
                    extra.append(i - start)
                else:
                    break
                if level:
                    run = Run(macro, i + 1 - start, covered, tuple(extra))
                if covered == length:
                    break
            if run is not None and run.covered >= needed and (best is None or run.covered > best.covered):
                best = run
        return best


@dataclass(frozen=True)
class Run:
    """Rows a macro block stands for: `rows` from its start, of which `extra` (offsets) are not the macro's."""

    macro: Macro
    rows: int
    covered: int
    extra: tuple[int, ...]


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
        run = finder.at(rows, i, table.id)
        macro = run.macro if run else None
        anchor = _unique("-".join((*row.path, row.tag)) if macro is None else f"macro-{macro.id}", taken)
        node = Node(anchor, row, macro, run.covered if run else 1)
        while stack[-1][0] >= row.depth:
            stack.pop()
        stack[-1][1].append(node)
        extra = set(run.extra) if run else set()
        for offset, covered in enumerate(rows[i : i + (run.rows if run else 1)]):
            if offset not in extra:
                anchors.setdefault((covered.path, covered.tag), anchor)
        for offset in sorted(extra):
            gained = rows[i + offset]
            own = _unique("-".join((*gained.path, gained.tag)), taken)
            stack[-1][1].append(Node(own, gained))
            anchors.setdefault((gained.path, gained.tag), own)
        if macro is None:
            stack.append((row.depth, node.children))
        blocks += macro is not None
        i += run.rows if run else 1
    return Folded(top, anchors, blocks)


def _unique(anchor: str, taken: set[str]) -> str:
    found, suffix = anchor, 2
    while found in taken:
        found, suffix = f"{anchor}-{suffix}", suffix + 1
    taken.add(found)
    return found
