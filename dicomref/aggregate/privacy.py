"""Publish from a dataset declared neither de-identified nor public only what cannot identify, one occurrence at a time.

The rule allows rather than blocks: a value from such a dataset is shown only when its attribute is on
the list below (coded and numeric technical values, UIDs the standard defines, the make, model and
software of the equipment); every other value (dates, times, names, AE titles, free text, UIDs the
standard does not define, the whole Basic Profile) becomes a withheld marker. Each occurrence is
judged where it is read, so an identifying value is never kept raw in memory and can reach no field
of the output. The list is this module alone; docs/aggregate.md shows it and a test holds the two to
each other and checks it over the whole dictionary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.uid import UID_dictionary

_NOT_DECLARED = "a dataset declared neither de-identified nor public"
WITHHELD = f"withheld: identifying attribute (PS3.15 Basic Profile) from {_NOT_DECLARED}"
WITHHELD_NESTED = f"withheld: inside an identifying sequence (PS3.15 Basic Profile) from {_NOT_DECLARED}"
WITHHELD_NOT_ALLOWED = f"withheld: not on the list of attributes that cannot identify, from {_NOT_DECLARED}"
WITHHELD_UID = f"withheld: a UID the standard does not define, from {_NOT_DECLARED}"

# Coded and numeric technical values: a code string, a number or a tag names nobody.
CODED_AND_NUMERIC_VRS = frozenset({"CS", "DS", "IS", "US", "SS", "UL", "SL", "SV", "UV", "FL", "FD", "AT"})
# Text shown as it is: the make, model and software versions of the equipment, and the file meta's software
# identifiers (Implementation Class UID, shown in full, and Implementation Version Name).
EQUIPMENT = frozenset(
    {
        "00020012",  # Implementation Class UID
        "00020013",  # Implementation Version Name
        "00080070",  # Manufacturer
        "00081090",  # Manufacturer's Model Name
        "00181016",  # Secondary Capture Device Manufacturer
        "00181018",  # Secondary Capture Device Manufacturer's Model Name
        "00181019",  # Secondary Capture Device Software Versions
        "00181020",  # Software Versions
    }
)
# Coded or numeric attributes that describe the person, absent from the 2020 Basic Profile table the model reads.
PERSON_MEASURES = frozenset({"00101022"})  # Patient's Body Mass Index
# A UID written into text (a software version) is as identifying as one in a UI attribute.
_UID_IN_TEXT = re.compile(r"(?<![\d.])[0-2](\.\d+){4,}")

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


def vr_parts(vr: str) -> set[str]:
    """'US or SS' -> {'US', 'SS'}."""
    return {part for part in vr.split() if part != "or"}


def may_show(key: str, vr: str, identifying: frozenset[str]) -> bool:
    """Whether values of this dictionary entry may be shown from a dataset declared neither de-identified nor
    public: the allow-list. UI entries are shown only for UIDs the standard defines (see PrivacyPolicy.withheld)."""
    if key in identifying or key in PERSON_MEASURES:
        return False
    parts = vr_parts(vr) - {"OB", "OW"}  # bulk data carries a length, never a value
    return key in EQUIPMENT or bool(parts) and (parts <= CODED_AND_NUMERIC_VRS or parts == {"UI"})


@dataclass(frozen=True)
class PrivacyPolicy:
    identifying: frozenset[str]  # dictionary keys of the PS3.15 Basic Profile
    deidentified: frozenset[str] = frozenset()  # dataset names declared de-identified
    include_identifying: bool = False
    public: frozenset[str] = frozenset()  # dataset names declared public (already publicly distributed)

    def publishes_everything_from(self, dataset: str) -> bool:
        return self.include_identifying or dataset in self.deidentified or dataset in self.public

    def withheld(self, key: str, vr: str, value: str, enclosing: tuple[str | None, ...]) -> str | None:
        """Why a value from a dataset declared neither de-identified nor public is withheld; None: shown as it is.

        `vr` is the value's own VR (the file's, where the dictionary allows a choice)."""
        if value == "":
            return None  # an empty value identifies nobody
        if key in self.identifying or key in PERSON_MEASURES:
            return WITHHELD
        nested = bool(enclosing) and not self.identifying.isdisjoint(enclosing)
        if key in EQUIPMENT and not nested and (vr == "UI" or not _UID_IN_TEXT.search(value)):
            return None
        if vr == "UI":
            return None if all(not u or is_public_uid(u) for u in value.split("\\")) else WITHHELD_UID
        if vr in CODED_AND_NUMERIC_VRS:
            return None  # even inside an identifying sequence: a Photometric Interpretation in an Icon Image Sequence
        return WITHHELD_NESTED if nested else WITHHELD_NOT_ALLOWED


def shown_uid(uid: str) -> str:
    """A UID shown as provenance (the SOP class of a file): in full when the standard defines it, else the root of
    the organisation that defined the private SOP class."""
    return uid if not uid or is_public_uid(uid) else f"{uid_root(uid)}.…"
