"""Withhold identifying values from datasets declared neither de-identified nor public, one occurrence at a time.

Each occurrence is judged where it is read, so an identifying value from such a dataset is never
kept raw in memory and can reach no field of the output: identifying attributes (and everything
inside an identifying sequence) become a withheld marker, and UIDs keep only their organisation
root, in UI attributes and wherever else a UID appears in text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.uid import UID_dictionary

_NOT_DECLARED = "a dataset declared neither de-identified nor public"
WITHHELD = f"withheld: identifying attribute (PS3.15 Basic Profile) from {_NOT_DECLARED}"
WITHHELD_NESTED = f"withheld: inside an identifying sequence (PS3.15 Basic Profile) from {_NOT_DECLARED}"
UID_ROOT_ONLY = f"UID reduced to its organisation root: from {_NOT_DECLARED}"
UID_HIDDEN = f"withheld: not a UID, from {_NOT_DECLARED}"

# Registration arcs whose next component is the organisation's number ("1.2.840." + "113619").
# Elsewhere the root is the first four components (national arcs such as 1.2.392.200036).
_ORG_ARCS = (
    "1.2.840.",
    "1.3.6.1.4.1.",  # IANA private enterprise numbers
    "1.2.826.0.1.",
    "1.3.12.2.",
    "1.2.276.0.",
    "1.2.250.1.",
    "1.2.40.0.",
    "1.2.528.1.",
    "2.16.840.1.",
)
# Organisation numbers are short; longer components are serial numbers, dates or random parts.
_MAX_ORG_DIGITS = 7
# A UID written into a text attribute (an ID, a description) is as identifying as one in a UI attribute.
_UID_IN_TEXT = re.compile(r"(?<![\d.])[0-2](\.\d+){4,}\.?")


def uid_root(uid: str) -> str:
    """The organisation part of a UID, never a component that could name an instance.

    '1.3.6.1.4.1.5962.1.1.1' -> '1.3.6.1.4.1.5962'; '2.25.3297...' -> '2.25';
    '1.2.392.200036.9116.2' -> '1.2.392.200036'.
    """
    uid = uid.strip()
    length = next((arc.count(".") + 1 for arc in _ORG_ARCS if uid.startswith(arc)), 4)
    root: list[str] = []
    for part in uid.split(".", length)[:length]:
        if not part.isdigit() or len(part) > _MAX_ORG_DIGITS:
            break
        root.append(part)
    return ".".join(root)


def is_public_uid(uid: str) -> bool:
    """UIDs the standard itself defines (SOP classes, transfer syntaxes, ...) identify nobody."""
    return uid in UID_dictionary


@dataclass(frozen=True)
class Redaction:
    value: str | None  # what may be shown instead: a UID root, or None when nothing may be
    reason: str


# File meta identifiers of the software that wrote the file (Implementation Class UID and Version Name) name
# no patient, institution or instance: never withheld nor cut.
SOFTWARE_IDENTIFIERS = frozenset({"00020012", "00020013"})
# Inside an identifying sequence only text, names, dates, times and UIDs can identify; code strings and numbers
# (a Photometric Interpretation in an Icon Image Sequence, a row count) cannot.
NEVER_IDENTIFYING_VRS = frozenset({"CS", "DS", "IS", "US", "SS", "UL", "SL", "SV", "UV", "FL", "FD", "AT"})


@dataclass(frozen=True)
class PrivacyPolicy:
    identifying: frozenset[str]  # dictionary keys of the PS3.15 Basic Profile
    deidentified: frozenset[str] = frozenset()  # dataset names declared de-identified
    include_identifying: bool = False
    public: frozenset[str] = frozenset()  # dataset names declared public (already publicly distributed)

    def publishes_everything_from(self, dataset: str) -> bool:
        return self.include_identifying or dataset in self.deidentified or dataset in self.public

    def redact(self, key: str, vr: str, value: str, enclosing: tuple[str | None, ...]) -> Redaction | None:
        """How a value from a dataset declared neither de-identified nor public may appear; None: as it is."""
        if value == "" or key in SOFTWARE_IDENTIFIERS:
            return None
        if vr == "UI":
            return _reduce_uids(value)
        if key in self.identifying:
            return Redaction(None, WITHHELD)
        if enclosing and not self.identifying.isdisjoint(enclosing) and vr not in NEVER_IDENTIFYING_VRS:
            return Redaction(None, WITHHELD_NESTED)
        reduced = _UID_IN_TEXT.sub(_root_of_match, value)
        return None if reduced == value else Redaction(reduced, UID_ROOT_ONLY)


def shown_uid(uid: str) -> str:
    """A UID shown as provenance (the SOP class of a file): in full when the standard defines it, else its root."""
    redaction = _reduce_uids(uid)
    return uid if redaction is None else redaction.value or ""


def _root_of_match(match: re.Match) -> str:
    uid = match.group()
    return uid if is_public_uid(uid) else f"{uid_root(uid)}.…"


def _reduce_uids(value: str) -> Redaction | None:
    uids = value.split("\\")
    shown = [u if not u or is_public_uid(u) else uid_root(u) for u in uids]
    if shown == uids:
        return None
    if not all(r or not u for r, u in zip(shown, uids, strict=True)):
        return Redaction(None, UID_HIDDEN)
    return Redaction("\\".join(r if r == u else f"{r}.…" for r, u in zip(shown, uids, strict=True)), UID_ROOT_ONLY)
