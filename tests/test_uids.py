"""UID pages from pydicom's registry: every registered UID, SOP classes joined to their IODs and to the files seen."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup
from pydicom.uid import UID_dictionary

from dicomref.formats.aggregate import load_aggregate
from dicomref.standard import Standard
from dicomref.standard.uids import SOP_CLASS, TRANSFER_SYNTAX, load_uid_registry, uid_order
from tests.conftest import Build

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
US_IMAGE_RETIRED = "1.2.840.10008.5.1.4.1.1.6"
TRANSFER_SYNTAX_UID = "00020010"


def _soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "lxml")


def test_the_registry_is_pydicoms_joined_to_the_iods(standard: Standard) -> None:
    registry = load_uid_registry(standard)
    assert set(UID_dictionary) <= set(registry.uids)
    ct = registry.get(CT_IMAGE)
    assert (ct.name, ct.kind, ct.keyword, ct.retired, ct.iods) == (
        "CT Image Storage",
        SOP_CLASS,
        "CTImageStorage",
        False,
        ("ct-image",),
    )
    assert registry.get(US_IMAGE_RETIRED).label == "Ultrasound Image Storage (retired)"
    assert registry.get(EXPLICIT_VR_LITTLE_ENDIAN).kind == TRANSFER_SYNTAX
    assert registry.kinds[:2] == (SOP_CLASS, TRANSFER_SYNTAX)
    listed = {sop.uid for iod in standard.iods.values() for sop in iod.sop_classes}
    assert all(registry.get(uid).kind == SOP_CLASS for uid in listed)
    assert list(registry.uids) == sorted(registry.uids, key=uid_order)
    assert [u.uid for u in registry.registered_in(f"{CT_IMAGE}\\1.2.3\\{EXPLICIT_VR_LITTLE_ENDIAN}")] == [
        CT_IMAGE,
        EXPLICIT_VR_LITTLE_ENDIAN,
    ]


def test_a_page_and_a_json_document_for_every_registered_uid(default_build: Build, standard: Standard) -> None:
    registry = load_uid_registry(standard)
    site = default_build.site
    missing = [u.uid for u in registry if not (site / "uids" / u.uid / "index.html").is_file()]
    assert missing == []
    assert sorted(p.name for p in (site / "uids").iterdir() if p.is_dir()) == sorted(registry.uids)
    assert sorted(p.stem for p in (site / "api" / "uids").glob("*.json")) == sorted(registry.uids)
    locations = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text())
    assert f"http://127.0.0.1:8000/uids/{CT_IMAGE}/" in locations and "http://127.0.0.1:8000/uids/" in locations
    print(f"\n{len(registry)} UID pages, {len(registry.of_kind(SOP_CLASS))} of SOP classes")


def test_every_sop_class_in_the_provenance_has_a_page_showing_its_name(
    default_build: Build, standard: Standard
) -> None:
    registry = load_uid_registry(standard)
    aggregate = load_aggregate(default_build.aggregate)
    seen = sorted(
        {
            uid
            for info in aggregate["attributes"].values()
            for example in info["examples"]
            for uid in example["sop_classes"]
        }
    )
    for uid in seen:
        page = _soup(default_build.site, f"uids/{uid}/index.html")
        assert page.find("h1").get_text(strip=True) == registry.get(uid).title, uid
    print(f"\n{len(seen)} SOP classes in the default aggregate's provenance, {len(seen)} with a page and a name")
    assert len(seen) >= 10
    # Provenance on an attribute page names the SOP class and links to its page.
    page = _soup(default_build.site, "attributes/00080060/index.html")
    links = {a.get_text(strip=True): a["href"] for a in page.select("td.prov a")}
    assert links["CT Image Storage"] == f"../../uids/{CT_IMAGE}/index.html"
    assert not any(re.fullmatch(r"[0-9.]+", a.get_text(strip=True)) for a in page.select("td.prov a"))


def test_the_ct_image_storage_page(default_build: Build) -> None:
    page = _soup(default_build.site, f"uids/{CT_IMAGE}/index.html")
    facts = page.find("dl", class_="facts").get_text(" ", strip=True)
    assert CT_IMAGE in facts and "CTImageStorage" in facts
    assert page.find("a", href="../../iods/ct-image/index.html").get_text() == "CT Image"
    examples = page.find("section", attrs={"aria-labelledby": "examples"})
    rows = {tr.find("td").get_text(strip=True): tr for tr in examples.select("tbody tr")}
    assert "(0018,0050)" in rows and "(0028,0030)" in rows  # Slice Thickness, Pixel Spacing of CT files
    assert rows["(0008,0060)"].find("code").get_text() == "CT"
    named = rows["(0002,0010)"].find("a", href=f"../../uids/{EXPLICIT_VR_LITTLE_ENDIAN}/index.html")
    assert named is not None and named.get_text() == "Explicit VR Little Endian"
    seen_as = page.find("section", attrs={"aria-labelledby": "seen-as"}).get_text(" ", strip=True)
    assert "SOP Class UID" in seen_as
    document = json.loads((default_build.site / "api" / "uids" / f"{CT_IMAGE}.json").read_text())
    assert document["name"] == "CT Image Storage" and document["iods"] == ["ct-image"]
    assert "00180050" in document["attributes"] and document["seen_as"]["00080016"] >= 1
    assert document["files"] >= 1 and document["retired"] is False


def test_uid_values_link_to_their_page(default_build: Build) -> None:
    page = _soup(default_build.site, f"attributes/{TRANSFER_SYNTAX_UID}/index.html")
    link = page.find("a", href=f"../../uids/{EXPLICIT_VR_LITTLE_ENDIAN}/index.html")
    assert link is not None and link.get_text() == "Explicit VR Little Endian"
    transfer = _soup(default_build.site, f"uids/{EXPLICIT_VR_LITTLE_ENDIAN}/index.html")
    assert transfer.find("h1").get_text() == "Explicit VR Little Endian"
    assert transfer.find("a", href=f"../../attributes/{TRANSFER_SYNTAX_UID}/index.html") is not None
    iod = _soup(default_build.site, "iods/ct-image/index.html")
    assert iod.find("a", href=f"../../uids/{CT_IMAGE}/index.html").get_text() == "CT Image Storage"


def test_the_browse_page_lists_every_uid_by_kind(default_build: Build, standard: Standard) -> None:
    registry = load_uid_registry(standard)
    page = _soup(default_build.site, "uids/index.html")
    kinds = [h.find(string=True).strip() for h in page.select("main h2")]
    assert kinds == list(registry.kinds)
    linked = {a["href"] for a in page.select("main table a")}
    assert all(f"../uids/{u.uid}/index.html" in linked for u in registry)
    retired = page.find("a", href=f"../uids/{US_IMAGE_RETIRED}/index.html").find_parent("tr")
    assert "retired" in retired.get_text()
    nav = page.find("nav", class_="main-nav").find("a", attrs={"aria-current": "page"})
    assert nav.get_text() == "UIDs"
