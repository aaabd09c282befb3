"""The aggregate stage: scraped JSON Lines in, aggregate.json (examples and coverage) out."""

from __future__ import annotations

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
from dicomref.formats.scraped import Identity, ScrapedRecord, identity_of, parse_record, peek_identity, record_lines
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
# Records a share of the fold should have at least: fewer are folded in this process.
RECORDS_PER_SHARE = 500
# Bytes a worker reads between two reports of its progress.
REPORT_BYTES = 1 << 22


@dataclass(frozen=True)
class _Segment:
    """Whole lines of one input: from byte `start` (where line `number` begins) to byte `end`."""

    file: int
    start: int
    end: int
    number: int


@dataclass
class _Plan:
    """What the fold does with every line (see COUNTED ...), and how the lines are shared out."""

    kinds: list[bytearray]  # per input, per line
    copies: Counter[str]  # lines that are copies of an instance counted from another file, per dataset
    datasets: set[str]  # the datasets of every line that is not a repeat of another
    shares: list[list[_Segment]]


def _identify(path: Path, number: int, line: bytes) -> tuple[tuple[str, str] | None, str | None]:
    """The line's (dataset, path) and instance key; None for what it does not tell (the fold says why)."""
    identity = peek_identity(line)
    if identity is None:
        try:
            record = parse_record(path, number, line)
        except DicomrefError:
            return None, None
        try:
            identity = identity_of(record)
        except (KeyError, TypeError, AttributeError):
            return (record["source"]["dataset"], record["source"]["path"]), None
    return (identity.dataset, identity.path), instance_key(identity)


def _plan(scraped: list[Path], rank: Callable[[str], tuple], jobs: int) -> _Plan:
    """Every line's identity, read without parsing the record; of an instance copied into several files or datasets
    (a DICOMDIR tree beside the same files) the copy whose dataset ranks first (`rank`), then the lowest path,
    counts, whatever the order or split of the inputs; a (dataset, path) seen before is a repeat."""
    first: dict[int, tuple[tuple, tuple[str, str]]] = {}
    lines = []  # per input: offsets, (dataset, path) hashes, instance hashes, dataset numbers, what is known
    names: dict[str, int] = {}
    for path in scraped:
        offsets, wheres, instances, datasets, known = array("Q"), array("Q"), array("Q"), array("I"), bytearray()
        for number, offset, line in record_lines(path):
            where, instance = _identify(path, number, line)
            offsets.append(offset)
            wheres.append(0 if where is None else stable_hash(f"{where[0]}\x00{where[1]}"))
            instances.append(0 if instance is None else stable_hash(instance))
            datasets.append(0 if where is None else names.setdefault(where[0], len(names)))
            known.append(0 if where is None else 1 if instance is None else 2)
            if where is not None and instance is not None:
                order = (rank(where[0]), where)
                if instances[-1] not in first or order < first[instances[-1]]:
                    first[instances[-1]] = order
        lines.append((offsets, wheres, instances, datasets, known))
    counted = {instance: stable_hash(f"{where[0]}\x00{where[1]}") for instance, (_, where) in first.items()}
    dataset_names = list(names)
    plan = _Plan([], Counter(), set(), [])
    seen: set[int] = set()
    for offsets, wheres, instances, datasets, known in lines:
        kinds = bytearray(len(offsets))
        for index, where_hash in enumerate(wheres):
            if not known[index]:
                kinds[index] = BROKEN
            elif where_hash in seen:
                kinds[index] = REPEATED
            else:
                seen.add(where_hash)
                plan.datasets.add(dataset_names[datasets[index]])
                if known[index] == 1:
                    kinds[index] = BROKEN
                elif counted[instances[index]] != where_hash:
                    kinds[index] = COPY
                    plan.copies[dataset_names[datasets[index]]] += 1
        plan.kinds.append(kinds)
    sizes = [path.stat().st_size if path.is_file() else 0 for path in scraped]
    plan.shares = _shares([offsets for offsets, *_ in lines], sizes, jobs)
    return plan


def _shares(offsets: list[array], sizes: list[int], jobs: int) -> list[list[_Segment]]:
    """The lines cut into at most `jobs` runs of about equal bytes, in input order; each run a share of the fold."""
    records = sum(len(o) for o in offsets)
    count = max(1, min(jobs, records // RECORDS_PER_SHARE))
    total = sum(sizes)
    shares: list[list[_Segment]] = [[] for _ in range(count)]
    before = 0  # bytes of the inputs before this one
    for file, (starts, size) in enumerate(zip(offsets, sizes, strict=True)):
        share, first = None, 0
        for index, start in enumerate(starts):
            its = min(count - 1, (before + start) * count // max(total, 1))
            if its != share:
                if share is not None:
                    shares[share].append(_Segment(file, starts[first], start, first + 1))
                share, first = its, index
        if share is not None:
            shares[share].append(_Segment(file, starts[first], size, first + 1))
        before += size
    return [share for share in shares if share]


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
        for segment in plan.shares[share]:
            path, kinds = scraped[segment.file], plan.kinds[segment.file]
            for number, _, line in record_lines(path, count_bytes, segment.start, segment.end, segment.number):
                record = parse_record(path, number, line)
                kind = kinds[number - 1]
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
    plan = _plan(scraped, rank, jobs)
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
