"""aggregate.json: its schema version, its shape, and the one loader every reader uses.

The aggregate stage writes the file (`write_aggregate`); the site, search, `show` and `coverage`
read it with `load_aggregate`, which checks the shape they rely on, so a stale or damaged file is
one clear error instead of a failure deep inside a page. Keys are only ever added within a schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from dicomref.errors import DicomrefError
from dicomref.files import write_json_atomic

SCHEMA = 1


class ExampleFile(TypedDict):
    dataset: str
    path: str | None  # None for a dataset declared neither de-identified nor public: its paths are never published
    series: str | None  # the series label that names such a file instead


class Example(TypedDict):
    value: str | None  # None when withheld or binary
    count: int  # files holding it
    valid: bool
    problem: str | None
    note: str | None
    withheld: str | None  # why the value is withheld or reduced
    bulk_length: int | None  # bytes, binary values only
    truncated: bool
    length: int | None
    datasets: list[str]
    modalities: list[str]
    sop_classes: list[str]
    file: ExampleFile | None


class Attribute(TypedDict):
    files: int
    distinct: int
    distinct_exact: bool
    invalid: int
    paths: list[list[str]]
    vrs: list[str]
    examples: list[Example]


def unseen_attribute() -> Attribute:
    """The record of an attribute no file held."""
    return Attribute(files=0, distinct=0, distinct_exact=True, invalid=0, paths=[], vrs=[], examples=[])


class DatasetSummary(TypedDict):
    name: str
    files: int
    series: int
    scraped: int
    copies: int  # records not counted: copies of an instance counted from another file
    deidentified: bool
    public: bool
    licence: str


# Keys added to a dataset summary after the first files of this schema were written, with what they meant then.
DATASET_DEFAULTS = {"copies": 0, "public": False, "licence": ""}


class Ratio(TypedDict):
    total: int
    covered: int
    percent: float


class Coverage(TypedDict, total=False):
    overall: Ratio
    value_bearing: Ratio
    value_bearing_current: Ratio
    by_vr: dict[str, Ratio]
    by_group: dict[str, Ratio]
    by_module: dict[str, dict[str, Any]]
    by_iod: dict[str, dict[str, Any]]
    by_dataset: dict[str, dict[str, int]]
    by_modality: dict[str, dict[str, int]]
    most_wanted: list[dict[str, Any]]
    empty_only: dict[str, Any]  # entries seen only with empty values: a ratio and their `entries`
    conformance: dict[str, Any]  # `checked` (records of a known IOD) and `most_broken` (requirements, worst first)


class Requirement(TypedDict):
    """How the instances of one IOD met one requirement of an attribute (Type 1 or 2, 1C or 2C that held)."""

    name: str  # the IOD's name
    type: str
    required: int  # instances required to hold it
    missing: int
    empty: int
    invalid: int  # present with a value that breaks its enumerated values, VR or VM


class Aggregate(TypedDict):
    schema: int
    standard: str
    privacy: dict[str, bool]
    datasets: list[DatasetSummary]
    unknown_tags: list[str]
    attributes: dict[str, Attribute]
    coverage: Coverage
    conformance: dict[str, dict[str, Requirement]]  # tag -> IOD id -> counts


# Top-level keys added after the first files of this schema were written, with what they meant then.
AGGREGATE_DEFAULTS: dict[str, Any] = {"conformance": {}}


def _malformed(what: str) -> DicomrefError:
    return DicomrefError(f"aggregate file {what}; re-run `dicomref aggregate`")


def check_aggregate(data: object) -> Aggregate:
    """The parsed file, once it has the shape readers rely on; else one clear error."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise _malformed("has an unknown schema")
    for key, kind in {"attributes": dict, "coverage": dict, "datasets": list}.items():
        if not isinstance(data.get(key), kind):
            raise _malformed(f"has no valid '{key}'")
    if not isinstance(data["coverage"].get("overall"), dict):
        raise _malformed("has no overall coverage")
    if not all(isinstance(d, dict) for d in data["datasets"]):
        raise _malformed("has no valid 'datasets'")
    data["datasets"] = [{**DATASET_DEFAULTS, **d} for d in data["datasets"]]
    for key, default in AGGREGATE_DEFAULTS.items():
        data.setdefault(key, default)
    return data  # type: ignore[return-value]


def examples_by_tag(aggregate: Aggregate | None) -> dict[str, list[Example]]:
    """The examples of each attribute, the part of the aggregate that search indexes."""
    if aggregate is None:
        return {}
    return {tag: attribute["examples"] for tag, attribute in aggregate["attributes"].items()}


def load_aggregate(path: Path) -> Aggregate:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DicomrefError(f"{path} not found (run `dicomref aggregate` first)") from None
    except IsADirectoryError:
        raise DicomrefError(f"{path} is a folder, not an aggregate file") from None
    except (ValueError, UnicodeDecodeError):
        raise DicomrefError(f"{path} is not valid JSON (re-run `dicomref aggregate`)") from None
    return check_aggregate(data)


def write_aggregate(path: Path, data: Aggregate) -> None:
    """Written aside and renamed: a killed run leaves the previous file."""
    write_json_atomic(path, data)
