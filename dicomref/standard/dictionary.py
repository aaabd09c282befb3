"""The data dictionary: every entry of pydicom's DicomDictionary and RepeatersDictionary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pydicom
from pydicom.datadict import DicomDictionary, RepeatersDictionary


def tag_key(tag: int) -> str:
    """The 8-hex-digit form used in file names and JSON: 0x00180050 -> '00180050'."""
    return f"{tag:08X}"


def display_tag(key: str) -> str:
    """What people read: '00180050' -> '(0018,0050)', '60xx0010' -> '(60xx,0010)'."""
    return f"({key[:4]},{key[4:]})"


@dataclass(frozen=True)
class DictEntry:
    tag: str  # 8 hex digits upper case; a repeating group keeps its lower-case 'x'
    keyword: str
    name: str
    vr: str  # multi-VR entries stay as written: 'US or SS'
    vm: str
    retired: bool

    @property
    def display(self) -> str:
        return display_tag(self.tag)

    @property
    def group(self) -> str:
        return self.tag[:4]

    @property
    def repeating(self) -> bool:
        return "x" in self.tag

    @property
    def kind(self) -> str:
        """'command' (group 0000), 'file meta' (group 0002) or 'data' for everything else."""
        return {"0000": "command", "0002": "file meta"}.get(self.group, "data")

    @property
    def bears_value(self) -> bool:
        """Whether the entry can carry a value we keep as an example (not SQ, not OB)."""
        return self.vr not in {"SQ", "OB", "NONE"}


@dataclass(frozen=True)
class _Repeater:
    mask: int  # 1 bits where the entry's tag is fixed
    value: int
    key: str
    in_group: bool  # the 'xx' is in the group (50xx, 60xx, 7Fxx), not in the element (002804x0)

    def matches(self, tag: int) -> bool:
        if tag & self.mask != self.value:
            return False
        # Repeating groups are only the even groups xx = 00-1E (PS3.5 7.6); 6001 and 6020 are not overlays.
        return not self.in_group or (tag >> 16) & 0xFF <= 0x1E


# pydicom's name for the few retired tags PS3.6 lists with no name and no keyword; not the standard's text.
_PLACEHOLDER_NAME = "Retired-blank"


def _name(raw: str) -> str:
    """The name as PS3.6 gives it: blank for the placeholder entries."""
    return "" if raw == _PLACEHOLDER_NAME else raw


def _repeater_key(raw: str) -> str:
    return raw.upper().replace("X", "x")


def dictionary_release() -> str:
    """The DICOM edition pydicom's dictionary was generated from, e.g. '2024c'."""
    return getattr(pydicom, "__dicom_version__", "") or "unknown edition"


class Dictionary:
    """All dictionary entries keyed by tag, with concrete repeating tags folded onto their entry."""

    def __init__(self) -> None:
        entries: dict[str, DictEntry] = {}
        for tag, (vr, vm, name, retired, keyword) in DicomDictionary.items():
            key = tag_key(tag)
            entries[key] = DictEntry(key, keyword, _name(name), vr, vm, retired == "Retired")
        repeaters = []
        for raw, (vr, vm, name, retired, keyword) in RepeatersDictionary.items():
            key = _repeater_key(raw)
            entries[key] = DictEntry(key, keyword, _name(name), vr, vm, retired == "Retired")
            mask = int("".join("0" if c in "xX" else "F" for c in raw), 16)
            value = int(raw.replace("x", "0").replace("X", "0"), 16)
            repeaters.append(_Repeater(mask, value, key, in_group="x" in key[:4]))
        self.entries: dict[str, DictEntry] = dict(sorted(entries.items()))
        self._repeaters = tuple(repeaters)
        self._by_keyword = {e.keyword.lower(): e for e in self.entries.values() if e.keyword}
        self._by_name = {_name_key(e.name): e for e in self.entries.values() if e.name}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[DictEntry]:
        return iter(self.entries.values())

    def key_for(self, tag: int) -> str | None:
        """The entry key a concrete tag counts for: (6000,0010) -> '60xx0010'; None if unknown or private."""
        key = tag_key(tag)
        if key in self.entries:
            return key
        if (tag >> 16) % 2:  # odd groups are private, whatever the repeating groups look like
            return None
        return next((rep.key for rep in self._repeaters if rep.matches(tag)), None)

    def get(self, key: str) -> DictEntry | None:
        return self.entries.get(key)

    def by_keyword(self, keyword: str) -> DictEntry | None:
        return self._by_keyword.get(keyword.lower())

    def by_name(self, name: str) -> DictEntry | None:
        """The entry named so, in any case and spacing: "patient's  name" finds Patient's Name."""
        return self._by_name.get(_name_key(name))


def _name_key(name: str) -> str:
    return " ".join(name.split()).lower()
