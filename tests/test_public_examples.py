"""Examples worth showing: public datasets' values with their provenance and licence, one instance counted once,
and coverage that counts values, not empty elements."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pydicom
import pytest
from bs4 import BeautifulSoup
from pydicom.data import get_testdata_file
from typer.testing import CliRunner

from dicomref.aggregate import AggregateOptions, aggregate
from dicomref.cli import app
from dicomref.datasets import load_manifest
from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from tests.conftest import MANIFEST, Build

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))
NEW_DATASETS = {"nibabel-nicom", "pynetdicom", "pydicom-palettes", "pydicom-charset-files"}
runner = CliRunner()


def test_the_default_datasets_are_public_with_a_licence_and_installed() -> None:
    entries = load_manifest(MANIFEST)
    assert {d.name for d in entries} >= NEW_DATASETS
    for entry in entries:
        assert entry.public and not entry.deidentified and entry.licence.startswith("MIT"), entry.name
        assert entry.root is not None and any(entry.root.iterdir()), entry.missing


def test_manifest_keys_are_checked(tmp_path: Path) -> None:
    manifest = tmp_path / "datasets.toml"
    manifest.write_text('[[dataset]]\nname = "x"\npath = "."\npublic = "yes"\n', encoding="utf-8")
    with pytest.raises(DicomrefError, match="'public' must be true or false"):
        load_manifest(manifest)
    manifest.write_text('[[dataset]]\nname = "x"\npath = "."\nlicence = 3\n', encoding="utf-8")
    with pytest.raises(DicomrefError, match="'licence' must be a string"):
        load_manifest(manifest)
    manifest.write_text('[[dataset]]\nname = "x"\npath = "."\n', encoding="utf-8")
    (entry,) = load_manifest(manifest)
    assert not entry.public and not entry.deidentified and entry.licence == ""


def _soup(build: Build, page: str) -> BeautifulSoup:
    return BeautifulSoup((build.site / page).read_text(encoding="utf-8"), "lxml")


def test_the_home_page_shows_real_values(default_build: Build) -> None:
    popular = {
        li.select_one("code.tag").get_text(): li.select_one("code.value")
        for li in _soup(default_build, "index.html").select("section[aria-labelledby=popular-title] li")
    }
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    for tag, key in (("(0008,0020)", "00080020"), ("(0010,0010)", "00100010"), ("(0020,000D)", "0020000D")):
        value = popular[tag]
        assert value is not None, tag
        first = attributes[key]["examples"][0]
        assert first["withheld"] is None and first["value"] and value.get_text().startswith(first["value"][:39])
    assert "…" not in attributes["0020000D"]["examples"][0]["value"]  # a UID in full, not cut to its root


def test_software_identifiers_and_icon_codes_are_shown(default_build: Build) -> None:
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    for key in ("00020012", "00020013", "00100010", "00080020"):
        assert all(e["withheld"] is None for e in attributes[key]["examples"]), key


def test_the_about_page_shows_each_dataset_licence_and_why_values_show(default_build: Build) -> None:
    rows = [
        [cell.get_text(strip=True) for cell in row.select("td")]
        for row in _soup(default_build, "about/index.html").select("table.listing tbody tr")
    ]
    names = {row[0] for row in rows}
    assert NEW_DATASETS | {"pydicom-test-files", "pydicom-data", "deid-data"} <= names
    assert all(row[-2] == "published: public" and row[-1].startswith("MIT") for row in rows)
    datasets = load_aggregate(default_build.aggregate)["datasets"]
    assert all(d["public"] and d["licence"] for d in datasets)


def test_the_coverage_page_lists_entries_seen_only_empty(default_build: Build) -> None:
    coverage = load_aggregate(default_build.aggregate)["coverage"]
    soup = _soup(default_build, "coverage/index.html")
    listed = [a.get_text() for a in soup.select("#empty-only ~ div table td.tag a")]
    assert len(listed) == coverage["empty_only"]["covered"] == len(coverage["empty_only"]["entries"]) > 0
    output = runner.invoke(app, ["coverage", "--aggregate", str(default_build.aggregate), "--format", "markdown"])
    assert "Seen only with empty values" in output.output and listed[0] in output.output


def _copy(source: Path, target: Path, **values: str) -> None:
    ds = pydicom.dcmread(source)
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    target.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(target)


def test_one_instance_counts_once(tmp_path: Path, standard) -> None:
    """CT_small in two datasets and twice in one: one file for counts, examples and datasets."""
    (tmp_path / "a").mkdir()
    shutil.copyfile(CT_SMALL, tmp_path / "a" / "ct.dcm")
    (tmp_path / "b" / "tree").mkdir(parents=True)
    shutil.copyfile(CT_SMALL, tmp_path / "b" / "ct.dcm")
    _copy(CT_SMALL, tmp_path / "b" / "tree" / "copy.dcm", SeriesInstanceUID="1.2.3.4.5.6.7")  # another series
    shards = []
    for name in ("a", "b"):
        shards.append(tmp_path / f"{name}.jsonl")
        scrape([ScrapeInput(name, tmp_path / name)], shards[-1], ScrapeOptions(jobs=1), tmp_path / f"{name}.csv")
    result = aggregate(shards, standard, AggregateOptions(public=frozenset({"a", "b"})))
    assert result["attributes"]["00080018"]["files"] == 1
    (example,) = result["attributes"]["00080018"]["examples"]
    assert (
        example["count"] == 1
        and example["datasets"] == ["a"]
        and example["file"] == {"dataset": "a", "path": "ct.dcm", "series": None}
    )
    assert {d["name"]: (d["scraped"], d["copies"]) for d in result["datasets"]} == {"a": (1, 0), "b": (0, 2)}
    again = aggregate(shards[::-1], standard, AggregateOptions(public=frozenset({"a", "b"})))
    assert json.dumps(again, sort_keys=True) == json.dumps(result, sort_keys=True)


def test_covered_means_a_value_that_is_not_empty(tmp_path: Path, standard) -> None:
    """Positioner Type written empty is seen but not covered; once another file gives it a value, it is covered."""
    _copy(CT_SMALL, tmp_path / "empty" / "ct.dcm", PositionerType="")
    scrape([ScrapeInput("empty", tmp_path / "empty")], tmp_path / "empty.jsonl", ScrapeOptions(jobs=1))
    coverage = aggregate([tmp_path / "empty.jsonl"], standard)["coverage"]
    assert "00181508" in [e["tag"] for e in coverage["empty_only"]["entries"]]
    assert coverage["empty_only"]["covered"] == len(coverage["empty_only"]["entries"])
    _copy(CT_SMALL, tmp_path / "full" / "ct.dcm", PositionerType="CARM", SeriesInstanceUID="1.2.3.4.5.6.8",
          SOPInstanceUID="1.2.3.4.5.6.9")  # fmt: skip
    scrape([ScrapeInput("full", tmp_path / "full")], tmp_path / "full.jsonl", ScrapeOptions(jobs=1))
    both = aggregate([tmp_path / "empty.jsonl", tmp_path / "full.jsonl"], standard)["coverage"]
    assert "00181508" not in [e["tag"] for e in both["empty_only"]["entries"]]
    assert both["overall"]["covered"] == coverage["overall"]["covered"] + 1
