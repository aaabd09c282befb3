"""`dicomref idc fetch` end to end against a real S3-compatible server (moto's) on 127.0.0.1.

The server holds real DICOM files (pydicom's test files, given the planned SeriesInstanceUIDs) laid
out like IDC's buckets: a folder per series named by its crdc_series_uuid, one object per instance.
The plan is a real one, made from the installed index.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from bs4 import BeautifulSoup
from pydicom.data import get_testdata_file

boto3 = pytest.importorskip("boto3", reason="the IDC extra is not installed: pip install 'dicomref[idc]'")
moto_server = pytest.importorskip("moto.moto_server.threaded_moto_server", reason="pip install 'moto[server]'")
pytest.importorskip("idc_index_data")

from dicomref.aggregate import AggregateOptions, aggregate_to_file  # noqa: E402
from dicomref.datasets import load_manifest  # noqa: E402
from dicomref.idc.attribution import read_credits  # noqa: E402
from dicomref.idc.plan import PlanOptions, make_plan, plan_csv  # noqa: E402
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape  # noqa: E402
from dicomref.site import build_site  # noqa: E402
from dicomref.site.credits import credits_from_manifest  # noqa: E402
from dicomref.standard import Standard  # noqa: E402
from tests.interrupt import kill_at  # noqa: E402

GOOD = 5  # the first five planned series can be fetched; then one missing, one not DICOM, one of the wrong series
SMALL_FILES = ("CT_small.dcm", "MR_small.dcm", "SC_rgb_small_odd.dcm", "MR_small_RLE.dcm", "rtplan.dcm")
LARGE_FILE = "emri_small_jpeg_2k_lossless.dcm"
WAIT = 120.0  # seconds at most for a condition that should hold within a second or two


@dataclass(frozen=True)
class Bucketed:
    plan: Path
    rows: list[dict]
    smallest: dict[str, bytes]  # series_instance_uid -> the bytes of its smallest object
    endpoint: str


def _with_series(name: str, series_uid: str) -> bytes:
    dataset = pydicom.dcmread(get_testdata_file(name))
    dataset.SeriesInstanceUID = series_uid
    out = io.BytesIO()
    dataset.save_as(out)
    return out.getvalue()


def _public_read(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def bucket(tmp_path: Path) -> Bucketed:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # returns once the server listens
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    rows = list(csv.DictReader(plan_csv(make_plan(PlanOptions(budget=GOOD + 3))).splitlines()))
    assert len(rows) == GOOD + 3
    for name in sorted({r["aws_bucket"] for r in rows}):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(_public_read(name)))  # as IDC's buckets are
    smallest: dict[str, bytes] = {}
    for i, row in enumerate(rows):
        uid, folder = row["series_instance_uid"], row["crdc_series_uuid"]
        large = _with_series(LARGE_FILE, uid)
        if i < GOOD:
            small = _with_series(SMALL_FILES[i], uid)
        elif i == GOOD:
            continue  # a series folder with no objects
        elif i == GOOD + 1:
            small = b"not a DICOM file, though the smallest object of its series\n"
        else:
            small = _with_series(SMALL_FILES[0], "1.2.3.4.5.6.7.8.9")
        assert len(small) < len(large)
        smallest[uid] = small
        s3.put_object(Bucket=row["aws_bucket"], Key=f"{folder}/a{i:04d}-large.dcm", Body=large)
        s3.put_object(Bucket=row["aws_bucket"], Key=f"{folder}/b{i:04d}-small.dcm", Body=small)
    plan = tmp_path / "plan.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    plan.write_text(text.getvalue(), encoding="utf-8")
    yield Bucketed(plan, rows, smallest, endpoint)
    server.stop()


def _fetch_command(bucket: Bucketed, dest: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dicomref",
        "idc",
        "fetch",
        str(bucket.plan),
        "--dest",
        str(dest),
        "--endpoint-url",
        bucket.endpoint,
        *extra,
    ]


def _final_files(dest: Path) -> list[Path]:
    return sorted(p for p in (dest / "files").rglob("*") if p.is_file() and not p.name.startswith("."))


def _part_files(dest: Path) -> list[Path]:
    return sorted(p for p in dest.rglob("*.part"))


def _fetch_killed_then_resumed(bucket: Bucketed, dest: Path) -> subprocess.CompletedProcess:
    """A run killed while its third object is half downloaded, and a run that resumes it."""
    kill_at(_fetch_command(bucket, dest, "--jobs", "1"), "idc-download:3")
    assert len(_final_files(dest)) == 2
    assert len(_part_files(dest)) == 1
    assert not (dest / "dataset.toml").exists()
    stray = dest / "files" / "no_longer_planned" / "1.2.3" / "x.dcm"  # as a cache of an older plan would hold
    stray.parent.mkdir(parents=True)
    stray.write_bytes(bucket.smallest[bucket.rows[0]["series_instance_uid"]])
    resumed = subprocess.run(_fetch_command(bucket, dest, "--jobs", "4"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    return resumed


def test_fetch_killed_resumes_and_lists_failures(bucket: Bucketed, tmp_path: Path) -> None:
    dest = tmp_path / "idc"
    resumed = _fetch_killed_then_resumed(bucket, dest)
    assert "3 fetched" in resumed.stderr and "2 already present" in resumed.stderr and "3 failed" in resumed.stderr

    # One file per fetchable series, the smallest object of its folder, never a partial one.
    assert _part_files(dest) == []
    good = bucket.rows[:GOOD]
    files = _final_files(dest)
    assert [f.relative_to(dest / "files").parent.as_posix() for f in files] == sorted(
        f"{r['collection_id']}/{r['series_instance_uid']}" for r in good
    )
    for row in good:
        (path,) = (dest / "files" / row["collection_id"] / row["series_instance_uid"]).iterdir()
        assert path.name.endswith("-small.dcm")
        assert path.read_bytes() == bucket.smallest[row["series_instance_uid"]]
        assert pydicom.dcmread(path).SeriesInstanceUID == row["series_instance_uid"]

    # Failures with their reasons.
    with open(dest / "failures.csv", newline="", encoding="utf-8") as handle:
        failures = {r["series_instance_uid"]: r["reason"] for r in csv.DictReader(handle)}
    missing, not_dicom, wrong = (r["series_instance_uid"] for r in bucket.rows[GOOD:])
    assert failures == {
        missing: "no objects in the series folder",
        not_dicom: "not DICOM",
        wrong: "wrong series (its SeriesInstanceUID is not the planned one)",
    }

    # The manifest entry and an attribution file per collection fetched.
    (dataset,) = load_manifest(dest / "dataset.toml")
    assert (dataset.name, dataset.deidentified, dataset.root) == ("idc", True, (dest / "files").resolve())
    credits = read_credits(dataset.attribution)
    assert [c.collection_id for c in credits] == sorted({r["collection_id"] for r in good})
    dois = {r["collection_id"]: set() for r in good}
    for row in good:
        dois[row["collection_id"]].add(row["source_doi"].lower())
    for credit in credits:
        assert {s.doi.lower() for s in credit.sources} == dois[credit.collection_id]
        for source in credit.sources:
            assert source.licence in ("CC BY 4.0", "CC BY 3.0")
            assert source.licence_url.startswith("https://creativecommons.org/licenses/by/")
            assert source.citation and "<" not in source.citation and source.url.startswith("https://doi.org/")

    # A third run finds everything in place and downloads nothing.
    before = {f: f.stat().st_mtime_ns for f in files}
    again = subprocess.run(_fetch_command(bucket, dest), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "0 fetched" in again.stderr and f"{GOOD} already present" in again.stderr
    assert {f: f.stat().st_mtime_ns for f in _final_files(dest)} == before


def test_dry_run_lists_what_it_would_fetch(bucket: Bucketed, tmp_path: Path) -> None:
    dest = tmp_path / "idc"
    done = subprocess.run(_fetch_command(bucket, dest, "--dry-run"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listed = len(bucket.smallest)
    total = sum(len(b) for b in bucket.smallest.values())
    assert f"{listed} objects would be fetched, {total / 1e6:,.1f} MB in all" in done.stderr
    assert "1 failed" in done.stderr
    for row in bucket.rows:
        if row["series_instance_uid"] in bucket.smallest:
            assert row["series_instance_uid"] in done.stdout
    assert not dest.exists() or _final_files(dest) == []
    assert not (dest / "dataset.toml").exists()


def test_malformed_plan_is_one_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("collection_id,series_instance_uid\nx,1.2\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "dicomref", "idc", "fetch", str(plan), "--dest", str(tmp_path / "d")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: plan {plan} lacks the column crdc_series_uuid (write one with `dicomref idc plan`)"
    ]


def test_a_build_from_fetched_files_credits_the_collections(
    bucket: Bucketed, tmp_path: Path, small_standard: Standard
) -> None:
    dest = tmp_path / "idc"
    manifest = tmp_path / "data" / "datasets.toml"  # a curated manifest the fetched dataset is added to
    manifest.parent.mkdir()
    manifest.write_text('[[dataset]]\nname = "local"\npath = "local"\ndeidentified = false\n', encoding="utf-8")
    command = _fetch_command(bucket, dest, "--jobs", "4", "--add-to", str(manifest))
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"added the dataset idc to {manifest}" in done.stderr
    local, dataset = load_manifest(manifest)
    assert (local.name, dataset.name, dataset.location, dataset.deidentified) == ("local", "idc", "../idc/files", True)
    assert dataset.root == (dest / "files").resolve() and dataset.attribution == (dest / "attribution").resolve()
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0 and "added" not in again.stderr
    assert len(load_manifest(manifest)) == 2
    scraped = tmp_path / "scraped.jsonl"
    scrape([ScrapeInput(dataset.name, dataset.root)], scraped, ScrapeOptions(jobs=2))
    result = aggregate_to_file(
        [scraped], tmp_path / "aggregate.json", small_standard, AggregateOptions(deidentified=frozenset({dataset.name}))
    )
    site = tmp_path / "site"
    build_site(result, small_standard, site, credits=credits_from_manifest(manifest))

    about = BeautifulSoup((site / "about" / "index.html").read_text(encoding="utf-8"), "html.parser")
    credits = read_credits(dataset.attribution)
    assert credits
    for credit in credits:
        entry = about.find(id=f"collection-idc-{credit.collection_id}")
        assert entry is not None and credit.name in entry.get_text()
        text = " ".join(about.get_text().split())
        for source in credit.sources:
            assert source.citation in text and source.doi in text and source.licence in text
            assert about.find("a", href=source.licence_url) is not None

    # An example's provenance names its file's collection and links to its credit.
    page = BeautifulSoup((site / "attributes" / "00080060" / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = [a for a in page.find_all("a") if a.get("href", "").startswith("../../about/index.html#collection-idc-")]
    assert links
    names = {c.name for c in credits}
    assert {a.get_text() for a in links} <= names
