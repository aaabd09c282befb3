"""The data dictionary: every entry of pydicom's DicomDictionary and RepeatersDictionary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.datadict import DicomDictionary, RepeatersDictionary

TAG_RE = re.compile(r"^[0-9A-F]{8}$")


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
    mask: int
    value: int
    key: str


def _repeater_key(raw: str) -> str:
    return raw[:4].upper().replace("X", "x") + raw[4:].upper().replace("X", "x")


class Dictionary:
    """All dictionary entries keyed by tag, with concrete repeating tags folded onto their entry."""

    def __init__(self) -> None:
        entries: dict[str, DictEntry] = {}
        for tag, (vr, vm, name, retired, keyword) in DicomDictionary.items():
            key = tag_key(tag)
            entries[key] = DictEntry(key, keyword, name, vr, vm, retired == "Retired")
        repeaters = []
        for raw, (vr, vm, name, retired, keyword) in RepeatersDictionary.items():
            key = _repeater_key(raw)
            entries[key] = DictEntry(key, keyword, name, vr, vm, retired == "Retired")
            mask = int("".join("0" if c in "xX" else "F" for c in raw), 16)
            value = int(raw.replace("x", "0").replace("X", "0"), 16)
            repeaters.append(_Repeater(mask, value, key))
        self.entries: dict[str, DictEntry] = dict(sorted(entries.items()))
        self._repeaters = tuple(repeaters)
        self._by_keyword = {e.keyword.lower(): e for e in self.entries.values() if e.keyword}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries.values())

    def key_for(self, tag: int) -> str | None:
        """The entry key a concrete tag counts for: (6000,0010) -> '60xx0010'; None if unknown."""
        key = tag_key(tag)
        if key in self.entries:
            return key
        for rep in self._repeaters:
            if tag & rep.mask == rep.value:
                return rep.key
        return None

    def get(self, key: str) -> DictEntry | None:
        return self.entries.get(key)

    def by_keyword(self, keyword: str) -> DictEntry | None:
        return self._by_keyword.get(keyword.lower())
