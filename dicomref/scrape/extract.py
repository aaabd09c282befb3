"""Turn a fully read DICOM file into the public elements we keep: text values, nesting, no private data.

Every element is converted on its own, so one malformed value costs that value (decoded as
ASCII with replacement characters), never the rest of the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.valuerep import TEXT_VR_DELIMS

from dicomref.scrape.charset import decode_text

BULK_VRS = frozenset({"OW", "OF", "OD", "OL", "OV"})
BINARY_INT_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV"})
# Values longer than this many bytes are not loaded: bulk data keeps its length, text its first characters.
DEFER_BYTES = 1024 * 1024
_PIXEL_TAGS = {0x7FE00008: "OF", 0x7FE00009: "OD", 0x7FE00010: "OW"}
# PS3.5 6.2: text is padded with a space, UIDs with a NUL; a NUL anywhere else is part of the value
# (and makes it invalid), so it is kept for validation to see.
_PADDING = " "
_UID_PADDING = "\0 "
# Text VRs in the default repertoire, text VRs in the file's character set (with the bytes that
# reset ISO 2022 code extensions), and binary VRs with their struct codes.
_PLAIN_TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"})
_CHARSET_DELIMITERS = (
    dict.fromkeys(("SH", "LO", "UC"), TEXT_VR_DELIMS | {0x5C})
    | dict.fromkeys(("ST", "LT", "UT"), TEXT_VR_DELIMS)
    | {"PN": {0x5C, 0x3D, 0x5E}}
)
_BINARY_FORMATS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "SV": "q", "UV": "Q", "FL": "f", "FD": "d", "AT": "HH"}


@dataclass(frozen=True)
class ExtractOptions:
    max_length: int = 64
    exclude: frozenset[int] = frozenset()
    top_level_only: bool = False


def _float32_text(value: float) -> str:
    """The shortest text that reads back as the same 32-bit float."""
    packed = struct.pack("<f", value)
    for digits in range(6, 10):
        text = f"{value:.{digits}g}"
        if struct.pack("<f", float(text)) == packed:
            return text
    return repr(value)


def _format_one(value: object, vr: str) -> str:
    if vr == "AT":
        tag = BaseTag(int(value))  # type: ignore[call-overload]
        return f"({tag.group:04X},{tag.element:04X})"
    if vr == "FL":
        return _float32_text(float(value))  # type: ignore[arg-type]
    if vr == "FD":
        return repr(float(value))  # type: ignore[arg-type]
    if vr in BINARY_INT_VRS:
        return str(int(value))  # type: ignore[call-overload]
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value)


def value_text(element: DataElement) -> str:
    """The value as DICOM writes it: text as read (DS/IS keep their string), multiple values joined by '\\'."""
    value = element.value
    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(_format_one(v, element.VR) for v in value)
    return _format_one(value, element.VR)


def _vr_of(raw: RawDataElement | DataElement) -> str:
    """The element's VR; implicit VR files leave it to the dictionary."""
    if raw.VR:
        return str(raw.VR)
    try:
        return dictionary_VR(raw.tag)
    except KeyError:
        return "UN"


def _is_bulk(tag: BaseTag, vr: str) -> bool:
    if vr in BULK_VRS:
        return True
    if vr == "UN":
        try:
            dictionary_VR(tag)
        except KeyError:
            return True
    return False


def _decoded(raw: bytes, encodings: list[str], delimiters: set[int]) -> str:
    """Text in the file's character set, padding removed; undecodable bytes become replacement characters."""
    try:
        text = decode_text(raw, encodings, delimiters)
    except Exception:  # an unusable character set must not cost the value
        text = raw.decode("ascii", "replace")
    return text.rstrip(_PADDING)


def _as_written(raw: bytes, vr: str, encodings: list[str], little: bool) -> str | None:
    """The value's text straight from its bytes, as the file writes it; None for VRs left to pydicom."""
    if vr in _PLAIN_TEXT_VRS:
        return raw.decode("latin-1").rstrip(_UID_PADDING if vr == "UI" else _PADDING)
    if vr in _CHARSET_DELIMITERS:
        return _decoded(raw, encodings, _CHARSET_DELIMITERS[vr])
    if vr not in _BINARY_FORMATS:
        return None
    code = _BINARY_FORMATS[vr]
    size = struct.calcsize(f"<{code}")
    count = len(raw) // size
    numbers = struct.unpack(f"{'<' if little else '>'}{code * count}", raw[: count * size])
    if vr == "AT":
        return "\\".join(
            f"({group:04X},{element:04X})" for group, element in zip(numbers[::2], numbers[1::2], strict=False)
        )
    return "\\".join(_format_one(number, vr) for number in numbers)


class _Harvest:
    """Collects element records from a dataset and its sequences, depth first in tag order."""

    def __init__(self, options: ExtractOptions, stream: BinaryIO | None):
        self.options = options
        self.stream = stream  # where deferred (very large) values can be read in part
        self.records: list[dict] = []

    def dataset(self, dataset: Dataset, path: tuple[str, ...], meta: bool = False) -> None:
        """Group 0002 belongs to the file meta only, and item and delimiter tags (FFFE,xxxx) are never attributes."""
        encodings = _encodings(dataset)
        for tag in sorted(dataset.keys()):
            if tag.is_private or tag in self.options.exclude or tag.group == 0xFFFE or (tag.group == 2) != meta:
                continue
            try:
                raw = dataset.get_item(tag, keep_deferred=True)
            except Exception:
                continue
            self.element(dataset, tag, raw, path, encodings)

    def element(
        self,
        dataset: Dataset,
        tag: BaseTag,
        raw: RawDataElement | DataElement,
        path: tuple[str, ...],
        encodings: list[str],
    ) -> None:
        key = f"{int(tag):08X}"
        vr = _vr_of(raw)
        if vr == "OB":
            return
        if isinstance(raw, RawDataElement) and vr not in {"SQ", "UN"}:
            if raw.value is None and raw.length:
                self.deferred(key, raw, vr, path, encodings)
                return
            value = raw.value or b""
            if _is_bulk(tag, vr):
                self.add(key, vr, path, None, len(value))
                return
            try:
                text = _as_written(value, vr, encodings, raw.is_little_endian)
            except struct.error:
                text = None
            if text is not None:
                self.add(key, vr, path, text, len(text))
                return
        # Sequences, UN (pydicom substitutes the dictionary VR) and VRs such as "US or SS" that
        # depend on other elements: pydicom converts them.
        try:
            element = dataset[tag]
        except Exception:  # a malformed value: keep what its bytes say, unless it holds nested data
            if vr == "SQ" or vr.startswith("OB"):
                return
            value = raw.value if isinstance(raw.value, bytes) else b""
            self.add(key, vr, path, _decoded(value, encodings, set()) if not _is_bulk(tag, vr) else None, len(value))
            return
        vr = element.VR
        if vr == "SQ":
            if not self.options.top_level_only:
                for item in element.value or ():
                    self.dataset(item, (*path, key))
            return
        if vr == "OB" or vr.startswith("OB "):
            return
        if _is_bulk(tag, vr):
            value = element.value
            self.add(
                key,
                vr,
                path,
                None,
                len(value) if isinstance(value, (bytes, bytearray)) else int(getattr(element, "length", 0) or 0),
            )
            return
        try:
            text = value_text(element)
        except Exception:
            text = _decoded(raw.value if isinstance(raw.value, bytes) else b"", encodings, set())
        self.add(key, vr, path, text, len(text))

    def deferred(self, key: str, raw: RawDataElement, vr: str, path: tuple[str, ...], encodings: list[str]) -> None:
        """A value too large to load: bulk data by its length, text by its first characters and byte length."""
        if vr == "OB" or vr.startswith("OB "):
            return
        if _is_bulk(raw.tag, vr) or self.stream is None:
            self.add(key, vr, path, None, raw.length)
            return
        self.stream.seek(raw.value_tell)
        head = self.stream.read(4 * self.options.max_length + 4)
        text = (
            _as_written(head, vr, encodings, raw.is_little_endian)
            if vr in _PLAIN_TEXT_VRS or vr in _CHARSET_DELIMITERS
            else None
        )
        self.add(key, vr, path, (text or "")[: self.options.max_length], raw.length, truncated=True)

    def add(
        self, key: str, vr: str, path: tuple[str, ...], text: str | None, length: int, truncated: bool = False
    ) -> None:
        if text is None:
            self.records.append({"tag": key, "vr": vr, "length": length, "truncated": False, "path": list(path)})
            return
        truncated = truncated or len(text) > self.options.max_length
        self.records.append(
            {
                "tag": key,
                "vr": vr,
                "value": text[: self.options.max_length],
                "length": length,
                "truncated": truncated,
                "path": list(path),
            }
        )

    def pixel_data(self, dataset: Dataset, stopped_at: int) -> None:
        """Native pixel data is bulk (OW, OF, OD): read its header where pydicom stopped, never its bytes."""
        implicit, little = dataset.original_encoding
        if self.stream is None or implicit is None or little is None:
            return
        self.stream.seek(stopped_at)
        header = self.stream.read(12)
        if len(header) < 8:
            return
        endian = "<" if little else ">"
        group, element = struct.unpack_from(f"{endian}HH", header)
        tag = group << 16 | element
        if tag not in _PIXEL_TAGS or tag in self.options.exclude:
            return
        if implicit:
            vr, length = _PIXEL_TAGS[tag], struct.unpack_from(f"{endian}L", header, 4)[0]
        else:
            vr = header[4:6].decode("ascii", "replace")
            length = struct.unpack_from(f"{endian}L", header, 8)[0] if len(header) == 12 else 0xFFFFFFFF
        if vr in BULK_VRS and length != 0xFFFFFFFF:
            self.add(f"{tag:08X}", vr, (), None, length)


def _encodings(dataset: Dataset) -> list[str]:
    try:
        charset = dataset.original_character_set
    except Exception:
        return ["iso8859"]
    return [charset] if isinstance(charset, str) else list(charset)


def extract_elements(dataset: Dataset, options: ExtractOptions, stream: BinaryIO | None = None) -> list[dict]:
    """File meta first, then the dataset, depth first; nested elements carry their sequence path.

    `stream` is the file the dataset was read from with `stop_before_pixels`, positioned where
    pydicom stopped: it gives the pixel data's length and the start of deferred values.
    """
    stopped_at = stream.tell() if stream is not None else 0
    harvest = _Harvest(options, stream)
    if dataset.file_meta:
        harvest.dataset(dataset.file_meta, (), meta=True)
    harvest.dataset(dataset, ())
    harvest.pixel_data(dataset, stopped_at)
    return harvest.records
