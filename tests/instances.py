"""Recounts in tests count one instance once, as the aggregate does: its copy with the lowest (dataset, path)."""

from __future__ import annotations

from pathlib import Path

from dicomref.formats.scraped import ScrapedRecord, read_records


def counted_records(scraped: Path) -> list[ScrapedRecord]:
    """The scraped records that count: of records holding the same SOP Instance UID, only the first copy."""
    records = list(read_records(scraped))
    first: dict[str, tuple[str, str]] = {}
    instances = []
    for record in records:
        top = {e["tag"]: e.get("value") for e in record["elements"] if not e["path"]}
        where = (record["source"]["dataset"], record["source"]["path"])
        instance = top.get("00080018") or top.get("00020003") or repr(where)
        instances.append((instance, where))
        first[instance] = min(first.get(instance, where), where)
    return [record for record, (instance, where) in zip(records, instances, strict=True) if first[instance] == where]
