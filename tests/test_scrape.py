"""The scrape stage over real files: the series pydicom finds, one file read per series, records as the
README specifies them, compressed inputs read in place, and one-line errors for bad input."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import deid_data
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from typer.testing import CliRunner

from dicomref.cli import app
from dicomref.errors import DicomrefError
from dicomref.formats.scraped import ScrapedRecord, read_records
from dicomref.formats.unreadable import FILENAME as UNREADABLE_CSV
from dicomref.formats.unreadable import read_unreadable, unreadable_path
from dicomref.scrape import ExtractOptions, ScrapeInput, ScrapeOptions, scrape
from dicomref.scrape.extract import value_text
from dicomref.scrape.workers import Workers
from tests.conftest import manifest_inputs
from tests.pydicom_reference import UNREADABLE, pydicom_series_uid

REPO = Path(__file__).resolve().parents[1]
CT_SMALL = Path(get_testdata_file("CT_small.dcm"))
MR_SMALL = Path(get_testdata_file("MR_small.dcm"))
DEID_DATA = Path(deid_data.__file__).parent / "data"
runner = CliRunner()


def records(out: Path) -> list[ScrapedRecord]:
    return list(read_records(out))


def unreadable(csv_path: Path) -> dict[str, str]:
    assert csv_path.read_text(encoding="utf-8").startswith("path,reason\n")
    return dict(read_unreadable(csv_path))


def top_level(record: dict) -> dict[str, dict]:
    return {element["tag"]: element for element in record["elements"] if not element["path"]}


def scrape_cli(*args: str) -> object:
    result = runner.invoke(app, ["scrape", *args])
    assert result.exit_code == 0, result.output
    return result


def derived(folder: Path, name: str, change: Callable[[Dataset], None], source: Path = CT_SMALL) -> Path:
    """A copy of a real file with `change` applied, in its own series unless `change` says otherwise."""
    dataset = pydicom.dcmread(source)
    dataset.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[name])
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns of the out-of-range values some tests write
        change(dataset)
        dataset.save_as(folder / name)
    return folder / name


def folder_of(folder: Path, **files: Path) -> Path:
    """A new folder holding copies of real files under the given names."""
    folder.mkdir(parents=True)
    for name, source in files.items():
        shutil.copy(source, folder / name)
    return folder


def walk_order(root: Path) -> list[Path]:
    """Files in the order the scrape meets them: folder by folder, names sorted."""
    return sorted((path for path in root.rglob("*") if path.is_file()), key=lambda path: path.relative_to(root).parts)


# Done when 1 ----------------------------------------------------------------------------


@pytest.mark.corpora
def test_corpora_give_exactly_the_series_pydicom_finds(corpora: Path, tmp_path: Path) -> None:
    roots = [corpora / "siemens-xa30", corpora / "transfer-syntaxes"]
    out = tmp_path / "scraped.jsonl"
    result = scrape_cli(*map(str, roots), "--out", str(out))

    series: dict[tuple[str, str], list[str]] = {}
    not_dicom = set()
    for root in roots:
        for path in walk_order(root):
            relative = path.relative_to(root).as_posix()
            uid = pydicom_series_uid(path)
            if uid == UNREADABLE:
                not_dicom.add(f"{root.name}/{relative}")
            else:
                series.setdefault((root.name, uid or f"path:{relative}"), []).append(relative)

    found = records(out)
    keys = [
        (r["source"]["dataset"], r["source"]["series_instance_uid"] or "path:" + r["source"]["path"]) for r in found
    ]
    assert sorted(keys) == sorted(series)  # every series once, no other
    for key, record in zip(keys, found, strict=True):
        assert record["source"]["path"] == series[key][0]  # the first file of the series
        assert record["source"]["series_files"] == len(series[key])
    rows = unreadable(tmp_path / UNREADABLE_CSV)
    assert rows["siemens-xa30/XA_validation.pdf"] == "not DICOM"
    assert set(rows) == not_dicom
    assert f"{len(series)} series" in result.output and "files seen" in result.output
    print(
        f"\n{sum(len(paths) for paths in series.values())} DICOM files, {len(series)} series, "
        f"{len(not_dicom)} not DICOM"
    )


# Done when 3 ----------------------------------------------------------------------------


def test_ct_small_record(tmp_path: Path) -> None:
    out = tmp_path / "scraped.jsonl"
    summary = scrape([ScrapeInput("pydicom", CT_SMALL)], out, ScrapeOptions(jobs=1))
    assert (summary.files_seen, summary.dicom_files, summary.series, summary.scraped, summary.unreadable) == (
        1,
        1,
        1,
        1,
        0,
    )
    (record,) = records(out)
    reference = pydicom.dcmread(CT_SMALL)
    elements = record["elements"]
    top = top_level(record)

    assert top["00180050"]["value"] == str(reference.SliceThickness) == "5.000000"
    nested = [e for e in elements if e["path"]]
    assert {e["tag"] for e in nested} >= {"00100020", "00100022"}  # Patient ID, Type of Patient ID
    assert all(e["path"] == ["00101002"] for e in nested)  # inside Other Patient IDs Sequence
    inner = [item.PatientID for item in reference.OtherPatientIDsSequence]
    assert [e["value"] for e in nested if e["tag"] == "00100020"] == inner
    assert not [e for e in elements if int(e["tag"][:4], 16) % 2]  # no private tag
    assert not [e for e in elements if e["vr"] in {"OB", "SQ"}]  # no OB value, no SQ element
    assert "00020001" not in top  # File Meta Information Version is OB
    assert top["7FE00010"] == {
        "tag": "7FE00010",
        "vr": "OW",
        "length": len(reference.PixelData),
        "truncated": False,
        "path": [],
    }
    assert record["source"] == {
        "dataset": "pydicom",
        "path": "CT_small.dcm",
        "series_instance_uid": reference.SeriesInstanceUID,
        "series_files": 1,
        "sop_class_uid": reference.SOPClassUID,
        "modality": "CT",
        "transfer_syntax_uid": reference.file_meta.TransferSyntaxUID,
        "manufacturer": reference.Manufacturer,
        "size": CT_SMALL.stat().st_size,
        "skipped": [],
        "damage": [],
    }


@pytest.fixture(scope="module")
def default_scrape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manifest's datasets (pip-installed real files) scraped by two workers."""
    out = tmp_path_factory.mktemp("default") / "scraped.jsonl"
    scrape(manifest_inputs(), out, ScrapeOptions(jobs=2))
    return out


def test_every_file_pydicom_reads_is_in_a_scraped_series(default_scrape: Path) -> None:
    found = records(default_scrape)
    scraped = {
        (r["source"]["dataset"], r["source"]["series_instance_uid"] or "path:" + r["source"]["path"]) for r in found
    }
    listed = unreadable(unreadable_path(default_scrape))
    files = 0
    for item in manifest_inputs():
        for path in walk_order(item.root):
            relative = path.relative_to(item.root).as_posix()
            uid = pydicom_series_uid(path)
            if uid == UNREADABLE or path.suffix in {".zip", ".gz"}:
                continue
            files += 1
            assert (item.name, uid or f"path:{relative}") in scraped, relative
            assert f"{item.name}/{relative}" not in listed
    assert len(found) == len(scraped) and files > 200
    assert set(listed.values()) == {"not DICOM"}


def test_every_value_agrees_with_pydicom_on_the_default_datasets(default_scrape: Path) -> None:
    """Each scraped text is what pydicom reads for that element, formatted as DICOM writes it."""
    roots = {item.name: item.root for item in manifest_inputs()}
    compared = 0
    for record in records(default_scrape):
        source = record["source"]
        if ".zip/" in source["path"] or source["path"].endswith(".gz"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(roots[source["dataset"]] / source["path"], stop_before_pixels=True, force=True)
            for tag, element in top_level(record).items():
                if "value" not in element or element["vr"] == "UN" or tag.startswith("0002"):
                    continue
                expected = value_text(dataset[int(tag, 16)])
                # pydicom drops a PN's trailing empty groups ('Wang^XiaoDong=王^小東='); the scrape keeps them.
                value = element["value"].rstrip("=") if element["vr"] == "PN" else element["value"]
                length = element["length"] - (len(element["value"]) - len(value))
                assert value == expected[:64] and length == len(expected), (source["path"], tag)
                compared += 1
    assert compared > 4000


# Values ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def values_record(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One real file carrying every kind of value the README describes."""
    folder = tmp_path_factory.mktemp("values")

    def change(dataset: Dataset) -> None:
        dataset.ImagePositionPatient = ["-1.50", "2", "3.0E1"]  # DS as written, not as floats
        dataset.InstanceNumber = "007"  # IS as written
        dataset.add_new(0x00209165, "AT", [0x00100010, 0x7FE00010])  # Dimension Index Pointer
        dataset.OtherPatientNames = ["Doe^John^^Dr", "Roe^Jane"]
        dataset.AcquisitionMatrix = [0, 256, 256, 0]  # US, 4 values
        dataset.add_new(0x00189087, "FD", 1000.25)  # Diffusion b-value
        dataset.add_new(0x00089459, "FL", 0.1)  # Recommended Display Frame Rate in Float
        dataset.add_new(0x00281201, "OW", b"\x01\x02" * 300)  # Red Palette LUT Data: bulk
        dataset.StudyDescription = "x" * 100
        dataset.ContentDate = "20240131"

    path = derived(folder, "values.dcm", change)
    out = folder / "scraped.jsonl"
    scrape([ScrapeInput("values", path)], out, ScrapeOptions(jobs=1))
    return records(out)[0]


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        ("00200032", "-1.50\\2\\3.0E1"),
        ("00200013", "007"),
        ("00209165", "(0010,0010)\\(7FE0,0010)"),
        ("00101001", "Doe^John^^Dr\\Roe^Jane"),
        ("00181310", "0\\256\\256\\0"),
        ("00189087", "1000.25"),
        ("00089459", "0.1"),
        ("00280120", "-2000"),  # SS Pixel Padding Value
        ("00080023", "20240131"),
    ],
)
def test_values_are_written_as_dicom_writes_them(values_record: dict, tag: str, value: str) -> None:
    element = top_level(values_record)[tag]
    assert element["value"] == value and element["length"] == len(value) and not element["truncated"]


def test_long_values_are_cut_with_their_length(values_record: dict) -> None:
    element = top_level(values_record)["00081030"]
    assert element == {"tag": "00081030", "vr": "LO", "value": "x" * 64, "length": 100, "truncated": True, "path": []}


def test_bulk_values_keep_only_vr_and_length(values_record: dict) -> None:
    assert top_level(values_record)["00281201"] == {
        "tag": "00281201",
        "vr": "OW",
        "length": 600,
        "truncated": False,
        "path": [],
    }


def test_max_length_exclude_and_top_level_only(tmp_path: Path) -> None:
    out = tmp_path / "scraped.jsonl"
    scrape_cli(
        str(CT_SMALL),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--max-length",
        "4",
        "--exclude",
        "SliceThickness",
        "--exclude",
        "(0010,0020)",
        "--top-level-only",
    )
    (record,) = records(out)
    tags = {e["tag"] for e in record["elements"]}
    assert "00180050" not in tags and "00100020" not in tags
    assert not [e for e in record["elements"] if e["path"]]
    assert top_level(record)["00080060"]["value"] == "CT"
    assert top_level(record)["00080016"] == {**top_level(record)["00080016"], "truncated": True, "length": 25}
    assert max(len(e.get("value", "")) for e in record["elements"]) == 4


def test_exclude_names_an_unknown_attribute_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["scrape", str(CT_SMALL), "--out", str(tmp_path / "s.jsonl"), "--exclude", "NoSuchKeyword"]
    )
    assert result.exit_code == 2 and "unknown attribute" in result.output and "Traceback" not in result.output


def test_one_file_per_series_unless_all_files(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "series", **{"c.dcm": CT_SMALL, "a.dcm": CT_SMALL, "b.dcm": CT_SMALL})
    scrape_cli(str(folder), "--out", str(tmp_path / "first.jsonl"), "--jobs", "1")
    (record,) = records(tmp_path / "first.jsonl")
    assert (record["source"]["path"], record["source"]["series_files"]) == ("a.dcm", 3)

    result = scrape_cli(str(folder), "--out", str(tmp_path / "all.jsonl"), "--jobs", "2", "--all-files")
    every = records(tmp_path / "all.jsonl")
    assert [r["source"]["path"] for r in every] == ["a.dcm", "b.dcm", "c.dcm"]
    assert {r["source"]["series_files"] for r in every} == {1}
    assert [r["elements"] for r in every] == [record["elements"]] * 3
    assert "3 DICOM · 1 series · 3 scraped" in result.output


# Character sets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "name"),
    [
        ("ISO_IR 192", "Müller^Jörg"),
        ("ISO_IR 100", "Buc^Jérôme"),
        (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        (["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동"),
    ],
    ids=["utf-8", "latin-1", "japanese", "korean"],
)
def test_text_is_decoded_with_the_specific_character_set(tmp_path: Path, charset: str | list[str], name: str) -> None:
    def change(dataset: Dataset) -> None:
        dataset.SpecificCharacterSet = charset
        dataset.PatientName = name
        dataset.OtherPatientIDsSequence[0].IssuerOfPatientID = name.split("=")[0]

    path = derived(tmp_path, "charset.dcm", change)
    out = tmp_path / "scraped.jsonl"
    scrape([ScrapeInput("charsets", path)], out, ScrapeOptions(jobs=1))
    (record,) = records(out)
    assert top_level(record)["00100010"]["value"] == str(pydicom.dcmread(path).PatientName) == name
    assert [e["value"] for e in record["elements"] if e["tag"] == "00100021" and e["path"]] == [name.split("=")[0]]


def test_unknown_character_sets_and_undecodable_bytes_cost_no_file(tmp_path: Path) -> None:
    def unknown(dataset: Dataset) -> None:
        dataset.SpecificCharacterSet = "ISO_IR 999"
        dataset.add_new(0x00081030, "LO", b"Caf\xe9")

    def undecodable(dataset: Dataset) -> None:
        dataset.SpecificCharacterSet = "ISO_IR 192"
        dataset.add_new(0x00081030, "LO", b"Caf\xff\xfe")
        dataset.add_new(0x00100010, "PN", b"Do\xc3e^J\xff")

    derived(tmp_path / "files", "unknown.dcm", unknown)
    derived(tmp_path / "files", "undecodable.dcm", undecodable)
    out = tmp_path / "scraped.jsonl"
    summary = scrape([ScrapeInput("charsets", tmp_path / "files")], out, ScrapeOptions(jobs=1))
    assert summary.scraped == 2 and summary.unreadable == 0
    undecodable_record, unknown_record = records(out)
    assert top_level(unknown_record)["00081030"]["value"] == "Café"  # the default repertoire, as pydicom falls back
    assert top_level(undecodable_record)["00081030"]["value"].startswith("Caf\ufffd")
    assert "\ufffd" in top_level(undecodable_record)["00100010"]["value"]
    assert len(top_level(undecodable_record)) == len(top_level(unknown_record))


# Inputs ---------------------------------------------------------------------------------


def test_gzip_and_zip_are_read_in_place(tmp_path: Path) -> None:
    plain = folder_of(tmp_path / "plain", **{"ct.dcm": CT_SMALL, "mr.dcm": MR_SMALL})
    packed = folder_of(tmp_path / "packed")
    (packed / "ct.dcm.gz").write_bytes(gzip.compress(CT_SMALL.read_bytes()))
    with zipfile.ZipFile(packed / "download.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(MR_SMALL, "study/series/mr.dcm")
        archive.writestr("study/README.txt", "not an image")
    before = sorted(path.name for path in packed.rglob("*"))
    scrape([ScrapeInput("x", plain)], tmp_path / "plain.jsonl", ScrapeOptions(jobs=1))
    scrape([ScrapeInput("x", packed)], tmp_path / "packed.jsonl", ScrapeOptions(jobs=2))
    assert sorted(path.name for path in packed.rglob("*")) == before  # nothing unpacked to disk
    from_plain, from_packed = records(tmp_path / "plain.jsonl"), records(tmp_path / "packed.jsonl")
    assert [r["source"]["path"] for r in from_packed] == ["ct.dcm.gz", "download.zip/study/series/mr.dcm"]
    assert [r["elements"] for r in from_packed] == [r["elements"] for r in from_plain]
    assert from_packed[1]["source"]["size"] == MR_SMALL.stat().st_size
    assert unreadable(tmp_path / UNREADABLE_CSV) == {"x/download.zip/study/README.txt": "not DICOM"}


def test_deid_data_zip_archives_are_scraped_in_place(tmp_path: Path) -> None:
    out = tmp_path / "scraped.jsonl"
    scrape([ScrapeInput("deid", DEID_DATA / "ultrasounds")], out, ScrapeOptions(jobs=2))
    paths = {r["source"]["path"]: r for r in records(out)}
    with zipfile.ZipFile(DEID_DATA / "ultrasounds" / "RGB_CINE.zip") as archive, archive.open("RGB_CINE.dcm") as stream:
        expected = pydicom.dcmread(stream, stop_before_pixels=True)
    record = paths["RGB_CINE.zip/RGB_CINE.dcm"]
    assert record["source"]["series_instance_uid"] == expected.SeriesInstanceUID
    assert top_level(record)["00280008"]["value"] == str(expected.NumberOfFrames)


def test_an_input_folder_named_in_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    folder = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9"))
    folder_of(Path(folder), **{"ct.dcm": CT_SMALL, "notes.txt": Path(__file__)})
    scrape_cli(folder, "--out", str(tmp_path / "out" / "scraped.jsonl"), "--jobs", "1")
    assert records(tmp_path / "out" / "scraped.jsonl")[0]["source"]["dataset"] == "caf\ufffd"
    assert unreadable(tmp_path / "out" / UNREADABLE_CSV) == {"caf\ufffd/notes.txt": "not DICOM"}


# Streaming ------------------------------------------------------------------------------


def test_workers_keep_a_bounded_window_and_the_order() -> None:
    """The walk is consumed only as results come back, so memory does not grow with the number of files."""
    consumed = []

    def tasks():
        for number in range(300):
            consumed.append(number)
            yield number, f"{number:04d}"

    with Workers(2) as workers:
        for key, result in workers.map(str.upper, tasks(), window=8):
            assert result == f"{key:04d}"
            assert len(consumed) - key <= 9
    assert len(consumed) == 300


# Clear errors ---------------------------------------------------------------------------


def one_line_error(*args: str) -> str:
    result = runner.invoke(app, ["scrape", *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    return result.output


def test_missing_path_is_one_line_on_stderr(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dicomref", "scrape", str(tmp_path / "nowhere"), "--out", str(tmp_path / "s.jsonl")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"error: {tmp_path / 'nowhere'} does not exist\n"


def test_empty_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    assert "holds no files" in one_line_error(str(tmp_path / "empty"), "--out", str(tmp_path / "s.jsonl"))
    assert not (tmp_path / "s.jsonl").exists()


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("[[dataset]\nname = 1", "not valid TOML"),
        ("[[dataset]]\nname = 'a'", "needs either 'package' and 'folder', or 'path'"),
        ("[[dataset]]\nname = 'a'\npath = 3", "'path' must be a string"),
        ("[[dataset]]\nname = 'a/b'\npath = '.'", "without slashes"),
        ("dataset = 'x'", "expected [[dataset]] tables"),
        ("", "lists no datasets"),
        (
            "[[dataset]]\nname = 'gone'\npackage = 'no_such_dicom_package'\nfolder = 'data'\n"
            "pip = 'no-such-dicom-package'",
            "pip install no-such-dicom-package",
        ),
        (
            "[[dataset]]\nname = 'gone'\npackage = 'no_such.sub'\nfolder = 'data'",
            "package 'no_such.sub' is not installed",
        ),
        ("[[dataset]]\nname = 'far'\npath = 'far/away'", "folder far/away does not exist"),
    ],
    ids=["toml", "no-location", "type", "name", "not-tables", "empty", "not-installed", "dotted", "no-folder"],
)
def test_malformed_manifest_is_one_line(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "datasets.toml").write_text(manifest, encoding="utf-8")
    assert message in one_line_error("--datasets", str(tmp_path / "datasets.toml"), "--out", str(tmp_path / "s.jsonl"))


def test_missing_manifest_is_one_line(tmp_path: Path) -> None:
    assert "not found" in one_line_error("--datasets", str(tmp_path / "none.toml"), "--out", str(tmp_path / "s.jsonl"))


def test_datasets_command_names_the_missing_package(tmp_path: Path) -> None:
    (tmp_path / "datasets.toml").write_text(
        "[[dataset]]\nname = 'gone'\npackage = 'no_such_dicom_package'\nfolder = 'data'\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["datasets", "--datasets", str(tmp_path / "datasets.toml"), "--json"])
    assert result.exit_code == 0
    assert (
        json.loads(result.output)[0]["missing"]
        == "package 'no_such_dicom_package' is not installed (pip install no_such_dicom_package)"
    )


def test_out_that_is_not_a_scrape_output_is_left_alone(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes\nmore notes", encoding="utf-8")
    with pytest.raises(DicomrefError, match="not a scraped record"):
        scrape([ScrapeInput("ct", CT_SMALL)], foreign, ScrapeOptions(jobs=1))
    assert foreign.read_text(encoding="utf-8") == "my notes\nmore notes"


def test_out_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert "cannot write" in one_line_error(str(CT_SMALL), "--out", str(tmp_path / "file" / "scraped.jsonl"))


def test_two_inputs_with_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a" / "data").mkdir(parents=True)
    (tmp_path / "b" / "data").mkdir(parents=True)
    with pytest.raises(DicomrefError, match="both named 'data'"):
        scrape(
            [ScrapeInput("data", tmp_path / "a" / "data"), ScrapeInput("data", tmp_path / "b" / "data")],
            tmp_path / "s.jsonl",
            ScrapeOptions(extract=ExtractOptions(), jobs=1),
        )
