"""Choose a variety sample of IDC series, offline, from the installed index.

The greedy choice covers the most new values first: every series is a set of features (each
chosen dimension's value, and its bucket: the combination of modality, SOP class and manufacturer),
and the next series is the one adding the most features not yet covered, the smaller series first
on ties, then the lower SeriesInstanceUID, so a plan depends only on the index and the options.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic
from dicomref.idc.index import IdcIndex, find_index, sql_path

# Dimension names (as given to --dimension) and their column in the series index.
DIMENSIONS = {
    "modality": "Modality",
    "sop_class": "SOPClassUID",
    "manufacturer": "Manufacturer",
    "model": "ManufacturerModelName",
    "collection": "collection_id",
    "transfer_syntax": "TransferSyntaxUID",
    "photometric": "PhotometricInterpretation",
    "body_part": "BodyPartExamined",
}
BUCKET = ("modality", "sop_class", "manufacturer")
BUCKET_SEPARATOR = " | "
DEFAULT_LICENCES = ("CC BY 4.0", "CC BY 3.0")
NON_COMMERCIAL_LICENCES = ("CC BY-NC 4.0", "CC BY-NC 3.0")
DEFAULT_BUDGET = 1500
PLAN_COLUMNS = (
    "collection_id",
    "series_instance_uid",
    "study_instance_uid",
    "crdc_series_uuid",
    "aws_bucket",
    "bucket",
    "modality",
    "sop_class_uid",
    "manufacturer",
    "instance_count",
    "series_size_mb",
    "license",
    "source_doi",
    "analysis_result_id",
    "adds",
)


@dataclass(frozen=True)
class PlanOptions:
    dimensions: tuple[str, ...] = tuple(DIMENSIONS)
    budget: int = DEFAULT_BUDGET
    licences: tuple[str, ...] = DEFAULT_LICENCES
    max_series_mb: float | None = None
    max_instance_mb: float | None = None  # the series' mean instance size, which its smallest object never exceeds


@dataclass(frozen=True)
class Candidate:
    """The smallest series of one distinct combination of dimension values."""

    values: dict[str, str]  # dimension -> value ('' when the index has none)
    collection_id: str
    series_instance_uid: str
    study_instance_uid: str
    crdc_series_uuid: str
    aws_bucket: str
    instance_count: int
    series_size_mb: float
    license: str
    source_doi: str
    analysis_result_id: str

    @property
    def bucket(self) -> str:
        return BUCKET_SEPARATOR.join(self.values[d] for d in BUCKET)


@dataclass(frozen=True)
class PlannedSeries:
    candidate: Candidate
    adds: tuple[str, ...]  # the features this series was the first to cover


@dataclass(frozen=True)
class Plan:
    index_version: str
    options: PlanOptions
    series: list[PlannedSeries]
    available: dict[str, int]  # feature kind ('bucket' or a dimension) -> distinct values among allowed series
    covered: dict[str, int] = field(default_factory=dict)

    @property
    def size_mb(self) -> float:
        """The most the fetch downloads: each series' mean instance size, which its smallest object never exceeds."""
        return sum(s.candidate.series_size_mb / max(s.candidate.instance_count, 1) for s in self.series)


def _check(options: PlanOptions) -> None:
    unknown = [d for d in options.dimensions if d not in DIMENSIONS]
    if unknown:
        raise DicomrefError(f"unknown dimension {unknown[0]!r} (choose from {', '.join(DIMENSIONS)})")
    if options.budget < 1:
        raise DicomrefError("the budget must be at least one series")
    if not options.licences:
        raise DicomrefError("no licence allowed: pass --licence")


def read_candidates(index: IdcIndex, options: PlanOptions) -> list[Candidate]:
    """One candidate per distinct combination of values, read column-wise by DuckDB with the limits applied.

    min() over a struct compares field by field: the smallest series, then the lowest SeriesInstanceUID.
    """
    import duckdb

    columns = sorted({*options.dimensions, *BUCKET})
    values = ", ".join(f"coalesce({DIMENSIONS[d]}, '')" for d in columns)
    limits = ["list_contains($licences, license_short_name)"]
    params: dict[str, object] = {"licences": list(options.licences)}
    if options.max_series_mb is not None:
        limits.append("series_size_MB <= $max_series")
        params["max_series"] = options.max_series_mb
    if options.max_instance_mb is not None:
        limits.append("series_size_MB / greatest(instanceCount, 1) <= $max_instance")
        params["max_instance"] = options.max_instance_mb
    query = f"""
        SELECT {values}, min((series_size_MB, SeriesInstanceUID, collection_id, StudyInstanceUID, crdc_series_uuid,
            aws_bucket, instanceCount, license_short_name, source_DOI, coalesce(analysis_result_id, '')))
        FROM read_parquet({sql_path(index.series)})
        WHERE {" AND ".join(limits)}
        GROUP BY ALL
    """
    candidates = []
    for row in duckdb.connect().execute(query, params).fetchall():
        size, uid, collection, study, crdc, bucket, count, licence, doi, analysis = row[-1]
        candidates.append(
            Candidate(
                dict(zip(columns, row[:-1], strict=True)),
                collection,
                uid,
                study,
                crdc,
                bucket,
                count,
                size,
                licence,
                doi,
                analysis,
            )
        )
    candidates.sort(key=lambda c: (c.series_size_mb, c.series_instance_uid, tuple(c.values.values())))
    return candidates


def _features(candidate: Candidate, dimensions: Iterable[str]) -> set[str]:
    """What a series brings first: its bucket, and each dimension's value (a missing value is no variety)."""
    features = {f"bucket={candidate.bucket}"}
    features.update(f"{d}={candidate.values[d]}" for d in dimensions if candidate.values[d])
    return features


def _pairs(candidate: Candidate, dimensions: Iterable[str]) -> set[str]:
    """What a series brings once every value is covered: a bucket seen with another value of another dimension."""
    return {
        f"bucket+{d}={candidate.bucket} with {candidate.values[d]}"
        for d in dimensions
        if d not in BUCKET and candidate.values[d]
    }


def _greedy(
    candidates: list[Candidate], features: list[set[str]], covered: set[str], budget: int
) -> list[PlannedSeries]:
    """Lazy greedy maximum coverage: gains only shrink as features get covered, so a stale entry is an upper bound."""
    heap = [
        (-len(f), c.series_size_mb, c.series_instance_uid, i)
        for i, (c, f) in enumerate(zip(candidates, features, strict=True))
    ]
    heapq.heapify(heap)
    chosen: list[PlannedSeries] = []
    while heap and len(chosen) < budget:
        stale_gain, size, uid, i = heapq.heappop(heap)
        new = features[i] - covered
        if not new:
            continue
        if len(new) < -stale_gain:
            heapq.heappush(heap, (-len(new), size, uid, i))
            continue
        covered |= new
        chosen.append(PlannedSeries(candidates[i], tuple(sorted(new))))
    return chosen


def choose(candidates: list[Candidate], options: PlanOptions) -> list[PlannedSeries]:
    """Every bucket and value first; the budget left goes to buckets seen with values they lack."""
    dims = options.dimensions
    chosen = _greedy(candidates, [_features(c, dims) for c in candidates], set(), options.budget)
    taken = {s.candidate.series_instance_uid for s in chosen}
    rest = [c for c in candidates if c.series_instance_uid not in taken]
    covered = set().union(*(_pairs(s.candidate, dims) for s in chosen))
    return chosen + _greedy(rest, [_pairs(c, dims) for c in rest], covered, options.budget - len(chosen))


def _count_kinds(features: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for feature in features:
        kind = feature.split("=", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def make_plan(options: PlanOptions, index: IdcIndex | None = None) -> Plan:
    _check(options)
    index = index or find_index()
    candidates = read_candidates(index, options)
    chosen = choose(candidates, options)
    dims = options.dimensions
    available = set().union(*(_features(c, dims) | _pairs(c, dims) for c in candidates))
    covered = set().union(*(_features(s.candidate, dims) | _pairs(s.candidate, dims) for s in chosen))
    return Plan(index.version, options, chosen, _count_kinds(available), _count_kinds(covered))


def plan_csv(plan: Plan) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PLAN_COLUMNS)
    for planned in plan.series:
        c = planned.candidate
        writer.writerow(
            [
                c.collection_id,
                c.series_instance_uid,
                c.study_instance_uid,
                c.crdc_series_uuid,
                c.aws_bucket,
                c.bucket,
                c.values["modality"],
                c.values["sop_class"],
                c.values["manufacturer"],
                c.instance_count,
                f"{c.series_size_mb:.6f}",
                c.license,
                c.source_doi,
                c.analysis_result_id,
                "; ".join(planned.adds),
            ]
        )
    return out.getvalue()


def write_plan(plan: Plan, path: Path) -> None:
    write_text_atomic(path, plan_csv(plan))
