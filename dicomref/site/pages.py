"""Every page of the site, in the order the build writes them: each kind's builder module gives its pages.

The builders decide everything a page says (which row, which badge, which link, plurals and cut lists);
templates only render their typed contexts.
"""

from __future__ import annotations

from dicomref.site.attribute_pages import attribute_pages
from dicomref.site.changes import changes_pages
from dicomref.site.front_pages import front_pages
from dicomref.site.iod_pages import iod_pages
from dicomref.site.listing_pages import listing_pages
from dicomref.site.model import SiteModel
from dicomref.site.page import PageSource
from dicomref.site.table_pages import macro_pages, module_pages
from dicomref.site.uid_pages import uid_pages


def all_pages(model: SiteModel) -> list[PageSource]:
    """Every page but 404.html, whose links depend on where the site is served."""
    return [
        *front_pages(model),
        *listing_pages(model),
        *iod_pages(model),
        *module_pages(model),
        *macro_pages(model),
        *attribute_pages(model),
        *changes_pages(model),
        *uid_pages(model),
    ]
