"""The built site over the embedded datasets: every page, the JSON API, the extras, and byte-identical rebuilds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from dicomref.site import build_site
from dicomref.site.api import html_safe_json
from dicomref.site.build import base_url_path
from dicomref.site.charts import Bar, bar_chart
from dicomref.site.fold import MacroFinder, fold
from dicomref.site.model import attribute_entries, pydicom_access
from dicomref.site.redirects import redirects
from dicomref.standard import Standard
from tests.conftest import Build, SmallBuild


def _soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "lxml")


def test_a_page_for_every_dictionary_entry_module_and_iod(default_build: Build, standard: Standard) -> None:
    site = default_build.site
    missing = [e.tag for e in standard.dictionary if not (site / "attributes" / e.tag / "index.html").is_file()]
    assert missing == []
    moved = [r.path.split("/")[:2] for r in redirects(standard, set())]
    for kind, tables in (("modules", standard.modules), ("iods", standard.iods)):
        old = {name for folder, name in moved if folder == kind}
        assert sorted(p.name for p in (site / kind).iterdir() if p.is_dir()) == sorted({*tables, *old})
    assert len(standard.modules) == 436 and len(standard.iods) == 175
    for path in [
        "index.html",
        "about/index.html",
        "coverage/index.html",
        "modules/index.html",
        "iods/index.html",
        "browse/groups/index.html",
        "browse/keywords/index.html",
        "browse/retired/index.html",
        "404.html",
    ]:
        assert (site / path).is_file(), path
    groups = {e.group for e in standard.dictionary}
    assert all((site / "browse" / "groups" / g / "index.html").is_file() for g in groups)
    letters = {e.keyword[0].upper() for e in standard.dictionary if e.keyword}
    assert all((site / "browse" / "keywords" / letter / "index.html").is_file() for letter in letters)


def test_extras_for_github_pages(default_build: Build, standard: Standard) -> None:
    site = default_build.site
    assert (site / ".nojekyll").read_bytes() == b""
    robots = (site / "robots.txt").read_text()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots
    sitemap = (site / "sitemap.xml").read_text()
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "http://127.0.0.1:8000/attributes/00180050/" in locations
    assert "http://127.0.0.1:8000/" in locations
    assert not any(loc.endswith("404.html") for loc in locations)
    moved = {site / r.path for r in redirects(standard, set())}
    pages = [p for p in site.rglob("*.html") if p.name != "404.html" and p not in moved]
    assert len(locations) == len(pages)  # redirect pages at old addresses are not listed


def test_the_404_page_resolves_links_from_the_base_path(default_build: Build) -> None:
    soup = _soup(default_build.site, "404.html")
    assert soup.find("base")["href"] == "/"
    assert soup.find("link", rel="stylesheet")["href"] == "static/style.css"
    assert base_url_path("https://someone.github.io/dicomref") == "/dicomref/"
    assert base_url_path("https://example.org/") == "/"
    assert base_url_path("https://example.org") == "/"


def test_the_json_api(default_build: Build, standard: Standard) -> None:
    api = default_build.site / "api" / "attributes"
    assert len(list(api.glob("*.json"))) == len(attribute_entries(standard))  # the dictionary and (0006,0001)
    document = json.loads((api / "00180050.json").read_text())
    assert {"tag", "keyword", "name", "vr", "vm", "retired", "modules", "iods", "files", "distinct", "examples"} <= set(
        document
    )
    assert document["keyword"] == "SliceThickness" and document["vr"] == "DS"
    assert "image-plane" in [m["id"] for m in document["modules"]] and "ct-image" in [i["id"] for i in document["iods"]]
    assert document["examples"] and all("value" in e and "count" in e for e in document["examples"])
    coverage = json.loads((default_build.site / "api" / "coverage.json").read_text())
    assert coverage == load_aggregate(default_build.aggregate)["coverage"]


def test_json_is_safe_to_embed_anywhere() -> None:
    text = html_safe_json({"v": "</script><script>alert(1)</script> & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"v": "</script><script>alert(1)</script> & more"}


def test_attribute_page_shows_everything(default_build: Build) -> None:
    soup = _soup(default_build.site, "attributes/00180050/index.html")
    assert "(0018,0050)" in soup.h1.get_text() and "Slice Thickness" in soup.h1.get_text()
    copies = [b["data-copy"] for b in soup.select("button.copy")]
    assert copies == ["(0018,0050)", "SliceThickness", "ds.SliceThickness", "ds[0x0018, 0x0050]"]
    facts = soup.select_one("header.page-head").get_text(" ", strip=True)
    assert "VR DS" in facts and "VM 1" in facts and "Current" in facts
    assert soup.select_one("a[href^='https://dicom.nema.org/']")
    assert re.search(r"Nominal (reconstructed )?slice thickness", soup.select_one(".description").get_text())
    usage = {li.a.get_text(): li.select_one(".badge").get_text() for li in soup.select(".used-group ul.tables li")}
    assert usage["Image Plane"] == "2"
    assert soup.select_one(".used-group a[href='../../modules/image-plane/index.html#00180050']")
    iods = [a.get_text() for a in soup.select("#iods ~ .used-group a[href*='iods/']")]
    assert "CT Image" in iods and "MR Image" in iods
    examples = soup.select("table.examples tbody tr")
    assert examples and all(row.select_one("code.value") for row in examples)
    assert all(row.select_one(".check") for row in examples)
    assert "CT Image Storage" in soup.select_one("table.examples").get_text()
    assert soup.select_one("a[href='../../api/attributes/00180050.json']")


def test_invalid_and_withheld_examples_are_marked(default_build: Build, small: SmallBuild) -> None:
    """Invalid values in the default build; withheld ones in the small build (its dataset is declared neither
    de-identified nor public)."""
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    invalid = next(
        tag for tag, info in sorted(attributes.items()) if any(not e["valid"] for e in info.get("examples", []))
    )
    soup = _soup(default_build.site, f"attributes/{invalid}/index.html")
    assert soup.select_one("table.examples .check.bad").get_text() == "invalid"
    withheld = next(
        tag
        for tag, info in sorted(load_aggregate(small.aggregate)["attributes"].items())
        if any(e["withheld"] and e["value"] is None for e in info.get("examples", []))
    )
    soup = _soup(small.site, f"attributes/{withheld}/index.html")
    assert soup.select_one("table.examples .withheld").get_text() == "value withheld"


def test_module_page_is_a_tree_with_anchors(default_build: Build, standard: Standard) -> None:
    module = standard.modules["general-series"]
    soup = _soup(default_build.site, "modules/general-series/index.html")
    rows = soup.select("#tree li.node")
    assert rows and len(rows) < len(module.attributes)  # included macros are one block each
    nested = soup.select("#tree ol.items li.node")
    assert nested and soup.select("#tree ol.items ol.items li.node")
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    folded = fold(module, MacroFinder(standard))
    assert {soup.find(id=anchor)["id"] for anchor in folded.anchors.values()} == set(folded.anchors.values())
    repeated = _soup(default_build.site, "modules/enhanced-us-image/index.html")
    pointers = repeated.select(".desc a[href^='#']")
    assert pointers and all(repeated.find(id=a["href"][1:]) for a in pointers)
    assert soup.select_one("#tree .badge.t1")
    assert soup.select_one("#tree a.ex-values")


def test_iod_page_groups_modules_by_information_entity(default_build: Build, standard: Standard) -> None:
    iod = standard.iods["ct-image"]
    soup = _soup(default_build.site, "iods/ct-image/index.html")
    entities = [h.get_text() for h in soup.select("section.entity h3")]
    assert entities == list(dict.fromkeys(m.information_entity or "Other" for m in iod.modules))
    usages = [b.get_text() for b in soup.select("table.iod tbody .badge")]
    assert usages == [m.usage for m in iod.modules]
    conditional = next(m for m in iod.modules if m.usage == "C" and m.condition)  # the 2020 text, where it had one
    assert conditional.condition.split()[0] in soup.get_text()


def test_coverage_page_draws_svg_charts(default_build: Build) -> None:
    soup = _soup(default_build.site, "coverage/index.html")
    charts = soup.select("svg.chart")
    assert len(charts) == 5
    for chart in charts:
        assert chart.find("title").get_text() and chart.select("rect.chart-bar")
    assert soup.select_one("svg.chart a[href^='../modules/']")
    assert soup.select("#most-wanted ~ div table tbody tr")


def test_home_page_has_search_coverage_and_entry_points(default_build: Build) -> None:
    soup = _soup(default_build.site, "index.html")
    assert soup.select_one(".search #q[role=combobox]") and soup.select_one("#results[role=listbox]")
    assert soup.select_one(".stat-grid")
    targets = {a["href"] for a in soup.select(".cards a")}
    assert targets == {"iods/index.html", "modules/index.html", "browse/groups/index.html", "coverage/index.html"}
    assert soup.select(".link-list a[href^='attributes/']")


def test_pages_request_nothing_outside_the_site(default_build: Build) -> None:
    for path in [
        "index.html",
        "attributes/00180050/index.html",
        "coverage/index.html",
        "modules/general-series/index.html",
    ]:
        soup = _soup(default_build.site, path)
        for tag in soup.find_all(["link", "script", "img", "iframe", "source"]):
            url = tag.get("href") or tag.get("src") or ""
            assert not re.match(r"^(https?:)?//", url), (path, url)


def test_pydicom_access() -> None:
    from dicomref.standard import Dictionary

    dictionary = Dictionary()
    assert pydicom_access(dictionary.get("00180050")) == ["ds.SliceThickness", "ds[0x0018, 0x0050]"]
    assert pydicom_access(dictionary.get("00020010")) == [
        "ds.file_meta.TransferSyntaxUID",
        "ds.file_meta[0x0002, 0x0010]",
    ]
    assert pydicom_access(dictionary.get("60xx0010")) == []
    assert pydicom_access(dictionary.get("00000900")) == []


def test_chart_labels_are_escaped_and_links_prefixed() -> None:
    svg = str(
        bar_chart(
            "Odd <labels>", [Bar("<img src=x onerror=alert(1)>", 1, 2, "modules/x/index.html"), Bar("B", 0, 0)], "../"
        )
    )
    assert "<img" not in svg and "&lt;img src=x" in svg
    assert 'href="../modules/x/index.html"' in svg
    assert 'role="group"' in svg
    assert 'role="img"' in str(bar_chart("Plain", [Bar("A", 1, 4)]))


def test_a_malformed_aggregate_is_one_clear_error(standard: Standard, tmp_path: Path) -> None:
    with pytest.raises(DicomrefError, match="unknown schema"):
        build_site({"schema": 99}, standard, tmp_path / "site")
    with pytest.raises(DicomrefError, match="no valid 'attributes'"):
        build_site({"schema": 1, "attributes": [], "coverage": {}, "datasets": []}, standard, tmp_path / "site")
    assert not (tmp_path / "site").exists() and not (tmp_path / ".site.building").exists()


def test_description_links_to_a_table_of_the_standard_open_our_page_of_it(default_build: Build) -> None:
    """ICC Profile's row says "See Section C.11.15": the link opens our ICC Profile module page, not PS3.3."""
    page = (default_build.site / "modules" / "basic-film-box-presentation" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../modules/icc-profile/index.html"' in page
    assert "sect_C.11.15.html#sect_C.11.15" not in page


def test_localised_rewrites_only_known_targets_and_keeps_markup_safe() -> None:
    from dicomref.site.build import localised

    html = '<p><a href="https://x.org/a">a</a> <a href="https://x.org/b">b</a></p>'
    assert localised(html, {"https://x.org/a": "modules/m/index.html"}, "../../") == (
        '<p><a href="../../modules/m/index.html">a</a> <a href="https://x.org/b">b</a></p>'
    )
