"""Pages are built from typed contexts, and templates only render what the contexts say."""

from __future__ import annotations

import dataclasses
import re

from dicomref.formats.aggregate import load_aggregate
from dicomref.site.model import SiteModel
from dicomref.site.page import PageContext
from dicomref.site.pages import all_pages
from tests.conftest import REPO, SmallBuild

# Decisions a template must not take: cutting lists, counting for plurals, comparing lengths.
_DECISIONS = re.compile(r"\[:\d|\|length\s*[<>=!]|[!=]= 1\b|\|truncate|length - ")


def test_every_page_context_is_a_dataclass_of_its_kind(small: SmallBuild) -> None:
    sources = all_pages(SiteModel(small.standard, load_aggregate(small.aggregate)))
    kinds = set()
    for source in sources:
        page = source.build()
        assert page.path == source.path
        assert isinstance(page.context, PageContext) and dataclasses.is_dataclass(page.context), page.path
        kinds.add(type(page.context).__name__)
    assert {"AttributeContext", "TableContext", "IodContext", "BrowseContext", "UidContext"} <= kinds


def test_templates_take_no_decisions() -> None:
    found = [
        f"{path.name}:{number}"
        for path in sorted((REPO / "dicomref" / "templates").glob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _DECISIONS.search(line)
    ]
    assert found == []
