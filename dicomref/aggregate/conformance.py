"""How often real files follow the standard: the validator's rules run over every scraped record.

Per attribute and IOD: how many instances were required to hold it (Type 1 or 2, or 1C and 2C
whose condition held), and how many of those lacked it, left it empty or gave it an invalid value.
Counts only, never values, so they may always be published.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from dicomref.formats.aggregate import Requirement
from dicomref.formats.scraped import ScrapedRecord
from dicomref.standard import Standard
from dicomref.validate.engine import Validator
from dicomref.validate.view import Element, from_record, scraped_element, walk

_INVALID = frozenset({"enumerated", "vr", "vm"})
# Codes the rows' outcome already counts a file for, whatever its values break.
_COUNTED_BY_ROWS = _INVALID | {"missing", "empty"}
# Shapes whose rows' outcome is kept (see Conformance._outcomes); a few kB each.
OUTCOMES_KEPT = 4096
# Values whose VR and VM error is kept, so a value repeated from file to file is checked once.
PROBLEMS_KEPT = 1 << 16
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

    def counted(self, counts: Counts, tag: str, value_codes: frozenset[str], times: int = 1) -> None:
        """Count `times` files of this outcome whose value of `tag` broke `value_codes`."""
        codes = self.codes.get(tag, frozenset()) | value_codes
        counts.required += times
        if "missing" in codes:
            counts.missing += times
        elif "empty" in codes:
            counts.empty += times
        elif codes & _INVALID:
            counts.invalid += times


@dataclass
class Conformance:
    """Counts over records; any split or order of the records gives the same counts (see merge)."""

    standard: Standard
    validator: Validator = field(init=False)
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)  # (tag, IOD) -> counts
    checked: int = 0
    # The rows' outcome by the file's shape (see _shape): files of one make and protocol share it, and the rows
    # read nothing else, so each shape is checked once. Bounded, so memory stays flat.
    _outcomes: dict[tuple[int, int], _Outcome] = field(default_factory=dict)
    _pending: dict[tuple[int, int], int] = field(default_factory=dict)  # files of a kept shape not yet in `counts`
    _tags: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # tag -> (in a repeating group, value read)
    _problems: dict[tuple, str | None] = field(default_factory=dict)  # an element's VR or VM error code
    _value_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.validator = Validator(self.standard)
        self._value_keys = self.validator.value_keys()

    def add(self, record: ScrapedRecord) -> None:
        shape, repeating = self._shape(record)
        outcome = self._outcomes.get(shape)
        kept = outcome is not None
        if outcome is None:
            outcome = self._rows_outcome(record)
            kept = len(self._outcomes) < OUTCOMES_KEPT
            if kept:
                self._outcomes[shape], self._pending[shape] = outcome, 0
        if outcome.iod is None:
            return
        self.checked += 1
        broken: dict[str, set[str]] = {}
        for tag, code in self._value_codes(record, outcome.required, repeating):
            broken.setdefault(tag, set()).add(code)
        if not kept:
            for tag, type_ in outcome.required.items():
                outcome.counted(self._counts(tag, outcome.iod, type_), tag, frozenset(broken.get(tag, ())))
            return
        self._pending[shape] += 1  # the files of a shape are counted together (see finish), but what values break
        for tag, codes in broken.items():
            if codes & _INVALID and not outcome.codes.get(tag, frozenset()) & _COUNTED_BY_ROWS:
                self._counts(tag, outcome.iod, outcome.required[tag]).invalid += 1

    def finish(self) -> None:
        """Count the files held back by shape."""
        for shape, times in self._pending.items():
            outcome = self._outcomes[shape]
            if times and outcome.iod is not None:
                for tag, type_ in outcome.required.items():
                    outcome.counted(self._counts(tag, outcome.iod, type_), tag, frozenset(), times)
            self._pending[shape] = 0

    def merge(self, counts_by_key: dict[tuple[str, str], Counts], checked: int) -> None:
        """Add the counts of another fold over other records (finished)."""
        self.checked += checked
        for key, counts in counts_by_key.items():
            mine = self._counts(*key, counts.type)
            mine.required += counts.required
            mine.missing += counts.missing
            mine.empty += counts.empty
            mine.invalid += counts.invalid

    def _counts(self, tag: str, iod: str, type_: str) -> Counts:
        counts = self.counts.get((tag, iod))
        if counts is None:
            counts = self.counts[(tag, iod)] = Counts(type_)
        return counts

    def _tag(self, tag: str) -> tuple[bool, bool]:
        facts = self._tags.get(tag)
        if facts is None:
            key = self.standard.dictionary.key_for(int(tag, 16))
            facts = self._tags[tag] = (key is not None and key != tag, key in self._value_keys)
        return facts

    def _shape(self, record: ScrapedRecord) -> tuple[tuple[int, int], bool]:
        """A 64-bit digest of what the rows read (every element's tag, sequence path and emptiness, and the values of
        the value keys), and whether an element belongs to a repeating group."""
        parts: list[tuple] = []
        repeating = False
        for element in record["elements"]:
            tag = element["tag"]
            facts = self._tag(tag)
            repeating |= facts[0]
            path = "/".join(element["path"])
            value = element.get("value")
            empty = value == "" if value is not None else element["length"] == 0
            if facts[1]:
                parts.append((tag, path, empty, element["vr"], element["truncated"], value))
            else:
                parts.append((tag, path, empty))
        return (len(parts), hash(tuple(parts))), repeating

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
            for _path, key, element in walk(root):
                code = self._problem(key, element) if key in required else None
                if code is not None:
                    yield key, code
            return
        problems = self._problems
        for scraped in record["elements"]:
            tag = scraped["tag"]
            if tag in required:
                value = scraped.get("value")
                memo = (tag, scraped["vr"], value, scraped["length"] == 0, scraped["truncated"])
                code = problems.get(memo, "")
                if code == "":
                    code = self._problem(tag, scraped_element(scraped))
                    if len(problems) < PROBLEMS_KEPT:
                        problems[memo] = code
                if code is not None:
                    yield tag, code

    def _problem(self, key: str, element: Element) -> str | None:
        entry = self.standard.dictionary.get(key)
        problem = None if entry is None else self.validator.value_problem(entry, element)
        return None if problem is None else problem[0]

    def by_attribute(self) -> dict[str, dict[str, Requirement]]:
        """aggregate.json's `conformance`: tag -> IOD id -> counts, sorted."""
        self.finish()
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
