"""The standard's value lists by value position, from the rows and the sections they refer to, on the real standard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from dicomref.aggregate.validate import NOT_A_DEFINED_TERM, Validator
from dicomref.cli import app
from dicomref.standard import Standard
from dicomref.standard.descriptions import ValueSet, value_sets
from dicomref.standard.value_sets import PositionValues, values_by_position
from tests.conftest import Build

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
RT_IMAGE = "1.2.840.10008.5.1.4.1.1.481.1"
WHOLE_SLIDE = "1.2.840.10008.5.1.4.1.1.77.1.6"
MODALITY, PHOTOMETRIC, PATIENT_POSITION, RESCALE_TYPE, IMAGE_TYPE = (
    "00080060",
    "00280004",
    "00185100",
    "00281054",
    "00080008",
)
C_7_3_1_1_1 = "https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.3.html#sect_C.7.3.1.1.1"


def at(positions: tuple[PositionValues, ...], position: int | None) -> PositionValues:
    return next(p for p in positions if p.position == position)


def terms(positions: tuple[PositionValues, ...], position: int | None, kind: str) -> set[str]:
    return {v for t in at(positions, position).lists if t.kind == kind and not t.retired for v in t.values}


def row_sets(standard: Standard, module_id: str, tag: str) -> tuple[ValueSet, ...]:
    return next(a for a in standard.modules[module_id].attributes if a.tag == tag and not a.path).value_sets


# --- parsing ---------------------------------------------------------------------------------


def listing(heading: str, *values: str, before: str = "") -> str:
    terms_html = "".join(f"<dt><span>{v}</span></dt><dd><p>means {v}. More.</p></dd>" for v in values)
    return f"{before}<div><p><strong>{heading}</strong></p><dl>{terms_html}</dl></div>"


def test_the_position_said_before_the_list_is_its_position() -> None:
    fragment = (
        "<ul><li><p>Value 1 shall identify the Pixel Data Characteristics</p>"
        + listing("Enumerated Values:", "ORIGINAL", "DERIVED")
        + "</li><li><p>Value 2 shall identify the Patient Examination Characteristics</p>"
        + listing("Enumerated Values:", "PRIMARY", "SECONDARY")
        + "</li></ul>"
        + listing("Defined Terms:", "ONH", before="<p>It uses one of the following Defined Terms for Value 3:</p>")
    )
    found = value_sets(fragment)
    assert [(v.which, v.values) for v in found] == [
        ("Value 1", ("ORIGINAL", "DERIVED")),
        ("Value 2", ("PRIMARY", "SECONDARY")),
        ("Value 3", ("ONH",)),
    ]
    assert found[0].meanings == ("means ORIGINAL", "means DERIVED")  # the first sentence of each definition


def test_headings_that_name_the_position_the_attribute_or_retired_terms() -> None:
    found = value_sets(
        listing("Defined Terms for Image Type Value 3:", "CORNEAL_TOPO")
        + listing("Defined Terms for Value 4 for Multi-energy CT Images:", "VMI")
        + listing("Enumerated Values of Bits Stored (0028,0101):", "8", "16")
        + listing("Enumerated Values for Samples per Pixel (0028,0002) when Photometric Interpretation is RGB:", "3")
        + listing("Retired Defined Terms:", "DS")
    )
    assert found == (
        ValueSet("defined", ("CORNEAL_TOPO",), "Value 3"),
        ValueSet("defined", ("VMI",), "Value 4", "for Multi-energy CT Images"),
        ValueSet("enumerated", ("8", "16"), None, subjects=("00280101",)),
        ValueSet("enumerated", ("3",), None, "when Photometric Interpretation is RGB", subjects=("00280002",)),
        ValueSet("defined", ("DS",), None, retired=True),
    )
    assert [v.position for v in found] == [3, 4, None, None, None]


# --- the model over the real standard -------------------------------------------------------------


def test_modality_has_the_defined_terms_of_section_c_7_3_1_1_1(standard: Standard) -> None:
    (general_series,) = row_sets(standard, "general-series", MODALITY)[:1]
    assert general_series.kind == "defined" and general_series.source == C_7_3_1_1_1
    assert {"CT", "MR", "US", "SEG", "RTSTRUCT"} <= set(general_series.values)
    positions = values_by_position(standard, MODALITY)
    assert [p.position for p in positions] == [None]
    assert {"CT", "MR", "PT", "SR"} <= terms(positions, None, "defined")
    assert {"CT"} in [set(t.values) for t in positions[0].lists if t.kind == "enumerated"]  # CT Series narrows it
    retired = [t for t in positions[0].lists if t.retired]
    assert retired and "DS" in retired[0].values and "DS" not in terms(positions, None, "defined")


def test_photometric_interpretation_patient_position_and_rescale_type_have_their_terms(standard: Standard) -> None:
    photometric = values_by_position(standard, PHOTOMETRIC)
    assert {"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL_422", "PALETTE COLOR"} <= terms(photometric, None, "defined")
    assert {"MONOCHROME1", "MONOCHROME2"} in [set(t.values) for t in photometric[0].lists if t.kind == "enumerated"]
    assert any(v.kind == "defined" and "RGB" in v.values for v in row_sets(standard, "image-pixel", PHOTOMETRIC))

    position = values_by_position(standard, PATIENT_POSITION)
    assert {"HFS", "HFP", "FFS", "FFP", "HFDR", "LFP"} <= terms(position, None, "defined")
    assert any("HFS" in v.values for v in row_sets(standard, "general-series", PATIENT_POSITION))

    # Section C.11.1.1.2 is titled "Modality LUT and Rescale Type": it names the attribute among others.
    assert any({"HU", "OD", "US"} <= set(v.values) for v in row_sets(standard, "modality-lut", RESCALE_TYPE))
    assert {"HU", "OD", "US", "MGML"} <= terms(values_by_position(standard, RESCALE_TYPE), None, "defined")


def test_image_type_values_1_2_and_3_are_apart(standard: Standard) -> None:
    general_image = row_sets(standard, "general-image", IMAGE_TYPE)
    assert [(v.kind, v.which, v.values) for v in general_image] == [
        ("enumerated", "Value 1", ("ORIGINAL", "DERIVED")),
        ("enumerated", "Value 2", ("PRIMARY", "SECONDARY")),
    ]
    positions = values_by_position(standard, IMAGE_TYPE)
    assert [p.position for p in positions][:4] == [1, 2, 3, 4]
    assert terms(positions, 1, "enumerated") == {"ORIGINAL", "DERIVED"}
    assert terms(positions, 2, "enumerated") == {"PRIMARY", "SECONDARY"}
    assert {"AXIAL", "LOCALIZER"} <= terms(positions, 3, "defined")  # CT Image, Section C.8.2.1.1.1
    assert {"STATIC", "WHOLE BODY"} <= terms(positions, 3, "enumerated")  # NM Image
    assert not {"ORIGINAL", "PRIMARY"} & (terms(positions, 3, "defined") | terms(positions, 3, "enumerated"))
    ct = [t for t in at(positions, 3).lists if "AXIAL" in t.values]
    assert ct[0].modules == ("ct-image",) and ct[0].meanings[0] == "a CT Cross-sectional Image"


def test_a_list_for_another_attribute_is_not_taken(standard: Standard) -> None:
    """A section listing the values of two attributes: each row takes the lists named for it."""
    wsi = {a.tag: a.value_sets for a in standard.modules["whole-slide-microscopy-image"].attributes if not a.path}
    assert [v.values for v in wsi[PHOTOMETRIC]] == [("MONOCHROME2", "RGB", "YBR_FULL_422", "YBR_ICT", "YBR_RCT")]
    samples = [(v.values, v.condition) for v in wsi["00280002"]]
    assert (("1",), "when Photometric Interpretation (0028,0004) is MONOCHROME2") in samples
    assert (("3",), "when Photometric Interpretation (0028,0004) is not MONOCHROME2") in samples
    for tag in (PHOTOMETRIC, "00280002", "00280101"):
        for usage in standard.usages[tag]:
            assert all(not v.subjects or tag in v.subjects for v in usage.attribute.value_sets)


# --- validation uses them, position by position ------------------------------------------------------


def test_validation_reads_image_type_position_by_position(standard: Standard) -> None:
    validator = Validator(standard)
    assert validator.check(IMAGE_TYPE, "CS", "ORIGINAL\\PRIMARY\\AXIAL", False, [(CT_IMAGE, ())]).problem is None
    swapped = validator.check(IMAGE_TYPE, "CS", "PRIMARY\\ORIGINAL\\AXIAL", False, [(CT_IMAGE, ())])
    assert swapped.problem is not None and "enumerated" in swapped.problem
    own = validator.check(IMAGE_TYPE, "CS", "DERIVED\\SECONDARY\\MY_RECON", False, [(CT_IMAGE, ())])
    assert own.problem is None and own.note == NOT_A_DEFINED_TERM  # Value 3 is a defined term: a note only
    assert validator.check(RESCALE_TYPE, "LO", "HU", False, [(CT_IMAGE, ())]).note is None
    # "Enumerated Values if Image Type (0008,0008) Value 3 is LOCALIZER or LABEL": other values decide if it applies.
    frames = validator.check("00280008", "IS", "100", False, [(WHOLE_SLIDE, ())])
    assert frames.problem is None and frames.note == NOT_A_DEFINED_TERM
    # RT Image's Section C.8.8.12.1.2 adds SITTING to General Series' terms: either row's terms are known.
    for position in ("HFS", "SITTING"):
        assert validator.check(PATIENT_POSITION, "CS", position, False, [(RT_IMAGE, ())]).note is None
    assert validator.check(RESCALE_TYPE, "LO", "FURLONGS", False, [(CT_IMAGE, ())]).note == NOT_A_DEFINED_TERM


# --- show --json, the API and the pages ----------------------------------------------------------


def test_show_json_carries_the_values_by_position(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["show", "ImageType", "--json", "--aggregate", str(tmp_path / "none.json")])
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)["values"]
    by_position = {p["position"]: p for p in values}
    assert {"ORIGINAL", "DERIVED"} == set(by_position[1]["lists"][0]["values"])
    assert by_position[1]["which"] == "Value 1" and by_position[1]["lists"][0]["kind"] == "enumerated"
    assert "AXIAL" in {v for listed in by_position[3]["lists"] for v in listed["values"]}
    text = CliRunner().invoke(app, ["show", "0008,0060", "--aggregate", str(tmp_path / "none.json")])
    assert "defined: AR, ASMT" in text.output and "retired defined" in text.output


def _soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "lxml")


def _shown_terms(soup: BeautifulSoup) -> set[str]:
    section = soup.find("section", class_="values")
    return {dt.get_text(strip=True) for dt in section.select("dl.terms dt")} if section else set()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (MODALITY, {"CT", "MR", "SEG"}),
        (PHOTOMETRIC, {"MONOCHROME2", "RGB"}),
        (PATIENT_POSITION, {"HFS", "FFP"}),
        (RESCALE_TYPE, {"HU", "OD"}),
    ],
)
def test_attribute_pages_and_the_api_show_the_terms(default_build: Build, tag: str, expected: set[str]) -> None:
    assert expected <= _shown_terms(_soup(default_build.site, f"attributes/{tag}/index.html"))
    document = json.loads((default_build.site / "api" / "attributes" / f"{tag}.json").read_text())
    assert expected <= {v for p in document["values"] for listed in p["lists"] for v in listed["values"]}


def test_the_image_type_page_has_a_block_per_value(default_build: Build) -> None:
    soup = _soup(default_build.site, f"attributes/{IMAGE_TYPE}/index.html")
    section = soup.find("section", class_="values")
    headings = [h.get_text(strip=True) for h in section.find_all("h3")]
    assert headings[:4] == ["Value 1", "Value 2", "Value 3", "Value 4"]
    value_1 = section.find("h3", id="value-1").find_next("div", class_="value-list")
    assert {dt.get_text(strip=True) for dt in value_1.select("dl.terms dt")} == {"ORIGINAL", "DERIVED"}
    assert value_1.find("a", href="../../modules/general-image/index.html") is not None


def test_module_rows_show_the_terms_of_the_section_they_refer_to(default_build: Build) -> None:
    soup = _soup(default_build.site, "modules/general-series/index.html")
    row = soup.find("li", id=MODALITY)
    assert row.find("div", class_="value-list").find("a", href=C_7_3_1_1_1).get_text() == "Section C.7.3.1.1.1"
    assert {"CT", "MR"} <= {dt.get_text(strip=True) for dt in row.select("dl.terms dt")}
