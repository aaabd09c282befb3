"""Identifying values planted in a real DICOM file never reach aggregate.json or any file of the built site."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from dicomref.aggregate import AggregateOptions, aggregate
from dicomref.aggregate.privacy import (
    CODED_AND_NUMERIC_VRS,
    EQUIPMENT,
    PERSON_MEASURES,
    WITHHELD,
    WITHHELD_NESTED,
    WITHHELD_NOT_ALLOWED,
    WITHHELD_UID,
    PrivacyPolicy,
    may_show,
    shown_uid,
    uid_root,
    vr_parts,
)
from dicomref.formats.aggregate import load_aggregate
from dicomref.scrape import ScrapeInput
from tests.conftest import REPO, Build, run_pipeline

DATASET = "hospital-export"
PLANTED = {
    "PatientName": "Quokkaplanted^Zebedee",
    "PatientID": "PID-PLANTED-8472",
    "PatientBirthDate": "19230417",
    "InstitutionName": "Planted Memorial Hospital",
    "AccessionNumber": "ACC-PLANTED-5521",
}
NESTED_CODE = "PLANTEDCODE77"  # Code Value is not identifying, but here it sits inside Request Attributes Sequence
INSTANCE_UID = "1.2.826.0.1.3680043.8.498.99887766554433221100"
NESTED_DATE = "19230418"  # a date inside Request Attributes Sequence: withheld like any date there
SECRETS = [*PLANTED.values(), "Quokkaplanted", "Zebedee", NESTED_CODE, NESTED_DATE, "99887766554433221100"]
# Software identifiers of the file meta and, inside Icon Image Sequence (an identifying sequence), a code
# string and numbers: none of them identifies anyone, so they are shown as they are.
SOFTWARE = {"ImplementationClassUID": "1.2.826.0.1.3680043.8.498.1", "ImplementationVersionName": "PLANTKIT_31"}
ICON = {"PhotometricInterpretation": "PALETTE COLOR", "Rows": 7, "Columns": 9}


def plant(target: Path) -> None:
    """A real CT file from pydicom's test data, with identifying values set and saved under a new name."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for keyword, value in PLANTED.items():
        setattr(ds, keyword, value)
    code = Dataset()
    code.CodeValue = NESTED_CODE
    code.CodingSchemeDesignator = "99LOCAL"
    request = Dataset()
    request.RequestedProcedureCodeSequence = [code]
    request.ScheduledProcedureStepStartDate = NESTED_DATE
    ds.RequestAttributesSequence = [request]
    icon = Dataset()
    for keyword, value in ICON.items():
        setattr(icon, keyword, value)
    ds.IconImageSequence = [icon]
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = INSTANCE_UID
    for keyword, value in SOFTWARE.items():
        setattr(ds.file_meta, keyword, value)
    target.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(target)


@pytest.fixture(scope="module")
def planted_build(tmp_path_factory: pytest.TempPathFactory, small_standard) -> Build:
    folder = tmp_path_factory.mktemp("planted")
    plant(folder / DATASET / "scans" / "ct.dcm")
    return run_pipeline([ScrapeInput(DATASET, folder / DATASET)], folder, small_standard)


def test_the_premise_holds(standard, planted_build: Build) -> None:
    """The planted attributes are identifying, and the scrape did read them (so the next test means something)."""
    scraped = planted_build.scraped.read_text(encoding="utf-8")
    for keyword, value in PLANTED.items():
        assert standard.dictionary.by_keyword(keyword).tag in standard.identifying, keyword
        assert value in scraped, keyword
    assert NESTED_CODE in scraped and INSTANCE_UID in scraped
    assert "00080100" not in standard.identifying and "00400275" in standard.identifying


def test_no_planted_value_reaches_the_aggregate_or_any_site_file(planted_build: Build) -> None:
    published = [planted_build.aggregate, *(p for p in planted_build.site.rglob("*") if p.is_file())]
    assert len(published) > 1000
    for path in published:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret} in {path}"


def test_withheld_values_say_why(standard, planted_build: Build) -> None:
    attributes = load_aggregate(planted_build.aggregate)["attributes"]
    for keyword in PLANTED:
        (example,) = attributes[standard.dictionary.by_keyword(keyword).tag]["examples"]
        assert example["value"] is None and example["withheld"] == WITHHELD and example["length"] is None
    (code,) = attributes["00080100"]["examples"]
    assert code["value"] is None and code["withheld"] == WITHHELD_NESTED
    (instance,) = attributes["00080018"]["examples"]
    assert instance["value"] is None and instance["withheld"] == WITHHELD
    assert (
        attributes["00080016"]["examples"][0]["value"] == "1.2.840.10008.5.1.4.1.1.2"
    )  # a SOP Class UID identifies nobody
    page = (planted_build.site / "attributes" / "00100010" / "index.html").read_text(encoding="utf-8")
    assert "value withheld" in page


def test_software_identifiers_codes_and_numbers_are_shown(standard, planted_build: Build) -> None:
    """Never cut or withheld: the file meta's software identifiers, and code strings and numbers inside an
    identifying sequence (here Icon Image Sequence, whose text and dates would be withheld)."""
    attributes = aggregate([planted_build.scraped], standard)["attributes"]  # the whole dictionary
    assert "00880200" in standard.identifying
    for keyword, value in {**SOFTWARE, **ICON}.items():
        examples = attributes[standard.dictionary.by_keyword(keyword).tag]["examples"]
        assert any(e["value"] == str(value) and e["withheld"] is None for e in examples), keyword
    (date,) = attributes["00400002"]["examples"]
    assert date["value"] is None and date["withheld"] in {WITHHELD, WITHHELD_NESTED}


def test_public_datasets_do_not_open_others(planted_build: Build, standard) -> None:
    """Declaring other datasets public or de-identified publishes nothing more from one declared neither."""
    options = AggregateOptions(public=frozenset({"pydicom-test-files"}), deidentified=frozenset({"deid-data"}))
    text = json.dumps(aggregate([planted_build.scraped], standard, options), ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.mark.parametrize(
    "options",
    [
        AggregateOptions(include_identifying=True),
        AggregateOptions(deidentified=frozenset({DATASET})),
        AggregateOptions(public=frozenset({DATASET})),
    ],
    ids=["include-identifying", "declared-deidentified", "declared-public"],
)
def test_values_are_published_when_allowed(planted_build: Build, standard, options: AggregateOptions) -> None:
    text = json.dumps(aggregate([planted_build.scraped], standard, options), ensure_ascii=False)
    for secret in SECRETS:
        assert secret in text, secret


def test_uid_roots_keep_the_organisation_only() -> None:
    assert uid_root("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322") == "1.3.6.1.4.1.5962"
    assert uid_root("1.2.840.113619.2.55.3.604688119.969.1268071029.320") == "1.2.840.113619"
    assert uid_root("1.2.826.0.1.3680043.8.498.12345") == "1.2.826.0.1.3680043"
    assert uid_root("1.2.276.0.7230010.3.1.3.296485376.1.1521713419") == "1.2.276.0.7230010"
    assert uid_root("2.25.329800735698586629295641978511506172918") == "2.25"
    assert uid_root("1.2.3.20231231235959.77") == "1.2.3"  # a date-like component is never kept
    assert uid_root("1.2.392.200036.9116.2.5.1.48") == "1.2.392.200036"


def test_policy_judges_each_occurrence() -> None:
    policy = PrivacyPolicy(frozenset({"00100010", "00400275", "0020000E"}))
    assert policy.withheld("00100010", "PN", "Doe^Jane", ()) == WITHHELD
    assert policy.withheld("00100010", "PN", "", ()) is None  # an empty value identifies nobody
    assert policy.withheld("00080100", "SH", "T-1234", ("00400275",)) == WITHHELD_NESTED
    assert policy.withheld("00080100", "SH", "T-1234", ("00081032",)) == WITHHELD_NOT_ALLOWED  # free text
    assert policy.withheld("00081150", "UI", "1.2.840.10008.5.1.4.1.1.2", ()) is None
    assert policy.withheld("00081150", "UI", "1.2.840.113619.2.5\\1.2.840.10008.1.2", ()) == WITHHELD_UID
    assert policy.withheld("0020000E", "UI", "1.2.840.113619.2.5", ()) == WITHHELD
    for key, vr, value in (
        ("00321000", "DA", "20191203"),  # Scheduled Study Start Date: outside the 2020 profile table
        ("00189074", "DT", "20191203101010"),  # Frame Acquisition DateTime
        ("30020020", "SH", "TrueBeam1309"),  # Radiation Machine Name
        ("00020016", "AE", "PACS_AE"),  # Source Application Entity Title
        ("00187006", "LT", "detector SN 4711"),  # Detector Description
        ("00082111", "ST", "from 1.2.276.0.7230010.3.1.4.12"),
    ):
        assert policy.withheld(key, vr, value, ()) == WITHHELD_NOT_ALLOWED, key
    assert policy.withheld("00280030", "DS", "0.5\\0.5", ()) is None
    assert policy.withheld("00101022", "DS", "24.2", ()) == WITHHELD  # a measure of the person


def test_refined_rules_inside_identifying_sequences_and_for_equipment() -> None:
    policy = PrivacyPolicy(frozenset({"00100010", "00880200"}))
    icon = ("00880200",)
    assert policy.withheld("00280004", "CS", "MONOCHROME2", icon) is None
    assert policy.withheld("00280010", "US", "64", icon) is None
    assert policy.withheld("00281050", "DS", "40", icon) is None
    for vr, value in (("LO", "Planted"), ("PN", "Doe^Jane"), ("DA", "20200101"), ("TM", "101010"), ("SH", "X")):
        assert policy.withheld("00081030", vr, value, icon) == WITHHELD_NESTED, vr
    assert policy.withheld("00080070", "LO", "SIEMENS", icon) == WITHHELD_NESTED
    assert policy.withheld("00080018", "UI", "1.2.840.113619.2.5.6", icon) == WITHHELD_UID
    assert policy.withheld("00020012", "UI", "1.2.826.0.1.3680043.8.498.1", ()) is None
    assert policy.withheld("00020013", "SH", "PLANTKIT_31", ()) is None
    assert policy.withheld("00080070", "LO", "SIEMENS", ()) is None
    assert policy.withheld("00181020", "LO", "syngo MR XA30", ()) is None
    assert policy.withheld("00181020", "LO", "build 1.2.826.0.1.3680043.8.498.5549034812", ()) == WITHHELD_NOT_ALLOWED
    assert PrivacyPolicy(frozenset(), public=frozenset({"pydicom"})).publishes_everything_from("pydicom")


def test_provenance_sop_classes_are_reduced_unless_standard() -> None:
    assert shown_uid("1.2.840.10008.5.1.4.1.1.2") == "1.2.840.10008.5.1.4.1.1.2"
    assert shown_uid("1.2.840.113619.4.30.20231231") == "1.2.840.113619.…"


# A value of each VR as files hold it, to judge every dictionary entry with.
SAMPLE_VALUES = {
    "AE": "PACS_AE", "AS": "042Y", "AT": "00100010", "CS": "ORIGINAL", "DA": "20191203", "DS": "2.5",
    "DT": "20191203101010", "FD": "1.5", "FL": "1.5", "IS": "12", "LO": "Some text", "LT": "Some text",
    "PN": "Doe^Jane", "SH": "Text", "SL": "-7", "SS": "-7", "ST": "Some text", "SV": "-7", "TM": "101010",
    "UC": "Some text", "UI": "1.2.840.113619.2.55.3.604688119", "UL": "7", "UR": "https://example.org/x",
    "US": "7", "UT": "Some text", "UV": "7",
}  # fmt: skip


def test_the_allow_list_over_the_whole_dictionary(standard) -> None:
    """Only codes, numbers, UIDs and the equipment's make, model and software are ever shown from a dataset declared
    neither; nothing of the Basic Profile, no date, time, name, AE title or free text; and the occurrence rule
    agrees with the list for every entry."""
    policy = PrivacyPolicy(standard.identifying)
    shown_vrs: set[str] = set()
    for entry in standard.dictionary:
        allowed = may_show(entry.tag, entry.vr, standard.identifying)
        parts = vr_parts(entry.vr) - {"OB", "OW"}
        if entry.tag in standard.identifying:
            assert not allowed, entry.keyword
        if allowed:
            shown_vrs |= parts
            assert parts <= CODED_AND_NUMERIC_VRS or parts == {"UI"} or entry.tag in EQUIPMENT, entry.keyword
        if not parts or not parts <= set(SAMPLE_VALUES):
            continue  # bulk data and sequences carry no value of their own
        for vr in sorted(parts):
            withheld = policy.withheld(entry.tag, vr, SAMPLE_VALUES[vr], ())
            if vr == "UI" and allowed and entry.tag not in EQUIPMENT:
                assert withheld == WITHHELD_UID, entry.keyword  # allowed only for UIDs the standard defines
                assert policy.withheld(entry.tag, vr, "1.2.840.10008.1.2.1", ()) is None, entry.keyword
            else:
                assert (withheld is None) == allowed, (entry.keyword, vr)
    assert shown_vrs <= CODED_AND_NUMERIC_VRS | {"UI", "LO", "SH"}
    assert shown_vrs.isdisjoint({"DA", "DT", "TM", "PN", "AE", "AS", "ST", "LT", "UT", "UC", "UR"})
    assert {standard.dictionary.get(key).vr for key in EQUIPMENT} == {"LO", "SH", "UI"}


def test_the_allow_list_is_the_one_documented() -> None:
    """docs/aggregate.md names every VR, equipment attribute and extra withheld attribute of privacy.py."""
    from pydicom.datadict import dictionary_description

    docs = (REPO / "docs" / "aggregate.md").read_text(encoding="utf-8")
    privacy = " ".join(docs[docs.index("**Privacy.**") : docs.index("**Memory.**")].split())
    listed = privacy[: privacy.index("Every other value is withheld")]
    assert set(re.findall(r"`([A-Z]{2})`", listed)) == CODED_AND_NUMERIC_VRS
    for key in sorted(EQUIPMENT | PERSON_MEASURES):
        assert dictionary_description(int(key, 16)) in listed, key
    for vr in ("DA", "TM", "DT", "PN", "AE", "AS", "LO", "SH", "ST", "LT", "UT", "UC", "UR"):
        assert f"`{vr}`" in privacy[privacy.index("Every other value is withheld") :], vr
