"""`static/rules.js`: the compiled rules in the compact form the inspect page's script evaluates.

The one owner of that form. Sequence paths, conditions and term lists are written once each and referred to by
index; each module's rows are one string. Alongside the rules go what the browser needs to read
a file as `dicomref validate` reads it: the dictionary (keyword, name, VR, VM, retired), the repeating
groups, the character sets (DICOM terms, escape sequences, the browser decoders for the Python codecs), the
VR patterns and length limits of pydicom's validators, and the registered UIDs that have a page.

It is a script assigning `window.DICOMREF_RULES`, so that it loads from file:// as well as over HTTP.

Layout (short keys; `-1` means none):
  p: paths, each a list of tags       c: conditions (the JSON of dicomref.validate.conditions)
  t: term lists, each [[position or null, [values]], ...]
  m: modules [id, name, rows], rows one string, each row "tag path type condition enumerated defined" (path,
     condition and term lists by index, a missing one empty, empty fields at the end left off), rows joined by ";"
  i: IODs {id: [name, [[module, usage, condition], ...], overrides, requires]}
     where an override is [tag, path, overridden module's name, Type]
  s: SOP class UID -> IOD id          d: dictionary {key: [keyword, name, VR, VM, retired 0/1]}
  x: repeating groups [[mask, value, key, 1 if the x is in the group], ...]
  v: VR checks {control: {VR: pattern}, patterns: {VR: pattern}, limits: {VR: length}, formats: {VR: words}}
  cs: character sets {terms: {term: codec}, escapes: {hex of the sequence: codec}, decoders: {codec: label},
      single_byte: [label], reading_escapes: [codec], standalone: [term], default: codec, euc: {codec: codec}}
  u: registered UIDs with a page {uid: name}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from pydicom.charset import CODES_TO_ENCODINGS, STAND_ALONE_ENCODINGS, default_encoding, python_encoding
from pydicom.datadict import RepeatersDictionary
from pydicom.valuerep import MAX_VALUE_LEN, STR_VR_REGEXES

from dicomref.aggregate.validate import _CONTROL_RULES, _FORMATS
from dicomref.scrape.charset import _CODECS_READING_ESCAPES, _EUC
from dicomref.standard import Standard
from dicomref.standard.cache import kept_derived
from dicomref.standard.uids import load_uid_registry
from dicomref.validate.conditions import Condition
from dicomref.validate.rules import Rules, Terms, compile_rules

# The browser's TextDecoder label for each Python codec pydicom names; single-byte sets are read through a
# table the page builds from the decoder, with bytes 0x80-0x9F kept as the C1 controls Python gives them.
DECODERS = {
    "iso8859": "latin1",
    "latin_1": "latin1",
    "iso8859_2": "iso-8859-2",
    "iso8859_3": "iso-8859-3",
    "iso8859_4": "iso-8859-4",
    "iso_ir_126": "iso-8859-7",
    "iso_ir_127": "iso-8859-6",
    "iso_ir_138": "iso-8859-8",
    "iso_ir_144": "iso-8859-5",
    "iso_ir_148": "iso-8859-9",
    "iso_ir_166": "windows-874",
    "shift_jis": "shift_jis",
    "iso2022_jp": "iso-2022-jp",
    "iso2022_jp_2": "iso-2022-jp-2",
    "euc_kr": "euc-kr",
    "iso_ir_58": "gbk",
    "gb2312": "gbk",
    "UTF8": "utf-8",
    "GB18030": "gb18030",
    "GBK": "gbk",
    "GB2312": "gbk",
}
# Single-byte character sets: the page reads them through a byte table.
SINGLE_BYTE = frozenset(
    {"latin1", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8",
     "iso-8859-9", "windows-874"}
)  # fmt: skip
FILE_NAME = "rules.js"


class _Table:
    """Distinct values, each given the index of its first appearance; `make` gives the form written."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self.items: list[Any] = []
        self._index: dict[Hashable, int] = {}
        self._make = make

    def add(self, key: Hashable) -> int:
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(self._make(key))
        return self._index[key]


def _terms(terms: Terms) -> list[Any]:
    return [[position, list(values)] for position, values in terms]


def _row(tag: str, *fields: int | str) -> str:
    text = " ".join([tag, *("" if f == -1 else str(f) for f in fields)])
    return text.rstrip(" ")


def compact_rules(rules: Rules) -> dict[str, Any]:
    """The rules as tables of distinct paths, conditions, term lists and rows."""
    paths, conditions, terms = _Table(list), _Table(lambda c: c.to_json()), _Table(_terms)

    def condition(value: Condition | None) -> int:
        return -1 if value is None else conditions.add(value)

    def term_list(value: Terms) -> int:
        return -1 if not value else terms.add(value)

    modules: list[list[Any]] = []
    module_index: dict[str, int] = {}
    for module_id in sorted(rules.modules):
        module = rules.modules[module_id]
        module_rows = ";".join(
            _row(
                row.tag,
                paths.add(row.path),
                row.type,
                condition(row.condition),
                term_list(row.enumerated),
                term_list(row.defined),
            )
            for row in module.rows
        )
        module_index[module_id] = len(modules)
        modules.append([module.id, module.name, module_rows])
    iods = {
        iod_id: [
            iod.name,
            [[module_index.get(u.module_id, -1), u.usage, condition(u.condition)] for u in iod.modules],
            [[tag, paths.add(path), name, type_] for tag, path, name, type_ in iod.overrides],
            list(iod.requires),
        ]
        for iod_id, iod in sorted(rules.iods.items())
    }
    return {
        "p": paths.items,
        "c": conditions.items,
        "t": terms.items,
        "m": modules,
        "i": iods,
        "s": dict(sorted(rules.iod_of_sop_class.items())),
    }


def _dictionary(standard: Standard) -> dict[str, list[Any]]:
    return {e.tag: [e.keyword, e.name, e.vr, e.vm, int(e.retired)] for e in standard.dictionary}


def _repeaters() -> list[list[Any]]:
    found = []
    for raw in sorted(RepeatersDictionary):
        key = raw.upper().replace("X", "x")
        mask = int("".join("0" if c in "xX" else "F" for c in raw), 16)
        value = int(raw.replace("x", "0").replace("X", "0"), 16)
        found.append([mask, value, key, int("x" in key[:4])])
    return found


def _vr_checks() -> dict[str, Any]:
    return {
        "control": {vr: pattern.pattern for vr, pattern in sorted(_CONTROL_RULES.items())},
        "patterns": {vr: pattern.pattern for vr, pattern in sorted(STR_VR_REGEXES.items())},
        "limits": dict(sorted(MAX_VALUE_LEN.items())),
        "formats": dict(sorted(_FORMATS.items())),
    }


def _character_sets() -> dict[str, Any]:
    return {
        "terms": dict(sorted(python_encoding.items())),
        "escapes": {code.hex(): codec for code, codec in sorted(CODES_TO_ENCODINGS.items())},
        "decoders": dict(sorted(DECODERS.items())),
        "single_byte": sorted(SINGLE_BYTE),
        "reading_escapes": sorted(_CODECS_READING_ESCAPES),
        "standalone": sorted(STAND_ALONE_ENCODINGS),
        "default": default_encoding,
        "euc": dict(sorted(_EUC.items())),
    }


def rules_document(standard: Standard, uids: dict[str, str], rules: Rules | None = None) -> dict[str, Any]:
    """Everything the page reads; `uids` (uid -> name) are the UIDs with a page of their own."""
    return compact_rules(rules or compile_rules(standard)) | {
        "d": _dictionary(standard),
        "x": _repeaters(),
        "v": _vr_checks(),
        "cs": _character_sets(),
        "u": dict(sorted(uids.items())),
    }


def rules_script(standard: Standard, uids: dict[str, str]) -> str:
    document = rules_document(standard, uids)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Inside a script element's text, "</" could end it early: written as an escape, the JSON reads the same.
    safe = text.replace("</", "<\\/")
    return f"window.DICOMREF_RULES={safe};\n"


def site_rules_script(standard: Standard) -> str:
    """The site's script, for the UIDs with a page of their own: a second of work that only the standard and this
    code decide, so it is kept in the user cache under the standard's key when the standard came from its cache."""
    package = Path(__file__).parents[1]
    code = [
        *(package / "validate" / name for name in ("script.py", "rules.py", "conditions.py")),
        package / "aggregate" / "validate.py",
        package / "scrape" / "charset.py",
    ]
    return kept_derived(standard, "rules-script-", code, str, lambda: rules_script(standard, _registered(standard)))


def _registered(standard: Standard) -> dict[str, str]:
    return {registered.uid: registered.name for registered in load_uid_registry(standard)}
