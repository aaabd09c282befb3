"""What a search query means, the same in the CLI and in the site's JavaScript (static/site.js).

A query is free text plus optional filters (`vr:DA`, `retired:yes`, `module:general-series`,
`kind:module`). The text may be a tag, whole or partial, in any common notation, or a UID, whole
or its start; it is also read as a keyword (spaces and punctuation ignored), as words of the name,
description and example values, and as a value ('MONOCHROME2').
Parsing never fails: whatever cannot be read as a tag or a filter is just words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicomref.urls import KIND_NAMES

# Longer input is cut: no attribute needs more, and the work per keystroke stays bounded.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 12

_FILTER = re.compile(r"(?<!\S)(vr|retired|module|kind):(\S*)", re.IGNORECASE)
# '(0010,0010)', '0010,0010', '0010 0010', '(0008,' and '0008,11' (group, separator, element or its start)
_GROUP_AND_ELEMENT = re.compile(r"^\(?\s*(?:0x)?([0-9a-fx]{4})\s*[,\s]\s*(?:0x)?([0-9a-fx]{0,4})\s*\)?$", re.IGNORECASE)
# '00100010', '0x00100010', '0010', '(0010', '001'
_HEX_RUN = re.compile(r"^\(?\s*(?:0x)?([0-9a-fx]{1,8})\s*\)?$", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
# '1.2.840.10008.1.2.4.50', or its start ('1.2.840.10008.5.'): digits and dots, at least one dot
_UID = re.compile(r"^[0-9]+(?:\.[0-9]*)+$")
_YES = frozenset({"y", "ye", "yes", "t", "tr", "tru", "true", "1"})
_NO = frozenset({"n", "no", "f", "fa", "fal", "fals", "false", "0"})


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]  # lower-case letters and digits, in the order typed
    tag: str | None  # the tag typed, upper-case hex with 'x' for a repeating group: 8 characters, or fewer for a prefix
    vr: str | None = None  # upper case
    retired: str | None = None  # 'yes', 'no', or the unrecognised value typed (which matches nothing)
    module: str | None = None  # a module id, or the start of one
    kind: str | None = None  # one of urls.KIND_NAMES, or the unrecognised value typed (which matches nothing)
    uid: str | None = None  # the UID typed, or its start

    @property
    def compact(self) -> str:
        """The text as a keyword would spell it: 'slice thickness' -> 'slicethickness'."""
        return "".join(self.words)

    @property
    def has_filters(self) -> bool:
        return self.vr is not None or self.retired is not None or self.module is not None or self.kind is not None

    @property
    def empty(self) -> bool:
        return not self.words and self.tag is None and not self.has_filters

    @property
    def value(self) -> str:
        """The text as a value is compared: 'ISO_IR 100' -> 'iso ir 100' (see normal_value)."""
        return " ".join(self.words)


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


def parse_uid(text: str) -> str | None:
    """A UID or the start of one: digits and dots, with at least one dot."""
    text = text.strip()
    return text if _UID.match(text) else None


def normal_value(value: str) -> str:
    """A value as queries compare it: its letters and digits, lower case, words apart ('ISO_IR 100' -> 'iso ir 100')."""
    return " ".join(_WORD.findall(value.lower()))


def _kind_value(value: str) -> str | None:
    """'module', 'Modules', 'attr' -> the kind it starts (or names in the plural); anything else is kept as typed."""
    value = value.lower().removesuffix("s")
    if not value:
        return None
    matches = [kind for kind in KIND_NAMES if kind.startswith(value)]
    return matches[0] if len(matches) == 1 else value


def tag_matches(key: str, typed: str) -> bool:
    """Whether dictionary key `key` starts with `typed`; an 'x' in the key stands for any digit."""
    return len(typed) <= len(key) and all(k == t or k == "x" for k, t in zip(key, typed, strict=False))


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
        kind=_kind_value(filters.get("kind", "")),
        uid=parse_uid(rest),
    )
