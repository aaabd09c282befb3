"""How often real files follow the standard: the validator's rules run over every scraped record.

Per attribute and IOD: how many instances were required to hold it (Type 1 or 2, or 1C and 2C
whose condition held), and how many of those lacked it, left it empty or gave it an invalid value.
Counts only, never values, so they may always be published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dicomref.formats.aggregate import Requirement
from dicomref.formats.scraped import ScrapedRecord
from dicomref.standard import Standard
from dicomref.validate.engine import Validator
from dicomref.validate.view import Element, from_record, scraped_element, walk

_INVALID = frozenset({"enumerated", "vr", "vm"})
# Shapes whose rows' outcome is kept (see Conformance._outcomes); a few kB each.
OUTCOMES_KEPT = 4096
# How many of the most often broken requirements the coverage report lists.
MOST_BROKEN = 100


@dataclass
class Counts:
    type: str
    required: int = 0
    missing: int = 0
    empty: int = 0
    invalid: int = 0

    @property
    def broken(self) -> int:
        return self.missing + self.empty + self.invalid


@dataclass(frozen=True)
class _Outcome:
    """What the module rows found in a file: its IOD, what they required, and their error codes by required tag."""

    iod: str | None
    required: dict[str, str]
    codes: dict[str, frozenset[str]]


@dataclass
class Conformance:
    """Counts over records; any split or order of the records gives the same counts (see merge)."""

    standard: Standard
    validator: Validator = field(init=False)
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)  # (tag, IOD) -> counts
    checked: int = 0
    # The rows' outcome by the file's shape (see _shape): files of one make and protocol share it, and the rows
    # read nothing else, so each shape is checked once. Bounded, so memory stays flat.
    _outcomes: dict[bytes, _Outcome] = field(default_factory=dict)
    _keys: dict[str, str | None] = field(default_factory=dict)  # scraped tag -> dictionary key
    _value_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.validator = Validator(self.standard)
        self._value_keys = self.validator.value_keys()

    def add(self, record: ScrapedRecord) -> None:
        shape, repeating = self._shape(record)
        outcome = self._outcomes.get(shape)
        if outcome is None:
            outcome = self._rows_outcome(record)
            if len(self._outcomes) < OUTCOMES_KEPT:
                self._outcomes[shape] = outcome
        if outcome.iod is None:
            return
        self.checked += 1
        broken = {tag: set(codes) for tag, codes in outcome.codes.items()}
        for tag, code in self._value_codes(record, outcome.required, repeating):
            broken.setdefault(tag, set()).add(code)
        for tag, type_ in outcome.required.items():
            counts = self.counts.setdefault((tag, outcome.iod), Counts(type_))
            counts.required += 1
            codes = broken.get(tag, set())
            counts.missing += "missing" in codes
            counts.empty += "empty" in codes and "missing" not in codes
            counts.invalid += bool(codes & _INVALID) and not codes & {"missing", "empty"}

    def merge(self, other: Conformance) -> None:
        """Add the counts of another fold over other records."""
        self.checked += other.checked
        for key, counts in other.counts.items():
            mine = self.counts.setdefault(key, Counts(counts.type))
            mine.required += counts.required
            mine.missing += counts.missing
            mine.empty += counts.empty
            mine.invalid += counts.invalid

    def _key(self, tag: str) -> str | None:
        key = self._keys.get(tag, "")
        if key == "":
            key = self._keys[tag] = self.standard.dictionary.key_for(int(tag, 16))
        return key

    def _shape(self, record: ScrapedRecord) -> tuple[bytes, bool]:
        """A digest of what the rows read: every element's tag, sequence path and emptiness, and the values of the
        value keys; and whether an element belongs to a repeating group."""
        parts = []
        repeating = False
        for element in record["elements"]:
            tag = element["tag"]
            key = self._key(tag)
            repeating = repeating or (key is not None and key != tag)
            value = element.get("value")
            empty = value == "" if value is not None else element["length"] == 0
            part = f"{tag}/{'/'.join(element['path'])}/{empty:d}"
            if key in self._value_keys:
                part += f"/{element['vr']}/{element['truncated']:d}/{value}"
            parts.append(part)
        return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest(), repeating

    def _rows_outcome(self, record: ScrapedRecord) -> _Outcome:
        root = from_record(record, self.standard.dictionary.key_for)
        _sop_class, iod = self.validator.iod_of(root)
        if iod is None:
            return _Outcome(None, {}, {})
        required: dict[str, str] = {}
        codes: dict[str, set[str]] = {}
        for finding in list(self.validator.row_findings(root, iod, required)):
            if finding.severity == "error":
                codes.setdefault(finding.tag, set()).add(finding.code)
        return _Outcome(iod, required, {tag: frozenset(c) for tag, c in codes.items() if tag in required})

    def _value_codes(
        self, record: ScrapedRecord, required: dict[str, str], repeating: bool
    ) -> Iterator[tuple[str, str]]:
        """The VR and VM errors of the required attributes, at any depth, as the validator finds them."""
        if repeating:  # the view keeps the first of a repeating group in each item: let it say which
            root = from_record(record, self.standard.dictionary.key_for)
            elements: Iterable[tuple[str, Element]] = ((key, element) for _path, key, element in walk(root))
        else:
            elements = (
                (element["tag"], scraped_element(element))
                for element in record["elements"]
                if element["tag"] in required
            )
        for key, element in elements:
            entry = self.standard.dictionary.get(key)
            if key in required and entry is not None:
                problem = self.validator.value_problem(entry, element)
                if problem is not None:
                    yield key, problem[0]

    def by_attribute(self) -> dict[str, dict[str, Requirement]]:
        """aggregate.json's `conformance`: tag -> IOD id -> counts, sorted."""
        result: dict[str, dict[str, Requirement]] = {}
        for (tag, iod), counts in sorted(self.counts.items()):
            result.setdefault(tag, {})[iod] = Requirement(
                name=self.standard.iods[iod].name if iod in self.standard.iods else iod,
                type=counts.type,
                required=counts.required,
                missing=counts.missing,
                empty=counts.empty,
                invalid=counts.invalid,
            )
        return result

    def most_broken(self) -> list[dict]:
        """The requirements most often broken, for the coverage report: by broken count, then share broken."""
        table = self.by_attribute()
        broken = sorted(
            (key for key, counts in self.counts.items() if counts.broken),
            key=lambda k: (-self.counts[k].broken, -self.counts[k].required, k[1], k[0]),
        )
        return [
            {"tag": tag, "iod": iod, "keyword": _keyword(self.standard, tag), **table[tag][iod]}
            for tag, iod in broken[:MOST_BROKEN]
        ]


def _keyword(standard: Standard, tag: str) -> str:
    entry = standard.dictionary.get(tag)
    return entry.keyword if entry else ""
