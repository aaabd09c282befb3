"""Recounts in tests count one instance once, as the aggregate does: its copy with the lowest (dataset, path)."""

from __future__ import annotations

import json
from collections.abc import Iterable


def counted_records(lines: Iterable[str]) -> list[dict]:
    """The scraped records that count: of records holding the same SOP Instance UID, only the first copy."""
    records = [json.loads(line) for line in lines]
    first: dict[str, tuple[str, str]] = {}
    instances = []
    for record in records:
        top = {e["tag"]: e.get("value") for e in record["elements"] if not e["path"]}
        where = (record["source"]["dataset"], record["source"]["path"])
        instance = top.get("00080018") or top.get("00020003") or repr(where)
        instances.append((instance, where))
        first[instance] = min(first.get(instance, where), where)
    return [record for record, (instance, where) in zip(records, instances) if first[instance] == where]
