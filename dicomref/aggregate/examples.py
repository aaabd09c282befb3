"""Merge scraped records into per-attribute statistics and choose the examples worth showing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dicomref.aggregate.privacy import redact
from dicomref.aggregate.validate import check_value
from dicomref.standard import Standard


@dataclass
class ValueStats:
    count: int = 0
    datasets: set[str] = field(default_factory=set)
    modalities: set[str] = field(default_factory=set)
    sop_classes: set[str] = field(default_factory=set)
    file: tuple[str, str] | None = None  # the lowest (dataset, path) holding the value
    truncated: bool = False
    length: int = 0

    def add(self, source: dict, truncated: bool, length: int) -> None:
        self.count += 1
        self.datasets.add(source["dataset"])
        if source.get("modality"):
            self.modalities.add(source["modality"])
        if source.get("sop_class_uid"):
            self.sop_classes.add(source["sop_class_uid"])
        where = (source["dataset"], source["path"])
        self.file = where if self.file is None else min(self.file, where)
        self.truncated = self.truncated or truncated
        self.length = max(self.length, length)

    def merge(self, other: "ValueStats") -> None:
        self.count += other.count
        self.datasets |= other.datasets
        self.modalities |= other.modalities
        self.sop_classes |= other.sop_classes
        if other.file is not None:
            self.file = other.file if self.file is None else min(self.file, other.file)
        self.truncated = self.truncated or other.truncated
        self.length = max(self.length, other.length)


@dataclass
class AttributeStats:
    files: int = 0
    paths: set[tuple[str, ...]] = field(default_factory=set)
    vrs: set[str] = field(default_factory=set)
    values: dict[str, ValueStats] = field(default_factory=dict)  # text value, or BULK_PREFIX + byte length
    bulk: bool = False

    @property
    def datasets(self) -> set[str]:
        return set().union(*(v.datasets for v in self.values.values())) if self.values else set()


BULK_PREFIX = "\x00bulk:"


@dataclass
class Collector:
    """Folds records one at a time, so shards can be streamed in any order with the same result."""

    standard: Standard
    attributes: dict[str, AttributeStats] = field(default_factory=dict)
    unknown_tags: set[str] = field(default_factory=set)

    def add_record(self, record: dict) -> None:
        source = record["source"]
        seen_in_file: set[str] = set()
        seen_values: set[tuple[str, str]] = set()
        for element in record["elements"]:
            key = self.standard.dictionary.key_for(int(element["tag"], 16))
            if key is None:
                self.unknown_tags.add(element["tag"])
                continue
            path = tuple(element.get("path") or ())
            self._note_sequences(path, seen_in_file)
            stats = self.attributes.setdefault(key, AttributeStats())
            if key not in seen_in_file:
                seen_in_file.add(key)
                stats.files += 1
            stats.paths.add(path)
            stats.vrs.add(element["vr"])
            if "value" in element:
                value = element["value"]
            else:
                stats.bulk = True
                value = f"{BULK_PREFIX}{element.get('length', 0)}"
            if (key, value) in seen_values:
                continue
            seen_values.add((key, value))
            stats.values.setdefault(value, ValueStats()).add(source, bool(element.get("truncated")), int(element.get("length") or 0))

    def _note_sequences(self, path: tuple[str, ...], seen_in_file: set[str]) -> None:
        """Sequences carry no value of their own; they count as seen through what they contain."""
        for depth, tag in enumerate(path):
            key = self.standard.dictionary.key_for(int(tag, 16))
            if key is None:
                continue
            stats = self.attributes.setdefault(key, AttributeStats())
            stats.vrs.add("SQ")
            stats.paths.add(path[:depth])
            if key not in seen_in_file:
                seen_in_file.add(key)
                stats.files += 1


@dataclass
class Example:
    value: str | None
    stats: ValueStats
    problem: str | None = None
    withheld: str | None = None
    bulk_length: int | None = None

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "count": self.stats.count,
            "valid": self.problem is None,
            "problem": self.problem,
            "withheld": self.withheld,
            "bulk_length": self.bulk_length,
            "truncated": self.stats.truncated,
            "length": self.stats.length,
            "datasets": sorted(self.stats.datasets),
            "modalities": sorted(self.stats.modalities),
            "sop_classes": sorted(self.stats.sop_classes),
            "file": None if self.withheld or self.stats.file is None else {"dataset": self.stats.file[0], "path": self.stats.file[1]},
        }


def publishable_examples(key: str, vr: str, stats: AttributeStats, standard: Standard, deidentified: frozenset[str], include_identifying: bool) -> list[Example]:
    """Every distinct value as it may be published: checked, and withheld or reduced where identifying."""
    merged: dict[tuple, Example] = {}
    value_sets = standard.value_sets_for(key)
    for raw, value_stats in stats.values.items():
        if raw.startswith(BULK_PREFIX):
            example = Example(None, ValueStats(), bulk_length=int(raw[len(BULK_PREFIX):]))
        else:
            problem = check_value(vr, raw, value_stats.truncated, value_sets)
            value, withheld = raw, None
            if not include_identifying and not value_stats.datasets <= deidentified:
                value, withheld = redact(key, vr, raw, standard.identifying)
            example = Example(value, ValueStats(), problem=problem if withheld is None or value is not None else None, withheld=withheld)
        slot = merged.setdefault((example.value, example.withheld, example.bulk_length, example.problem), example)
        slot.stats.merge(value_stats)
    return list(merged.values())


def choose_examples(candidates: Iterable[Example], limit: int) -> list[Example]:
    """Most frequent first, but a value from a modality or SOP class not yet shown beats a near-duplicate.

    Valid values rank before invalid ones; empty values appear only when nothing else exists.
    """
    ranked = sorted(candidates, key=lambda e: (e.problem is not None, -e.stats.count, e.value or "", e.bulk_length or 0))
    non_empty = [e for e in ranked if e.value != ""]
    pool = non_empty or ranked
    chosen: list[Example] = []
    modalities: set[str] = set()
    sop_classes: set[str] = set()
    while pool and len(chosen) < limit:
        pick = next(
            (e for e in pool if chosen and (e.stats.modalities - modalities or e.stats.sop_classes - sop_classes) and e.problem is None),
            pool[0],
        )
        pool.remove(pick)
        chosen.append(pick)
        modalities |= pick.stats.modalities
        sop_classes |= pick.stats.sop_classes
    return chosen
