"""What an attribute page says about where the attribute is used, grouped so that long lists stay short.

Modules and macros sharing one description are shown under it once; IODs are grouped by the
module or functional group macro through which they include the attribute, and by its usage there.
"""

from __future__ import annotations

from collections.abc import Callable

from dicomref.site.page import noun, plural
from dicomref.standard import Standard, display_tag
from dicomref.standard.places import ItemNode, Place, Reach

# A group lists this many links openly; the rest fold.
SHOWN_IN_GROUP = 10
# How many modules or macros an item of a sequence names; its own page lists them all.
ITEM_TABLES_SHOWN = 3
# A sequence whose items hold more attributes than this (two levels deep) shows only the first level:
# the Shared Functional Groups Sequence holds every functional group macro of every multi-frame IOD.
ITEM_TREE_MAX = 300
# Past this many IOD links in all groups, groups only count their IODs (their module's page lists them)
# and the IODs are listed once: Code Value reaches 143 IODs through 191 modules and macros.
IOD_LINKS_GROUPED = 400

TYPE_MEANINGS = {
    "1": "required, with a value",
    "1C": "required under a condition, with a value",
    "2": "required, may be empty",
    "2C": "required under a condition, may be empty",
    "3": "optional",
}
USAGE_MEANINGS = {"M": "Mandatory", "C": "Conditional", "U": "User option"}
USAGE_ORDER = {"M": 0, "C": 1, "U": 2}

# (kind, id) of a module or macro -> its page; (place, tag) -> the row showing the attribute on that page.
TableUrl = Callable[[str, str], str]
RowUrl = Callable[[Place, str], str]


def split(links: list[dict], more: str = "more") -> dict:
    """The links shown at once and those folded, with what the fold says: '12 more modules'."""
    folded = links[SHOWN_IN_GROUP:]
    return {"shown": links[:SHOWN_IN_GROUP], "folded": folded, "count": len(links), "more": f"{len(folded)} {more}"}


def place_groups(standard: Standard, key: str, found: list[Place], row_url: RowUrl) -> list[dict]:
    """Modules (or macros) by description: each distinct description once, with every table using it.

    A table listing the attribute at several sequence paths counts once per description, its
    first path shown and the others counted.
    """
    groups: dict[str, dict] = {}
    seen: dict[tuple[str, str], dict] = {}
    for place in found:
        html = place.attribute.description.html
        said = _said(place.attribute.description.text)
        group = groups.setdefault(said, {"description": html, "tables": []})
        same = seen.get((said, place.id))
        if same is not None:
            same["more_paths"] += 1
            same["more_paths_text"] = f"and at {plural(same['more_paths'], 'more place')}"
            continue
        link = {
            "name": place.name,
            "url": row_url(place, key),
            "type": place.attribute.type,
            "type_meaning": TYPE_MEANINGS.get(place.attribute.type, ""),
            "path": [_name(standard, t) for t in place.attribute.path],
            "more_paths": 0,
            "more_paths_text": "",
        }
        seen[(said, place.id)] = link
        group["tables"].append(link)
    ordered = sorted(groups.values(), key=lambda g: (-len(g["tables"]), g["description"]))
    kind = found[0].kind if found else "module"
    return [
        {
            "description": g["description"],
            "count_text": f"In {plural(len(g['tables']), kind)}:",
            **split(g["tables"], f"more {noun(len(g['tables']) - SHOWN_IN_GROUP, kind)}"),
        }
        for g in ordered
    ]


def iod_groups(reaches: list[Reach], table_url: TableUrl, iod_url: Callable[[str], str]) -> dict:
    """IODs by the module or functional group macro they include the attribute through, and its usage there.

    With more links than IOD_LINKS_GROUPED, `listed` says the groups hold no IOD lists and `all`
    lists every IOD once.
    """
    groups: dict[tuple[str, str, str], dict] = {}
    for reach in reaches:
        for via in reach.via:
            group = groups.setdefault(
                (via.kind, via.id, via.usage),
                {
                    "kind": via.kind,
                    "name": via.name,
                    "url": table_url("module" if via.kind == "module" else "macro", via.id),
                    "usage": via.usage,
                    "usage_meaning": USAGE_MEANINGS.get(via.usage, ""),
                    "iods": [],
                },
            )
            group["iods"].append({"name": reach.iod_name, "url": iod_url(reach.iod_id)})
    ordered = sorted(
        groups.values(), key=lambda g: (-len(g["iods"]), USAGE_ORDER.get(g["usage"], 3), g["name"], g["kind"])
    )
    listed = sum(len(g["iods"]) for g in ordered) <= IOD_LINKS_GROUPED
    every = [{"name": r.iod_name, "url": iod_url(r.iod_id)} for r in reaches]
    return {
        "listed": listed,
        "all": {
            "shown": [],
            "folded": [] if listed else every,
            "count": len(every),
            "more": f"{len(every)} {noun(len(every), 'IOD includes', 'IODs include')} this attribute",
        },
        "groups": [
            {**{k: v for k, v in g.items() if k != "iods"}, **split(g["iods"] if listed else [], "more IODs")}
            | {
                "count": len(g["iods"]),
                "count_text": f"in {plural(len(g['iods']), 'IOD')}",
                "via": "Functional group" if g["kind"] == "functional group" else "Module",
            }
            for g in ordered
        ],
    }


def item_tree(
    standard: Standard,
    nodes: list[ItemNode],
    attribute_url: Callable[[str], str],
    table_url: TableUrl,
    nested: bool | None = None,
) -> list[dict]:
    """A sequence's item attributes, nested sequences holding theirs (unless too many), each linked to its page."""
    if nested is None:
        nested = _count(nodes) <= ITEM_TREE_MAX
    rows = []
    for node in nodes:
        tables = [{"name": name, "url": table_url(kind, i), "kind": kind} for (kind, i), name in node.tables.items()]
        entry = standard.any_entry(node.tag)
        rows.append(
            {
                "display": display_tag(node.tag),
                "name": _name(standard, node.tag),
                "url": attribute_url(node.tag) if entry else None,
                "types": [{"type": t, "meaning": TYPE_MEANINGS.get(t, "")} for t in node.types],
                "tables": tables[:ITEM_TABLES_SHOWN],
                "more_tables": f" and {len(tables) - ITEM_TABLES_SHOWN} more" if tables[ITEM_TABLES_SHOWN:] else "",
                "children": item_tree(standard, list(node.children.values()), attribute_url, table_url, True)
                if nested
                else [],
            }
        )
    return rows


def _count(nodes: list[ItemNode]) -> int:
    return sum(1 + _count(list(node.children.values())) for node in nodes)


def _said(text: str) -> str:
    """What a description says, whatever its spacing, case and final full stop: rows differ in just those."""
    return " ".join(text.split()).rstrip(".").lower()


def _name(standard: Standard, key: str) -> str:
    entry = standard.any_entry(key)
    return entry.name if entry and entry.name else display_tag(key)
