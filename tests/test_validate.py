"""The validator: compiled conditions, rules from the model, and one engine over files and scraped records."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import zipfile
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from typer.testing import CliRunner

from dicomref import urls
from dicomref.cli import app
from dicomref.scrape.extract import ExtractOptions, extract_elements
from dicomref.validate.conditions import All, AnyOf, NotEvaluated, NotRequiredByIod, compile_condition, from_json
from dicomref.validate.conditions import Test as Check
from dicomref.validate.engine import Validator
from dicomref.validate.view import from_dataset, from_record


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


def test_what_the_iod_requires_decides_patient_orientation(standard, validator):
    """ "Required if image does not require Image Orientation (Patient) and Image Position (Patient) or if image does
    not require Image Orientation (Slide)": required where the IOD requires neither, at any depth."""
    text = next(a for a in standard.modules["general-image"].attributes if a.tag == "00200020").description.text
    condition = compile_condition(text)
    assert condition == All((NotRequiredByIod(("00200037", "00200032")), NotRequiredByIod(("00480102",))))
    assert from_json(json.loads(json.dumps(condition.to_json()))) == condition
    iods = validator.rules.iods
    assert iods["ct-image"].requires == ("00200032", "00200037")  # the Image Plane Module
    assert iods["segmentation"].requires == ("00200032", "00200037")  # the Plane Orientation and Position groups
    assert "00480102" in iods["vl-whole-slide-microscopy-image"].requires
    assert iods["secondary-capture-image"].requires == ()  # its Image Plane Module is user optional
    for name, required in (("CT_small.dcm", False), ("SC_rgb.dcm", True)):
        dataset = pydicom.dcmread(get_testdata_file(name))
        dataset.pop(0x00200020, None)
        errors = _errors(validator.check(from_dataset(dataset, standard.dictionary.key_for)))
        assert (("missing", "00200020", ()) in errors) is required, name


def test_compiled_rules_are_plain_json(validator):
    rules = validator.rules
    assert rules.iod_of_sop_class["1.2.840.10008.5.1.4.1.1.2"] == "ct-image"
    module = json.loads(json.dumps(rules.modules["image-pixel"].to_json()))
    assert {"tag": "00280010", "path": [], "type": "1"}.items() <= module["rows"][2].items() or any(
        row["tag"] == "00280010" and row["type"] == "1" for row in module["rows"]
    )
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
    conditional = [
        f for f in validator.check(from_dataset(dataset, standard.dictionary.key_for)).findings if f.tag == "00281101"
    ]
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


runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sound CT file holding an MR attribute (Echo Time), as it is, gzipped and in a zip archive; an RT plan; a
    text file; a truncated file."""
    folder = tmp_path_factory.mktemp("validate")
    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    dataset.EchoTime = 12.5
    ct = folder / "ct.dcm"
    dataset.save_as(ct)
    (folder / "ct.dcm.gz").write_bytes(gzip.compress(ct.read_bytes()))
    with zipfile.ZipFile(folder / "study.zip", "w") as archive:
        archive.write(ct, "series/ct.dcm")
    shutil.copy(get_testdata_file("rtplan.dcm"), folder / "rtplan.dcm")
    shutil.copy(get_testdata_file("rtplan_truncated.dcm"), folder / "truncated.dcm")
    (folder / "notes.txt").write_text("not an image\n")
    return folder


def _json_lines(output: str) -> list[dict]:
    return [json.loads(row) for row in output.splitlines() if row.startswith("{")]


def test_json_lines_have_one_object_per_file_with_the_documented_keys(inputs: Path) -> None:
    result = runner.invoke(app, ["validate", str(inputs), "--json"])
    assert result.exit_code == 1  # the RT plan's file meta names another instance
    objects = {Path(o["path"]).name: o for o in _json_lines(result.stdout)}
    assert set(objects) == {"ct.dcm", "ct.dcm.gz", "notes.txt", "rtplan.dcm", "truncated.dcm"}
    assert {o["path"] for o in _json_lines(result.stdout)} >= {f"{inputs}/study.zip/series/ct.dcm"}
    ct = objects["ct.dcm.gz"]
    assert ct["iod"] == "ct-image" and ct["sop_class_uid"] == "1.2.840.10008.5.1.4.1.1.2"
    finding = next(f for f in ct["findings"] if f["code"] == "not-in-iod")
    assert {"severity", "code", "tag", "path", "module", "type", "message", "page"} <= set(finding)
    assert finding["tag"] == "00180081" and finding["page"] == urls.folder_url("attribute", "00180081")
    assert objects["notes.txt"]["problem"] == "not DICOM" and objects["notes.txt"]["iod"] is None
    assert objects["truncated.dcm"]["problem"].startswith("truncated in")


def test_exit_codes_and_one_line_per_problem(inputs: Path) -> None:
    sound = runner.invoke(app, ["validate", str(inputs / "ct.dcm"), str(inputs / "study.zip")])
    assert sound.exit_code == 0, sound.output
    assert "warning not-in-iod Echo Time (0018,0081)" in sound.stdout
    assert " info " not in sound.stdout
    with_info = runner.invoke(app, ["validate", str(inputs / "ct.dcm"), "--info"])
    assert "info condition" in with_info.stdout and "condition not evaluated: Required if" in with_info.stdout
    errors = runner.invoke(app, ["validate", str(inputs / "rtplan.dcm")])
    assert errors.exit_code == 1
    assert "error meta Media Storage SOP Instance UID (0002,0003)" in errors.stdout
    nothing = runner.invoke(app, ["validate", str(inputs / "notes.txt"), str(inputs / "truncated.dcm")])
    assert nothing.exit_code == 2
    lines = [line for line in nothing.stderr.splitlines() if "not checked:" in line]
    assert len(lines) == 2 and "Traceback" not in nothing.output


def test_first_per_series_checks_one_file_of_each_series(inputs: Path) -> None:
    every = _json_lines(runner.invoke(app, ["validate", str(inputs), "--json"]).stdout)
    first = _json_lines(runner.invoke(app, ["validate", str(inputs), "--json", "--first-per-series"]).stdout)
    assert sum(o["iod"] == "ct-image" for o in every) == 3
    assert sum(o["iod"] == "ct-image" for o in first) == 1


def test_an_implicit_vr_element_has_the_dictionarys_vr(validator) -> None:
    """Read without a VR, Pixel Data is 'OB or OW', as the dictionary gives it: no mismatch."""
    from dicomref.validate.files import check_paths

    (checked,) = check_paths([Path(get_testdata_file("MR_small_implicit.dcm"))], validator)
    assert checked.report is not None and checked.report.iod == "mr-image"
    assert [f.message for f in checked.report.findings if f.code == "vr" and f.tag == "7FE00010"] == []


def test_a_value_running_to_the_end_of_the_file_is_truncated(validator) -> None:
    """pydicom keeps no element of a file whose encapsulated pixel data has no delimiter: not checked."""
    from dicomref.validate.files import UNTERMINATED, check_paths

    path = Path(get_testdata_file("emri_small_jpeg_2k_lossless_too_short.dcm"))
    (checked,) = check_paths([path], validator)
    assert checked.report is None and checked.problem == UNTERMINATED
    assert checked.to_json() == {"path": str(path), "sop_class_uid": None, "iod": None, "problem": UNTERMINATED,
                                 "findings": []}


def test_a_deferred_value_past_the_end_of_the_file_is_truncated(validator, tmp_path: Path) -> None:
    """A value too long to be read (over 1 MiB) whose length runs past the end: truncated, not checked."""
    from dicomref.validate.files import check_paths
    from tests.hostile_dicom import hostile_files

    (checked,) = check_paths([hostile_files(tmp_path)["huge-length.dcm"]], validator)
    assert checked.report is None and checked.problem == "truncated in (7FE0,0010)"


def test_worker_processes_give_the_output_of_one_process(inputs: Path) -> None:
    """Files shared out to forked workers are reported in walk order, with the same findings and summary."""
    files = [str(inputs), get_testdata_file("MR_small.dcm"), str(Path(get_testdata_file("CT_small.dcm")).parent)]
    for options in (["--json"], ["--info"], ["--json", "--first-per-series"]):
        one = runner.invoke(app, ["validate", *files, *options, "--jobs", "1"])
        two = runner.invoke(app, ["validate", *files, *options, "--jobs", "2"])
        assert one.stdout.count("\n") > 50
        assert (two.exit_code, two.stdout, two.stderr) == (one.exit_code, one.stdout, one.stderr)


def _squares(indexes):
    for index in indexes:
        if index == 7:
            raise ValueError("seven")
        if index == 9:
            os._exit(3)  # a worker that dies without a word
        yield index, index * index


def test_results_of_worker_processes_come_in_order_and_their_failures_are_raised() -> None:
    from dicomref.errors import DicomrefError
    from dicomref.forked import in_order

    assert list(in_order(_squares, 7, 3)) == [n * n for n in range(7)] == list(in_order(_squares, 7, 1))
    with pytest.raises(ValueError, match="seven"):
        list(in_order(_squares, 8, 2))
    with pytest.raises(DicomrefError, match="ended before its work was done"):
        list(in_order(lambda indexes: _squares(i for i in indexes if i != 7), 10, 2))
