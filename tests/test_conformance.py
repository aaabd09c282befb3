"""Conformance counts: the aggregate's per attribute and IOD counts, recounted from scraped.jsonl; shown on pages."""

from __future__ import annotations

import json
from collections import Counter

from typer.testing import CliRunner

from dicomref import urls
from dicomref.aggregate.conformance import Conformance
from dicomref.cli import app
from dicomref.formats.aggregate import load_aggregate
from dicomref.formats.scraped import read_records
from dicomref.validate.engine import Validator
from dicomref.validate.view import from_record
from tests.conftest import Build
from tests.instances import counted_records

runner = CliRunner()


def _unconditional_rows(standard) -> dict[str, dict[str, str]]:
    """IOD id -> tag -> Type, for top-level Type 1 and 2 rows of mandatory modules that every module of the IOD
    listing the attribute gives the same Type, and that carry a value a scraped record always shows."""
    found: dict[str, dict[str, str]] = {}
    for iod in standard.iods.values():
        types: dict[str, set[str]] = {}
        mandatory: set[str] = set()
        for usage in iod.modules:
            module = standard.modules.get(usage.module_id)
            for attribute in module.attributes if module else ():
                if not attribute.path:
                    types.setdefault(attribute.tag, set()).add(attribute.type)
                    if usage.usage == "M":
                        mandatory.add(attribute.tag)
        found[iod.id] = {
            tag: next(iter(kinds))
            for tag, kinds in types.items()
            if tag in mandatory and len(kinds) == 1 and kinds <= {"1", "2"} and standard.entry(tag)
            and standard.entry(tag).bears_value
        }  # fmt: skip
    return found


def test_conformance_counts_recount_from_scraped_records(default_build: Build, standard) -> None:
    data = load_aggregate(default_build.aggregate)
    iod_of = {sop.uid: iod.id for iod in sorted(standard.iods.values(), key=lambda i: i.id) for sop in iod.sop_classes}
    rows = _unconditional_rows(standard)
    required: Counter[tuple[str, str]] = Counter()
    missing: Counter[tuple[str, str]] = Counter()
    for record in counted_records(default_build.scraped):
        top = {e["tag"] for e in record["elements"] if not e["path"]}
        sop_class = next((e.get("value") for e in record["elements"] if e["tag"] == "00080016" and not e["path"]), "")
        iod = iod_of.get(sop_class or record["source"]["sop_class_uid"])
        for tag in rows.get(iod, {}):
            required[tag, iod] += 1
            missing[tag, iod] += tag not in top
    compared = 0
    for (tag, iod), count in required.items():
        counts = data["conformance"].get(tag, {}).get(iod)
        if counts is None or counts["type"] not in {"1", "2"}:
            continue  # overridden by another module of the IOD (Modality is Type 3 in Secondary Capture)
        assert (counts["required"], counts["missing"]) == (count, missing[tag, iod]), (tag, iod)
        compared += 1
    assert compared > 300
    assert sum(missing.values()) > 0  # the embedded files do break rules


def test_attribute_pages_and_the_coverage_report_show_conformance(default_build: Build) -> None:
    data = load_aggregate(default_build.aggregate)
    counts = data["conformance"]["00100020"]["ct-image"]  # Patient ID, Type 2 in CT Image
    page = (default_build.site / "attributes" / "00100020" / "index.html").read_text(encoding="utf-8")
    assert "Type 2 in <a href=" in page and f"{counts['required']} CT Image files seen" in page
    report = runner.invoke(app, ["coverage", "--aggregate", str(default_build.aggregate), "--by", "conformance",
                                 "--format", "json"])  # fmt: skip
    assert report.exit_code == 0, report.output
    broken = json.loads(report.stdout)["conformance"]["most_broken"]
    assert broken and broken[0]["missing"] + broken[0]["empty"] + broken[0]["invalid"] >= 1
    assert all(set(row) >= {"iod", "tag", "type", "required", "missing", "empty", "invalid"} for row in broken)


def test_the_coverage_page_lists_the_requirements_most_often_broken(default_build: Build) -> None:
    from bs4 import BeautifulSoup

    broken = load_aggregate(default_build.aggregate)["coverage"]["conformance"]["most_broken"]
    page = BeautifulSoup((default_build.site / urls.COVERAGE).read_text(encoding="utf-8"), "html.parser")
    heading = page.find(id="most-broken")
    assert heading is not None
    table = heading.find_next("table")
    rows = [[cell.get_text(strip=True) for cell in row.find_all("td")] for row in table.find("tbody").find_all("tr")]
    assert len(rows) == len(broken) > 0
    for shown, row in zip(rows, broken, strict=True):
        assert shown[0] == row["name"] and shown[3] == row["type"]
        assert shown[4:] == [f"{row[k]:,}" for k in ("required", "missing", "empty", "invalid")]


def _checked_counts(standard, records: list) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """The counts from the whole check of each record's view, file by file, with nothing remembered."""
    validator = Validator(standard)
    counts: dict[tuple[str, str], list[int]] = {}
    for record in records:
        required: dict[str, str] = {}
        report = validator.check(from_record(record, standard.dictionary.key_for), required)
        if report.iod is None:
            continue
        codes: dict[str, set[str]] = {}
        for finding in report.findings:
            if finding.severity == "error":
                codes.setdefault(finding.tag, set()).add(finding.code)
        for tag in required:
            row = counts.setdefault((tag, report.iod), [0, 0, 0, 0])
            found = codes.get(tag, set())
            row[0] += 1
            row[1] += "missing" in found
            row[2] += "empty" in found and "missing" not in found
            row[3] += bool(found & {"enumerated", "vr", "vm"}) and not found & {"missing", "empty"}
    return {key: (r[0], r[1], r[2], r[3]) for key, r in counts.items()}


def test_files_of_one_shape_are_counted_as_the_whole_check_counts_them(default_build: Build, standard) -> None:
    """Conformance checks the rows once per shape of file; copies that differ only in values the rows do not read
    (a date made invalid, a name) must still get their own value checks, and copies that differ in a value the rows
    do read (a condition's) their own rows."""
    records = list(read_records(default_build.scraped))
    variants = []
    for number, record in enumerate(records):
        for change in ("20201301", "A^B", "MR"):
            elements = [dict(e) for e in record["elements"]]
            for element in elements:
                if element["vr"] in {"DA", "PN"} and not element["path"] and change != "MR":
                    fits = (element["vr"] == "DA") == change.isdigit()
                    element["value"] = change if fits else element.get("value", "")
                if element["tag"] == "00080060" and change == "MR" and number % 2:
                    element["value"] = "MR"
            variants.append({"source": record["source"], "elements": elements})
    conformance = Conformance(standard)
    for record in records + variants:
        conformance.add(record)
    conformance.finish()
    counted = {key: (c.required, c.missing, c.empty, c.invalid) for key, c in conformance.counts.items()}
    assert counted == _checked_counts(standard, records + variants)
    assert any(c.invalid for c in conformance.counts.values())
