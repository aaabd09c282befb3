"""Recounts in tests count one instance once, as the aggregate does: its copy from the dataset listed first in the
default manifest (all of whose datasets are public), then the lowest dataset and path."""

from __future__ import annotations

from pathlib import Path

from dicomref.datasets import load_manifest
from dicomref.formats.scraped import ScrapedRecord, read_records
from tests.conftest import MANIFEST


def counted_records(scraped: Path) -> list[ScrapedRecord]:
    """The scraped records that count: of records holding the same SOP Instance UID, only the first copy."""
    position = {d.name: index for index, d in enumerate(load_manifest(MANIFEST))}
    records = list(read_records(scraped))
    first: dict[str, tuple[int, str, str]] = {}
    instances = []
    for record in records:
        top = {e["tag"]: e.get("value") for e in record["elements"] if not e["path"]}
        dataset, path = record["source"]["dataset"], record["source"]["path"]
        where = (position.get(dataset, len(position)), dataset, path)
        instance = top.get("00080018") or top.get("00020003") or repr(where)
        instances.append((instance, where))
        first[instance] = min(first.get(instance, where), where)
    return [record for record, (instance, where) in zip(records, instances, strict=True) if first[instance] == where]
