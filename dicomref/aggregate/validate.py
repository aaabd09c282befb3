"""Check example values against their VR (pydicom's validators) and the standard's value sets.

Every problem is a short phrase that never quotes the value, so it may be published even when
the value itself is withheld.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydicom.charset import STAND_ALONE_ENCODINGS, python_encoding
from pydicom.uid import UID_dictionary
from pydicom.valuerep import MAX_VALUE_LEN, STR_VR_REGEXES, VALIDATORS, validate_pn

from dicomref.standard import Standard
from dicomref.standard.descriptions import ValueSet
from dicomref.standard.model import Usage

SPECIFIC_CHARACTER_SET = "00080005"
DICOM_UID_ROOT = "1.2.840.10008."
# Written by the scraper from binary numbers or tags: valid by construction.
BINARY_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV", "FL", "FD", "AT"})
NUMERIC_VRS = BINARY_VRS - {"AT"} | {"DS", "IS"}
SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR"})
# PS3.5 6.2: control characters allowed in text VRs (ESC only in the short ones).
_SHORT_TEXT_CONTROL = re.compile(r"[\x00-\x1a\x1c-\x1f\x7f]")
_LONG_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_CONTROL_RULES = {"SH": _SHORT_TEXT_CONTROL, "LO": _SHORT_TEXT_CONTROL,
                  "PN": _SHORT_TEXT_CONTROL, "UC": _SHORT_TEXT_CONTROL,
                  "ST": _LONG_TEXT_CONTROL, "LT": _LONG_TEXT_CONTROL, "UT": _LONG_TEXT_CONTROL}  # fmt: skip
IS_RANGE = (-(2**31), 2**31 - 1)
# What each pydicom regular expression asks for, in words.
_FORMATS = {
    "AE": "printable ASCII characters only",
    "AS": "three digits and D, W, M or Y",
    "CS": "upper-case letters, digits, space and underscore only",
    "DS": "a decimal number",
    "IS": "an integer",
    "DA": "a date YYYYMMDD",
    "DT": "a date-time YYYYMMDDHHMMSS.FFFFFF&ZZXX (leading parts)",
    "TM": "a time HHMMSS.FFFFFF (leading parts)",
    "UI": "digits and dots, no component with a leading zero",
    "UR": "a URI without spaces inside",
}
_LATIN1_HIGH = re.compile("[\x80-\xff]")
UNDECODABLE = "unreadable: bytes that do not decode in the file's character set"
MOJIBAKE = "unreadable: UTF-8 bytes read in another character set (Specific Character Set missing or wrong)"
NOT_A_DEFINED_TERM = "not among the standard's defined terms (implementations may add their own)"


@dataclass(frozen=True)
class Finding:
    problem: str | None = None  # why the value is invalid; None when valid
    note: str | None = None  # worth knowing, but not a violation


def unreadable(text: str) -> str | None:
    """Text that shows bytes were decoded wrongly: replacement characters, stray escapes, mojibake."""
    if text.isascii():
        return UNDECODABLE if "\x1b" in text else None
    if "\ufffd" in text or "\x1b" in text:
        return UNDECODABLE
    if _LATIN1_HIGH.search(text):
        try:
            redecoded = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return None
        if redecoded != text:
            return MOJIBAKE
    return None


def vr_problem(vr: str, text: str, truncated: bool) -> str | None:
    """The first way the value breaks its VR's rules (PS3.5 6.2), by pydicom's length limits and patterns."""
    control = _CONTROL_RULES.get(vr)
    if control is not None and control.search(text):
        return f"control characters that VR {vr} does not allow"
    if vr not in VALIDATORS or vr in BINARY_VRS:
        return None
    values = [text] if vr in SINGLE_VALUE_VRS else text.split("\\")
    if truncated:
        values = values[:-1]  # the last value was cut short, so it cannot be judged
    for value in values:
        problem = value and _value_problem(vr, value)
        if problem:
            return problem
    return None


def _value_problem(vr: str, value: str) -> str | None:
    limit = MAX_VALUE_LEN.get(vr, 0)
    if limit and len(value) > limit:
        return f"longer than the {limit} characters VR {vr} allows"
    pattern = STR_VR_REGEXES.get(vr)
    if pattern is not None and (not pattern.match(value) or value.endswith("\n")):
        return f"not a valid {vr} value: expected {_FORMATS[vr]}"
    if vr == "PN" and not validate_pn(vr, value)[0]:
        return "PN with more than three component groups, or a component over 64 characters"
    if vr == "IS" and not IS_RANGE[0] <= int(value) <= IS_RANGE[1]:
        return "IS outside the range of a 32-bit signed integer"
    return None


def character_set_problem(text: str) -> str | None:
    """Specific Character Set terms as pydicom knows them from PS3.3 C.12.1.1.2 ('ISO_IR 100', not 'ISO_IR100')."""
    terms = [t.strip() for t in text.split("\\")]
    for position, term in enumerate(terms):
        if term == "" and position == 0:
            continue  # an empty first value means the default repertoire
        if term not in python_encoding:
            return "not a defined term for Specific Character Set (for example 'ISO_IR 100', 'ISO_IR 192')"
    if len(terms) > 1 and any(t in STAND_ALONE_ENCODINGS for t in terms):
        return "a character set that cannot be combined with others (ISO_IR 192, GB18030, GBK)"
    return None


def uid_problem(text: str) -> str | None:
    for uid in text.split("\\"):
        if uid.startswith(DICOM_UID_ROOT) and uid not in UID_dictionary:
            return "under the standard's root 1.2.840.10008 but not a UID the standard defines"
    return None


def _number(text: str) -> float:
    """A number as the standard writes it in value sets: '16', '1.0', or hexadecimal '0001H'."""
    text = text.strip()
    if text[-1:] in {"H", "h"}:
        return float(int(text[:-1], 16))
    return float(text)


def _same(vr: str, value: str, term: str) -> bool:
    if vr in NUMERIC_VRS:
        try:
            return _number(value) == _number(term)
        except ValueError:
            pass
    return value.strip() == term.strip()


# Allowed terms by value position (None: every position) in one module row using an attribute.
Terms = dict[int | None, tuple[str, ...]]
# Where a value was found: the SOP Class UID of its file and the keys of its enclosing sequences.
Place = tuple[str, tuple[str | None, ...]]


def _terms_at(terms: Terms, position: int) -> tuple[str, ...] | None:
    return terms.get(position, terms.get(None))


@dataclass(frozen=True)
class Rows:
    """The value sets of the module rows that apply to a value found at one place."""

    terms: tuple[Terms, ...]
    every_row: bool  # within one IOD every row applies (modules refine each other); elsewhere any one may
    iod_name: str = ""
    union: bool = False  # within one IOD, a term listed by any row that lists terms at the position is known

    @property
    def restrict(self) -> bool:
        return any(self.terms)

    def excludes(self, vr: str, value: str, position: int) -> bool:
        allowed = [_terms_at(terms, position) for terms in self.terms]
        listed = [a for a in allowed if a is not None]
        if not listed or (not self.every_row and not self.union and len(listed) < len(allowed)):
            return False
        matches = [any(_same(vr, value, term) for term in terms) for terms in listed]
        return not all(matches) if self.every_row else not any(matches)


@dataclass
class Validator:
    """Judges values where they were found: against the module rows of their file's IOD at their nesting."""

    standard: Standard
    _iods_of_sop_class: dict[str, list[str]] = field(default_factory=dict)
    _rows: dict[tuple[str, Place, str], Rows] = field(default_factory=dict)
    _usages_at: dict[tuple[str, tuple[str | None, ...]], list[Usage]] = field(default_factory=dict)
    _modules_of_sop_class: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for iod_id, iod in self.standard.iods.items():
            for sop in iod.sop_classes:
                self._iods_of_sop_class.setdefault(sop.uid, []).append(iod_id)

    def check(self, key: str, vr: str, text: str, truncated: bool, places: Iterable[Place]) -> Finding:
        problem = unreadable(text) or vr_problem(vr, text, truncated)
        if problem is None and key == SPECIFIC_CHARACTER_SET:
            problem = character_set_problem(text)
        if problem is None and vr == "UI":
            problem = uid_problem(text)
        if problem is not None or vr in {"LT", "ST", "UT", "UR", "PN"}:
            return Finding(problem)
        values = [text] if vr in SINGLE_VALUE_VRS else text.split("\\")
        if truncated:
            values = values[:-1]
        note = None
        places = set(places)
        for place in sorted(places, key=repr) if len(places) > 1 else places:
            rows = self._rows_at(key, place, "enumerated")
            if self._outside(rows, vr, values):
                where = f" in the {rows.iod_name} IOD" if rows.iod_name else ""
                return Finding(f"not one of the standard's enumerated values for this attribute{where}")
            if note is None and self._outside(self._rows_at(key, place, "defined"), vr, values):
                note = NOT_A_DEFINED_TERM
        return Finding(None, note)

    @staticmethod
    def _outside(rows: Rows, vr: str, values: list[str]) -> bool:
        return rows.restrict and any(
            value.strip() and rows.excludes(vr, value, position) for position, value in enumerate(values)
        )

    def _rows_at(self, key: str, place: Place, kind: str) -> Rows:
        """The rows using the attribute at this nesting in the file's IOD;
        when there are none, those anywhere in the standard."""
        cache_key = (key, place, kind)
        if cache_key not in self._rows:
            sop_class, enclosing = place
            usages = self._usages_at.get((key, enclosing))
            if usages is None:
                usages = [u for u in self.standard.usages.get(key, []) if u.attribute.path == enclosing]
                self._usages_at[(key, enclosing)] = usages
            iods = self._iods_of_sop_class.get(sop_class, [])
            modules = self._modules_of_sop_class.get(sop_class)
            if modules is None:
                modules = {m.module_id for iod in iods for m in self.standard.iods[iod].modules}
                self._modules_of_sop_class[sop_class] = modules
            in_iod = [u for u in usages if u.module_id in modules]
            terms = tuple(self._terms(usage.attribute.value_sets, kind) for usage in in_iod or usages)
            iod_name = self.standard.iods[iods[0]].name if in_iod and len(iods) == 1 else ""
            # Enumerated lists of one IOD narrow each other; a term defined by any of its rows is known.
            every_row, union = bool(in_iod) and kind == "enumerated", bool(in_iod) and kind == "defined"
            self._rows[cache_key] = Rows(terms, every_row=every_row, iod_name=iod_name, union=union)
        return self._rows[cache_key]

    @staticmethod
    def _terms(value_sets: Iterable[ValueSet], kind: str) -> Terms:
        """Terms by value index (0 for Value 1; None for every value).

        "enumerated": the lists that limit the value whatever else the file holds. A list under
        a condition ("if Bits Stored = 8") limits only when the condition holds, which other
        values decide, so its terms count as known terms for the "defined" check instead.
        """
        terms: Terms = {}
        for value_set in value_sets:
            limits = value_set.kind == "enumerated" and value_set.condition is None
            if limits or kind == "defined":
                position = None if value_set.position is None else value_set.position - 1
                terms[position] = terms.get(position, ()) + value_set.values
        return terms
