"""Choose, per attribute, the examples worth showing: checked, diverse, most frequent first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dicomref.aggregate.collect import AttributeStats, ValueStats
from dicomref.aggregate.privacy import is_public_uid, uid_root
from dicomref.aggregate.validate import NUMERIC_VRS, Validator
from dicomref.formats.aggregate import ExampleFile


@dataclass
class Example:
    value: str | None
    stats: ValueStats
    problem: str | None = None
    note: str | None = None
    withheld: str | None = None
    bulk_length: int | None = None

    @property
    def empty(self) -> bool:
        return self.value == "" or self.bulk_length == 0

    def order(self) -> tuple:
        """Ties between equally useful examples break on the value, so the choice is deterministic."""
        return (
            self.value or "",
            self.withheld or "",
            -1 if self.bulk_length is None else self.bulk_length,
            self.problem or "",
        )

    def to_json(self) -> dict:
        reduced = self.withheld is not None
        return {
            "value": self.value,
            "count": self.stats.count,
            "valid": self.problem is None,
            "problem": self.problem,
            "note": self.note,
            "withheld": self.withheld,
            "bulk_length": self.bulk_length,
            "truncated": self.stats.truncated,
            "length": None if reduced or self.bulk_length is not None else self.stats.length,
            "datasets": self.stats.datasets,
            "modalities": self.stats.modalities,
            "sop_classes": self.stats.sop_classes,
            "file": None if self.stats.file is None else _file(*self.stats.file),
        }


def _file(_private: bool, dataset: str, path: str, series: str) -> ExampleFile:
    """A public file by its path; a file of a dataset declared neither de-identified nor public by its series label."""
    return {"dataset": dataset, "path": path or None, "series": series or None}


def candidate_examples(key: str, vr: str, attribute: AttributeStats, validator: Validator) -> list[Example]:
    """Every tracked value as it may be published, checked against its VR and the standard."""
    examples = []
    for raw, stats in attribute.values.items():
        if isinstance(raw, int):
            examples.append(Example(None, stats, bulk_length=raw))
        else:
            finding = validator.check(key, vr, raw, stats.truncated, stats.places)
            examples.append(Example(raw, stats, problem=finding.problem, note=finding.note))
    for (reason, problem), stats in attribute.redacted.items():
        examples.append(Example(None, stats, problem=problem, withheld=reason))
    return examples


_SEPARATORS = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


def near_duplicate_key(vr: str, example: Example) -> tuple:
    """Examples with the same key tell a reader nothing new: '5' and '5.0', 'SIEMENS' and 'Siemens',
    two dates in the same format, two UIDs from the same organisation."""
    if example.bulk_length is not None:
        return ("binary",)
    if example.value is None or example.withheld is not None:
        return ("withheld", example.withheld, example.value)
    text = example.value
    if vr == "UI":
        return ("uid", tuple(u if is_public_uid(u) else uid_root(u) for u in text.split("\\")))
    if vr in NUMERIC_VRS:
        try:
            return ("number", tuple(float(v) for v in text.split("\\")))
        except ValueError:
            pass
    if vr in {"DA", "TM", "DT"}:
        return ("format", re.sub(r"\d", "9", text))
    return ("text", _DIGITS.sub("0", _SEPARATORS.sub("", text.casefold())))


def choose_examples(candidates: Iterable[Example], vr: str, limit: int) -> list[Example]:
    """Greedy: the most frequent value first; then valid before invalid, something new before a near
    duplicate of what is shown, a modality or SOP class not yet shown before one already shown, and
    the more frequent first. Empty values only when there is nothing else."""
    pool = list(candidates)
    pool = [e for e in pool if not e.empty] or pool
    pool.sort(key=lambda e: (e.problem is not None, -e.stats.count, e.order()))
    facts = [(e, near_duplicate_key(vr, e), set(e.stats.modalities), set(e.stats.sop_classes)) for e in pool]
    chosen: list[Example] = []
    shown_near: set[tuple] = set()
    modalities: set[str] = set()
    sop_classes: set[str] = set()
    while facts and len(chosen) < limit:
        best, best_rank = 0, (True, True, True)
        for index, (example, near, its_modalities, its_sop_classes) in enumerate(facts):
            nothing_new = bool(chosen) and its_modalities <= modalities and its_sop_classes <= sop_classes
            rank = (example.problem is not None, near in shown_near, nothing_new)
            if rank < best_rank or index == 0:
                best, best_rank = index, rank
                if not rank[1] and not rank[2]:
                    break  # the pool is in frequency order: no later example can rank higher
        example, near, its_modalities, its_sop_classes = facts.pop(best)
        chosen.append(example)
        shown_near.add(near)
        modalities |= its_modalities
        sop_classes |= its_sop_classes
    return chosen
