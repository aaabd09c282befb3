"""`dicomref show`: every way of naming an attribute, its modules with Type, and examples after a build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file
from typer.testing import CliRunner

from dicomref.aggregate import AggregateOptions, aggregate_to_file
from dicomref.cli import app
from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from dicomref.standard import Standard
from dicomref.standard.describe import describe

runner = CliRunner()


@pytest.fixture(scope="module")
def aggregate(tmp_path_factory: pytest.TempPathFactory, standard: Standard) -> Path:
    """aggregate.json built from two of pydicom's test files: a CT slice and an image with an overlay."""
    folder = tmp_path_factory.mktemp("show-build")
    files = folder / "files"
    files.mkdir()
    for name in ("CT_small.dcm", "examples_overlay.dcm"):
        shutil.copy(get_testdata_file(name), files / name)
    scrape([ScrapeInput("pydicom-files", files)], folder / "scraped.jsonl", ScrapeOptions(jobs=1))
    out = folder / "aggregate.json"
    aggregate_to_file([folder / "scraped.jsonl"], out, standard, AggregateOptions(public=frozenset({"pydicom-files"})))
    return out


def show_json(*args: str) -> dict:
    result = runner.invoke(app, ["show", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "query",
    [
        "(0010,0010)",
        "0010,0010",
        "00100010",
        "0x00100010",
        "PatientName",
        "Patient's Name",
        "patient's name",
        "PATIENT'S NAME",
        " 0010 0010 ",
    ],
)
def test_every_form_of_a_name_finds_the_attribute(query: str, tmp_path: Path) -> None:
    info = show_json(query, "--aggregate", str(tmp_path / "absent.json"))
    assert (info["tag"], info["keyword"], info["name"]) == ("00100010", "PatientName", "Patient's Name")
    assert info["identifying"] and info["profile"]["basic"] == "Z"


def test_slice_thickness_lists_its_modules_with_type_and_sanitised_description(tmp_path: Path) -> None:
    info = show_json("0018,0050", "--aggregate", str(tmp_path / "absent.json"))
    assert (info["display"], info["name"], info["vr"], info["vm"]) == ("(0018,0050)", "Slice Thickness", "DS", "1")
    modules = {m["id"]: m for m in info["modules"]}
    assert modules["image-plane"]["type"] == "2" and modules["image-plane"]["path"] == []
    assert modules["image-plane"]["description"] == "<p>Nominal slice thickness, in mm.</p>"
    assert modules["performed-ct-reconstruction"]["type"] == "1" and modules["performed-ct-reconstruction"]["path"] == [
        "00189934"
    ]
    (pixel_measures,) = info["macros"]
    assert pixel_measures["id"] == "pixel-measures" and "enhanced-ct-image" in pixel_measures["functional_group_of"]
    for row in info["modules"] + info["macros"]:
        assert "<script" not in row["description"] and "<td" not in row["description"]
    assert info["examples"] == [] and info["files"] == 0


def test_examples_appear_after_a_build(aggregate: Path) -> None:
    info = show_json("SliceThickness", "--aggregate", str(aggregate))
    assert info["files"] == 2
    assert sorted(e["value"] for e in info["examples"]) == ["4", "5.000000"]
    assert {e["file"]["path"] for e in info["examples"]} == {"CT_small.dcm", "examples_overlay.dcm"}


def test_a_concrete_overlay_tag_resolves_to_its_repeating_entry(aggregate: Path) -> None:
    info = show_json("6000,0010", "--aggregate", str(aggregate))
    assert (info["tag"], info["display"], info["name"], info["matched"]) == (
        "60xx0010",
        "(60xx,0010)",
        "Overlay Rows",
        "60000010",
    )
    assert info["repeating"] and [m["id"] for m in info["modules"]] == ["overlay-plane"]
    assert [e["value"] for e in info["examples"]] == ["300"] and info["files"] == 1
    text = runner.invoke(app, ["show", "6000,0010", "--aggregate", str(aggregate)])
    assert (
        text.exit_code == 0 and "(60xx,0010) Overlay Rows" in text.stdout and "matched from (6000,0010)" in text.stdout
    )


def test_the_table_output_names_modules_value_sets_and_flags(tmp_path: Path) -> None:
    result = runner.invoke(app, ["show", "PatientSex", "--aggregate", str(tmp_path / "absent.json")])
    assert result.exit_code == 0
    assert "(0010,0040) Patient's Sex" in result.stdout and "identifying" in result.stdout
    assert "enumerated: M, F, O" in result.stdout and "module Patient · Type 2" in result.stdout
    meta = runner.invoke(app, ["show", "TransferSyntaxUID", "--aggregate", str(tmp_path / "absent.json")])
    assert "file meta" in meta.stdout


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("PatientNam", "unknown attribute 'PatientNam'; did you mean PatientName"),
        ("Slice Thicknes", "did you mean SliceThickness"),
        ("6001,0010", "(6001,0010) is a private tag"),
        ("0018,0051", "closest in group 0018: (0018,0050) SliceThickness"),
        ("zzzzzzzzzz", "unknown attribute 'zzzzzzzzzz'; try `dicomref search`"),
    ],
)
def test_an_unknown_name_is_a_one_line_error_with_the_closest_matches(query: str, message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "dicomref", "show", query], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0
    assert message in " ".join(result.stderr.split()) and result.stdout == ""


def test_describe_is_the_library_behind_show(standard: Standard, aggregate: Path) -> None:
    attributes = load_aggregate(aggregate)["attributes"]
    info = describe(standard, "(0008,0060)", attributes)
    assert {e["value"] for e in info["examples"]} == {"CT", "MR"}
    assert info["value_sets"][0]["kind"] == "defined" and "CT" in info["value_sets"][0]["values"]
    assert json.loads(json.dumps(info)) == info
    with pytest.raises(DicomrefError):
        describe(standard, "NoSuchKeyword", attributes)
