"""Fold scraped records, one at a time, into per-attribute statistics.

Memory grows with the distinct values of each attribute up to a cap (see sample.py), not with
the number of records; values that may identify, from datasets declared neither de-identified nor
public, are replaced as they are read (see privacy.py), so they are never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dicomref.aggregate.labels import series_label
from dicomref.aggregate.privacy import PrivacyPolicy, shown_uid
from dicomref.aggregate.sample import SLACK, DistinctSketch, stable_hash
from dicomref.aggregate.validate import Place, Validator
from dicomref.formats.scraped import ScrapedRecord
from dicomref.standard import Standard

# Where a value was seen: (dataset, modality, SOP Class UID, keys of the enclosing sequences);
# '' when the file did not say.
Context = tuple[str, str, str, tuple[str | None, ...]]
# A withheld value: (why, the raw value's problem or None).
Bucket = tuple[str, str | None]
# A file as provenance: (False, dataset, path, ''), or from a dataset declared neither de-identified nor public
# (True, dataset, '', series label): such paths are never kept, and a file whose path may be shown comes first.
Where = tuple[bool, str, str, str]


@dataclass(slots=True)
class ValueStats:
    """One published value of an attribute: in how many files, where, and the first file holding it."""

    count: int = 0
    contexts: frozenset[Context] = frozenset()
    file: Where | None = None  # the first file holding the value: a public one, then the lowest dataset and path
    truncated: bool = False
    length: int = 0
    value_hash: int = 0
    last_record: int = -1  # so a file counts once however often the value repeats in it

    def merge(self, other: ValueStats) -> None:
        """Add the files of another fold over other records."""
        self.count += other.count
        self.contexts |= other.contexts
        if other.file is not None and (self.file is None or other.file < self.file):
            self.file = other.file
        self.truncated |= other.truncated
        self.length = max(self.length, other.length)

    @property
    def datasets(self) -> list[str]:
        return sorted({c[0] for c in self.contexts})

    @property
    def modalities(self) -> list[str]:
        return sorted({c[1] for c in self.contexts if c[1]})

    @property
    def sop_classes(self) -> list[str]:
        return sorted({c[2] for c in self.contexts if c[2]})

    @property
    def places(self) -> set[Place]:
        return {(c[2], c[3]) for c in self.contexts}


@dataclass
class AttributeStats:
    """Everything kept about one dictionary entry."""

    capacity: int
    files: int = 0
    paths: set[tuple[str, ...]] = field(default_factory=set)
    vrs: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)  # datasets that gave it a value that is not empty
    modalities: set[str] = field(default_factory=set)
    not_empty: bool = False  # some file gave a value (binary: a length above 0); covered only then
    values: dict[str | int, ValueStats] = field(default_factory=dict)  # text value, or byte length of a binary value
    redacted: dict[Bucket, ValueStats] = field(default_factory=dict)
    distinct: DistinctSketch = field(init=False)
    last_record: int = -1

    def __post_init__(self) -> None:
        self.distinct = DistinctSketch(self.capacity)

    def value_slot(self, raw: str | int) -> ValueStats | None:
        """The statistics of a raw value, or None when it falls outside the bounded sample."""
        stats = self.values.get(raw)
        if stats is None:
            value_hash = stable_hash(raw)
            if not self.distinct.add(value_hash):
                return None
            stats = self.values[raw] = ValueStats(value_hash=value_hash)
            if len(self.values) > SLACK * self.capacity:
                self._drop_outside_sample()
        return stats

    def redacted_slot(self, raw: str, bucket: Bucket) -> ValueStats:
        self.distinct.add(stable_hash(raw))
        stats = self.redacted.get(bucket)
        if stats is None:
            stats = self.redacted[bucket] = ValueStats()
        return stats

    def finish(self) -> None:
        self.distinct.shrink()
        self._drop_outside_sample()

    def merge(self, other: AttributeStats) -> None:
        """Add the files of another fold over other records; the values outside the joint sample go."""
        self.files += other.files
        self.paths |= other.paths
        self.vrs |= other.vrs
        self.datasets |= other.datasets
        self.modalities |= other.modalities
        self.not_empty |= other.not_empty
        for mine, theirs in ((self.values, other.values), (self.redacted, other.redacted)):
            for raw, stats in theirs.items():
                if raw in mine:
                    mine[raw].merge(stats)  # type: ignore[index]
                else:
                    mine[raw] = stats  # type: ignore[index]
        self.distinct.merge(other.distinct)
        self._drop_outside_sample()

    def _drop_outside_sample(self) -> None:
        threshold = self.distinct.threshold
        if threshold is not None:
            self.values = {raw: s for raw, s in self.values.items() if s.value_hash <= threshold}

    @property
    def empty_only(self) -> bool:
        """Seen in files, but only ever with an empty value."""
        return not self.not_empty and bool(self.values or self.redacted)


@dataclass
class Collector:
    """Folds records one at a time; any split or order of the records gives the same state."""

    standard: Standard
    policy: PrivacyPolicy
    validator: Validator
    capacity: int
    label_key: bytes = b""  # the secret of series labels (see labels.py)
    attributes: dict[str, AttributeStats] = field(default_factory=dict)
    unknown_tags: set[str] = field(default_factory=set)
    records: int = 0
    _tags: dict[str, tuple[str, str | None] | None] = field(default_factory=dict)  # tag -> (key, dictionary VR)
    _enclosing: dict[tuple[str, ...], tuple[str | None, ...]] = field(default_factory=dict)
    _grown: dict[tuple[frozenset[Context], Context], frozenset[Context]] = field(default_factory=dict)

    def add_record(self, record: ScrapedRecord) -> None:
        number = self.records
        self.records += 1
        source = record["source"]
        dataset = source["dataset"]
        publish_all = self.policy.publishes_everything_from(dataset)
        if publish_all:
            where = (False, dataset, source["path"], "")
        else:
            label = series_label(self.label_key, dataset, source.get("series_instance_uid") or "", source["path"])
            where = (True, dataset, "", label)
        modality, sop_class = source.get("modality") or "", source.get("sop_class_uid") or ""
        if not publish_all:
            sop_class = shown_uid(sop_class)
        contexts: dict[tuple[str, ...], Context] = {}
        for element in record["elements"]:
            tag = self._tag(element["tag"])
            if tag is None:
                self.unknown_tags.add(element["tag"])
                continue
            key, dictionary_vr = tag
            listed = element.get("path")
            path = tuple(listed) if listed else ()
            context = contexts.get(path)
            if context is None:
                context = contexts[path] = (dataset, modality, sop_class, self._note_sequences(path, number))
            attribute = self._seen(key, number)
            attribute.paths.add(path)
            attribute.vrs.add(element["vr"])
            bulk = "value" not in element
            length = int(element.get("length") or 0)
            if (length > 0) if bulk else element["value"] != "":
                attribute.not_empty = True
                attribute.datasets.add(dataset)
                if modality:
                    attribute.modalities.add(modality)
            if bulk:
                self._count(attribute.value_slot(length), number, context, where, False, 0)
                continue
            raw = element["value"]
            truncated = bool(element.get("truncated"))
            vr = dictionary_vr or element["vr"]
            withheld = None if publish_all else self.policy.withheld(key, vr, raw, context[3])
            if withheld is None:
                self._count(attribute.value_slot(raw), number, context, where, truncated, length)
            else:
                problem = self.validator.check(key, vr, raw, truncated, [(sop_class, context[3])]).problem
                self._count(attribute.redacted_slot(raw, (withheld, problem)), number, context, where, False, 0)

    def finish(self) -> None:
        for attribute in self.attributes.values():
            attribute.finish()

    def merge(self, attributes: dict[str, AttributeStats], unknown_tags: set[str]) -> None:
        """Add what another fold over other records collected."""
        self.unknown_tags |= unknown_tags
        for key, theirs in attributes.items():
            mine = self.attributes.get(key)
            if mine is None:
                self.attributes[key] = theirs
            else:
                mine.merge(theirs)

    def vr_of(self, key: str, attribute: AttributeStats) -> str:
        """The dictionary VR, or for entries with a choice ('US or SS') the one the files used."""
        entry = self.standard.dictionary.get(key)
        if entry and " or " not in entry.vr:
            return entry.vr
        return sorted(attribute.vrs - {"SQ"} or attribute.vrs)[0]

    def _count(
        self,
        stats: ValueStats | None,
        number: int,
        context: Context,
        where: Where,
        truncated: bool,
        length: int,
    ) -> None:
        """Each file counts once per value of an attribute, however often the value repeats in it."""
        if stats is None:
            return
        if stats.last_record != number:
            stats.last_record = number
            stats.count += 1
            if stats.file is None or where < stats.file:
                stats.file = where
        if context not in stats.contexts:
            grown = self._grown.get((stats.contexts, context))
            if grown is None:
                grown = self._grown[(stats.contexts, context)] = stats.contexts | {context}
            stats.contexts = grown
        if truncated:
            stats.truncated = True
        if length > stats.length:
            stats.length = length

    def _tag(self, tag: str) -> tuple[str, str | None] | None:
        """(entry key, its VR unless the dictionary allows a choice) for a scraped tag; None if unknown."""
        if tag not in self._tags:
            key = self.standard.dictionary.key_for(int(tag, 16))
            entry = self.standard.dictionary.get(key) if key else None
            self._tags[tag] = None if entry is None or key is None else (key, None if " or " in entry.vr else entry.vr)
        return self._tags[tag]

    def _seen(self, key: str, number: int) -> AttributeStats:
        """The attribute's statistics, counting this file once."""
        attribute = self.attributes.get(key)
        if attribute is None:
            attribute = self.attributes[key] = AttributeStats(self.capacity)
        if attribute.last_record != number:
            attribute.last_record = number
            attribute.files += 1
        return attribute

    def _note_sequences(self, path: tuple[str, ...], number: int) -> tuple[str | None, ...]:
        """Sequences carry no value of their own; they count as seen through what they contain."""
        enclosing = self._enclosing.get(path)
        if enclosing is None:
            enclosing = self._enclosing[path] = tuple(t[0] if (t := self._tag(tag)) else None for tag in path)
        for depth, key in enumerate(enclosing):
            if key is not None:
                attribute = self._seen(key, number)
                attribute.vrs.add("SQ")
                attribute.paths.add(path[:depth])
        return enclosing
