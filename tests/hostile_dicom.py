"""Hostile files for the inspect page, made from real files: each must end in a message with a byte offset."""

from __future__ import annotations

import random
import struct
from pathlib import Path

from pydicom.data import get_testdata_file
from pydicom.filereader import _read_file_meta_info, read_preamble

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))  # explicit VR little endian, 39,206 bytes
DEFLATED = Path(get_testdata_file("image_dfl.dcm"))
PIXEL_DATA = b"\xe0\x7f\x10\x00"
PATIENTS_NAME = b"\x10\x00\x10\x00PN"
ONE_GIB = 2**30


def _with_length(data: bytes, header: bytes, length: int) -> bytes:
    """The file with the 2-byte length of the first element with this header (tag and VR) changed."""
    at = data.index(header)
    return data[: at + 6] + struct.pack("<H", length) + data[at + 8 :]


def _nested(depth: int) -> bytes:
    """Sequences of undefined length, each in an item of the one before, `depth` deep, never closed."""
    opening = b"\x08\x00\x15\x11SQ\x00\x00\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    return opening * depth


def _meta_end(path: Path) -> int:
    """Where the file meta of a Part 10 file ends."""
    with open(path, "rb") as handle:
        read_preamble(handle, False)
        _read_file_meta_info(handle)
        return handle.tell()


def hostile_files(folder: Path) -> dict[str, Path]:
    """Name -> file: not DICOM, empty, truncated, a length past the end, a huge length, deep nesting, zeros, a
    deflated dataset that does not inflate."""
    ct = CT_SMALL.read_bytes()
    pixel = ct.index(PIXEL_DATA)
    meta_end = ct.index(b"\x08\x00\x05\x00")  # the dataset's first element follows the file meta
    noise = random.Random(22).randbytes(20_000)
    made = {
        "not-dicom.txt": b"This is a text file, not a DICOM file.\n" * 40,
        "noise.bin": noise,
        "noise-after-preamble.dcm": bytes(128) + b"DICM" + noise,
        "empty.dcm": b"",
        "truncated-in-pixel-data.dcm": ct[: pixel + 5000],
        "truncated-in-a-header.dcm": ct[: meta_end + 5],
        "length-past-the-end.dcm": _with_length(ct, PATIENTS_NAME, 0xFFF0)[: pixel],
        "huge-length.dcm": ct[:pixel] + PIXEL_DATA + b"OW\x00\x00" + struct.pack("<I", 0xFFFFFFF0) + bytes(64),
        "deep-nesting.dcm": ct[:pixel] + _nested(5000),
        "zeros.dcm": bytes(128) + b"DICM" + bytes(8 * 1024 * 1024),
        "deflated-noise.dcm": DEFLATED.read_bytes()[: _meta_end(DEFLATED)] + noise,
    }
    paths = {}
    for name, data in made.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    return paths


def sparse_gib_file(path: Path) -> Path:
    """CT_small's header, then Pixel Data (7FE0,0010) filling the file to 1 GiB: sparse, so it takes no disk."""
    ct = CT_SMALL.read_bytes()
    header = ct[: ct.index(PIXEL_DATA)]
    length = ONE_GIB - len(header) - 12
    with open(path, "wb") as handle:
        handle.write(header + PIXEL_DATA + b"OW\x00\x00" + struct.pack("<I", length))
        handle.truncate(ONE_GIB)
    return path


def mutated_files(folder: Path, count: int) -> list[Path]:
    """Real files with bytes changed, lengths set to undefined, cut short or with a run repeated: seeded, so the
    same files each run."""
    sources = [CT_SMALL, DEFLATED, *(Path(get_testdata_file(n)) for n in ("rtplan.dcm", "MR_small_implicit.dcm"))]
    rng = random.Random(22)
    paths = []
    for number in range(count):
        data = bytearray(sources[number % len(sources)].read_bytes())
        kind = ("byte", "undefined", "cut", "repeat")[number % 4]
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(min(len(data), 4000))
            if kind == "byte":
                data[at] = rng.randrange(256)
            elif kind == "undefined":
                data[at : at + 4] = b"\xff\xff\xff\xff"
        if kind == "cut":
            data = data[: rng.randrange(len(data))]
        elif kind == "repeat":
            at = rng.randrange(len(data))
            data = data[:at] + data[at : at + 200] * 3 + data[at:]
        path = folder / f"mutated-{number:03d}.dcm"
        path.write_bytes(bytes(data))
        paths.append(path)
    return paths
