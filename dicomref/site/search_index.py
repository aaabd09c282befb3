"""The compact index the site's own JavaScript searches, loaded as a script so file:// works too."""

from __future__ import annotations

import json

from dicomref.standard import Standard

INDEX_FILE = "static/search-index.js"


def index_rows(standard: Standard) -> list[list]:
    """One row per attribute: [tag, keyword, name, vr, retired (0/1)]."""
    return [[e.tag, e.keyword, e.name, e.vr, int(e.retired)] for e in standard.dictionary]


def search_index_script(standard: Standard) -> str:
    payload = json.dumps({"fields": ["tag", "keyword", "name", "vr", "retired"], "rows": index_rows(standard)}, separators=(",", ":"), ensure_ascii=False)
    payload = payload.replace("<", "\\u003c")  # nothing in the index can close a script element
    return f"window.DICOMREF_INDEX={payload};\n"
