"""The standard's registered UIDs (PS3.6 Annex A) as pydicom holds them: SOP classes, transfer syntaxes and the rest.

Developers look UIDs up as often as tags: 1.2.840.10008.5.1.4.1.1.2 is CT Image Storage,
1.2.840.10008.1.2.4.50 is JPEG Baseline. The standard model's IODs list the SOP classes that
use them, which joins a SOP class to its IOD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydicom.uid import UID_dictionary

from dicomref.standard.model import Standard

SOP_CLASS = "SOP Class"
TRANSFER_SYNTAX = "Transfer Syntax"
# Kinds in the order a reader looks for them; any other kind follows, by name.
KIND_ORDER = (SOP_CLASS, TRANSFER_SYNTAX, "Meta SOP Class", "Well-known SOP Instance", "Service Class")
_UID = re.compile(r"[0-9]+(?:\.[0-9]+)+")


@dataclass(frozen=True)
class RegisteredUid:
    uid: str
    name: str
    kind: str  # "SOP Class", "Transfer Syntax", "Well-known frame of reference", ...
    keyword: str
    info: str  # what PS3.6 adds, e.g. "Default Transfer Syntax for DICOM"
    retired: bool
    iods: tuple[str, ...] = ()  # for a SOP class: the IODs of the standard model that list it

    @property
    def title(self) -> str:
        """The name; the UID itself for the two retired entries PS3.6 lists without one."""
        return self.name or self.uid

    @property
    def label(self) -> str:
        """The title with retired ones marked: two SOP classes are called Ultrasound Image Storage."""
        return f"{self.title} (retired)" if self.retired else self.title


@dataclass(frozen=True)
class UidRegistry:
    uids: dict[str, RegisteredUid]  # by UID, sorted by UID component by component
    kinds: tuple[str, ...] = field(default=())  # every kind, in KIND_ORDER then by name

    def get(self, uid: str) -> RegisteredUid | None:
        return self.uids.get(uid)

    def __iter__(self) -> Iterator[RegisteredUid]:
        return iter(self.uids.values())

    def __len__(self) -> int:
        return len(self.uids)

    def of_kind(self, kind: str) -> list[RegisteredUid]:
        return [u for u in self.uids.values() if u.kind == kind]

    def registered_in(self, text: str) -> list[RegisteredUid]:
        """The registered UIDs that make up a value (several values joined by a backslash), in order."""
        found = (self.uids.get(part.strip()) for part in text.split("\\"))
        return [u for u in found if u is not None]


def uid_order(uid: str) -> tuple[int, ...]:
    """1.2.840.10008.1.2 before 1.2.840.10008.1.2.1 before 1.2.840.10008.1.20: component by component."""
    return tuple(int(part) for part in uid.split(".") if part.isdigit())


def load_uid_registry(standard: Standard) -> UidRegistry:
    """pydicom's UID dictionary, each SOP class joined to the IODs of the standard model that list it.

    A SOP class of the model's export that pydicom does not know still gets an entry, with the export's name.
    """
    iods_of: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for iod in standard.iods.values():
        for sop in iod.sop_classes:
            iods_of.setdefault(sop.uid, []).append(iod.id)
            names.setdefault(sop.uid, sop.name)
    uids: dict[str, RegisteredUid] = {}
    for uid, (name, kind, info, retired, keyword) in UID_dictionary.items():
        if _UID.fullmatch(uid):
            uids[uid] = RegisteredUid(uid, name, kind, keyword, info, retired == "Retired", tuple(iods_of.get(uid, ())))
    for uid, name in names.items():
        if uid not in uids and _UID.fullmatch(uid):
            uids[uid] = RegisteredUid(uid, name, SOP_CLASS, "", "", False, tuple(iods_of[uid]))
    kinds = {u.kind for u in uids.values()}
    ordered = tuple(k for k in KIND_ORDER if k in kinds) + tuple(sorted(kinds - set(KIND_ORDER), key=str.lower))
    return UidRegistry(dict(sorted(uids.items(), key=lambda kv: uid_order(kv[0]))), ordered)
