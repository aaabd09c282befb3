"""Example values checked against pydicom's VR rules, its character set terms and the standard's value sets."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicomref.aggregate import AggregateOptions, aggregate
from dicomref.aggregate.privacy import WITHHELD
from dicomref.aggregate.validate import MOJIBAKE, NOT_A_DEFINED_TERM, UNDECODABLE, Validator
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape

# pydicom warns while reading the planted 'ISO_IR100' file; the value is what this module tests.
pytestmark = pytest.mark.filterwarnings("ignore:Unknown encoding:UserWarning")

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
DX_IMAGE = "1.2.840.10008.5.1.4.1.1.1.1"


@pytest.fixture(scope="module")
def validator(standard) -> Validator:
    return Validator(standard)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("ISO_IR 100", True),
        ("ISO_IR100", False),
        ("ISO_IR 192", True),
        ("\\ISO 2022 IR 87", True),
        ("ISO 2022 IR 13\\ISO 2022 IR 87", True),
        ("ISO_IR 192\\ISO 2022 IR 87", False),
        ("latin1", False),
    ],
)
def test_specific_character_set_terms_come_from_pydicom(validator: Validator, text: str, valid: bool) -> None:
    finding = validator.check("00080005", "CS", text, False, [(CT_IMAGE, ())])
    assert (finding.problem is None) is valid
    assert text not in (finding.problem or "")


@pytest.mark.parametrize(
    ("key", "vr", "text", "fragment"),
    [
        ("00080020", "DA", "2004-01-19", "DA"),
        ("00080030", "TM", "25:61", "TM"),
        ("00200010", "SH", "A" * 17, "16 characters"),
        ("00180050", "DS", "five", "DS"),
        ("00200013", "IS", "4294967296", "32-bit"),
        ("0020000D", "UI", "1.2.03.4", "UI"),
        ("00101010", "AS", "45", "AS"),
        ("00321030", "LO", "line one\rline two", "control characters"),
        ("00100010", "PN", "M\ufffdller^Hans", UNDECODABLE),
        ("00100010", "PN", "MÃ¼ller^Hans", MOJIBAKE),
        ("00080016", "UI", "1.2.840.10008.9.9.9.9", "1.2.840.10008"),
    ],
)
def test_vr_problems_are_named_without_quoting_the_value(
    validator: Validator, key: str, vr: str, text: str, fragment: str
) -> None:
    problem = validator.check(key, vr, text, False, [(CT_IMAGE, ())]).problem
    assert problem is not None and fragment in problem
    assert text not in problem


@pytest.mark.parametrize(
    ("key", "vr", "text"),
    [
        ("00080020", "DA", "20040119"),
        ("00100010", "PN", "Müller^Hans"),
        ("00200013", "IS", " 12 "),
        ("00080060", "CS", "CT"),
        ("0040A160", "UT", "a\r\nb"),
        ("00280103", "US", "1"),
    ],
)
def test_good_values_pass(validator: Validator, key: str, vr: str, text: str) -> None:
    assert validator.check(key, vr, text, False, [(CT_IMAGE, ())]).problem is None


def test_a_cut_value_is_judged_without_its_cut_part(validator: Validator) -> None:
    assert validator.check("00200037", "DS", "1\\0\\0\\0\\1\\0.00000000000", True, [(CT_IMAGE, ())]).problem is None


def test_enumerated_values_depend_on_the_iod_and_nesting(validator: Validator) -> None:
    """The DX Series module narrows General Series' Modality to DX, PX, IO or MG; CT files may say 'CT'."""
    assert validator.check("00080060", "CS", "CT", False, [(CT_IMAGE, ())]).problem is None
    problem = validator.check("00080060", "CS", "CT", False, [(DX_IMAGE, ())]).problem
    assert problem is not None and "enumerated" in problem and "Digital X-Ray Image" in problem
    assert validator.check("00080060", "CS", "MG", False, [(DX_IMAGE, ())]).problem is None
    assert validator.check("00100040", "CS", "X", False, [(CT_IMAGE, ())]).problem is not None
    assert validator.check("00100040", "CS", "F", False, [(CT_IMAGE, ())]).problem is None
    assert validator.check("00280103", "US", "2", False, [(CT_IMAGE, ())]).problem is not None  # 0000H or 0001H


def test_defined_terms_are_a_note_not_a_violation(validator: Validator) -> None:
    finding = validator.check("00180021", "CS", "OTHER", False, [(MR_IMAGE, ())])
    assert finding.problem is None and finding.note == NOT_A_DEFINED_TERM
    assert validator.check("00180021", "CS", "SK\\SP", False, [(MR_IMAGE, ())]).note is None


def write_invalid_files(folder: Path) -> None:
    """Two real files with the invalid values users of other browsers report: 'ISO_IR100' and an unreadable name."""
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ct.SpecificCharacterSet = "ISO_IR100"
    ct.save_as(folder / "ct.dcm")
    mr = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    mr.SpecificCharacterSet = "ISO_IR 192"
    mr.add_new(0x00100010, "PN", b"M\xfcller^Hans")  # a Latin-1 byte that is not UTF-8
    mr.save_as(folder / "mr.dcm")


@pytest.fixture(scope="module")
def invalid_scrape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("invalid")
    (folder / "odd-files").mkdir()
    write_invalid_files(folder / "odd-files")
    scrape([ScrapeInput("odd-files", folder / "odd-files")], folder / "scraped.jsonl", ScrapeOptions(jobs=1))
    return folder / "scraped.jsonl"


def test_invalid_values_are_flagged_and_kept(invalid_scrape: Path, standard) -> None:
    attributes = aggregate([invalid_scrape], standard, AggregateOptions(deidentified=frozenset({"odd-files"})))[
        "attributes"
    ]
    charsets = {e["value"]: e for e in attributes["00080005"]["examples"]}
    assert charsets["ISO_IR100"]["valid"] is False and "Specific Character Set" in charsets["ISO_IR100"]["problem"]
    assert list(charsets)[-1] == "ISO_IR100"  # ranked after the valid one
    names = attributes["00100010"]["examples"]
    unreadable = [e for e in names if "\ufffd" in e["value"]]
    assert unreadable and unreadable[0]["problem"] == UNDECODABLE and names[-1] is unreadable[0]
    assert attributes["00100010"]["invalid"] == 1


def test_withheld_values_still_show_that_they_are_invalid(invalid_scrape: Path, standard) -> None:
    names = aggregate([invalid_scrape], standard)["attributes"]["00100010"]["examples"]
    assert [(e["value"], e["withheld"], e["problem"]) for e in names] == [
        (None, WITHHELD, None),
        (None, WITHHELD, UNDECODABLE),
    ]
    assert "ller" not in json.dumps(names)
