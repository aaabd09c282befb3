"""How often real files follow the standard: the validator's rules run over every scraped record.

Per attribute and IOD: how many instances were required to hold it (Type 1 or 2, or 1C and 2C
whose condition held), and how many of those lacked it, left it empty or gave it an invalid value.
Counts only, never values, so they may always be published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dicomref.formats.aggregate import Requirement
from dicomref.formats.scraped import ScrapedRecord
from dicomref.standard import Standard
from dicomref.validate.engine import Validator
from dicomref.validate.view import from_record

_INVALID = frozenset({"enumerated", "vr", "vm"})
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


@dataclass
class Conformance:
    standard: Standard
    validator: Validator = field(init=False)
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)  # (tag, IOD) -> counts
    checked: int = 0

    def __post_init__(self) -> None:
        self.validator = Validator(self.standard)

    def add(self, record: ScrapedRecord) -> None:
        required: dict[str, str] = {}
        report = self.validator.check(from_record(record, self.standard.dictionary.key_for), required)
        if report.iod is None:
            return
        self.checked += 1
        broken: dict[str, set[str]] = {}
        for finding in report.findings:
            if finding.severity == "error" and finding.tag in required:
                broken.setdefault(finding.tag, set()).add(finding.code)
        for tag, type_ in required.items():
            counts = self.counts.setdefault((tag, report.iod), Counts(type_))
            counts.required += 1
            codes = broken.get(tag, set())
            counts.missing += "missing" in codes
            counts.empty += "empty" in codes and "missing" not in codes
            counts.invalid += bool(codes & _INVALID) and not codes & {"missing", "empty"}

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
