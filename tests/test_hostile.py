"""Hostile inputs, made from real files: the scrape finishes, exits 0, and accounts for every file. Each
file ends scraped, a member of a scraped series, or in unreadable.csv with a reason free of values."""

from __future__ import annotations

import gzip
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from dicomref.formats.scraped import read_records
from dicomref.formats.unreadable import FILENAME as UNREADABLE_CSV
from dicomref.formats.unreadable import read_unreadable, unreadable_path
from dicomref.scrape.discovery import ProbeError, probe_series_uid
from dicomref.scrape.sources import printable_path
from dicomref.scrape.tasks import reason_for

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))
MR_SMALL = Path(get_testdata_file("MR_small.dcm"))
TEST_FILES = CT_SMALL.parent
TIME_LIMIT = "2"
BOMB_BYTES = 32 * 1024 * 1024  # zeros after a DICM marker: pydicom reads them as millions of empty elements
IS_ROOT = os.geteuid() == 0
FOLDER_DEPTH = 600  # deep enough to exhaust a recursive walk; shallow enough for pytest's own clean-up
REASON = re.compile(
    r"not DICOM( \(no known attribute\))?|empty file|no dataset after file meta|corrupt deflated dataset"
    r"|truncated( in (file meta|dataset|\([0-9A-F]{4},[0-9A-F]{4}\)))?|(multi-valued|undecodable) \(0020,000E\)"
    r"|unreadable (by pydicom|DICOM) \(\w+\)|malformed or truncated DICOM|sequences nested too deeply"
    r"|took longer than the time limit"
    r"|symlink loop|broken symlink|folder already walked through another link|not a regular file|permission denied"
    r"|zip member path leaves the archive|zip member name used twice|damaged compressed data"
    r"|damaged or unsupported zip member"
)
SEQ_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
ITEM_DELIMITER = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"


def element_at(path: Path, tag: int) -> tuple[int, int]:
    """(offset of the value, its length) of a top-level element of a real file."""
    element = pydicom.dcmread(path).get_item(tag)
    return element.value_tell, element.length


def cut(path: Path, tag: int) -> bytes:
    """The file cut in the middle of the value of `tag`."""
    offset, length = element_at(path, tag)
    return path.read_bytes()[: offset + length // 2]


def own_series(
    folder: Path, name: str, change: Callable[[Dataset], None] = lambda dataset: None, source: Path = CT_SMALL
) -> Path:
    """A copy of a real file in a series of its own, with `change` applied."""
    dataset = pydicom.dcmread(source)
    dataset.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[str(folder), name])
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns of the unknown character set some files declare
        change(dataset)
        dataset.save_as(folder / name)
    return folder / name


def nested_sequences(tag: int, depth: int) -> bytes:
    """Explicit VR little endian: `depth` undefined-length sequences, each the only element of the last one's item."""
    header = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + b"SQ\x00\x00\xff\xff\xff\xff"
    item = b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    return (header + item) * depth + (ITEM_DELIMITER + SEQ_DELIMITER) * depth


def spliced(path: Path, at: int, data: bytes) -> bytes:
    raw = path.read_bytes()
    return raw[:at] + data + raw[at:]


def build_tree(root: Path) -> dict[str, str]:
    """The hostile inputs; returns the reasons certain files must be listed with."""
    expected: dict[str, str] = {}
    (root / "complete").mkdir(parents=True)
    shutil.copy(CT_SMALL, root / "complete" / "ct.dcm")
    (root / "empty.dcm").write_bytes(b"")
    expected["empty.dcm"] = "empty file"

    # Truncated in the preamble, the file meta, the series UID, a sequence, and after the series UID.
    cuts = root / "cut"
    cuts.mkdir()
    raw = CT_SMALL.read_bytes()
    (cuts / "preamble.dcm").write_bytes(raw[:100])
    (cuts / "meta.dcm").write_bytes(raw[:160])
    (cuts / "series_uid.dcm").write_bytes(cut(CT_SMALL, 0x0020000E))
    expected["cut/series_uid.dcm"] = "truncated in (0020,000E)"
    sequence_at, _ = element_at(CT_SMALL, 0x00101002)
    (cuts / "sequence.dcm").write_bytes(raw[: sequence_at + 30])
    expected["cut/sequence.dcm"] = "truncated in (0010,1002)"
    (cuts / "after_series.dcm").write_bytes(cut(own_series(root / "tmp", "after.dcm"), 0x00431029))
    expected["cut/after_series.dcm"] = "truncated in (0043,1029)"
    whole_series = own_series(root / "tmp", "whole.dcm")
    for number in range(6):  # every file of a series truncated: each must be tried and listed
        (root / "allcut").mkdir(exist_ok=True)
        (root / "allcut" / f"{number}.dcm").write_bytes(cut(whole_series, 0x00431029))
        expected[f"allcut/{number}.dcm"] = "truncated in (0043,1029)"

    noise = random.Random(8).randbytes(4096)
    (root / "random").mkdir()
    (root / "random" / "noise.bin").write_bytes(noise)
    expected["random/noise.bin"] = "not DICOM"
    (root / "random" / "noise_dicm.dcm").write_bytes(noise[:128] + b"DICM" + noise[132:])
    (root / "random" / "noise_after_meta.dcm").write_bytes(raw[:300] + noise)

    elements = root / "elements"
    elements.mkdir()
    modality_at, _ = element_at(CT_SMALL, 0x00080060)
    beyond = bytearray(raw)
    beyond[modality_at - 2 : modality_at] = b"\xff\xff"  # the 2-byte length of (0008,0060)
    (elements / "length_beyond_eof.dcm").write_bytes(bytes(beyond))
    expected["elements/length_beyond_eof.dcm"] = "truncated in (0008,0060)"
    invalid = bytearray(raw)
    invalid[modality_at - 4 : modality_at - 2] = b"\x01\x02"  # the VR of (0008,0060)
    (elements / "invalid_vr.dcm").write_bytes(bytes(invalid))

    def undefined_lengths(dataset: Dataset) -> None:
        dataset["OtherPatientIDsSequence"].is_undefined_length = True
        for item in dataset.OtherPatientIDsSequence:
            item.is_undefined_length_sequence_item = True

    undelimited = own_series(root / "tmp", "undefined.dcm", undefined_lengths).read_bytes()
    assert SEQ_DELIMITER in undelimited
    (elements / "no_delimiters.dcm").write_bytes(undelimited.replace(SEQ_DELIMITER, b"").replace(ITEM_DELIMITER, b""))
    (elements / "no_sequence_delimiter.dcm").write_bytes(undelimited.replace(SEQ_DELIMITER, b""))

    deep_after = own_series(root / "tmp", "deep.dcm")
    series_at, series_length = element_at(deep_after, 0x0020000E)
    (root / "nesting").mkdir()
    (root / "nesting" / "deep.dcm").write_bytes(
        spliced(deep_after, series_at + series_length, nested_sequences(0x00209221, 2000))
    )
    expected["nesting/deep.dcm"] = "sequences nested too deeply"
    study_at, _ = element_at(CT_SMALL, 0x0020000D)
    (root / "nesting" / "deep_before_series.dcm").write_bytes(
        spliced(CT_SMALL, study_at - 8, nested_sequences(0x00081115, 2000))
    )

    def large_values(dataset: Dataset) -> None:
        dataset.add_new(0x0040A160, "UT", "A" * 5_000_000)  # Text Value
        dataset.add_new(0x00281201, "OW", b"\x00\x01" * 1_500_000)  # Red Palette Color LUT Data

    own_series(root / "large", "values.dcm", large_values)

    def charset(dataset: Dataset) -> None:
        dataset.SpecificCharacterSet = "ISO_IR 999"
        dataset.add_new(0x00081030, "LO", b"Caf\xe9 \xff\xfe")

    own_series(root / "charset", "unknown.dcm", charset)

    syntaxes = root / "syntaxes"
    syntaxes.mkdir()
    for name in ("MR_small_bigendian.dcm", "image_dfl.dcm", "ExplVR_LitEndNoMeta.dcm", "ExplVR_BigEndNoMeta.dcm"):
        shutil.copy(TEST_FILES / name, syntaxes / name)
    (syntaxes / "no_preamble.dcm").write_bytes(
        own_series(root / "tmp", "preamble.dcm", source=MR_SMALL).read_bytes()[132:]
    )

    packed = root / "gz"
    packed.mkdir()
    (packed / "ct.dcm.gz").write_bytes(gzip.compress(raw))
    (packed / "text.txt.gz").write_bytes(gzip.compress(b"plain text, not DICOM\n" * 100))
    expected["gz/text.txt.gz"] = "not DICOM"
    (packed / "fake.dcm.gz").write_bytes(b"neither gzip nor DICOM\n")
    expected["gz/fake.dcm.gz"] = "not DICOM"
    corrupt = bytearray(gzip.compress(raw))
    corrupt[12:40] = bytes(range(28))
    (packed / "corrupt.dcm.gz").write_bytes(bytes(corrupt))
    expected["gz/corrupt.dcm.gz"] = "damaged compressed data"

    zips = root / "zips"
    zips.mkdir()
    with zipfile.ZipFile(zips / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, head in (("zeros.bin", b""), ("bomb.dcm", bytes(128) + b"DICM")):
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(head)
                for _ in range(BOMB_BYTES // (1 << 20)):
                    member.write(bytes(1 << 20))
    expected["zips/bomb.zip/zeros.bin"] = "not DICOM"
    expected["zips/bomb.zip/bomb.dcm"] = "took longer than the time limit"
    with zipfile.ZipFile(zips / "escape.zip", "w") as archive:
        archive.writestr("../evil.dcm", raw)
        archive.writestr("ok/ct.dcm", raw)
        archive.writestr(zipfile.ZipInfo("/absolute.dcm"), raw)
    expected["zips/escape.zip/../evil.dcm"] = "zip member path leaves the archive"
    with warnings.catch_warnings(), zipfile.ZipFile(zips / "twice.zip", "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
        archive.writestr("ct.dcm", raw)
        archive.writestr("ct.dcm", b"something else")
    expected["zips/twice.zip/ct.dcm"] = "zip member name used twice"
    (zips / "not_a_zip.zip").write_bytes(b"PK but not really a zip archive")
    expected["zips/not_a_zip.zip"] = "not DICOM"

    links = root / "links"
    links.mkdir()
    os.symlink(".", links / "loop")
    os.symlink("self", links / "self")
    os.symlink("nowhere", links / "broken")
    os.symlink("../complete", links / "again")
    os.symlink("../complete/ct.dcm", links / "file_link.dcm")
    expected |= {"links/loop": "symlink loop", "links/self": "symlink loop", "links/broken": "broken symlink"}
    expected["links/again"] = "folder already walked through another link"

    for name in ("x.dcm", "x.zip", "x.gz"):  # folders named like files
        own_series(root / "like_files" / name, "inner.dcm", source=MR_SMALL)
    own_series(root / "names", "new\nline.dcm")
    odd = os.path.join(os.fsencode(root / "names"), b"latin-1 \xe9\xff.dcm")
    with open(odd, "wb") as handle:
        handle.write(own_series(root / "tmp", "odd.dcm").read_bytes())
    deep = str(root / "deep")
    os.mkdir(deep)
    for _ in range(FOLDER_DEPTH):
        deep += "/d"
        os.mkdir(deep)
    own_series(Path(deep), "ct.dcm")
    os.mkfifo(root / "fifo.dcm")
    expected["fifo.dcm"] = "not a regular file"

    locked = own_series(root / "perm", "locked.dcm")
    locked.chmod(0)
    own_series(root / "perm" / "locked_folder", "inside.dcm")
    (root / "perm" / "locked_folder").chmod(0)
    if not IS_ROOT:
        expected["perm/locked.dcm"] = "permission denied"
        expected["perm/locked_folder"] = "permission denied"
    shutil.rmtree(root / "tmp")
    return expected


@dataclass(frozen=True)
class Outcome:
    root: Path
    expected: dict[str, str]
    returncode: int
    stderr: str
    records: list[dict]
    unreadable: dict[str, str]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    root = tmp_path_factory.mktemp("hostile") / "hostile"
    expected = build_tree(root)
    out = root.parent / "out" / "scraped.jsonl"
    command = [
        sys.executable,
        "-m",
        "dicomref",
        "scrape",
        str(root),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--time-limit",
        TIME_LIMIT,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    finally:
        (root / "perm" / "locked_folder").chmod(0o755)
    rows = read_unreadable(unreadable_path(out))
    records = list(read_records(out))
    return Outcome(root, expected, result.returncode, result.stderr, records, {path: reason for path, reason in rows})


def test_the_run_finishes_cleanly(outcome: Outcome) -> None:
    assert outcome.returncode == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "CompressedSamples" not in outcome.stderr and "Caf" not in outcome.stderr  # no value in the log


def test_listed_files_have_the_expected_reasons(outcome: Outcome) -> None:
    listed = {path.removeprefix("hostile/"): reason for path, reason in outcome.unreadable.items()}
    for path, reason in outcome.expected.items():
        assert listed.get(path) == reason, path
    absolute = [path for path in listed if path.startswith("zips/escape.zip/") and path.endswith("absolute.dcm")]
    assert absolute and all(listed[path] == "zip member path leaves the archive" for path in absolute)


def test_reasons_never_hold_values(outcome: Outcome) -> None:
    for path, reason in outcome.unreadable.items():
        assert REASON.fullmatch(reason), (path, reason)


def leaves(root: Path) -> list[str]:
    """Every path under root that is not a folder walked into, zip members included, as the outputs show them."""
    found = []
    folders = [str(root)]
    while folders:  # not os.walk: it recurses, one call per folder
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except PermissionError:  # a locked folder (when not root) is listed as a whole
            found.append(printable_path(os.path.relpath(folder, root)))
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
                continue
            relative = printable_path(os.path.relpath(entry.path, root))
            if entry.name.lower().endswith(".zip") and zipfile.is_zipfile(entry.path):
                with zipfile.ZipFile(entry.path) as archive:
                    found.extend(f"{relative}/{info.filename}" for info in archive.infolist() if not info.is_dir())
            else:
                found.append(relative)
    return found


def series_of(root: Path, relative: str) -> str | None:
    """The file's series as the probe (held to pydicom's answer by test_discovery) finds it."""
    archive, _, member = relative.partition(".zip/")
    try:
        if member:
            with zipfile.ZipFile(root / f"{archive}.zip") as zipped, zipped.open(member) as stream:
                return probe_series_uid(stream)
        opener = gzip.open if relative.endswith(".gz") else open
        with opener(root / relative, "rb") as stream:
            return probe_series_uid(stream)
    except (ProbeError, OSError):
        return None


def test_every_file_is_accounted_for_exactly_once(outcome: Outcome) -> None:
    scraped = {r["source"]["path"] for r in outcome.records}
    scraped_series = {r["source"]["series_instance_uid"] for r in outcome.records} - {""}
    listed = {path.removeprefix("hostile/") for path in outcome.unreadable}
    assert not scraped & listed
    paths = set(leaves(outcome.root))
    members = []
    for path in paths:
        if path not in scraped and path not in listed:
            assert series_of(outcome.root, path) in scraped_series, (
                f"{path!r} is neither scraped, nor in a scraped series, nor listed"
            )
            members.append(path)
    assert scraped <= paths
    print(
        f"\n{len(paths)} paths: {len(scraped)} scraped, {len(members)} members of scraped series, "
        f"{len(listed & set(paths))} listed unreadable"
    )


def test_hostile_but_valid_files_are_scraped(outcome: Outcome) -> None:
    scraped = {r["source"]["path"]: r for r in outcome.records}
    for path in (
        "deep/" + "d/" * FOLDER_DEPTH + "ct.dcm",
        "large/values.dcm",
        "charset/unknown.dcm",
        "syntaxes/MR_small_bigendian.dcm",
        "syntaxes/image_dfl.dcm",
        "names/new\nline.dcm",
        "names/latin-1 \ufffd\ufffd.dcm",
    ):
        assert path in scraped, path
    for name in ("x.dcm", "x.zip", "x.gz"):
        assert f"like_files/{name}/inner.dcm" in scraped
    large = {e["tag"]: e for e in scraped["large/values.dcm"]["elements"]}
    assert large["0040A160"] == {
        "tag": "0040A160",
        "vr": "UT",
        "value": "A" * 64,
        "length": 5_000_000,
        "truncated": True,
        "path": [],
    }
    assert large["00281201"] == {"tag": "00281201", "vr": "OW", "length": 3_000_000, "truncated": False, "path": []}
    description = {e["tag"]: e for e in scraped["charset/unknown.dcm"]["elements"]}["00081030"]["value"]
    assert description.startswith("Caf")  # decoded with the default repertoire despite the unknown character set
    if IS_ROOT:  # permission checks do not apply to root: the locked file and folder are readable
        assert "perm/locked.dcm" in scraped and "perm/locked_folder/inside.dcm" in scraped


def test_permission_errors_have_their_reason() -> None:
    """Running as root, chmod 000 does not stop reading; the reason a non-root run gets is checked here."""
    assert reason_for(PermissionError(13, "Permission denied")) == "permission denied"


def test_time_limit_holds_in_a_single_process_run(tmp_path: Path) -> None:
    """With --jobs 1 the files are read in the calling process, under the same bound."""
    from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape

    folder = tmp_path / "files"
    folder.mkdir()
    with open(folder / "a_bomb.dcm", "wb") as handle:
        handle.write(bytes(128) + b"DICM")
        handle.truncate(BOMB_BYTES)  # zeros without writing them
    own_series(folder, "b_fine.dcm")
    summary = scrape([ScrapeInput("files", folder)], tmp_path / "scraped.jsonl", ScrapeOptions(jobs=1, time_limit=0.5))
    assert summary.scraped == 1
    assert (tmp_path / UNREADABLE_CSV).read_text(
        encoding="utf-8"
    ) == "path,reason\nfiles/a_bomb.dcm,took longer than the time limit\n"
