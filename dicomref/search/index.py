"""The Whoosh index behind `dicomref search` and `dicomref serve`:
built beside aggregate.json, rebuilt when its inputs change."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import fields
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.filedb.filestore import RamStorage
from whoosh.index import EmptyIndexError, Index, create_in, open_dir

from dicomref.files import replace_dir, write_text_atomic
from dicomref.formats.aggregate import examples_by_tag, load_aggregate
from dicomref.search.documents import SearchDocument, search_documents
from dicomref.search.query import normal_value
from dicomref.standard import Standard

INDEX_DIR = "search-index"
FINGERPRINT_FILE = "fingerprint"
# Bump when the schema or what goes into a document changes: older indexes are then rebuilt.
SCHEMA_VERSION = 2


def _words() -> Any:
    """Letters and digits, lower case, nothing dropped: 'Number of Frames' keeps its 'of'."""
    return RegexTokenizer(r"[A-Za-z0-9]+") | LowercaseFilter()


def schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),  # kind and id: 'attribute 00180050', 'iod ct-image'
        kind=fields.ID(stored=True),
        key=fields.STORED(),  # the id within its kind
        tag=fields.ID(),  # attributes only
        uid=fields.ID(),  # UIDs only
        keyword=fields.STORED(),
        keyword_lc=fields.ID(),
        name=fields.TEXT(analyzer=_words(), stored=True, field_boost=3.0),
        what=fields.STORED(),
        vr=fields.STORED(),
        vrs=fields.KEYWORD(lowercase=True),
        retired=fields.ID(stored=True),
        modules=fields.KEYWORD(),
        description=fields.TEXT(analyzer=StemmingAnalyzer()),
        examples=fields.TEXT(analyzer=_words()),
        values=fields.KEYWORD(commas=True),  # each whole value as query.normal_value writes it
        required=fields.STORED(),
        prominence=fields.STORED(),
    )


def _add(writer: Any, document: SearchDocument) -> None:
    values = {
        "id": f"{document.kind} {document.id}",
        "kind": document.kind,
        "key": document.id,
        "keyword": document.keyword,
        "name": document.name,
        "what": document.what,
        "vr": document.vr,
        "vrs": " ".join(document.vrs),
        "retired": "yes" if document.retired else "no",
        "modules": " ".join(document.modules),
        "description": document.description,
        "examples": "\n".join(document.examples),
        "values": ",".join(normal_value(v) for v in document.values),
        "required": document.required,
        "prominence": document.prominence,
    }
    if document.kind == "attribute":
        values["tag"] = document.id
    if document.kind == "uid":
        values["uid"] = document.id
    if document.exact_keyword:
        values["keyword_lc"] = document.exact_keyword
    writer.add_document(**values)


def _fill(index: Index, documents: list[SearchDocument]) -> Index:
    writer = index.writer()
    for document in documents:
        _add(writer, document)
    writer.commit()
    return index


def fingerprint(aggregate: Path | None, standard_folder: Path | None) -> str:
    """What the index was built from: the schema, the standard release and the aggregate's bytes."""
    from dicomref.standard.sources import dictionary_text, find_sources

    digest = hashlib.sha256(f"dicomref search index {SCHEMA_VERSION}\n".encode())
    digest.update(dictionary_text().encode())
    for table, table_digest in sorted(find_sources(standard_folder).digests.items()):
        digest.update(f"{table} {table_digest}\n".encode())
    if aggregate is not None and aggregate.is_file():
        digest.update(aggregate.read_bytes())
    return digest.hexdigest()


def open_index(folder: Path, expected: str) -> Index | None:
    """The index in `folder` if it was built from the same inputs; None when missing or stale."""
    try:
        if (folder / FINGERPRINT_FILE).read_text(encoding="utf-8").strip() != expected:
            return None
        return open_dir(str(folder))
    except (OSError, EmptyIndexError):
        return None


def build_index(documents: list[SearchDocument], folder: Path, stamp: str) -> Index:
    """Build in a sibling folder, then swap it in: readers never see half an index."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        _fill(create_in(str(building), schema()), documents)
        write_text_atomic(building / FINGERPRINT_FILE, stamp + "\n")
        replace_dir(building, folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return open_dir(str(folder))


def memory_index(documents: list[SearchDocument]) -> Index:
    """An index held in memory, for when the data folder cannot be written."""
    return _fill(RamStorage().create_index(schema()), documents)


def ensure_index(folder: Path, stamp: str, documents: Callable[[], list[SearchDocument]]) -> Index:
    """Open the index if it is current; otherwise build it (in memory if `folder` is read-only)."""
    index = open_index(folder, stamp)
    if index is not None:
        return index
    built = documents()
    try:
        return build_index(built, folder, stamp)
    except OSError:
        return memory_index(built)


def current_index(aggregate: Path, standard_folder: Path | None = None) -> Index | None:
    """The index beside `aggregate` (data/search-index/) if it reflects it and the standard; else None."""
    return open_index(aggregate.parent / INDEX_DIR, fingerprint(aggregate, standard_folder))


def index_beside(aggregate: Path, standard_folder: Path | None = None, standard: Standard | None = None) -> Index:
    """The index beside `aggregate`, built first when missing or stale
    (from the standard alone when there is no aggregate)."""
    from dicomref.standard import load_standard

    def documents() -> list[SearchDocument]:
        data = load_aggregate(aggregate) if aggregate.is_file() else None
        return search_documents(standard or load_standard(standard_folder), examples_by_tag(data))

    return ensure_index(aggregate.parent / INDEX_DIR, fingerprint(aggregate, standard_folder), documents)
