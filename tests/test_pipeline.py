"""The three stages end to end on the embedded default datasets (pip-shipped DICOM files)."""

from __future__ import annotations

import json

import pydicom
from pydicom.data import get_testdata_file

from dicomref.formats.aggregate import load_aggregate
from dicomref.formats.scraped import read_records
from tests.conftest import Build


def test_every_dictionary_entry_has_a_page(default_build: Build, standard) -> None:
    from pydicom.datadict import DicomDictionary, RepeatersDictionary

    expected = {f"{tag:08X}" for tag in DicomDictionary}
    expected |= {k[:4].upper().replace("X", "x") + k[4:].upper().replace("X", "x") for k in RepeatersDictionary}
    pages = {p.parent.name for p in (default_build.site / "attributes").glob("*/index.html")}
    assert expected <= pages
    assert {"00180050", "60xx0010", "002804x0"} <= pages
    assert (default_build.site / "index.html").is_file()


def test_slice_thickness_page_shows_the_value_from_ct_small(default_build: Build) -> None:
    value = str(pydicom.dcmread(get_testdata_file("CT_small.dcm")).SliceThickness)
    aggregate = load_aggregate(default_build.aggregate)
    examples = aggregate["attributes"]["00180050"]["examples"]
    assert any(e["value"] == value and "pydicom-test-files" in e["datasets"] for e in examples)
    page = (default_build.site / "attributes" / "00180050" / "index.html").read_text()
    assert f'<code class="value">{value}</code>' in page


def test_scrape_reads_one_file_per_series(default_build: Build) -> None:
    records = list(read_records(default_build.scraped))
    keys = [(r["source"]["dataset"], r["source"]["series_instance_uid"] or r["source"]["path"]) for r in records]
    assert len(keys) == len(set(keys))
    assert all(r["source"]["series_files"] >= 1 for r in records)


def test_site_has_the_published_contract_files(default_build: Build) -> None:
    site = default_build.site
    for name in (
        "404.html",
        "sitemap.xml",
        "robots.txt",
        ".nojekyll",
        "api/coverage.json",
        "api/attributes/00180050.json",
        "coverage/index.html",
        "about/index.html",
    ):
        assert (site / name).exists(), name
    document = json.loads((site / "api/attributes/00180050.json").read_text())
    assert document["keyword"] == "SliceThickness" and document["examples"]
