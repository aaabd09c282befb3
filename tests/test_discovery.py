"""probe_series_uid must give pydicom's answer on every real file we have, and on damaged copies
of real files fail only with a ProbeError whose reason carries no value from the file."""

from __future__ import annotations

import gzip
import io
import re
import warnings
import zipfile
from pathlib import Path
from typing import BinaryIO

import data_store  # pydicom-data
import deid_data
import pydicom
import pytest

from dicomref.scrape import discovery
from dicomref.scrape.discovery import ProbeError, SeriesProbe, probe_series_uid
from tests.pydicom_reference import UNREADABLE, pydicom_series_uid

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
PACKAGED = {
    "pydicom": Path(pydicom.__file__).parent / "data" / "test_files",
    "pydicom-data": Path(data_store.__file__).parent / "data",
    "deid-data": Path(deid_data.__file__).parent / "data",
}
TEST_FILES = PACKAGED["pydicom"]
REASON = re.compile(
    r"not DICOM|empty file|no dataset after file meta|corrupt deflated dataset|truncated"
    r"|truncated in (file meta|dataset|\([0-9A-F]{4},[0-9A-F]{4}\))"
    r"|(multi-valued|undecodable) \(0020,000E\)|unreadable by pydicom \(\w+\)"
)
# Real files covering explicit/implicit little endian, big endian, deflate, no file meta, and
# undefined-length sequences before (0020,000E) (reportsi.dcm).
SEEDS = [
    TEST_FILES / name
    for name in (
        "CT_small.dcm",
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
        "image_dfl.dcm",
        "ExplVR_LitEndNoMeta.dcm",
        "reportsi.dcm",
    )
]
requires_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _params(root: Path, label: str) -> list:
    return [pytest.param(path, id=f"{label}/{path.relative_to(root)}") for path in _files(root)]


def _probe_answer(stream: BinaryIO) -> str | None:
    try:
        return probe_series_uid(stream)
    except ProbeError as exc:
        assert REASON.fullmatch(exc.reason), exc.reason
        return UNREADABLE


def _probe_bytes(raw: bytes) -> str | None:
    return _probe_answer(io.BytesIO(raw))


class _ForwardOnly(io.RawIOBase):
    """A stream that cannot seek, like a zip member or a pipe, counting the bytes it hands out."""

    def __init__(self, raw: bytes):
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        chunk = self._raw[self.position : self.position + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


@pytest.mark.parametrize("path", [p for label, root in PACKAGED.items() for p in _params(root, label)])
def test_agrees_with_pydicom_on_packaged_files(path: Path) -> None:
    with path.open("rb") as stream:
        assert _probe_answer(stream) == pydicom_series_uid(path)


@pytest.mark.corpora
@requires_corpora
@pytest.mark.parametrize("path", _params(CORPORA, "corpora") if CORPORA.is_dir() else [None])
def test_agrees_with_pydicom_on_corpora(path: Path) -> None:
    with path.open("rb") as stream:
        assert _probe_answer(stream) == pydicom_series_uid(path)


@pytest.mark.corpora
@requires_corpora
def test_pdf_is_not_dicom() -> None:
    with (CORPORA / "siemens-xa30" / "XA_validation.pdf").open("rb") as stream, pytest.raises(ProbeError) as caught:
        probe_series_uid(stream)
    assert caught.value.reason == "not DICOM"


@pytest.mark.parametrize(
    "path",
    [
        TEST_FILES / "README.txt",
        TEST_FILES / "zipMR.gz",
        TEST_FILES / "no_meta.dcm",  # a stray leading byte: pydicom cannot read it either
        PACKAGED["deid-data"] / "ultrasounds" / "GREYSCALE_CINE.zip",
    ],
    ids=lambda path: path.name,
)
def test_other_files_are_not_dicom(path: Path) -> None:
    with pytest.raises(ProbeError) as caught:
        probe_series_uid(io.BytesIO(path.read_bytes()))
    assert caught.value.reason == "not DICOM"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    with path.open("rb") as stream, pytest.raises(ProbeError) as caught:
        probe_series_uid(stream)
    assert caught.value.reason == "empty file"


@pytest.mark.parametrize(
    "path",
    [
        TEST_FILES / "ExplVR_LitEndNoMeta.dcm",
        TEST_FILES / "ExplVR_BigEndNoMeta.dcm",
        TEST_FILES / "rtstruct.dcm",
        PACKAGED["pydicom-data"] / "OT-PAL-8-face.dcm",
    ],
    ids=lambda path: path.name,
)
def test_reads_files_without_preamble_or_file_meta(path: Path) -> None:
    uid = probe_series_uid(io.BytesIO(path.read_bytes()))
    assert uid is not None and uid == pydicom_series_uid(path)


@pytest.mark.parametrize("path", SEEDS[:4], ids=lambda path: path.name)
def test_reads_file_meta_without_preamble(path: Path, tmp_path: Path) -> None:
    stripped = tmp_path / path.name
    stripped.write_bytes(path.read_bytes()[132:])
    with stripped.open("rb") as stream:
        assert probe_series_uid(stream) == pydicom_series_uid(path)
    assert pydicom_series_uid(stripped) == pydicom_series_uid(path)


@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.name)
def test_truncated_copies_fail_with_a_reason(path: Path, tmp_path: Path) -> None:
    raw = path.read_bytes()
    uid = pydicom_series_uid(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        element = pydicom.dcmread(path, force=True).get_item(0x0020000E)
    value_start, value_end = element.value_tell, element.value_tell + element.length
    deflated = path.name == "image_dfl.dcm"  # its offsets are in the inflated dataset
    for cut in range(len(raw) if len(raw) < 8192 else value_end + 512):
        answer = _probe_bytes(raw[:cut])
        # A cut between two elements before (0020,000E) looks like a file that has none.
        assert answer in (UNREADABLE, None, uid), cut
        if not deflated and value_start < cut < value_end:
            with pytest.raises(ProbeError, match=re.escape("truncated in (0020,000E)")):
                probe_series_uid(io.BytesIO(raw[:cut]))
        if not deflated and cut >= value_end:
            assert answer == uid, cut
    for cut in (1, 64, 131, 132, 140, 200, value_start + 1):
        short = tmp_path / f"{cut}.dcm"
        short.write_bytes(raw[:cut])
        with short.open("rb") as stream:
            assert _probe_answer(stream) in (UNREADABLE, None), cut


@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.name)
def test_reads_gzip_and_zip_members(path: Path, tmp_path: Path) -> None:
    packed = tmp_path / f"{path.name}.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as writer:
        writer.write(path, f"series/{path.name}")
    expected = pydicom_series_uid(path)
    with gzip.open(packed, "rb") as stream:
        assert probe_series_uid(stream) == expected
    with zipfile.ZipFile(archive) as reader, reader.open(f"series/{path.name}") as stream:
        assert probe_series_uid(stream) == expected


def test_reads_only_the_head_of_a_large_file() -> None:
    raw = (PACKAGED["pydicom-data"] / "RG1_UNCI.dcm").read_bytes()
    stream = _ForwardOnly(raw)
    assert probe_series_uid(stream) == pydicom_series_uid(PACKAGED["pydicom-data"] / "RG1_UNCI.dcm")
    assert len(raw) > 1_000_000 and stream.position <= 64 * 1024


@pytest.mark.parametrize("seekable", [False, True], ids=["forward-only", "seekable"])
@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.name)
def test_pydicom_fallback_agrees(path: Path, seekable: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "_MAX_SCAN", 256)  # the walk gives up at once and hands over to pydicom
    consulted = []
    ask = discovery._ask_pydicom
    monkeypatch.setattr(discovery, "_ask_pydicom", lambda buffer: consulted.append(1) or ask(buffer))
    raw = path.read_bytes()
    stream = io.BytesIO(raw) if seekable else _ForwardOnly(raw)
    assert probe_series_uid(stream) == pydicom_series_uid(path)
    assert consulted


def _fresh_answer(raw: bytes) -> str | None:
    try:
        return probe_series_uid(io.BytesIO(raw))
    except ProbeError as exc:
        return f"error: {exc.reason}"


def _series_answer(probe: SeriesProbe, raw: bytes) -> str | None:
    try:
        return probe.series_uid(io.BytesIO(raw))
    except ProbeError as exc:
        return f"error: {exc.reason}"


def _with_uid(raw: bytes, old: str, new: str) -> bytes:
    """The file with its SeriesInstanceUID's text replaced by one of the same length."""
    assert len(old) == len(new)
    return raw.replace(old.encode(), new.encode())


@pytest.mark.parametrize("path", SEEDS, ids=lambda path: path.name)
def test_series_probe_agrees_with_a_fresh_walk_on_files_laid_out_alike(path: Path) -> None:
    """A layout learnt from two files is used only for files the walk would read the same way."""
    raw = path.read_bytes()
    uid = pydicom_series_uid(path)
    assert uid
    other = uid[:-1] + ("1" if uid[-1] != "1" else "2")
    copies = [raw, raw, _with_uid(raw, uid, other), raw]
    for cut in range(0, min(len(raw), 4096), 7):  # every way of ending early, after the layout was learnt
        copies.append(raw[:cut])
    for at in range(0, min(len(raw), 2048)):  # every header byte, marker or transfer syntax changed in turn
        flipped = bytearray(raw)
        flipped[at] ^= 0x41
        copies += [bytes(flipped), raw]
    probe = SeriesProbe()
    for index, copy in enumerate(copies):
        assert _series_answer(probe, copy) == _fresh_answer(copy), index
    assert probe._learnt or path.name == "image_dfl.dcm"  # a deflated dataset's offsets are not the file's


def test_series_probe_keeps_the_layouts_of_interleaved_series() -> None:
    files = [(TEST_FILES / name).read_bytes() for name in ("CT_small.dcm", "MR_small.dcm", "reportsi.dcm")]
    probe = SeriesProbe()
    sequence = [raw for _ in range(4) for raw in files]
    assert [_series_answer(probe, raw) for raw in sequence] == [_fresh_answer(raw) for raw in sequence]
    assert len(probe._learnt) == 3
