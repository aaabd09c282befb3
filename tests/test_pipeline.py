"""The three stages end to end on the embedded default datasets (pip-shipped DICOM files)."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from dicomref.formats.scraped import read_records
from dicomref.formats.unreadable import unreadable_path
from dicomref.pipeline import BuildPaths, BuildProgress, build
from dicomref.scrape import ScrapeOptions
from dicomref.search import INDEX_DIR
from dicomref.standard import Standard
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


def test_the_build_function_runs_every_stage_over_a_manifest(tmp_path: Path, small_standard: Standard) -> None:
    """`dicomref build` is pipeline.build: the stages' files beside the manifest, the site in its folder."""
    files = tmp_path / "files"
    files.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        (files / name).write_bytes(Path(get_testdata_file(name)).read_bytes())
    manifest = tmp_path / "project" / "datasets.toml"
    manifest.parent.mkdir()
    manifest.write_text(f'[[dataset]]\nname = "mine"\npath = "{files}"\npublic = true\n', encoding="utf-8")
    stages: list[str] = []
    paths = BuildPaths(manifest, tmp_path / "out")
    result = build(paths, small_standard, ScrapeOptions(jobs=1), progress=BuildProgress(stage=stages.append))
    assert stages == ["scrape", "aggregate", "site", "search index"]
    assert result.scrape.scraped == 2 and [r["source"]["dataset"] for r in read_records(paths.scraped)] == ["mine"] * 2
    assert load_aggregate(paths.aggregate) == result.aggregate
    assert result.aggregate["datasets"][0]["public"] is True
    assert (paths.site / "index.html").is_file() and result.site.pages > 100
    assert (paths.manifest.parent / INDEX_DIR).is_dir()
    assert unreadable_path(paths.scraped).read_text(encoding="utf-8") == "path,reason\n"


def test_a_manifest_dataset_missing_here_stops_the_build_before_any_output(tmp_path: Path, standard: Standard) -> None:
    manifest = tmp_path / "datasets.toml"
    manifest.write_text('[[dataset]]\nname = "gone"\npath = "no-such-folder"\n', encoding="utf-8")
    with pytest.raises(DicomrefError, match="dataset gone"):
        build(BuildPaths(manifest, tmp_path / "site"), standard)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datasets.toml"]
