"""Credits for the collections a dataset draws from (IDC's), read through the manifest's `attribution` folders.

About lists every credited collection with its licence, citation and DOI; an example's provenance
names the collection of its file, the first folder of the file's path in the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dicomref.idc.attribution import CollectionCredit, Source, read_credits


@dataclass(frozen=True)
class Credits:
    by_dataset: dict[str, tuple[CollectionCredit, ...]] = field(default_factory=dict)

    def collection_of(self, dataset: str, path: str) -> dict | None:
        """The collection an example's file belongs to, with the About anchor that credits it."""
        collection_id = path.split("/", 1)[0]
        for credit in self.by_dataset.get(dataset, ()):
            if credit.collection_id == collection_id:
                return {"name": credit.name, "anchor": collection_anchor(dataset, collection_id)}
        return None

    def about(self, datasets: list[str]) -> list[dict]:
        """One entry per credited collection of the datasets the site shows, by dataset then collection id."""
        return [
            {
                "dataset": dataset,
                "anchor": collection_anchor(dataset, credit.collection_id),
                "name": credit.name,
                "collection_id": credit.collection_id,
                "sources": [_source(s) for s in credit.sources],
            }
            for dataset in sorted(datasets)
            for credit in self.by_dataset.get(dataset, ())
        ]


def _web_link(url: str) -> str:
    """Only plain web addresses become links."""
    return url if url.startswith(("https://", "http://")) else ""


def _source(source: Source) -> dict:
    return {
        "title": source.title,
        "doi": source.doi,
        "url": _web_link(source.url),
        "licence": source.licence,
        "licence_url": _web_link(source.licence_url),
        "citation": source.citation,
    }


def collection_anchor(dataset: str, collection_id: str) -> str:
    safe = "".join(char if char.isalnum() or char in "-_" else "-" for char in dataset)
    return f"collection-{safe}-{collection_id}"


def credits_from_manifest(manifest: Path) -> Credits:
    """The credits of every dataset of the manifest that names an attribution folder; no manifest, no credits."""
    from dicomref.datasets import load_manifest

    if not manifest.exists():
        return Credits()
    return Credits(
        {d.name: tuple(read_credits(d.attribution)) for d in load_manifest(manifest) if d.attribution is not None}
    )
