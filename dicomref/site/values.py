"""What attribute and module pages show of the standard's value lists (Enumerated Values, Defined Terms)."""

from __future__ import annotations

from collections.abc import Callable

from dicomref.standard.descriptions import ValueSet
from dicomref.standard.model import ModuleAttribute, Standard
from dicomref.standard.value_sets import KIND_LABELS, TermList, values_by_position

# Lists longer than this are folded behind their count, so the page stays readable; on module rows, where
# space is short, lists fold sooner. A folded list names its first terms in its summary.
TERMS_OPEN = 12
TERMS_OPEN_IN_ROW = 6
TERMS_PREVIEWED = 6
# How many modules or macros a list names before "and N more".
PLACES_SHOWN = 3


def section_label(url: str) -> str:
    """'...sect_C.7.3.html#sect_C.7.3.1.1.1' -> 'Section C.7.3.1.1.1'."""
    anchor = url.rpartition("#")[2]
    return "Section " + anchor.removeprefix("sect_") if anchor.startswith("sect_") else "PS3.3"


def _terms(values: tuple[str, ...], meanings: tuple[str, ...], open_up_to: int) -> dict:
    """A list of terms as a page shows it: open when short, else folded behind a summary naming the first few."""
    terms = [{"value": v, "meaning": m} for v, m in zip(values, meanings or ("",) * len(values), strict=False)]
    return {
        "all": terms,
        "open": len(terms) <= open_up_to,
        "preview": terms[:TERMS_PREVIEWED],
        "summary": f"{len(terms)} terms",
    }


def _places(standard: Standard, term_list: TermList, module_url: Callable[[str], str]) -> list[dict]:
    modules = [
        {"name": standard.modules[m].name, "url": module_url(m)} for m in term_list.modules if m in standard.modules
    ]
    macros = [{"name": standard.macros[m].name, "url": None} for m in term_list.macros if m in standard.macros]
    return modules + macros


def attribute_values(standard: Standard, key: str, module_url: Callable[[str], str]) -> list[dict]:
    """The attribute page's Values section: one block per value position, each list with where it is given."""
    positions: list[dict] = []
    for position in values_by_position(standard, key):
        lists = []
        for term_list in position.lists:
            places = _places(standard, term_list, module_url)
            lists.append(
                {
                    "label": term_list.label,
                    "kind": term_list.kind,
                    "retired": term_list.retired,
                    "condition": term_list.condition or "",
                    "terms": _terms(term_list.values, term_list.meanings, TERMS_OPEN),
                    "places": places[:PLACES_SHOWN],
                    "more_places": f" and {len(places) - PLACES_SHOWN} more" if len(places) > PLACES_SHOWN else "",
                    "sections": [{"label": section_label(u), "url": u} for u in term_list.sources],
                }
            )
        positions.append({"label": position.label, "position": position.position, "lists": lists})
    for shown in positions:  # one list for the whole value needs no heading of its own
        shown["headed"] = len(positions) > 1 or bool(shown["position"])
    return positions


def referred_values(attribute: ModuleAttribute) -> list[dict]:
    """The lists a module row takes from the section it refers to: the row's own lists are in its description."""
    return [_referred(v) for v in attribute.value_sets if v.source]


def _referred(value_set: ValueSet) -> dict:
    which = f"{value_set.which} " if value_set.which else ""
    return {
        "label": f"{which}{'Retired ' if value_set.retired else ''}{KIND_LABELS[value_set.kind]}",
        "condition": value_set.condition or "",
        "terms": _terms(value_set.values, value_set.meanings, TERMS_OPEN_IN_ROW),
        "section": {"label": section_label(value_set.source), "url": value_set.source},
    }
