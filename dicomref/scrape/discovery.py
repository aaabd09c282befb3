"""Find a file's SeriesInstanceUID from the head of the file alone.

Grouping an archive of a million files into series must not parse every file: this
walks element headers with `struct`, skipping values by their lengths, and stops at
(0020,000E). Only when the bytes fall outside what the walk understands does pydicom
read the file, so the answer is always the one pydicom would give.

Most files of a series are written alike: the same elements with values of the same lengths.
`SeriesProbe` keeps the bytes a walk looked at (headers, marker, transfer syntax) and where the
UID's value sat, so a file laid out like one before it is recognised by comparing those bytes,
in C, and only a file laid out differently is walked element by element in Python.
"""

from __future__ import annotations

import io
import operator
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError

_SERIES_UID = 0x0020000E
_TRANSFER_SYNTAX = 0x00020010
_META_TAGS = range(0x00020000, 0x00030000)
_DATASET_TAGS = range(0, _SERIES_UID + 1)

_FIRST_CHUNK = 8 * 1024
_MAX_SCAN = 4 * 1024 * 1024  # beyond this the walk stops and pydicom reads the file
_MAX_DEPTH = 32

_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
# Explicit VR element header sizes: VRs with a 4-byte length have 2 reserved bytes before it.
_SHORT_VRS = frozenset(b"AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split())
_HEADER_SIZE = dict.fromkeys(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split(), 12) | dict.fromkeys(_SHORT_VRS, 8)

_SHORT_HEADER, _LONG_HEADER = 8, 12
_MARKER = (128, 132)  # where "DICM" sits after the preamble
_LAYOUTS = 4  # layouts kept by SeriesProbe: series whose files one folder interleaves

_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_DEFLATED = "1.2.840.10008.1.2.1.99"

# Keyed by "is little endian".
_TAG_LENGTH = {True: struct.Struct("<HHL").unpack_from, False: struct.Struct(">HHL").unpack_from}
_EXPLICIT = {True: struct.Struct("<HH2sH").unpack_from, False: struct.Struct(">HH2sH").unpack_from}
_LENGTH32 = {True: struct.Struct("<L").unpack_from, False: struct.Struct(">L").unpack_from}


class ProbeError(Exception):
    """Why a file could not be probed; .reason is a short, value-free phrase for unreadable.csv."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Unsure(Exception):
    """The bytes are outside what the header walk understands; pydicom decides instead."""


class _Head:
    """The bytes read so far from a forward-only stream, grown geometrically on demand."""

    def __init__(self, read: Callable[[int], bytes]):
        self._read = read
        self.data = bytearray()
        self._exhausted = False

    def want(self, end: int) -> bool:
        """Make data[:end] available; False if the stream ends first."""
        data = self.data
        while len(data) < end and not self._exhausted:
            if len(data) >= _MAX_SCAN:
                raise _Unsure
            size = min(max(end - len(data), len(data), _FIRST_CHUNK), _MAX_SCAN - len(data))
            chunk = self._read(size)
            self._exhausted = not chunk
            data += chunk
        return len(data) >= end


class _Inflater:
    """Inflates a deflated dataset lazily, so only its head is ever decompressed."""

    def __init__(self, raw: _Head, pos: int):
        self._raw = raw
        self._pos = pos
        self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)

    def read(self, size: int) -> bytes:
        """Up to `size` inflated bytes, fewer only where the deflated data ends."""
        out = bytearray()
        while len(out) < size and not self._zlib.eof:
            compressed = self._zlib.unconsumed_tail
            if not compressed:
                self._raw.want(self._pos + _FIRST_CHUNK)
                compressed = bytes(self._raw.data[self._pos : self._pos + _FIRST_CHUNK])
                self._pos += len(compressed)
                if not compressed:
                    break
            try:
                out += self._zlib.decompress(compressed, size - len(out))
            except zlib.error:
                raise ProbeError("corrupt deflated dataset") from None
        return bytes(out)


@dataclass
class _Trace:
    """Where one walk looked: a file with the same bytes at these places gets the same answer from the walk."""

    headers: list[int] = field(default_factory=list)  # offsets of the element and item headers read
    long_headers: list[int] = field(default_factory=list)  # those of them 12 bytes long (explicit 4-byte lengths)
    literals: list[tuple[int, int]] = field(default_factory=list)  # other spans read: marker, transfer syntax
    value: tuple[int, int] | None = None  # the span of the top-level (0020,000E) value
    deflated: bool = False  # offsets past the file meta point into inflated data, not into the file


@dataclass(frozen=True)
class _Layout:
    """The bytes one walk looked at in one file; a file with the same bytes there has its series UID at `value`.

    The spans are cut and compared by `operator.itemgetter` and tuple equality, both in C.
    """

    cut: Callable[[bytearray], object]  # the spans of a file's bytes
    expected: object  # the spans as they were in the file walked
    value: slice
    end: int  # bytes of the file the spans and the value cover

    @classmethod
    def of(cls, data: bytearray, trace: _Trace) -> _Layout:
        assert trace.value is not None
        long_headers = set(trace.long_headers)
        spans = sorted(
            [(at, at + (_LONG_HEADER if at in long_headers else _SHORT_HEADER)) for at in set(trace.headers)]
            + trace.literals
        )
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        cut = operator.itemgetter(*(slice(start, end) for start, end in merged))
        start, end = trace.value
        return cls(cut, cut(bytes(data)), slice(start, end), end)

    def series_value(self, data: bytearray) -> bytes | None:
        """The raw (0020,000E) value of a file laid out alike, None for a file laid out differently."""
        return bytes(data[self.value]) if self.cut(data) == self.expected else None


class SeriesProbe:
    """Probes files one after another; a file laid out like two walked before it is matched, not walked.

    A folder may interleave the files of a few series, so the layouts of the last `_LAYOUTS`
    walked files are kept, and one is learnt only once a second file is walked the same
    way: files that all differ cost a walk each and no more.
    """

    def __init__(self) -> None:
        self._learnt: list[_Layout] = []  # most recently used first
        self._walked: list[list[int]] = []  # header offsets of the last files walked, latest first

    def series_uid(self, stream: BinaryIO) -> str | None:
        """SeriesInstanceUID of the DICOM file in `stream` (positioned at 0), None if the file is DICOM but has none.
        Raises ProbeError("not DICOM" | "empty file" | "truncated in (0008,0060)" | ...)
        when it is not a readable DICOM file."""
        head = _Head(stream.read)
        for index, layout in enumerate(self._learnt):
            value = layout.series_value(head.data) if head.want(layout.end) else None
            if value is not None:
                if index:  # the next file is most likely laid out like this one: try it first
                    self._learnt.insert(0, self._learnt.pop(index))
                return _series_uid(value)
        trace = _Trace()
        try:
            value = _probe(head, trace)
        except _Unsure:
            if stream.seekable():  # pydicom skips what it does not need; only a pipe is read whole
                stream.seek(0)
                return _ask_pydicom(stream)
            return _ask_pydicom(io.BytesIO(bytes(head.data) + stream.read()))
        self._learn(head.data, trace)
        return None if value is None else _series_uid(value)

    def _learn(self, data: bytearray, trace: _Trace) -> None:
        if trace.value is None or trace.deflated or len(data) < _MARKER[1]:
            return
        if trace.headers in self._walked:
            self._walked.remove(trace.headers)
            self._learnt = [_Layout.of(data, trace), *self._learnt][:_LAYOUTS]
        else:
            self._walked = [trace.headers, *self._walked][:_LAYOUTS]


def probe_series_uid(stream: BinaryIO) -> str | None:
    """SeriesInstanceUID of the DICOM file in `stream` (positioned at 0), None if the file is DICOM but has none.
    Raises ProbeError("not DICOM" | "empty file" | "truncated in (0008,0060)" | ...)
    when it is not a readable DICOM file."""
    return SeriesProbe().series_uid(stream)


def _series_uid(value: bytes) -> str | None:
    uid = value.decode("latin-1").rstrip("\0 ")
    if "\\" in uid:
        raise ProbeError("multi-valued (0020,000E)")
    return uid or None


def _probe(head: _Head, trace: _Trace) -> bytes | None:
    """Raw value of top-level (0020,000E), found by walking element headers; `trace` is told where the walk looked."""
    if not head.want(132) and not head.data:
        raise ProbeError("empty file")
    data = head.data
    trace.literals.append(_MARKER)  # a file is read differently when these four bytes say "DICM"
    has_marker = data[128:132] == b"DICM"
    has_meta = has_marker or data[:2] == b"\x02\x00"
    pos = 132 if has_marker else 0
    transfer_syntax = None
    if has_meta:
        implicit = not _looks_explicit(head.data, pos)
        if not has_marker and not _plausible_start(head, pos, implicit, True, 0x0002):
            raise ProbeError("not DICOM")
        syntax_at, pos = _scan(head, pos, implicit, True, _TRANSFER_SYNTAX, _META_TAGS, "file meta", trace)
        if syntax_at is not None:
            trace.literals.append(syntax_at)
            transfer_syntax = data[slice(*syntax_at)].decode("latin-1").rstrip("\0 ")
    if not head.want(pos + 1):
        raise ProbeError("no dataset after file meta")
    if transfer_syntax == _DEFLATED:
        head, pos = _Head(_Inflater(head, pos).read), 0
        trace.deflated = True
    if not head.want(pos + 8):
        raise ProbeError("truncated in dataset" if has_meta else "not DICOM")
    # pydicom follows what the first element looks like, whatever the transfer syntax says.
    implicit = not _looks_explicit(head.data, pos)
    first_group = struct.unpack_from("<H", head.data, pos)[0]
    if transfer_syntax is None:
        little = implicit or first_group < 0x0400
    else:
        little = transfer_syntax != _EXPLICIT_BE
    if not has_meta and not _plausible_start(head, pos, implicit, little, 0x0008):
        raise ProbeError("not DICOM")
    if first_group == 0:
        raise _Unsure  # a command set, which pydicom reads with its own encoding rules
    trace.value, _ = _scan(head, pos, implicit, little, _SERIES_UID, _DATASET_TAGS, "dataset", trace)
    return None if trace.value is None else bytes(head.data[slice(*trace.value)])


def _looks_explicit(data: bytearray, pos: int) -> bool:
    """Whether the element at `pos` carries a VR, judged the way pydicom judges it."""
    vr = data[pos + 4 : pos + 6]
    return len(vr) < 2 or (0x40 < vr[0] < 0x5B and 0x40 < vr[1] < 0x5B)


def _plausible_start(head: _Head, pos: int, implicit: bool, little: bool, group: int) -> bool:
    """Whether a file lacking the DICM marker starts like DICOM rather than like any other file."""
    if not head.want(pos + 8):
        return False
    if implicit:
        found, _, length = _TAG_LENGTH[little](head.data, pos)
        return found == group and length < 0x10000
    found, _, vr, _ = _EXPLICIT[little](head.data, pos)
    return found == group and vr in _HEADER_SIZE


def _scan(
    head: _Head, pos: int, implicit: bool, little: bool, wanted: int, span: range, region: str, trace: _Trace
) -> tuple[tuple[int, int] | None, int]:
    """Walk elements from `pos` to the first top-level tag outside `span` (or the end of the data).

    Returns where the value of the top-level element `wanted` sits (start, end) and the offset where
    the walk stopped; every header read is added to `trace`. Values are skipped by length;
    undefined-length sequences are walked item by item. This loop runs for every element of every
    file walked, so it keeps its state in locals.
    """
    data = head.data
    size = len(data)
    tag_length, explicit_header, length32 = _TAG_LENGTH[little], _EXPLICIT[little], _LENGTH32[little]
    first, last = span[0], span[-1]
    header_size, short_vrs, undefined = _HEADER_SIZE.get, _SHORT_VRS, _UNDEFINED
    visit = trace.headers.append
    frames: list[tuple[bool, bool]] = []  # open undefined-length sequences and items: (is sequence, implicit)
    in_sequence, current_implicit = False, implicit
    top = 0  # the top-level element being read, named when the data ends inside it
    found: tuple[int, int] | None = None
    while True:
        if not in_sequence and pos + 12 <= size:
            # Most elements have a defined length and (if explicit) a 2-byte one: skip them in a
            # tight loop that leaves everything else, and the last buffered bytes, to the code below.
            if frames:
                low, high = 0, 0xFFFE0000
            else:
                low, high = (first, wanted) if found is None else (wanted + 1, last + 1)
            if current_implicit:
                while True:
                    group, element, length = tag_length(data, pos)
                    end = pos + 8 + length
                    if end + 12 > size or not low <= (group << 16 | element) < high:
                        break
                    visit(pos)
                    pos = end
            else:
                while True:
                    group, element, vr, length = explicit_header(data, pos)
                    end = pos + 8 + length
                    if vr not in short_vrs or end + 12 > size or not low <= (group << 16 | element) < high:
                        break
                    visit(pos)
                    pos = end
        if pos + 14 > size:  # enough for an item header and the VR of its first element
            head.want(pos + 14)
            size = len(data)
            if pos + 8 > size:
                if pos >= size and not frames:
                    return found, pos
                raise ProbeError(_truncated(data, pos, little, top if frames else None, region))
        if current_implicit:
            group, element, length = tag_length(data, pos)
            vr = None
        else:
            group, element, vr, length = explicit_header(data, pos)
        tag = group << 16 | element
        visit(pos)
        if group == 0xFFFE:
            (length,) = length32(data, pos + 4)
            pos += 8
            if in_sequence and tag == _ITEM and length == undefined:
                frames.append((False, current_implicit or not _looks_explicit(data, pos)))
            elif in_sequence and tag == _ITEM:
                pos += length
            elif (in_sequence and tag == _SEQ_END) or (frames and not in_sequence and tag == _ITEM_END):
                frames.pop()
            else:
                raise _Unsure
            if len(frames) > _MAX_DEPTH:
                raise _Unsure
            in_sequence, current_implicit = frames[-1] if frames else (False, implicit)
            if pos > size and not head.want(pos):
                raise ProbeError(_truncated(data, pos, little, top, region))
            size = len(data)
            continue
        if in_sequence:
            raise _Unsure
        if not frames:
            if not first <= tag <= last:
                return found, pos
            top = tag
        start = pos + 8
        if vr is not None:
            start = pos + header_size(vr, 0)
            if start == pos + _LONG_HEADER:
                trace.long_headers.append(pos)
                if start > size:
                    raise ProbeError(_truncated(data, pos, little, top, region))
                (length,) = length32(data, pos + 8)
            elif start == pos:
                raise _Unsure
        if length == undefined:
            if vr not in (None, b"SQ", b"UN") or len(frames) >= _MAX_DEPTH:
                raise _Unsure
            frames.append((True, current_implicit))
            in_sequence = True
            pos = start
            continue
        pos = start + length
        if pos > size:
            if not head.want(pos):
                raise ProbeError(_truncated(data, pos, little, top, region))
            size = len(data)
        if tag == wanted and not frames:
            if vr not in (None, b"UI", b"UN"):
                raise _Unsure
            found = (start, pos)
            if tag == last:
                return found, pos


def _truncated(data: bytearray, pos: int, little: bool, top: int | None, region: str) -> str:
    """A value-free reason naming the element the data ends in: `top`, else the one at `pos`."""
    if top is None:
        if pos + 4 > len(data):
            return f"truncated in {region}"
        group, element = struct.unpack_from("<HH" if little else ">HH", data, pos)
        top = group << 16 | element
    return f"truncated in ({top >> 16:04X},{top & 0xFFFF:04X})"


def _ask_pydicom(buffer: BinaryIO) -> str | None:
    """The series UID as pydicom reads it, for files the header walk cannot vouch for."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(buffer, stop_before_pixels=True, specific_tags=[_SERIES_UID], force=True)
            element = dataset.get(_SERIES_UID)
            value = None if element is None else element.value
    except InvalidDicomError:
        raise ProbeError("not DICOM") from None
    except EOFError:
        raise ProbeError("truncated") from None
    except Exception as exc:  # pydicom signals malformed data with many exception types
        raise ProbeError(f"unreadable by pydicom ({type(exc).__name__})") from None
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, bytes):
        raise ProbeError("undecodable (0020,000E)")
    raise ProbeError("multi-valued (0020,000E)")
