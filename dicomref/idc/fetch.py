"""Fetch one instance per planned series from IDC's public buckets, anonymously, checked and resumable.

Layout of DEST:
  files/<collection_id>/<SeriesInstanceUID>/<object name>   the dataset scraped (one DICOM file per series)
  attribution/<collection_id>.json                          licence, citation and DOI per collection
  dataset.toml                                              the manifest entry of the dataset
  failures.csv                                              series not fetched in the last run, with the reason

Each object is downloaded to a hidden `.part` name, checked to be DICOM of the planned series, and
only then renamed: a killed run leaves no file that looks complete, and the next run removes the
`.part` leftovers and fetches only the series that have no file yet.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicomref.errors import DicomrefError
from dicomref.files import write_text_atomic
from dicomref.idc.attribution import SAFE_NAME, CollectionCredit, write_credits
from dicomref.pause import pause_point

FILES = "files"
ATTRIBUTION = "attribution"
MANIFEST = "dataset.toml"
FAILURES = "failures.csv"
PART_SUFFIX = ".part"
CHUNK = 1 << 20
PLAN_FIELDS = ("collection_id", "series_instance_uid", "crdc_series_uuid", "aws_bucket", "source_doi")
UID = re.compile(r"[0-9]+(\.[0-9]+)*")
DESCRIPTION = (
    "A variety sample of NCI Imaging Data Commons: one instance per series, chosen for the most modalities, "
    "SOP classes, manufacturers and models; de-identified by the collections' curators."
)


@dataclass(frozen=True)
class PlanRow:
    collection_id: str
    series_instance_uid: str
    crdc_series_uuid: str
    aws_bucket: str
    source_doi: str

    @property
    def folder(self) -> str:
        return f"{self.collection_id}/{self.series_instance_uid}"


@dataclass(frozen=True)
class FetchOptions:
    dest: Path
    endpoint_url: str | None = None  # another S3-compatible server than AWS
    jobs: int = 8
    dry_run: bool = False
    name: str = "idc"  # the dataset's name in the manifest


@dataclass(frozen=True)
class Outcome:
    row: PlanRow
    status: str  # fetched, present (from an earlier run), planned (dry run) or failed
    key: str = ""
    size: int = 0
    reason: str = ""


@dataclass(frozen=True)
class FetchSummary:
    outcomes: list[Outcome]

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def bytes(self) -> int:
        return sum(o.size for o in self.outcomes if o.status in ("fetched", "planned"))


class _Failure(Exception):
    """A series that cannot be fetched; the message is its reason in failures.csv."""


# Called after each series with (series done, series in all, bytes downloaded so far).
ProgressCallback = Callable[[int, int, int], None]


def read_plan(path: Path) -> list[PlanRow]:
    """The series of a plan written by `dicomref idc plan`, checked to be plain names a path can hold."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise DicomrefError(f"plan {path} not found (write one with `dicomref idc plan`)") from None
    except UnicodeDecodeError:
        raise DicomrefError(f"plan {path} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in PLAN_FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise DicomrefError(f"plan {path} lacks the column {missing[0]} (write one with `dicomref idc plan`)")
    rows = []
    for number, record in enumerate(reader, start=2):
        row = PlanRow(*(record[f] or "" for f in PLAN_FIELDS))
        if not SAFE_NAME.fullmatch(row.collection_id) or not UID.fullmatch(row.series_instance_uid):
            raise DicomrefError(f"plan {path}, line {number}: collection_id or series_instance_uid is malformed")
        if not SAFE_NAME.fullmatch(row.crdc_series_uuid) or not row.aws_bucket:
            raise DicomrefError(f"plan {path}, line {number}: crdc_series_uuid or aws_bucket is malformed")
        rows.append(row)
    if len({row.folder for row in rows}) != len(rows):
        raise DicomrefError(f"plan {path} lists a series twice")
    return rows


def s3_client(endpoint_url: str | None, jobs: int) -> Any:
    """An anonymous client: IDC's buckets are public, so requests are not signed and no credentials are read."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(signature_version=UNSIGNED, max_pool_connections=max(jobs, 10), retries={"mode": "standard"})
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config, region_name="us-east-1")


def _smallest_object(client: Any, row: PlanRow) -> tuple[str, int]:
    from botocore.exceptions import BotoCoreError, ClientError

    objects = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=row.aws_bucket, Prefix=f"{row.crdc_series_uuid}/"
        )
        for page in pages:
            objects += [(item["Size"], item["Key"]) for item in page.get("Contents", [])]
    except ClientError as exc:
        raise _Failure(f"listing failed ({exc.response.get('Error', {}).get('Code', 'error')})") from None
    except BotoCoreError as exc:
        raise _Failure(f"listing failed ({type(exc).__name__})") from None
    if not objects:
        raise _Failure("no objects in the series folder")
    size, key = min(objects)
    return key, size


def _present(folder: Path, clean: bool) -> Path | None:
    """A finished file of an earlier run; with `clean`, `.part` leftovers of a killed one are removed."""
    if not folder.is_dir():
        return None
    done = None
    for path in sorted(folder.iterdir()):
        if path.name.endswith(PART_SUFFIX):
            if clean:
                path.unlink()
        elif not path.name.startswith("."):
            done = path
    return done


def check_dicom(path: Path, series_instance_uid: str) -> None:
    """The object must be DICOM that pydicom reads, of the series the plan names."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
    except InvalidDicomError:
        raise _Failure("not DICOM") from None
    except Exception as exc:
        raise _Failure(f"unreadable by pydicom ({type(exc).__name__})") from None
    found = str(dataset.get("SeriesInstanceUID", ""))
    if not found:
        raise _Failure("no SeriesInstanceUID")
    if found != series_instance_uid:
        raise _Failure("wrong series (its SeriesInstanceUID is not the planned one)")


class _Fetcher:
    def __init__(self, client: Any, options: FetchOptions) -> None:
        self.client = client
        self.options = options
        self.lock = threading.Lock()
        self.saved = 0

    def _download(self, row: PlanRow, key: str, size: int, folder: Path) -> Path:
        from botocore.exceptions import BotoCoreError, ClientError

        name = key.rsplit("/", 1)[-1]
        if not SAFE_NAME.fullmatch(name) or name.endswith(PART_SUFFIX):
            raise _Failure("object name unusable as a file name")
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{name}{PART_SUFFIX}"
        written = 0
        try:
            body = self.client.get_object(Bucket=row.aws_bucket, Key=key)["Body"]
            with open(part, "wb") as handle:
                for chunk in body.iter_chunks(CHUNK):
                    handle.write(chunk)
                    written += len(chunk)
                    handle.flush()
                    pause_point("idc-download", self.saved + 1)
            if written != size:
                raise _Failure(f"incomplete download ({written} of {size} bytes)")
            check_dicom(part, row.series_instance_uid)
        except ClientError as exc:
            part.unlink(missing_ok=True)
            raise _Failure(f"download failed ({exc.response.get('Error', {}).get('Code', 'error')})") from None
        except BotoCoreError as exc:
            part.unlink(missing_ok=True)
            raise _Failure(f"download failed ({type(exc).__name__})") from None
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        final = folder / name
        os.replace(part, final)
        with self.lock:
            self.saved += 1
        return final

    def fetch(self, row: PlanRow) -> Outcome:
        folder = self.options.dest / FILES / row.collection_id / row.series_instance_uid
        done = _present(folder, clean=not self.options.dry_run)
        if done is not None:
            return Outcome(row, "present", key=done.name)
        try:
            key, size = _smallest_object(self.client, row)
            if self.options.dry_run:
                return Outcome(row, "planned", key, size)
            self._download(row, key, size, folder)
        except _Failure as failure:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
            return Outcome(row, "failed", reason=str(failure))
        return Outcome(row, "fetched", key, size)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _prune(files: Path, rows: list[PlanRow]) -> None:
    """Series folders the plan no longer names go (a cache of an older plan may hold them): DEST mirrors the plan."""
    planned = {row.folder for row in rows}
    collections = {row.collection_id for row in rows}
    if not files.is_dir():
        return
    for collection in sorted(files.iterdir()):
        if collection.is_dir() and collection.name in collections:
            for series in sorted(collection.iterdir()):
                if f"{collection.name}/{series.name}" not in planned:
                    _remove(series)
        else:
            _remove(collection)


def _failures_csv(outcomes: list[Outcome]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["collection_id", "series_instance_uid", "crdc_series_uuid", "reason"])
    failed = sorted((o for o in outcomes if o.status == "failed"), key=lambda o: o.row.folder)
    writer.writerows([o.row.collection_id, o.row.series_instance_uid, o.row.crdc_series_uuid, o.reason] for o in failed)
    return out.getvalue()


def _cited_dois(rows: list[PlanRow], outcomes: list[Outcome]) -> dict[str, set[str]]:
    """Collection id -> the DOIs of its series that are on disk."""
    on_disk = {o.row for o in outcomes if o.status in ("fetched", "present")}
    dois: dict[str, set[str]] = {}
    for row in rows:
        if row in on_disk:
            dois.setdefault(row.collection_id, set()).add(row.source_doi)
    return dois


def write_dataset(dest: Path, name: str, credits: list[CollectionCredit]) -> None:
    """The attribution files and the manifest entry, so `dicomref scrape --datasets DEST/dataset.toml` works."""
    from dicomref.datasets import dataset_entry

    write_credits(dest / ATTRIBUTION, credits)
    entry = dataset_entry(
        name, FILES, DESCRIPTION, deidentified=True, attribution=ATTRIBUTION, comment="Written by `dicomref idc fetch`."
    )
    write_text_atomic(dest / MANIFEST, entry)


def add_to_manifest(dest: Path, name: str, manifest: Path) -> bool:
    """Add the fetched dataset to another manifest, with paths relative to it; False when it is there already."""
    from dicomref.datasets import add_dataset, dataset_entry

    relative = Path(os.path.relpath(dest.resolve(), manifest.resolve().parent))
    entry = dataset_entry(name, (relative / FILES).as_posix(), DESCRIPTION, True, (relative / ATTRIBUTION).as_posix())
    return add_dataset(manifest, entry)


def fetch(
    rows: list[PlanRow],
    options: FetchOptions,
    credits_for: Callable[[dict[str, set[str]]], list[CollectionCredit]] | None = None,
    on_progress: ProgressCallback | None = None,
    client: Any = None,
) -> FetchSummary:
    """Fetch (or with dry_run, list) the smallest object of every planned series, `jobs` at a time.

    `credits_for` turns collection ids and their DOIs into credits (the installed index's collections table).
    """
    client = client or s3_client(options.endpoint_url, options.jobs)
    fetcher = _Fetcher(client, options)
    outcomes: dict[PlanRow, Outcome] = {}
    downloaded = 0
    with ThreadPoolExecutor(max_workers=max(options.jobs, 1)) as pool:
        for future in as_completed([pool.submit(fetcher.fetch, row) for row in rows]):
            outcome = future.result()
            outcomes[outcome.row] = outcome
            downloaded += outcome.size if outcome.status in ("fetched", "planned") else 0
            if on_progress:
                on_progress(len(outcomes), len(rows), downloaded)
    ordered = [outcomes[row] for row in rows]
    if not options.dry_run:
        _prune(options.dest / FILES, rows)
        write_text_atomic(options.dest / FAILURES, _failures_csv(ordered))
        credits = credits_for(_cited_dois(rows, ordered)) if credits_for else []
        write_dataset(options.dest, options.name, credits)
    return FetchSummary(ordered)
