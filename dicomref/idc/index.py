"""The installed IDC index (the `idc-index-data` package): where its tables are and which version it is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dicomref.errors import DicomrefError
from dicomref.idc.attribution import CollectionCredit, Source

INSTALL_HINT = "the IDC index is not installed: pip install 'dicomref[idc]'"


@dataclass(frozen=True)
class IdcIndex:
    version: str
    series: Path  # idc_index.parquet: one row per series
    collections: Path  # collections_index.parquet: sources with licence, citation and DOI per collection


def require(module: str) -> None:
    """Fail with the install line when a module of the extra is missing."""
    try:
        __import__(module)
    except ImportError:
        raise DicomrefError(INSTALL_HINT) from None


def find_index() -> IdcIndex:
    require("duckdb")
    try:
        import idc_index_data
    except ImportError:
        raise DicomrefError(INSTALL_HINT) from None
    collections = idc_index_data.INDEX_METADATA.get("collections_index", {}).get("parquet_filepath")
    if idc_index_data.IDC_INDEX_PARQUET_FILEPATH is None or not isinstance(collections, Path):
        raise DicomrefError(f"idc-index-data {idc_index_data.__version__} lacks the series or collections index")
    return IdcIndex(idc_index_data.__version__, idc_index_data.IDC_INDEX_PARQUET_FILEPATH, collections)


def sql_path(path: Path) -> str:
    """A parquet path as a DuckDB string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _plain(markup: str | None) -> str:
    """Citations come as HTML fragments (`<i>`, `&amp;`); attribution files hold plain text."""
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(markup or "", "html.parser").get_text().split())


def collection_credits(index: IdcIndex, dois: dict[str, set[str]]) -> list[CollectionCredit]:
    """The sources of each collection (id -> the DOIs its planned series cite), from the collections index."""
    import duckdb

    query = f"""
        SELECT collection_id, collection_name, s.source_title, s.source_doi, s.source_url,
            s.license.license_short_name, s.license.license_url, s.citation
        FROM (
            SELECT collection_id, collection_name, unnest(sources) AS s
            FROM read_parquet({sql_path(index.collections)})
        )
        WHERE list_contains($ids, collection_id)
    """
    names: dict[str, str] = {}
    sources: dict[str, dict[str, Source]] = {c: {} for c in dois}
    for collection, name, title, doi, url, licence, licence_url, citation in (
        duckdb.connect().execute(query, {"ids": sorted(dois)}).fetchall()
    ):
        names[collection] = name or collection
        if (doi or "").lower() in {d.lower() for d in dois[collection]}:
            source = Source(title or "", doi or "", url or "", licence or "", licence_url or "", _plain(citation))
            sources[collection][source.doi.lower()] = source
    return [
        CollectionCredit(c, names.get(c, c), tuple(sources[c][d] for d in sorted(sources[c]))) for c in sorted(dois)
    ]
