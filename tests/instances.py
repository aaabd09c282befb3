"""Recounts in tests count one instance once, as the aggregate does: its copy from the dataset listed first in the
default manifest (all of whose datasets are public), then the lowest dataset and path."""

from __future__ import annotations

import json
from collections.abc import Iterable

from dicomref.datasets import load_manifest
from tests.conftest import MANIFEST


def counted_records(lines: Iterable[str]) -> list[dict]:
    """The scraped records that count: of records holding the same SOP Instance UID, only the first copy."""
    position = {d.name: index for index, d in enumerate(load_manifest(MANIFEST))}
    records = [json.loads(line) for line in lines]
    first: dict[str, tuple[int, str, str]] = {}
    instances = []
    for record in records:
        top = {e["tag"]: e.get("value") for e in record["elements"] if not e["path"]}
        dataset, path = record["source"]["dataset"], record["source"]["path"]
        where = (position.get(dataset, len(position)), dataset, path)
        instance = top.get("00080018") or top.get("00020003") or repr(where)
        instances.append((instance, where))
        first[instance] = min(first.get(instance, where), where)
    return [record for record, (instance, where) in zip(records, instances) if first[instance] == where]
