"""Find structural damage in a file pydicom read without complaint.

pydicom reads leniently: a tag written twice keeps one copy, tags out of order are sorted, an
item or delimiter tag where an element belongs becomes an element, and a value running past the
end of its item is read anyway. Such a file must not pass for sound, so this walks the element
headers of the file meta and the dataset (up to the pixel data), skipping values by their
lengths, and names each kind of damage in a fixed phrase that never holds a value.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from pydicom.datadict import dictionary_VR
from pydicom.dataset import FileMetaDataset
from pydicom.filereader import read_dataset

UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_MAX_DEPTH = 32

DUPLICATE = "tag repeated"
OUT_OF_ORDER = "tags out of order"
DELIMITER = "item or delimiter tag where an element should be"
NO_ITEM = "element where a sequence item should be"
OVERRUN = "value runs past the end of its item or sequence"
META_REPEATED = "file meta (group 0002) repeated in the dataset"


def _tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


class _Stop(Exception):
    """The walk cannot go on (the bytes end, or nesting is too deep): keep what was found."""


@dataclass
class _Walk:
    stream: BinaryIO
    implicit: bool
    little: bool
    found: set[str] = field(default_factory=set)

    def read(self, pos: int, size: int) -> bytes:
        self.stream.seek(pos)
        data = self.stream.read(size)
        if len(data) < size:
            raise _Stop
        return data

    def header(self, pos: int, implicit: bool, little: bool) -> tuple[int, bytes | None, int, int]:
        """(tag, VR or None, value length, header size) of the element at pos."""
        endian = "<" if little else ">"
        head = self.read(pos, 8)
        group, element = struct.unpack_from(f"{endian}HH", head)
        tag = group << 16 | element
        if implicit or group == 0xFFFE:
            return tag, None, struct.unpack_from(f"{endian}L", head, 4)[0], 8
        vr = head[4:6]
        if vr in _LONG_VRS:
            return tag, vr, struct.unpack_from(f"{endian}L", self.read(pos + 8, 4))[0], 12
        if not vr.isalpha():  # implicit VR in a file that says explicit: read as pydicom would
            return tag, None, struct.unpack_from(f"{endian}L", head, 4)[0], 8
        return tag, vr, struct.unpack_from(f"{endian}H", head, 6)[0], 8

    def order(self, tag: int, previous: int) -> None:
        """Each repeated tag is named; tags out of order only at the first place, as one misplaced element
        can put every later one out of order."""
        if tag == previous:
            self.found.add(f"{DUPLICATE} {_tag_text(tag)}")
        elif tag < previous and not any(found.startswith(OUT_OF_ORDER) for found in self.found):
            self.found.add(f"{OUT_OF_ORDER} at {_tag_text(tag)}")

    def dataset(self, pos: int, end: int | None, depth: int, implicit: bool, little: bool, top: bool) -> int:
        """Walk one dataset (the top level, or an item ending at `end` or at its delimiter); where it ends."""
        if depth > _MAX_DEPTH:
            raise _Stop
        previous = -1
        while end is None or pos < end:
            try:
                tag, vr, length, size = self.header(pos, implicit, little)
            except _Stop:
                if end is None:
                    return pos
                raise
            if tag == ITEM_END and not top and end is None:
                return pos + 8
            if tag >> 16 == 0xFFFE:
                self.found.add(DELIMITER)
                pos += 8 if tag != ITEM or length == UNDEFINED else 8 + length
                continue
            if top and tag == PIXEL_DATA:
                return pos
            if top and tag >> 16 == 0x0002:
                self.found.add(META_REPEATED)
            else:
                self.order(tag, previous)
                previous = max(previous, tag)
            pos = self.value(tag, vr, length, pos + size, end, depth, implicit, little)
        if end is not None and pos > end:
            self.found.add(OVERRUN)
        return pos

    def value(
        self,
        tag: int,
        vr: bytes | None,
        length: int,
        pos: int,
        end: int | None,
        depth: int,
        implicit: bool,
        little: bool,
    ) -> int:
        """Skip one value, walking into sequences; where the element ends."""
        if vr == b"UN" and length == UNDEFINED:
            implicit, little = True, True  # PS3.5 6.2.2: an undefined-length UN holds implicit VR little endian
        if vr == b"SQ" or length == UNDEFINED or (vr is None and _dictionary_sq(tag)):
            stop = None if length == UNDEFINED else pos + length
            if end is not None and stop is not None and stop > end:
                self.found.add(OVERRUN)
                raise _Stop
            if vr not in (b"SQ", None, b"UN"):  # encapsulated data: items of raw bytes
                return self.fragments(pos, end)
            return self.sequence(pos, stop, end, depth, implicit, little)
        stop = pos + length
        if end is not None and stop > end:
            self.found.add(OVERRUN)
            raise _Stop
        return stop

    def sequence(self, pos: int, stop: int | None, end: int | None, depth: int, implicit: bool, little: bool) -> int:
        while stop is None or pos < stop:
            tag, _, length, _ = self.header(pos, True, little)
            if tag == SEQUENCE_END and stop is None:
                return pos + 8
            if tag != ITEM:
                self.found.add(NO_ITEM)
                raise _Stop
            pos += 8
            if length == UNDEFINED:
                pos = self.dataset(pos, None, depth + 1, implicit, little, top=False)
            else:
                item_end = pos + length
                limit = stop if stop is not None else end
                if limit is not None and item_end > limit:
                    self.found.add(OVERRUN)
                    raise _Stop
                self.dataset(pos, item_end, depth + 1, implicit, little, top=False)
                pos = item_end
        if pos > stop:
            self.found.add(OVERRUN)
        return pos

    def fragments(self, pos: int, end: int | None) -> int:
        while True:
            tag, _, length, _ = self.header(pos, True, self.little)
            pos += 8
            if tag == SEQUENCE_END:
                return pos
            if tag != ITEM or length == UNDEFINED:
                self.found.add(NO_ITEM)
                raise _Stop
            pos += length
            if end is not None and pos > end:
                self.found.add(OVERRUN)
                raise _Stop


def _dictionary_sq(tag: int) -> bool:
    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


def meta_bounds(walk: _Walk) -> tuple[int, int, int]:
    """(start of the file meta, its end, end of the group 0002 elements that follow the preamble).

    The file meta ends where its group length (0002,0000) says, when that lands on an element
    boundary; group 0002 elements after it are a copy inside the dataset, not file meta.
    """
    walk.stream.seek(0)
    head = walk.stream.read(132)
    start = 132 if head[128:132] == b"DICM" else 0
    pos, previous, declared, boundaries = start, -1, None, set()
    while True:
        boundaries.add(pos)
        try:
            tag, vr, length, size = walk.header(pos, False, True)
        except _Stop:
            break
        if tag >> 16 != 0x0002 or length == UNDEFINED:
            break
        if tag == 0x00020000 and pos == start and length == 4:
            declared = pos + size + 4 + struct.unpack("<L", walk.read(pos + size, 4))[0]
        if declared is None or pos < declared:
            walk.order(tag, previous)
            previous = max(previous, tag)
        pos += size + length
    end = declared if declared is not None and declared in boundaries else pos
    return start, end, pos


def true_file_meta(stream: BinaryIO) -> FileMetaDataset | None:
    """The file meta as its group length delimits it, when pydicom read a copy in the dataset as file meta too."""
    walk = _Walk(stream, False, True)
    try:
        start, end, contiguous = meta_bounds(walk)
    except (_Stop, struct.error):
        return None
    if end == contiguous:
        return None
    try:
        meta = read_dataset(io.BytesIO(walk.read(start, end - start)), is_implicit_VR=False, is_little_endian=True)
        return FileMetaDataset(meta)
    except (_Stop, ValueError, OSError, struct.error):  # pydicom's reading of the whole group stands
        return None


def find_damage(stream: BinaryIO, implicit: bool, little: bool) -> list[str]:
    """What is structurally wrong with the file, sorted; empty for a sound file.

    `implicit` and `little` are the dataset's encoding as pydicom read it.
    """
    walk = _Walk(stream, implicit, little)
    try:
        _, end, _ = meta_bounds(walk)
        walk.dataset(end, None, 0, implicit, little, top=True)
    except (_Stop, struct.error, ValueError, OSError):  # the bytes end or make no sense: keep what was found
        pass
    return sorted(walk.found)
