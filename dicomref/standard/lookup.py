"""Resolve what people type for an attribute: tags in any common form, keywords, or names."""

from __future__ import annotations

import difflib
import re

from dicomref.errors import DicomrefError
from dicomref.standard.dictionary import DictEntry, Dictionary, display_tag

_TAG_FORMS = re.compile(r"^\(?\s*(?:0x)?([0-9a-fA-FxX]{4})\s*[, ]?\s*(?:0x)?([0-9a-fA-FxX]{4})\s*\)?$")


def parse_tag(text: str) -> str | None:
    """'(0010,0010)', '0010,0010', '00100010', '0x00100010', '0010 0010' -> '00100010'; else None."""
    match = _TAG_FORMS.match(text.strip())
    if not match:
        return None
    key = (match.group(1) + match.group(2)).upper().replace("X", "x")
    return key if re.search(r"[0-9]", key) else None


def find_entry(dictionary: Dictionary, text: str) -> DictEntry:
    """The entry for a tag, keyword or name (any case); a one-line error with the closest matches otherwise.

    A concrete tag of a repeating group finds the group's entry: (6000,0010) is (60xx,0010).
    """
    query = text.strip()
    key = parse_tag(query)
    if key is not None:
        return _by_tag(dictionary, key)
    entry = dictionary.by_keyword(query.replace(" ", "")) or dictionary.by_name(query)
    if entry is not None:
        return entry
    keywords = {e.keyword.lower(): e.keyword for e in dictionary if e.keyword}
    close = difflib.get_close_matches(re.sub(r"[^0-9a-z]", "", query.lower()), keywords, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(keywords[c] for c in close)}?" if close else "; try `dicomref search`"
    raise DicomrefError(f"unknown attribute '{query[:80]}'{hint}")


def _by_tag(dictionary: Dictionary, key: str) -> DictEntry:
    entry = dictionary.get(key)
    if entry is None and "x" not in key:
        folded = dictionary.key_for(int(key, 16))
        entry = dictionary.get(folded) if folded else None
    if entry is not None:
        return entry
    shown = display_tag(key)
    if "x" not in key and int(key[:4], 16) % 2:
        raise DicomrefError(
            f"{shown} is a private tag (odd group): the data dictionary has no entries for private tags"
        )
    neighbours = sorted(
        (e for e in dictionary if e.group == key[:4] and "x" not in e.tag),
        key=lambda e: abs(int(e.tag, 16) - int(key.replace("x", "0"), 16)),
    )
    hint = (
        f"; closest in group {key[:4]}: {', '.join(f'{e.display} {e.keyword}' for e in neighbours[:3])}"
        if neighbours
        else ""
    )
    raise DicomrefError(f"no attribute with tag {shown} in the data dictionary{hint}")
