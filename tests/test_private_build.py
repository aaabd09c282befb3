"""The default datasets plus private copies of the embedded corpora, with identifying values planted in every VR
and in folder names, built in one step: none of the planted values reaches any output.

Private means declared neither de-identified nor public. The copies get new instance UIDs (else they would be
copies of the public files, passed over); a verbatim copy of the character set files checks that the public
dataset keeps its files when a private one holds copies of them.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from typer.testing import CliRunner

from dicomref.aggregate.privacy import CODED_AND_NUMERIC_VRS, may_show
from dicomref.aggregate.report import BREAKDOWNS, FORMATS, render_coverage
from dicomref.cli import app
from dicomref.datasets import load_manifest
from dicomref.formats.aggregate import load_aggregate
from dicomref.formats.unreadable import unreadable_path
from dicomref.search import INDEX_DIR, open_index, search
from dicomref.standard import Standard
from dicomref.standard.describe import describe
from tests.conftest import CORPORA, MANIFEST, Build

runner = CliRunner()
PYDICOM_FILES = Path(get_testdata_file("CT_small.dcm")).parent
CHARSET_FILES = PYDICOM_FILES.parent / "charset_files"
# Folder names that name a patient, a scanner and a date: only paths could carry them out.
FOLDERS = ("Zebedee_Quokkaplanted", "Galan3T_18991231")
FOLDER_SECRETS = ("Zebedee", "Quokkaplanted", "Galan3T", "18991231")
# Values that identify (or stand for what does), one per VR that carries text.
TEXT_VALUES = {
    "AE": "QUOKKA_AE7731",
    "AS": "099W",
    "CS": "QUOKKACS7731",
    "DA": "18991230",
    "DS": "8472.913",
    "DT": "18991230235959.9",
    "IS": "-8472913",
    "LO": "Quokkaplanted LO Zebedee",
    "LT": "Quokkaplanted LT Zebedee",
    "PN": "Quokkaplanted^Zebedee",
    "SH": "QuokkaSH7731",
    "ST": "Quokkaplanted ST Zebedee",
    "TM": "235959.8472",
    "UC": "Quokkaplanted UC Zebedee",
    "UI": "1.2.826.0.1.3680043.8.498.77318472913",
    "UR": "https://quokkaplanted.example/zebedee",
    "UT": "Quokkaplanted UT Zebedee",
}
NUMBER_VALUES = {"US": 58472, "UL": 3584729137, "SS": -28472, "SL": -284729137, "FL": 8472.5, "FD": 84729.125}
# Attributes outside the 2020 Basic Profile table that still identify: dates, machine and application names.
NAMED = {
    "00321000": "DA",  # Scheduled Study Start Date
    "00402004": "DA",  # Issue Date of Imaging Service Request
    "00189074": "DT",  # Frame Acquisition DateTime
    "30020020": "SH",  # Radiation Machine Name
    "00020016": "AE",  # Source Application Entity Title
    "00187006": "LT",  # Detector Description
    "00181078": "DT",  # Radiopharmaceutical Start DateTime
    "00081010": "SH",  # Station Name
}
NESTED_MEANING = "Quokkaplanted nested meaning"  # Code Meaning inside Procedure Code Sequence
NESTED_DATE = "18991229"  # inside Request Attributes Sequence (Basic Profile)
PER_VR = 3  # attributes planted per VR
MAKE = "Planted Scanner Works"  # a manufacturer identifies nobody: shown, with a series label as its provenance


@dataclass(frozen=True)
class Planted:
    values: dict[str, tuple[str, object]]  # tag -> (VR, value) set in every private file
    allowed_vrs: tuple[str, ...]  # VRs every attribute of which may be shown: nothing identifying to plant there

    @property
    def secrets(self) -> list[str]:
        """Text that must appear nowhere: every planted value (numbers as written), folder names, nested values."""
        shown = {str(v) if not isinstance(v, float) else repr(v) for _, v in self.values.values()}
        return sorted({*shown, *FOLDER_SECRETS, NESTED_MEANING, NESTED_DATE, "77318472913", "Quokkaplanted"})


def plan(standard: Standard) -> Planted:
    """Per VR, the first few attributes that may not be shown from a private dataset, plus the named ones."""
    values: dict[str, tuple[str, object]] = {key: (vr, TEXT_VALUES[vr]) for key, vr in NAMED.items()}
    allowed: set[str] = set()
    by_vr: dict[str, list[str]] = {}
    for entry in standard.dictionary:
        vr = entry.vr
        if vr not in TEXT_VALUES and vr not in NUMBER_VALUES:
            continue
        if may_show(entry.tag, vr, standard.identifying):
            continue
        if "x" in entry.tag or entry.tag.startswith(("0000", "0002", "FFFE")):
            continue  # repeating groups, commands and the file meta are no place for a dataset's values
        by_vr.setdefault(vr, []).append(entry.tag)
    for vr in sorted({*TEXT_VALUES, *NUMBER_VALUES}):
        tags = by_vr.get(vr, [])
        if not tags:
            allowed.add(vr)
        for tag in tags[:PER_VR]:
            values.setdefault(tag, (vr, TEXT_VALUES.get(vr, NUMBER_VALUES.get(vr))))
    return Planted(values, tuple(sorted(allowed)))


def plant(source: Path, target: Path, planted: Planted, number: int) -> bool:
    """A private copy of a real file with the planted values and a new instance UID; False when pydicom cannot
    rewrite it."""
    try:
        ds = pydicom.dcmread(source)
        if "SOPInstanceUID" not in ds:
            return False
        for tag, (vr, value) in planted.values.items():
            (ds.file_meta if tag.startswith("0002") else ds).add_new(Tag(int(tag, 16)), vr, value)
        meaning = Dataset()
        meaning.CodeValue, meaning.CodingSchemeDesignator, meaning.CodeMeaning = "P1", "99PLANT", NESTED_MEANING
        ds.ProcedureCodeSequence = [meaning]
        request = Dataset()
        request.ScheduledProcedureStepStartDate = NESTED_DATE
        ds.RequestAttributesSequence = [request]
        ds.Manufacturer = MAKE
        uid = f"1.2.826.0.1.3680043.8.498.5{number:010d}"
        ds.SOPInstanceUID = uid
        if ds.get("file_meta") is not None and "MediaStorageSOPInstanceUID" in ds.file_meta:
            ds.file_meta.MediaStorageSOPInstanceUID = uid
        target.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(target)
    except Exception:  # damaged, deflated or otherwise not rewritable test files: not copied
        target.unlink(missing_ok=True)
        return False
    return True


def private_copy(source: Path, root: Path, planted: Planted, start: int, per_folder: int | None = None) -> int:
    """Planted copies of the files under `source` (the first `per_folder` of each folder, enough when only the
    first file of a series is read)."""
    count = 0
    files = sorted(p for p in source.rglob("*") if p.is_file())
    if per_folder is not None:
        files = [p for p in files if sorted(p.parent.iterdir()).index(p) < per_folder]
    for index, path in enumerate(files):
        count += plant(path, root.joinpath(*FOLDERS, path.relative_to(source)), planted, start + index)
    return count


@dataclass(frozen=True)
class PrivateBuild:
    folder: Path
    planted: Planted
    copies: dict[str, int]  # private dataset -> planted files written

    @property
    def aggregate(self) -> Path:
        return self.folder / "aggregate.json"

    @property
    def site(self) -> Path:
        return self.folder / "site"


PRIVATE = ("clinic-ct", "clinic-mr", "mirror")


@pytest.fixture(scope="module")
def private_build(tmp_path_factory: pytest.TempPathFactory, standard: Standard, default_build: Build) -> PrivateBuild:
    """One `dicomref build` of the default datasets and the private ones. It resumes from the default build's
    scraped records (the same files at the same paths), so only the private datasets are read in full."""
    folder = tmp_path_factory.mktemp("private-build")
    planted = plan(standard)
    copies = {"clinic-ct": private_copy(PYDICOM_FILES, folder / "clinic-ct", planted, 0)}
    if CORPORA.is_dir():
        copies["clinic-mr"] = private_copy(
            CORPORA / "transfer-syntaxes", folder / "clinic-mr" / "ts", planted, 100_000
        ) + private_copy(CORPORA / "siemens-xa30", folder / "clinic-mr" / "xa30", planted, 200_000, per_folder=2)
    shutil.copytree(CHARSET_FILES, folder / "mirror" / "Zebedee_Quokkaplanted")  # verbatim copies
    defaults = "\n".join(line for line in MANIFEST.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    mine = "".join(
        f'\n[[dataset]]\nname = "{name}"\npath = "{name}"\ndescription = "Exports of our own."\n'
        for name in ("mirror", *copies)  # first in the manifest: only its privacy may rank it below the charset files
    )
    manifest = folder / "datasets.toml"
    manifest.write_text(mine + "\n" + defaults + "\n", encoding="utf-8")
    shutil.copy(default_build.scraped, folder / "scraped.jsonl")
    shutil.copy(default_build.unreadable, unreadable_path(folder / "scraped.jsonl"))
    result = runner.invoke(app, ["build", "--datasets", str(manifest), "--out", str(folder / "site"), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    return PrivateBuild(folder, planted, copies)


def test_the_premise_holds(private_build: PrivateBuild, standard: Standard) -> None:
    """Every planted value and folder name was scraped from the private copies, in every VR that carries text."""
    planted = private_build.planted
    assert private_build.copies["clinic-ct"] > 50
    scraped = (private_build.folder / "scraped.jsonl").read_text(encoding="utf-8")
    for secret in planted.secrets:
        assert secret in scraped, secret
    planted_vrs = {vr for vr, _ in planted.values.values()}
    assert planted_vrs | set(planted.allowed_vrs) == {*TEXT_VALUES, *NUMBER_VALUES}
    assert set(planted.allowed_vrs) <= CODED_AND_NUMERIC_VRS  # numbers outside the Basic Profile identify nobody
    assert {"DA", "DT", "TM", "PN", "AE", "LO", "LT", "SH", "ST", "UT", "UC", "UR", "UI", "CS", "DS", "IS", "US"} <= (
        planted_vrs
    )
    private = {
        d.name for d in load_manifest(private_build.folder / "datasets.toml") if not (d.public or d.deidentified)
    }
    assert private == {"mirror", *private_build.copies}


def published_files(build: PrivateBuild) -> list[Path]:
    """Every file a reader can see: the site (HTML, API, search index), the aggregate and the CLI's search index."""
    site = [p for p in build.site.rglob("*") if p.is_file()]
    index = [p for p in (build.folder / INDEX_DIR).rglob("*") if p.is_file()]
    return [build.aggregate, *site, *index]


def test_no_planted_value_is_published_anywhere(private_build: PrivateBuild) -> None:
    files = published_files(private_build)
    kinds = {p.suffix for p in files}
    assert {".html", ".json", ".js"} <= kinds and len(files) > 10_000
    secrets = [s.encode() for s in private_build.planted.secrets]
    lowered = [s.lower() for s in secrets]  # the Whoosh index keeps words in lower case
    for path in files:
        data = path.read_bytes()
        folded = data.lower()
        for secret, low in zip(secrets, lowered, strict=True):
            assert secret not in data and low not in folded, f"{secret!r} in {path}"
    planted = private_build.planted
    by_vr: dict[str, list[str]] = {}
    for tag, (vr, _) in sorted(planted.values.items()):
        by_vr.setdefault(vr, []).append(tag)
    print(f"planted in {private_build.copies} files of private datasets, and in the folders {'/'.join(FOLDERS)}:")
    for vr, tags in sorted(by_vr.items()):
        print(f"  {vr}: {', '.join(tags)} = {planted.values[tags[0]][1]!r}")
    print(f"  nested: Code Meaning {NESTED_MEANING!r}, Scheduled Procedure Step Start Date {NESTED_DATE!r}")
    print(f"  nothing identifying to plant (every attribute may be shown): {', '.join(planted.allowed_vrs)}")
    counts = {kind: sum(1 for p in files if p.suffix == kind) for kind in sorted(kinds)}
    print(f"looked for {len(secrets)} values in {len(files)} files: {counts}")


def test_no_planted_value_in_reports_show_or_search(private_build: PrivateBuild, standard: Standard) -> None:
    data = load_aggregate(private_build.aggregate)
    outputs = [
        render_coverage(data["coverage"], fmt, by) for fmt in FORMATS if fmt != "table" for by in (None, *BREAKDOWNS)
    ]
    for tag in private_build.planted.values:
        outputs.append(json.dumps(describe(standard, tag, data["attributes"]), ensure_ascii=False))
    show = runner.invoke(app, ["show", "0010,0010", "--aggregate", str(private_build.aggregate)])
    assert show.exit_code == 0 and "withheld" in show.output
    outputs.append(show.output)
    text = "\n".join(outputs)
    for secret in private_build.planted.secrets:
        assert secret not in text, secret
    folder = private_build.folder / INDEX_DIR
    index = open_index(folder, (folder / "fingerprint").read_text(encoding="utf-8").strip())
    assert index is not None
    for word in ("Quokkaplanted", "Zebedee", "QUOKKA_AE7731", "QuokkaSH7731", "18991230", "Galan3T"):
        assert search(index, word) == [], word
        result = runner.invoke(app, ["search", word, "--json", "--aggregate", str(private_build.aggregate)])
        assert result.exit_code == 0 and json.loads(result.output) == [], word


def test_private_examples_name_a_series_label_never_a_path(private_build: PrivateBuild) -> None:
    data = load_aggregate(private_build.aggregate)
    labels, private_examples = set(), 0
    for attribute in data["attributes"].values():
        for example in attribute["examples"]:
            file = example["file"]
            if file is None or file["dataset"] not in PRIVATE:
                continue
            private_examples += 1
            assert file["path"] is None and re.fullmatch(r"series-[0-9a-f]{12}", file["series"]), file
            labels.add(file["series"])
    assert private_examples > 100 and len(labels) > 5
    key = private_build.folder / "series-labels.key"
    assert key.stat().st_mode & 0o077 == 0 and not any(key.name in str(p) for p in published_files(private_build))
    (make,) = [e for e in data["attributes"]["00080070"]["examples"] if e["value"] == MAKE]
    assert make["file"]["dataset"] in PRIVATE and make["file"]["path"] is None
    page = (private_build.site / "attributes" / "00080070" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"clinic-(ct|mr), series-[0-9a-f]{12}", page)


def test_allowed_values_from_private_datasets_are_shown(private_build: PrivateBuild) -> None:
    """Coded and numeric values, registered UIDs and the equipment's make: shown with the private provenance."""
    attributes = load_aggregate(private_build.aggregate)["attributes"]
    for tag in ("00080060", "00280010", "00080016", "00080070"):  # Modality, Rows, SOP Class UID, Manufacturer
        assert any(
            "clinic-ct" in e["datasets"] and e["value"] and e["withheld"] is None for e in attributes[tag]["examples"]
        ), tag


def test_the_public_copy_of_an_instance_is_kept(private_build: PrivateBuild, default_build: Build) -> None:
    """The verbatim mirror of the character set files is passed over: pydicom-charset-files keeps all its files."""
    data = load_aggregate(private_build.aggregate)
    datasets = {d["name"]: d for d in data["datasets"]}
    default = {d["name"]: d for d in load_aggregate(default_build.aggregate)["datasets"]}
    charset = datasets["pydicom-charset-files"]
    assert charset == default["pydicom-charset-files"] and charset["scraped"] >= 14  # as if the mirror were absent
    assert datasets["mirror"]["scraped"] == 0  # each of its records (one per series) is a copy of a public one
    assert datasets["mirror"]["copies"] == charset["scraped"] + charset["copies"]
    by_dataset, before = data["coverage"]["by_dataset"], load_aggregate(default_build.aggregate)["coverage"]
    contributed = by_dataset["pydicom-charset-files"]["contributed"]
    assert contributed == before["by_dataset"]["pydicom-charset-files"]["contributed"] > 50
    assert by_dataset["mirror"]["copies"] == datasets["mirror"]["copies"]
    report = runner.invoke(app, ["coverage", "--aggregate", str(private_build.aggregate), "--by", "dataset"])
    assert report.exit_code == 0 and "Copies" in report.output
    csv = render_coverage(data["coverage"], "csv", "dataset")
    assert csv.splitlines()[0] == "Dataset,Series scraped,Entries contributed,Only from it,Copies passed over"
    assert f"mirror,0,0,0,{datasets['mirror']['copies']}" in csv
