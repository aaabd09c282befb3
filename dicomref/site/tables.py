"""The tables every attribute page and API document draws on, built once per standard and kept in the user cache.

Each process of a site build would otherwise build them again (a second and more of every build): what each
sequence's items hold, and which row of its module's or macro's page shows each attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dicomref.site.fold import MacroFinder, fold
from dicomref.standard import Standard
from dicomref.standard.cache import kept_derived
from dicomref.standard.places import ItemIndex, tables

# (path, tag) of a row -> the anchor of the row (or macro block) showing it on its table's page.
Anchors = dict[tuple[tuple[str, ...], str], str]


@dataclass(frozen=True)
class SiteTables:
    items: ItemIndex
    anchors: dict[tuple[str, str], Anchors]  # by (kind, id) of the module or macro


def site_tables(standard: Standard) -> SiteTables:
    """The tables of this standard, from the cache when the standard came from its cache; else built (and kept)."""
    code = [Path(__file__), Path(__file__).with_name("fold.py")]
    return kept_derived(standard, "site-tables-", code, SiteTables, lambda: build_tables(standard))


def build_tables(standard: Standard) -> SiteTables:
    finder = MacroFinder(standard)
    anchors = {(kind, table.id): fold(table, finder).anchors for kind, table in tables(standard)}
    return SiteTables(ItemIndex(standard), anchors)
