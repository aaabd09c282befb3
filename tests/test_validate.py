"""The validator: compiled conditions, rules from the model, and one engine over files and scraped records."""

from __future__ import annotations

import json

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicomref.scrape.extract import ExtractOptions, extract_elements
from dicomref.standard import load_standard
from dicomref.validate.conditions import All, AnyOf, NotEvaluated, compile_condition, from_json
from dicomref.validate.conditions import Test as Check
from dicomref.validate.engine import Validator
from dicomref.validate.view import from_dataset, from_record


@pytest.fixture(scope="module")
def standard():
    return load_standard()


@pytest.fixture(scope="module")
def validator(standard):
    return Validator(standard)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Required if Anchor Point (0070,0014) is present.", Check("present", "00700014")),
        ("Required if Presentation LUT Sequence (2050,0010) is absent.", Check("absent", "20500010")),
        (
            "Required if Photometric Interpretation (0028,0004) has a value of PALETTE COLOR. May be present "
            "otherwise.",
            Check("equals", "00280004", ("PALETTE COLOR",)),
        ),
        (
            "Required if Value 3 of Image Type (0008,0008) is SIMULATOR or RADIOGRAPH. May be present otherwise.",
            Check("equals", "00080008", ("SIMULATOR", "RADIOGRAPH"), 3),
        ),
        ("Required if Number of Blocks (300A,00F0) is non-zero.", Check("greater", "300A00F0", ("0",))),
        (
            "Required if Photometric Interpretation (0028,0004) is MONOCHROME2, and Bits Stored (0028,0101) is "
            "greater than 1.",
            All((Check("equals", "00280004", ("MONOCHROME2",)), Check("greater", "00280101", ("1",)))),
        ),
        (
            "Required if Referenced Image Sequence (0008,1140) or Referenced Instance Sequence (0008,114A) is present.",
            AnyOf((Check("present", "00081140"), Check("present", "0008114A"))),
        ),
        (
            "Required if Frame of Reference UID (0020,0052) and Image Position (Patient) (0020,0032) are not present.",
            All((Check("absent", "00200052"), Check("absent", "00200032"))),
        ),
    ],
)
def test_conditions_compile(text, expected):
    assert compile_condition(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Required if the Patient is an animal and if Patient Species Code Sequence (0010,2202) is not present.",
        "Required if contrast media was used in this image.",
        "Required if the conditions in Section C.36.2.2.5.1.1 are satisfied.",
    ],
)
def test_prose_is_not_evaluated(text):
    compiled = compile_condition(text)
    assert isinstance(compiled, NotEvaluated)
    assert compiled.text.startswith("Required if")


def test_compiled_rules_are_plain_json(validator):
    rules = validator.rules
    data = json.loads(json.dumps(rules.to_json()))
    assert data["sop_classes"]["1.2.840.10008.5.1.4.1.1.2"] == "ct-image"
    for condition in rules.conditions()[:500]:
        assert from_json(json.loads(json.dumps(condition.to_json()))) == condition


def _record(dataset: pydicom.Dataset) -> dict:
    return {"source": {}, "elements": extract_elements(dataset, ExtractOptions())}


def _errors(report):
    return {(f.code, f.tag, f.path) for f in report.findings if f.severity == "error"}


def test_a_sound_file_has_no_missing_attribute_in_either_view(standard, validator):
    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    from_file = validator.check(from_dataset(dataset, standard.dictionary.key_for))
    from_scrape = validator.check(from_record(_record(dataset), standard.dictionary.key_for))
    assert from_file.iod == from_scrape.iod == "ct-image"
    assert not [f for f in from_file.findings if f.code in {"missing", "empty"}]
    assert _errors(from_file) == _errors(from_scrape)


def test_removed_and_emptied_attributes_are_found_in_both_views(standard, validator):
    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    del dataset.PatientID  # Type 2 in the Patient module
    dataset.Rows = None  # Type 1 in Image Pixel
    dataset.BitsStored = 11  # the CT Image module enumerates 12 to 16
    expected = {("missing", "00100020", ()), ("empty", "00280010", ()), ("enumerated", "00280101", ())}
    key_for = standard.dictionary.key_for
    for view in (from_dataset(dataset, key_for), from_record(_record(dataset), key_for)):
        assert expected <= _errors(validator.check(view))


def test_a_condition_that_holds_requires_the_attribute(standard, validator):
    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    dataset.PhotometricInterpretation = "PALETTE COLOR"  # then the palette descriptors are Type 1C, required
    errors = _errors(validator.check(from_dataset(dataset, standard.dictionary.key_for)))
    assert ("missing", "00281101", ()) in errors
    conditional = [f for f in validator.check(from_dataset(dataset, standard.dictionary.key_for)).findings
                   if f.tag == "00281101"]
    assert conditional[0].conditional and conditional[0].type == "1C"


def test_items_of_scraped_sequences_are_rebuilt(standard, validator):
    dataset = pydicom.dcmread(get_testdata_file("rtplan.dcm"))
    view = from_record(_record(dataset), standard.dictionary.key_for)
    beams = view.elements["300A00B0"]
    assert len(beams.items) == len(dataset.BeamSequence)
    assert validator.check(view).iod == "rt-plan"


def test_file_meta_must_agree_with_the_dataset(standard, validator):
    dataset = pydicom.dcmread(get_testdata_file("rtplan.dcm"))
    codes = [f.code for f in validator.check(from_dataset(dataset, standard.dictionary.key_for)).findings]
    assert "meta" in codes  # pydicom's rtplan.dcm carries a Media Storage SOP Instance UID of another instance
