"""Resolve what people type for an attribute: tags in any common form, keywords, or names."""

from __future__ import annotations

import difflib
import re

from dicomref.errors import DicomrefError
from dicomref.standard.dictionary import DictEntry, Dictionary

_TAG_FORMS = re.compile(r"^\(?\s*(?:0x)?([0-9a-fA-FxX]{4})\s*[, ]?\s*(?:0x)?([0-9a-fA-FxX]{4})\s*\)?$")


def parse_tag(text: str) -> str | None:
    """'(0010,0010)', '0010,0010', '00100010', '0x00100010', '0010 0010' -> '00100010'; else None."""
    match = _TAG_FORMS.match(text.strip())
    if not match:
        return None
    key = (match.group(1) + match.group(2)).upper().replace("X", "x")
    return key if re.search(r"[0-9]", key) else None


def find_entry(dictionary: Dictionary, text: str) -> DictEntry:
    """The entry for a tag, keyword or name (any case); a one-line error with the closest matches otherwise."""
    query = text.strip()
    key = parse_tag(query)
    if key is not None:
        entry = dictionary.get(key)
        if entry is None and "x" not in key:
            folded = dictionary.key_for(int(key, 16))
            entry = dictionary.get(folded) if folded else None
        if entry is not None:
            return entry
        raise DicomrefError(f"no attribute with tag ({key[:4]},{key[4:]}) in the data dictionary")
    entry = dictionary.by_keyword(query.replace(" ", ""))
    if entry is not None:
        return entry
    by_name = {e.name.lower(): e for e in dictionary if e.name}
    if query.lower() in by_name:
        return by_name[query.lower()]
    keywords = [e.keyword for e in dictionary if e.keyword]
    close = difflib.get_close_matches(query.replace(" ", ""), keywords, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; try `dicomref search`"
    raise DicomrefError(f"unknown attribute '{query[:80]}'{hint}")

