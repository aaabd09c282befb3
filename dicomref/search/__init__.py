"""Search the standard: one query language (query), documents per attribute, a Whoosh index and its ranking."""

from dicomref.search.documents import SearchDocument, search_documents
from dicomref.search.engine import SearchResult, Tier, search
from dicomref.search.index import (
    INDEX_DIR,
    build_index,
    current_index,
    ensure_index,
    fingerprint,
    index_beside,
    memory_index,
    open_index,
)
from dicomref.search.query import Query, parse_query, parse_tag

__all__ = [
    "INDEX_DIR",
    "Query",
    "SearchDocument",
    "SearchResult",
    "Tier",
    "build_index",
    "current_index",
    "ensure_index",
    "fingerprint",
    "index_beside",
    "memory_index",
    "open_index",
    "parse_query",
    "parse_tag",
    "search",
    "search_documents",
]
