"""The aggregate stage: scraped JSON Lines in, aggregate.json (examples and coverage) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from dicomref.aggregate.collect import Collector
from dicomref.aggregate.conformance import Conformance
from dicomref.aggregate.coverage import Source, compute_coverage
from dicomref.aggregate.examples import candidate_examples, choose_examples
from dicomref.aggregate.labels import label_key_for
from dicomref.aggregate.privacy import PrivacyPolicy
from dicomref.aggregate.sample import stable_hash
from dicomref.aggregate.validate import Validator
from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import SCHEMA, Aggregate, Attribute, Coverage, write_aggregate
from dicomref.formats.scraped import ScrapedRecord, read_records
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


@dataclass(frozen=True)
class AggregateProgress:
    done: int  # bytes read over all inputs
    total: int


SOP_INSTANCE_UID = "00080018"
MEDIA_STORAGE_SOP_INSTANCE_UID = "00020003"
_INSTANCE_TAGS = frozenset({SOP_INSTANCE_UID, MEDIA_STORAGE_SOP_INSTANCE_UID})


def instance_of(record: ScrapedRecord) -> str:
    """What makes two records the same file: the SOP Instance UID, else the dataset and path."""
    uids = {e["tag"]: e.get("value") for e in record["elements"] if not e["path"] and e["tag"] in _INSTANCE_TAGS}
    uid = uids.get(SOP_INSTANCE_UID) or uids.get(MEDIA_STORAGE_SOP_INSTANCE_UID)
    source = record["source"]
    return f"uid\x00{uid}" if uid else f"file\x00{source['dataset']}\x00{source['path']}"


def first_copies(scraped: list[Path], rank: Callable[[str], tuple]) -> dict[int, tuple[str, str]]:
    """Per instance (by hash): the (dataset, path) of the one copy that counts, the one whose dataset ranks first
    (`rank`), then the lowest path.

    An instance copied into several files or datasets (a DICOMDIR tree beside the same files)
    is one file for counts and ranking, whatever the order or split of the inputs.
    """
    first: dict[int, tuple[tuple, tuple[str, str]]] = {}
    for path in scraped:
        for record in read_records(path):
            try:
                where = (record["source"]["dataset"], record["source"]["path"])
                instance = stable_hash(instance_of(record))
            except (KeyError, TypeError, AttributeError):
                continue  # reported by the fold that follows
            order = (rank(where[0]), where)
            if instance not in first or order < first[instance]:
                first[instance] = order
    return {instance: where for instance, (_, where) in first.items()}


def dataset_rank(policy: PrivacyPolicy, order: tuple[str, ...]) -> Callable[[str], tuple]:
    """Copies from a dataset whose values are published come first (so its examples stay shown), then the datasets
    in manifest order, then by name."""
    position = {name: index for index, name in enumerate(order)}
    return lambda name: (not policy.publishes_everything_from(name), position.get(name, len(order)), name)


@dataclass
class _Tally:
    """Files, scraped files and series per dataset, and files per modality.

    Files and series are remembered by 64-bit hashes, a few bytes each however long their names.
    """

    datasets: dict[str, dict] = field(default_factory=dict)
    modalities: dict[str, Source] = field(default_factory=dict)
    seen_files: set[int] = field(default_factory=set)
    first_copies: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add(self, record: ScrapedRecord) -> bool:
        """Count a scraped file; False when it was already counted (the same file in two shards) or is a copy of
        an instance counted from another file."""
        source = record["source"]
        where = stable_hash(f"{source['dataset']}\x00{source['path']}")
        if where in self.seen_files:
            return False
        self.seen_files.add(where)
        dataset = self.datasets.setdefault(source["dataset"], {"files": 0, "scraped": 0, "copies": 0, "series": set()})
        if self.first_copies.get(stable_hash(instance_of(record))) != (source["dataset"], source["path"]):
            dataset["copies"] += 1
            return False
        dataset["files"] += int(source.get("series_files") or 1)
        dataset["scraped"] += 1
        dataset["series"].add(stable_hash(source.get("series_instance_uid") or f"\x00{source['path']}"))
        self.modalities.setdefault(source.get("modality") or "", Source()).files += 1
        return True


def _fold(
    scraped: list[Path],
    collector: Collector,
    rank: Callable[[str], tuple],
    conformance: Conformance,
    on_progress: Callable[[AggregateProgress], None] | None,
) -> _Tally:
    tally = _Tally(first_copies=first_copies(scraped, rank))
    total = sum(path.stat().st_size for path in scraped if path.is_file())
    done = 0

    def count_bytes(size: int) -> None:
        nonlocal done
        done += size
        if on_progress is not None:
            on_progress(AggregateProgress(done, total))

    for path in scraped:
        for number, record in enumerate(read_records(path, count_bytes), 1):
            try:
                if tally.add(record):
                    collector.add_record(record)
                    conformance.add(record)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise DicomrefError(f"{path}:{number}: an element is not as `dicomref scrape` writes it") from None
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
    tally = _fold(scraped, collector, dataset_rank(policy, options.order), conformance, on_progress)

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
