"""The aggregate stage: scraped JSON Lines in, aggregate.json (examples and coverage) out."""

from __future__ import annotations

import itertools
import os
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from dicomref.aggregate.collect import AttributeStats, Collector
from dicomref.aggregate.conformance import Conformance, Counts
from dicomref.aggregate.coverage import Source, compute_coverage
from dicomref.aggregate.examples import candidate_examples, choose_examples
from dicomref.aggregate.labels import label_key_for
from dicomref.aggregate.privacy import PrivacyPolicy
from dicomref.aggregate.sample import stable_hash
from dicomref.aggregate.validate import Validator
from dicomref.errors import DicomrefError
from dicomref.forked import frozen_heap, run_shares
from dicomref.formats.aggregate import SCHEMA, Aggregate, Attribute, Coverage, write_aggregate
from dicomref.formats.scraped import (
    Identity,
    ScrapedRecord,
    identity_of,
    line_start,
    parse_record,
    peek_identity,
    record_lines,
    size_of_records,
)
from dicomref.standard import Standard

# Distinct values tracked per attribute before a deterministic sample takes over (see sample.py).
TRACKED_VALUES = 5000


@dataclass(frozen=True)
class AggregateOptions:
    examples: int = 5
    include_identifying: bool = False
    deidentified: frozenset[str] = frozenset()  # dataset names declared de-identified in the manifest
    tracked_values: int = TRACKED_VALUES
    public: frozenset[str] = frozenset()  # dataset names declared public (already publicly distributed)
    licences: tuple[tuple[str, str], ...] = ()  # (dataset name, licence) from the manifest
    order: tuple[str, ...] = ()  # dataset names as the manifest lists them: of two copies, the earlier one's counts
    label_key: bytes | None = None  # secret of the series labels; None: the key file beside the first scraped file
    jobs: int = 0  # processes folding the records (0: one per core); the result is the same for any number


@dataclass(frozen=True)
class AggregateProgress:
    done: int  # bytes read over all inputs
    total: int


def instance_key(identity: Identity) -> str:
    """What makes two records the same file: the SOP Instance UID, else the dataset and path."""
    if identity.instance_uid:
        return f"uid\x00{identity.instance_uid}"
    return f"file\x00{identity.dataset}\x00{identity.path}"


def dataset_rank(policy: PrivacyPolicy, order: tuple[str, ...]) -> Callable[[str], tuple]:
    """Copies from a dataset whose values are published come first (so its examples stay shown), then the datasets
    in manifest order, then by name."""
    position = {name: index for index, name in enumerate(order)}
    return lambda name: (not policy.publishes_everything_from(name), position.get(name, len(order)), name)


# What the fold does with a line, decided before it from every line's identity.
COUNTED, COPY, REPEATED, BROKEN = range(4)
# Bytes of scraped records a process should have at least: smaller inputs are read in this process.
BYTES_PER_SHARE = 1 << 23
# Bytes a worker reads between two reports of its progress.
REPORT_BYTES = 1 << 22


@dataclass
class _Range:
    """Whole lines of one input, from byte `start` to byte `end`; the first pass finds the number of its first line
    and what the fold does with each of its lines."""

    file: int
    start: int
    end: int
    number: int = 1
    kinds: bytearray = field(default_factory=bytearray)


@dataclass
class _Identities:
    """The first pass over one range: per line its (dataset, path) and instance hashes, dataset and what is known of
    it (0: nothing, 1: the (dataset, path), 2: both); per instance its copy that ranks first in the range."""

    wheres: array = field(default_factory=lambda: array("Q"))
    instances: array = field(default_factory=lambda: array("Q"))
    datasets: array = field(default_factory=lambda: array("I"))
    known: bytearray = field(default_factory=bytearray)
    names: dict[str, int] = field(default_factory=dict)
    first: dict[int, tuple[tuple, tuple[str, str]]] = field(default_factory=dict)


@dataclass
class _Plan:
    """The ranges of lines each process folds, with what it does with each line (see COUNTED ...)."""

    shares: list[list[_Range]]
    copies: Counter[str] = field(default_factory=Counter)  # copies of an instance counted from another file
    datasets: set[str] = field(default_factory=set)  # the datasets of every line that is not a repeat of another


def _cut(scraped: list[Path], jobs: int) -> list[list[_Range]]:
    """The inputs cut at line starts into at most `jobs` runs of about equal bytes, in input order."""
    sizes = [size_of_records(path) for path in scraped]
    total = sum(sizes)
    count = max(1, min(jobs, total // BYTES_PER_SHARE))
    cuts = [total * share // count for share in range(count + 1)]
    shares: list[list[_Range]] = []
    for low, high in itertools.pairwise(cuts):
        share = []
        before = 0  # bytes of the inputs before this one
        for file, (path, size) in enumerate(zip(scraped, sizes, strict=True)):
            start, end = max(low - before, 0), min(high - before, size)
            if start < end:
                share.append(_Range(file, line_start(path, start), line_start(path, end)))
            before += size
        shares.append(share)
    return shares


def _identify(path: Path, line: bytes) -> tuple[tuple[str, str] | None, str | None]:
    """The line's (dataset, path) and instance key; None for what it does not tell (the fold says why)."""
    identity = peek_identity(line)
    if identity is None:
        try:
            record = parse_record(path, 0, line)
        except DicomrefError:
            return None, None
        try:
            identity = identity_of(record)
        except (KeyError, TypeError, AttributeError):
            return (record["source"]["dataset"], record["source"]["path"]), None
    return (identity.dataset, identity.path), instance_key(identity)


def _file_hash(where: tuple[str, str]) -> int:
    """A scraped file, (dataset, path), as 64 bits."""
    return stable_hash(f"{where[0]}\x00{where[1]}")


def _identities(path: Path, lines: _Range, rank: Callable[[str], tuple]) -> _Identities:
    found = _Identities()
    for _, line in record_lines(path, None, lines.start, lines.end):
        where, instance = _identify(path, line)
        instance_hash = 0 if instance is None else stable_hash(instance)
        found.wheres.append(0 if where is None else _file_hash(where))
        found.instances.append(instance_hash)
        found.datasets.append(0 if where is None else found.names.setdefault(where[0], len(found.names)))
        found.known.append(0 if where is None else 1 if instance is None else 2)
        if where is not None and instance is not None:
            order = (rank(where[0]), where)
            if instance_hash not in found.first or order < found.first[instance_hash]:
                found.first[instance_hash] = order
    return found


def _plan(scraped: list[Path], rank: Callable[[str], tuple], jobs: int) -> _Plan:
    """Every line's identity, read without parsing the record, by the processes that fold it next; of an instance
    copied into several files or datasets (a DICOMDIR tree beside the same files) the copy whose dataset ranks first
    (`rank`), then the lowest path, counts, whatever the order or split of the inputs; a (dataset, path) seen before
    is a repeat."""
    plan = _Plan(_cut(scraped, jobs))

    def identify(share: int, _report: Callable[[int], None]) -> list[_Identities]:
        return [_identities(scraped[lines.file], lines, rank) for lines in plan.shares[share]]

    identified = run_shares(identify, len(plan.shares), lambda _: None, "aggregate")
    found = [
        (lines, identities)
        for share, parts in zip(plan.shares, identified, strict=True)
        for lines, identities in zip(share, parts, strict=True)
    ]
    first: dict[int, tuple[tuple, tuple[str, str]]] = {}
    lines_before: Counter[int] = Counter()
    for lines, identities in found:
        lines.number = 1 + lines_before[lines.file]
        lines_before[lines.file] += len(identities.known)
        for instance, order in identities.first.items():
            if instance not in first or order < first[instance]:
                first[instance] = order
    counted = {instance: _file_hash(where) for instance, (_, where) in first.items()}
    seen: set[int] = set()
    for lines, identities in found:
        names = list(identities.names)
        lines.kinds = kinds = bytearray(len(identities.known))
        for index, where_hash in enumerate(identities.wheres):
            known = identities.known[index]
            if not known:
                kinds[index] = BROKEN
            elif where_hash in seen:
                kinds[index] = REPEATED
            else:
                seen.add(where_hash)
                dataset = names[identities.datasets[index]]
                plan.datasets.add(dataset)
                if known == 1:
                    kinds[index] = BROKEN
                elif counted[identities.instances[index]] != where_hash:
                    kinds[index] = COPY
                    plan.copies[dataset] += 1
    return plan


@dataclass
class _Tally:
    """Files, scraped files and series per dataset, and files per modality, of the records that count.

    Series are remembered by 64-bit hashes, a few bytes each however long their names.
    """

    datasets: dict[str, dict] = field(default_factory=dict)
    modalities: dict[str, Source] = field(default_factory=dict)

    def dataset(self, name: str) -> dict:
        return self.datasets.setdefault(name, {"files": 0, "scraped": 0, "copies": 0, "series": set()})

    def count(self, record: ScrapedRecord) -> None:
        source = record["source"]
        dataset = self.dataset(source["dataset"])
        dataset["files"] += int(source.get("series_files") or 1)
        dataset["scraped"] += 1
        dataset["series"].add(stable_hash(source.get("series_instance_uid") or f"\x00{source['path']}"))
        self.modalities.setdefault(source.get("modality") or "", Source()).files += 1

    def merge(self, other: _Tally) -> None:
        for name, theirs in other.datasets.items():
            mine = self.dataset(name)
            for count in ("files", "scraped", "copies"):
                mine[count] += theirs[count]
            mine["series"] |= theirs["series"]
        for modality, source in other.modalities.items():
            self.modalities.setdefault(modality, Source()).files += source.files


@dataclass
class _Folded:
    """What one share of the fold came to; `error` names the first line it could not fold."""

    attributes: dict[str, AttributeStats]
    unknown_tags: set[str]
    counts: dict[tuple[str, str], Counts]
    checked: int
    tally: _Tally
    error: str | None = None


def _fold_share(
    scraped: list[Path],
    plan: _Plan,
    share: int,
    collector: Collector,
    conformance: Conformance,
    report: Callable[[int], None],
) -> _Folded:
    tally = _Tally()
    folded = _Folded(collector.attributes, collector.unknown_tags, conformance.counts, 0, tally)
    unreported = 0

    def count_bytes(size: int) -> None:
        nonlocal unreported
        unreported += size
        if unreported >= REPORT_BYTES:
            report(unreported)
            unreported = 0

    try:
        for lines in plan.shares[share]:
            path = scraped[lines.file]
            for number, line in record_lines(path, count_bytes, lines.start, lines.end, lines.number):
                record = parse_record(path, number, line)
                kind = lines.kinds[number - lines.number]
                if kind == REPEATED:
                    continue
                try:
                    if kind == BROKEN:
                        raise KeyError
                    identity_of(record)
                    if kind == COUNTED:
                        tally.count(record)
                        collector.add_record(record)
                        conformance.add(record)
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise DicomrefError(f"{path}:{number}: an element is not as `dicomref scrape` writes it") from None
    except DicomrefError as error:
        folded.error = str(error)
    report(unreported)
    collector.finish()
    conformance.finish()
    folded.checked = conformance.checked
    return folded


def _fold(
    scraped: list[Path],
    collector: Collector,
    rank: Callable[[str], tuple],
    conformance: Conformance,
    jobs: int,
    on_progress: Callable[[AggregateProgress], None] | None,
) -> _Tally:
    """Fold every record that counts into the collector and the conformance counts, shared out to `jobs`
    forked processes; any number of them gives the same state."""
    total = sum(path.stat().st_size for path in scraped if path.is_file())
    done = 0

    def count_bytes(size: int) -> None:
        nonlocal done
        done += size
        if on_progress is not None:
            on_progress(AggregateProgress(done, total))

    def share(number: int, report: Callable[[int], None]) -> _Folded:
        return _fold_share(scraped, plan, number, collector, conformance, report)

    with frozen_heap():
        plan = _plan(scraped, rank, jobs)
        parts = run_shares(share, len(plan.shares), count_bytes, "aggregate")
    errors = [part.error for part in parts if part.error]
    if errors:
        raise DicomrefError(errors[0])
    tally = _Tally()
    for name in sorted(plan.datasets):
        tally.dataset(name)["copies"] = plan.copies[name]
    for part in parts:
        tally.merge(part.tally)
        if len(parts) > 1:  # a forked share filled copies of the collector and the counts; one share, these
            collector.merge(part.attributes, part.unknown_tags)
            conformance.merge(part.counts, part.checked)
    collector.finish()
    return tally


def aggregate(
    scraped: list[Path],
    standard: Standard,
    options: AggregateOptions = AggregateOptions(),
    on_progress: Callable[[AggregateProgress], None] | None = None,
) -> Aggregate:
    """Fold every record into per-attribute examples; the result does not depend on how records are split or ordered."""
    validator = Validator(standard)
    policy = PrivacyPolicy(standard.identifying, options.deidentified, options.include_identifying, options.public)
    label_key = options.label_key if options.label_key is not None else label_key_for(scraped) if scraped else b""
    collector = Collector(standard, policy, validator, options.tracked_values, label_key)
    conformance = Conformance(standard)
    jobs = options.jobs or os.cpu_count() or 1
    tally = _fold(scraped, collector, dataset_rank(policy, options.order), conformance, jobs, on_progress)

    attributes: dict[str, dict] = {}
    datasets = {name: Source(files=info["scraped"], copies=info["copies"]) for name, info in tally.datasets.items()}
    modalities = tally.modalities
    for key, stats in sorted(collector.attributes.items()):
        vr = collector.vr_of(key, stats)
        candidates = candidate_examples(key, vr, stats, validator)
        distinct, exact = stats.distinct.count()
        attributes[key] = {
            "files": stats.files,
            "distinct": distinct,
            "distinct_exact": exact,
            "invalid": sum(1 for c in candidates if c.problem is not None),
            "paths": sorted(list(p) for p in stats.paths),
            "vrs": sorted(stats.vrs),
            "examples": [e.to_json() for e in choose_examples(candidates, vr, options.examples)],
        }
        for name in stats.datasets:
            datasets[name].keys.add(key)
        for modality in stats.modalities:
            modalities[modality].keys.add(key)
    covered = {key for key, stats in collector.attributes.items() if stats.not_empty}
    empty_only = {key: stats.files for key, stats in collector.attributes.items() if stats.empty_only}
    modalities.pop("", None)
    licences = dict(options.licences)
    return {
        "schema": SCHEMA,
        "standard": standard.release,
        "privacy": {"include_identifying": options.include_identifying},
        "datasets": [
            {
                "name": name,
                "files": d["files"],
                "series": len(d["series"]),
                "scraped": d["scraped"],
                "copies": d["copies"],
                "deidentified": name in options.deidentified,
                "public": name in options.public,
                "licence": licences.get(name, ""),
            }
            for name, d in sorted(tally.datasets.items())
        ],
        "unknown_tags": sorted(collector.unknown_tags),
        "attributes": cast(dict[str, Attribute], attributes),
        "coverage": cast(
            Coverage,
            compute_coverage(standard, covered, datasets, modalities, empty_only)
            | {"conformance": {"checked": conformance.checked, "most_broken": conformance.most_broken()}},
        ),
        "conformance": conformance.by_attribute(),
    }


def aggregate_to_file(
    scraped: list[Path],
    out: Path,
    standard: Standard,
    options: AggregateOptions = AggregateOptions(),
    on_progress: Callable[[AggregateProgress], None] | None = None,
) -> Aggregate:
    result = aggregate(scraped, standard, options, on_progress)
    write_aggregate(out, result)
    return result
