"""What a search query means, the same in the CLI and in the site's JavaScript (static/site.js).

A query is free text plus optional filters (`vr:DA`, `retired:yes`, `module:general-series`).
The text may be a tag, whole or partial, in any common notation; it is also read as a keyword
(spaces and punctuation ignored) and as words of the name, description and example values.
Parsing never fails: whatever cannot be read as a tag or a filter is just words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer input is cut: no attribute needs more, and the work per keystroke stays bounded.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 12

_FILTER = re.compile(r"(?<!\S)(vr|retired|module):(\S*)", re.IGNORECASE)
# '(0010,0010)', '0010,0010', '0010 0010', '(0008,' and '0008,11' (group, separator, element or its start)
_GROUP_AND_ELEMENT = re.compile(r"^\(?\s*(?:0x)?([0-9a-fx]{4})\s*[,\s]\s*(?:0x)?([0-9a-fx]{0,4})\s*\)?$", re.IGNORECASE)
# '00100010', '0x00100010', '0010', '(0010', '001'
_HEX_RUN = re.compile(r"^\(?\s*(?:0x)?([0-9a-fx]{1,8})\s*\)?$", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_YES = frozenset({"y", "ye", "yes", "t", "tr", "tru", "true", "1"})
_NO = frozenset({"n", "no", "f", "fa", "fal", "fals", "false", "0"})


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]  # lower-case letters and digits, in the order typed
    tag: str | None  # the tag typed, upper-case hex with 'x' for a repeating group: 8 characters, or fewer for a prefix
    vr: str | None = None  # upper case
    retired: str | None = None  # 'yes', 'no', or the unrecognised value typed (which matches nothing)
    module: str | None = None  # a module id, or the start of one

    @property
    def compact(self) -> str:
        """The text as a keyword would spell it: 'slice thickness' -> 'slicethickness'."""
        return "".join(self.words)

    @property
    def has_filters(self) -> bool:
        return self.vr is not None or self.retired is not None or self.module is not None

    @property
    def empty(self) -> bool:
        return not self.words and self.tag is None and not self.has_filters


def parse_tag(text: str) -> str | None:
    """A tag or the start of one: '(0008,1115)' -> '00081115', '0008,11' -> '000811', '60XX' -> '60xx'.

    Hex without a decimal digit ('face', 'add') is a word, not a tag.
    """
    match = _GROUP_AND_ELEMENT.match(text) or _HEX_RUN.match(text)
    if not match:
        return None
    typed = "".join(group or "" for group in match.groups())
    if not re.search(r"[0-9]", typed):
        return None
    return typed.upper().replace("X", "x")


def tag_matches(key: str, typed: str) -> bool:
    """Whether dictionary key `key` starts with `typed`; an 'x' in the key stands for any digit."""
    return len(typed) <= len(key) and all(k == t or k == "x" for k, t in zip(key, typed))


def _retired_value(value: str) -> str | None:
    value = value.lower()
    if not value:
        return None
    if value in _YES:
        return "yes"
    if value in _NO:
        return "no"
    return value


def parse_query(text: str) -> Query:
    """Read any input as a query; never raises."""
    text = text[:MAX_QUERY_LENGTH].encode("utf-8", "ignore").decode("utf-8")  # lone surrogates from undecodable argv
    filters: dict[str, str] = {}
    for match in _FILTER.finditer(text):
        filters[match.group(1).lower()] = match.group(2)
    rest = _FILTER.sub(" ", text).strip()
    return Query(
        words=tuple(_WORD.findall(rest.lower())[:MAX_WORDS]),
        tag=parse_tag(rest),
        vr=filters.get("vr", "").upper() or None,
        retired=_retired_value(filters.get("retired", "")),
        module=filters.get("module", "").lower() or None,
    )
