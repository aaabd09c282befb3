"""Redirect pages at the addresses of IODs and modules renamed or removed since the prose's edition.

Every page address the site ever had keeps answering: a renamed IOD's old page leads to its new
one, a removed module's to its entry on the changes page.
"""

from __future__ import annotations

from dataclasses import dataclass

from dicomref import urls
from dicomref.site.changes import removed_anchor
from dicomref.standard import Standard


@dataclass(frozen=True)
class Redirect:
    path: str  # the old address, ending in index.html
    target: str  # the new home, relative to the site root, possibly with an anchor
    title: str  # what the new home is

    @property
    def href(self) -> str:
        """The target relative to the old page."""
        return urls.root_of(self.path) + self.target


def redirects(standard: Standard, pages: set[str]) -> list[Redirect]:
    """The redirects of renamed and removed IODs and modules whose old address no page of today's site holds."""
    changes = standard.changes
    found = []
    for kind, tables, renamed, removed in (
        ("iod", standard.iods, changes.renamed_iods, changes.removed_iods),
        ("module", standard.modules, changes.renamed_modules, changes.removed_modules),
    ):
        for move in renamed:
            if move.new.id in tables:
                new_home = urls.page_url(kind, move.new.id)
                found.append(Redirect(urls.page_url(kind, move.old.id), new_home, move.new.name))
        for gone in removed:
            target = f"{urls.CHANGES}#{removed_anchor(kind, gone.id)}"
            found.append(Redirect(urls.page_url(kind, gone.id), target, f"{gone.name} (removed)"))
    return sorted((r for r in found if r.path not in pages), key=lambda r: r.path)
