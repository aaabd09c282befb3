"""Damaged files made from real ones byte by byte: marked with what is damaged, passed over for a sound file of
their series, the true file meta kept, values exactly as written (NUL padding included), every ISO 2022 code
extension decoded without escape sequences."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pydicom
import pytest
from pydicom.charset import CODES_TO_ENCODINGS, ENCODINGS_TO_CODES, python_encoding
from pydicom.data import get_testdata_file

from dicomref.aggregate import AggregateOptions, aggregate
from dicomref.formats.scraped import read_records
from dicomref.formats.unreadable import FILENAME as UNREADABLE_CSV
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from dicomref.scrape.damage import DELIMITER, DUPLICATE, META_REPEATED, OUT_OF_ORDER, OVERRUN
from dicomref.site.page import visible

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))
DATASET_START = 336  # CT_small.dcm: preamble, DICM and 204 bytes of file meta
SHORT_VRS = frozenset(b"AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split())


def elements(data: bytes, pos: int = DATASET_START) -> dict[int, tuple[int, int]]:
    """Top-level elements of an explicit VR little endian file: tag -> (offset, size with header)."""
    found = {}
    while pos < len(data):
        group, element, vr = struct.unpack_from("<HH2s", data, pos)
        if vr in SHORT_VRS:
            size = 8 + struct.unpack_from("<H", data, pos + 6)[0]
        else:
            size = 12 + struct.unpack_from("<L", data, pos + 8)[0]
        tag = group << 16 | element
        found.setdefault(tag, (pos, size))
        if tag == 0x7FE00010:
            break
        pos += size
    return found


def element(group: int, number: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH2sH", group, number, vr, len(value)) + value


def replace_value(data: bytes, tag: int, value: bytes) -> bytes:
    """The element's value replaced (same VR, new length)."""
    pos, size = elements(data)[tag]
    vr = data[pos + 4 : pos + 6]
    return data[:pos] + element(tag >> 16, tag & 0xFFFF, vr, value) + data[pos + size :]


def scraped(folder: Path, out: Path) -> list[dict]:
    scrape([ScrapeInput("damaged", folder)], out, ScrapeOptions(jobs=1))
    return list(read_records(out))


def one_record(tmp_path: Path, data: bytes) -> dict:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "file.dcm").write_bytes(data)
    (record,) = scraped(folder, tmp_path / "scraped.jsonl")
    return record


def values(record: dict, tag: str) -> list[str]:
    return [e.get("value") for e in record["elements"] if e["tag"] == tag and not e["path"]]


STALE = element(2, 0x10, b"UI", b"1.2.840.10008.1.2\x00") + element(2, 0x13, b"SH", b"STALE_COPY")


@pytest.mark.parametrize("where", ["right after the file meta", "after the first dataset element"])
def test_a_repeated_file_meta_never_overrides_the_true_one(tmp_path: Path, where: str) -> None:
    data = CT_SMALL.read_bytes()
    pos = DATASET_START if where.startswith("right") else sum(elements(data)[0x00080005])
    record = one_record(tmp_path, data[:pos] + STALE + data[pos:])
    assert values(record, "00020010") == ["1.2.840.10008.1.2.1"]  # Explicit VR Little Endian, as the true meta says
    assert values(record, "00020013") == ["DCTOOL100"]
    assert record["source"]["transfer_syntax_uid"] == "1.2.840.10008.1.2.1"
    assert "STALE_COPY" not in json.dumps(record)
    assert META_REPEATED in record["source"]["damage"]
    assert values(record, "00100010") == [str(pydicom.dcmread(CT_SMALL).PatientName)]  # the dataset is read in full


def test_a_sound_file_has_no_damage(tmp_path: Path) -> None:
    assert one_record(tmp_path, CT_SMALL.read_bytes())["source"]["damage"] == []


def _duplicated_acquisition_time(data: bytes) -> bytes:
    pos, size = elements(data)[0x00080032]
    copy = element(0x0008, 0x0032, b"TM", b"235959")
    return data[: pos + size] + copy + data[pos + size :]


def _swapped(data: bytes) -> bytes:
    (first, first_size), (second, second_size) = elements(data)[0x00080008], elements(data)[0x00080012]
    return data[:first] + data[second : second + second_size] + data[first : first + first_size] + data[second:]


def _item_at_top_level(data: bytes) -> bytes:
    pos = elements(data)[0x00080020][0]
    return data[:pos] + struct.pack("<HHL", 0xFFFE, 0xE000, 4) + b"ITEM" + data[pos:]


def _overrun_in_item(data: bytes) -> bytes:
    """The last element of the first item of Other Patient IDs Sequence (lengths defined) claims two more bytes."""
    sequence = elements(data)[0x00101002][0]
    item_end = sequence + 12 + 8 + struct.unpack_from("<L", data, sequence + 16)[0]
    pos = sequence + 20
    while True:
        size = 8 + struct.unpack_from("<H", data, pos + 6)[0]
        if pos + size == item_end:
            break
        pos += size
    length = struct.unpack_from("<H", data, pos + 6)[0]
    return data[: pos + 6] + struct.pack("<H", length + 2) + data[pos + 8 :]


DAMAGES = {
    "duplicate tag": (_duplicated_acquisition_time, f"{DUPLICATE} (0008,0032)"),
    "tags out of order": (_swapped, f"{OUT_OF_ORDER} at (0008,0008)"),
    "item tag where an element should be": (_item_at_top_level, DELIMITER),
    "value overruns its item": (_overrun_in_item, OVERRUN),
}


@pytest.mark.parametrize("kind", DAMAGES)
def test_damage_is_named_in_the_record(tmp_path: Path, kind: str) -> None:
    damage, phrase = DAMAGES[kind]
    record = one_record(tmp_path, damage(CT_SMALL.read_bytes()))
    assert phrase in record["source"]["damage"]
    assert not [e for e in record["elements"] if e["tag"].startswith("FFFE")]  # never an attribute


@pytest.mark.parametrize("kind", DAMAGES)
def test_the_next_sound_file_of_the_series_is_preferred(tmp_path: Path, kind: str) -> None:
    """The first file of the series is damaged, the second sound: the record is the second's, the first is named."""
    damage, phrase = DAMAGES[kind]
    folder = tmp_path / "series"
    folder.mkdir()
    (folder / "1.dcm").write_bytes(damage(CT_SMALL.read_bytes()))
    shutil.copyfile(CT_SMALL, folder / "2.dcm")
    (record,) = scraped(folder, tmp_path / "scraped.jsonl")
    assert record["source"]["path"] == "2.dcm" and record["source"]["damage"] == []
    ((path, reason),) = record["source"]["skipped"]
    assert path == "1.dcm" and reason.startswith("damaged: ") and phrase in reason
    assert "1.dcm" not in (tmp_path / UNREADABLE_CSV).read_text(encoding="utf-8")  # read, just not preferred


def test_a_damaged_series_keeps_its_first_file(tmp_path: Path) -> None:
    folder = tmp_path / "series"
    folder.mkdir()
    (folder / "1.dcm").write_bytes(_duplicated_acquisition_time(CT_SMALL.read_bytes()))
    (folder / "2.dcm").write_bytes(_item_at_top_level(CT_SMALL.read_bytes()))
    (record,) = scraped(folder, tmp_path / "scraped.jsonl")
    assert record["source"]["path"] == "1.dcm"
    assert record["source"]["damage"] == [f"{DUPLICATE} (0008,0032)"]
    assert record["source"]["skipped"] == [["2.dcm", f"damaged: {DELIMITER}"]]


def test_nul_padding_is_kept_and_flagged_invalid(tmp_path: Path, standard) -> None:
    """A DS of '-1024' and a NUL, a DA of eight NULs: invalid values, not a clean number and an empty date."""
    data = replace_value(CT_SMALL.read_bytes(), 0x00281052, b"-1024\x00")  # Rescale Intercept
    data = replace_value(data, 0x00080020, b"\x00" * 8)  # Study Date
    data = replace_value(data, 0x00080018, b"1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322\x00")  # UID: NUL pads
    record = one_record(tmp_path, data)
    assert values(record, "00281052") == ["-1024\x00"]
    assert values(record, "00080020") == ["\x00" * 8]
    assert values(record, "00080018") == ["1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"]
    result = aggregate([tmp_path / "scraped.jsonl"], standard)
    for tag in ("00281052", "00080020"):
        (example,) = result["attributes"][tag]["examples"]
        assert example["valid"] is False and example["problem"], tag
    assert result["attributes"]["00080018"]["examples"][0]["valid"] is True
    assert visible("-1024\x00") == "-1024\u2400" and visible("\x00" * 2) == "\u2400\u2400"  # pages show NULs as ␀


# A sample of text in each character set that an ISO 2022 escape sequence designates.
SAMPLES = {
    "iso8859": "Yamada",
    "latin_1": "Jérôme",
    "shift_jis": "ﾔﾏﾀﾞ",
    "iso2022_jp": "山田",
    "iso8859_2": "Łódź",
    "iso8859_3": "Ħaġar",
    "iso8859_4": "Ģirts",
    "iso_ir_126": "Διονυσιος",
    "iso_ir_127": "قباني",
    "iso_ir_138": "שרון",
    "iso_ir_144": "Люкceмбypг",
    "iso_ir_148": "Ğülşen",
    "iso_ir_166": "สมชาย",
    "euc_kr": "홍길동",
    "iso2022_jp_2": "丂",  # JIS X 0212
    "iso_ir_58": "张小东",
}
# G0 sets are left with ESC ( B before a delimiter; G1 sets (ESC - F, ESC ) F, ESC $ ) F) use the high bytes.
_CODEC = {"iso_ir_58": "gb2312", "iso8859": "ascii"}


def _encoded(text: str, encoding: str) -> bytes:
    """ESC, the sequence that designates the set, the text in it; back to ASCII for a set invoked in G0."""
    escape = ENCODINGS_TO_CODES[encoding]
    if encoding in {"iso2022_jp", "iso2022_jp_2"}:
        return text.encode(encoding)  # the codec writes its escape sequences itself
    return escape + text.encode(_CODEC.get(encoding, encoding))


def _terms() -> dict[str, str]:
    """Every ISO 2022 defined term pydicom knows that designates its set with an escape sequence."""
    return {
        term: encoding
        for term, encoding in sorted(python_encoding.items())
        if term.startswith("ISO 2022") and encoding in ENCODINGS_TO_CODES
    }


def test_every_code_extension_has_a_sample() -> None:
    assert set(_terms().values()) <= set(SAMPLES)
    assert "ISO 2022 IR 58" in _terms() and CODES_TO_ENCODINGS[b"\x1b$)A"] == "iso_ir_58"


@pytest.mark.parametrize("term", sorted(_terms()))
def test_iso_2022_code_extensions_decode_without_escapes(tmp_path: Path, standard, term: str) -> None:
    """A file written with pydicom: Patient's Name in three groups, the ideographic one escaped per component."""
    encoding = _terms()[term]
    text = SAMPLES[encoding]
    name = b"Abc^Def=" + _encoded(text, encoding) + b"^" + _encoded(text, encoding) + b"="
    ds = pydicom.dcmread(CT_SMALL)
    ds.SpecificCharacterSet = ["", term] if term != "ISO 2022 IR 6" else term
    ds.add_new(0x00100010, "PN", name)
    ds.save_as(tmp_path / "written.dcm")
    data = (tmp_path / "written.dcm").read_bytes()
    record = one_record(tmp_path, data)
    assert values(record, "00100010") == [f"Abc^Def={text}^{text}="]
    result = aggregate([tmp_path / "scraped.jsonl"], standard, AggregateOptions(include_identifying=True))
    (example,) = result["attributes"]["00100010"]["examples"]
    assert example["value"] == f"Abc^Def={text}^{text}=" and example["valid"] is True, example["problem"]
