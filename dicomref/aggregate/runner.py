"""The aggregate stage: scraped JSON Lines in, aggregate.json (examples and coverage) out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dicomref.aggregate.coverage import compute_coverage
from dicomref.aggregate.examples import Collector, choose_examples, publishable_examples
from dicomref.errors import DicomrefError
from dicomref.files import write_json_atomic
from dicomref.standard import Standard

SCHEMA = 1


@dataclass(frozen=True)
class AggregateOptions:
    examples: int = 5
    include_identifying: bool = False
    deidentified: frozenset[str] = frozenset()  # dataset names declared de-identified in the manifest


def read_records(path: Path) -> Iterator[dict]:
    """Records of one scraped file; a last line cut short by a killed scrape is skipped."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DicomrefError(f"{path} not found (run `dicomref scrape` first)") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith(b"\n"):
                return
            try:
                record = json.loads(line)
                record["source"]["dataset"], record["elements"]
            except (ValueError, KeyError, TypeError):
                raise DicomrefError(f"{path}:{number}: not a scraped record") from None
            yield record


def aggregate(scraped: list[Path], standard: Standard, options: AggregateOptions = AggregateOptions()) -> dict:
    """Fold every record into per-attribute examples; the result does not depend on shard order."""
    collector = Collector(standard)
    datasets: dict[str, dict] = {}
    seen_files: set[tuple[str, str]] = set()
    for path in scraped:
        for record in read_records(path):
            source = record["source"]
            where = (source["dataset"], source["path"])
            if where in seen_files:
                continue  # the same file in two shards counts once
            seen_files.add(where)
            info = datasets.setdefault(source["dataset"], {"files": 0, "scraped": 0, "series": set()})
            info["files"] += int(source.get("series_files") or 1)
            info["scraped"] += 1
            info["series"].add(source.get("series_instance_uid") or source["path"])
            collector.add_record(record)

    attributes: dict[str, dict] = {}
    contributions: dict[str, set[str]] = {}
    modality_keys: dict[str, set[str]] = {}
    for key, stats in sorted(collector.attributes.items()):
        entry = standard.dictionary.get(key)
        vr = entry.vr if entry and " or " not in entry.vr else sorted(stats.vrs)[0]
        candidates = publishable_examples(key, vr, stats, standard, options.deidentified, options.include_identifying)
        chosen = choose_examples(candidates, options.examples)
        attributes[key] = {
            "files": stats.files,
            "distinct": len([v for v in stats.values]),
            "paths": sorted(list(p) for p in stats.paths),
            "vrs": sorted(stats.vrs),
            "examples": [e.to_json() for e in chosen],
        }
        if chosen:
            for value_stats in stats.values.values():
                for name in value_stats.datasets:
                    contributions.setdefault(name, set()).add(key)
                for modality in value_stats.modalities:
                    modality_keys.setdefault(modality, set()).add(key)
    covered = {key for key, info in attributes.items() if info["examples"]}
    return {
        "schema": SCHEMA,
        "standard": standard.release,
        "datasets": [
            {"name": name, "files": info["files"], "series": len(info["series"]), "scraped": info["scraped"], "deidentified": name in options.deidentified}
            for name, info in sorted(datasets.items())
        ],
        "unknown_tags": sorted(collector.unknown_tags),
        "attributes": attributes,
        "coverage": compute_coverage(standard, covered, contributions, modality_keys),
    }


def aggregate_to_file(scraped: list[Path], out: Path, standard: Standard, options: AggregateOptions = AggregateOptions()) -> dict:
    result = aggregate(scraped, standard, options)
    write_json_atomic(out, result)
    return result
