"""`dicomref coverage` on the default build, checked against an independent recount of the scraped records."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

import pytest
from pydicom.datadict import DicomDictionary, RepeatersDictionary, mask_match
from typer.testing import CliRunner

from dicomref.aggregate.report import BREAKDOWNS
from dicomref.cli import app
from dicomref.formats.aggregate import load_aggregate
from tests.conftest import Build
from tests.instances import counted_records

runner = CliRunner()
NO_VALUE_VRS = {"SQ", "OB", "NONE"}


def dictionary_entries() -> dict[str, tuple[str, bool]]:
    """Every entry of pydicom's dictionary as key -> (VR, retired); repeating groups once each."""
    entries = {f"{tag:08X}": (vr, retired == "Retired") for tag, (vr, _, _, retired, _) in DicomDictionary.items()}
    for mask, (vr, _, _, retired, _) in RepeatersDictionary.items():
        entries[mask.upper().replace("X", "x")] = (vr, retired == "Retired")
    return entries


def recount(build: Build) -> tuple[set[str], dict[str, set[str]], set[str]]:
    """Entries with at least one element holding a value that is not empty or a binary length above 0, overall and
    per dataset (one instance counted once); and the entries seen only with empty values."""
    covered: set[str] = set()
    seen: set[str] = set()
    per_dataset: dict[str, set[str]] = defaultdict(set)
    for record in counted_records(build.scraped):
        for element in record["elements"]:
            number = int(element["tag"], 16)
            key = element["tag"] if number in DicomDictionary else (mask_match(number) or "").upper().replace("X", "x")
            if not key:
                continue
            seen.add(key)
            if element["value"] != "" if "value" in element else element["length"] > 0:
                covered.add(key)
                per_dataset[record["source"]["dataset"]].add(key)
    return covered, per_dataset, seen - covered


def ratio(keys: set[str], covered: set[str]) -> dict:
    return {
        "total": len(keys),
        "covered": len(keys & covered),
        "percent": round(100 * len(keys & covered) / len(keys), 2),
    }


def coverage_json(build: Build, *args: str) -> dict:
    result = runner.invoke(app, ["coverage", "--aggregate", str(build.aggregate), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_coverage_json_agrees_with_an_independent_recount(default_build: Build) -> None:
    report = coverage_json(default_build)
    entries = dictionary_entries()
    covered, per_dataset, empty_only = recount(default_build)
    bearing = {k for k, (vr, _) in entries.items() if vr not in NO_VALUE_VRS}
    assert report["overall"] == ratio(set(entries), covered)
    assert report["value_bearing"] == ratio(bearing, covered)
    assert report["value_bearing_current"] == ratio({k for k in bearing if not entries[k][1]}, covered)
    for name, keys in per_dataset.items():
        others = set().union(*(k for n, k in per_dataset.items() if n != name))
        assert report["by_dataset"][name]["contributed"] == len(keys)
        assert report["by_dataset"][name]["unique"] == len(keys - others)
    assert set(report["by_dataset"]) == set(per_dataset)
    assert [e["tag"] for e in report["empty_only"]["entries"]] == sorted(empty_only)
    assert report["empty_only"]["covered"] == len(empty_only) > 0


def test_the_default_build_covers_at_least_a_tenth_of_the_dictionary(default_build: Build) -> None:
    overall = coverage_json(default_build)["overall"]
    print(f"default build: examples for {overall['covered']} of {overall['total']} entries ({overall['percent']}%)")
    assert overall["percent"] >= 10.0


def test_breakdowns_are_consistent(default_build: Build) -> None:
    report = coverage_json(default_build)
    assert sum(r["total"] for r in report["by_vr"].values()) == report["overall"]["total"]
    assert sum(r["covered"] for r in report["by_group"].values()) == report["overall"]["covered"]
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    for wanted in report["most_wanted"]:
        examples = attributes.get(wanted["tag"], {}).get("examples", [])
        assert all(e["value"] == "" or e["bulk_length"] == 0 for e in examples) and wanted["required_in_iods"] > 0
    counts = [w["required_in_iods"] for w in report["most_wanted"]]
    assert counts == sorted(counts, reverse=True) and len(counts) == 50
    ct = report["by_module"]["ct-image"]
    assert ct["covered"] > 0 and ct["type1"]["total"] > 0 and ct["type2"]["total"] > 0
    assert report["by_iod"]["ct-image"]["required"]["covered"] > 0
    assert {"CT", "MR", "US"} <= set(report["by_modality"])


@pytest.mark.parametrize("by", BREAKDOWNS)
def test_each_breakdown_in_each_format(default_build: Build, by: str) -> None:
    report = coverage_json(default_build, "--by", by)
    assert report["overall"]["total"] > 5000 and len(report) == (4 if by == "empty" else 5)
    assert report["empty_only"]["covered"] == len(report["empty_only"]["entries"])
    rows = list(csv.reader(io.StringIO(invoke(default_build, "--by", by, "--format", "csv"))))
    key = {"wanted": "most_wanted", "empty": "empty_only", "conformance": "conformance"}.get(by, f"by_{by}")
    breakdown = report[key]
    rows_in = {"empty": "entries", "conformance": "most_broken"}.get(by)
    breakdown = breakdown[rows_in] if rows_in else breakdown
    assert len(rows) == len(breakdown) + 1
    markdown = invoke(default_build, "--by", by, "--format", "markdown")
    assert "| All dictionary entries |" in markdown and markdown.count("\n| ") >= len(breakdown)
    assert "Coverage of the data dictionary" in invoke(default_build, "--by", by)


def invoke(build: Build, *args: str) -> str:
    result = runner.invoke(app, ["coverage", "--aggregate", str(build.aggregate), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_summary_formats_name_the_datasets(default_build: Build) -> None:
    for fmt in ("table", "markdown"):
        output = invoke(default_build, "--format", fmt)
        assert "pydicom-test-files" in output and "Most wanted" in output
    assert invoke(default_build, "--format", "csv").splitlines()[0] == "Scope,Covered,Total,Percent"


def test_unknown_breakdown_and_missing_file_fail_cleanly(default_build: Build, tmp_path) -> None:
    result = runner.invoke(app, ["coverage", "--aggregate", str(default_build.aggregate), "--by", "colour"])
    assert result.exit_code != 0
    result = runner.invoke(app, ["coverage", "--aggregate", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "not found" in result.output
