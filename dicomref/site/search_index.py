"""The compact index the site's own JavaScript searches, loaded as a script so file:// works too.

The whole index must stay small (at most 400 KB), so it is a few tables and strings of rows
rather than an object per document:

- `words`: every word of the names, space-separated, as written; `terms`: description terms,
  lower case; `vrs`: the VRs, `|`-separated; `whats`: what a UID is (`SOP Class`, ...),
  `|`-separated; `modules`: `[id, name]` pairs, the modules used by most IODs first; `values`:
  whole values (the standard's value sets and values seen in files, as first written).
- `rows`: one row per dictionary entry, in tag order, rows joined by `;`, fields by `|`:
  1. tag: 8 characters, or the 4 of the element when the group is the previous row's;
  2. keyword: empty when it is the name spelled as a keyword (`keyword_from_name`), `-` when none;
  3. name: word ids; 4. VR id; 5. one id: prominence + 16 if retired;
  6. module ids, most used first; 7. a few description terms that are not already in the name;
  8. how many IODs require it, empty for none.
- `others`: modules, macros, IODs and UIDs, rows joined by `;`, fields by `|`: 1. kind (`m`
  module, `c` macro, `i` IOD, or the UID's `whats` id); 2. id: empty when it is the name
  lower-cased with `-` between words (`slug`); 3. keyword (UIDs only, as for attributes);
  4. name: word ids; 5. prominence + 16 if retired; 6. description terms; 7. IODs requiring it.
  Ids are two base-62 digits each (one for the VR and the flags), written without separators.
- `examples`: `[row, value, ...]` for the entries with values seen in real files; `valued`:
  `[row, value id, ...]` for the entries with whole values.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter

from dicomref.formats.aggregate import Aggregate, examples_by_tag
from dicomref.search.documents import SearchDocument, search_documents
from dicomref.standard import Standard

INDEX_FILE = "static/search-index.js"
INDEX_FORMAT = 3
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_IDS = len(DIGITS) ** 2
TERMS_PER_ENTRY = 6
EXAMPLES_PER_ENTRY = 2
EXAMPLE_LENGTH = 40
# Words too common in descriptions to tell attributes apart.
STOP_TERMS = frozenset(
    "a an and are as at be by can for from has have if in into is it its may not of on or shall "
    "such than that the their then there these this those to was were when where which will with "
    "value values attribute attributes sequence item items see section used".split()
)


def _id(number: int, width: int = 2) -> str:
    digits = ""
    for _ in range(width):
        number, digit = divmod(number, len(DIGITS))
        digits = DIGITS[digit] + digits
    return digits


def keyword_from_name(name: str) -> str:
    """How most keywords are formed: "Patient's Name" -> 'PatientName' (site.js repeats this rule)."""
    words = re.split(r"[^A-Za-z0-9]+", name.replace("'s", ""))
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def slug(name: str) -> str:
    """How most module, macro and IOD ids are formed: 'CT Image' -> 'ct-image' (site.js repeats this rule)."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))


def _table(counts: Counter, most: int | None = MAX_IDS) -> dict[str, int]:
    """Ids for the most frequent items first, at most `most` of them (what two digits can write)."""
    ranked = sorted(counts, key=lambda item: (-counts[item], item))[:most]
    return {item: number for number, item in enumerate(ranked)}


def _description_terms(documents: list[SearchDocument]) -> list[list[str]]:
    """Per entry, the description terms that best tell it apart (tf-idf), leaving out words of its name."""
    tokens = [
        [t for t in re.findall(r"[a-z][a-z0-9]+", d.description.lower()) if len(t) > 2 and t not in STOP_TERMS]
        for d in documents
    ]
    frequency = Counter(term for terms in tokens for term in set(terms))
    described = sum(1 for terms in tokens if terms)
    chosen = []
    for document, terms in zip(documents, tokens, strict=True):
        in_name = set(re.findall(r"[a-z0-9]+", document.name.lower()))
        counts = Counter(t for t in terms if t not in in_name)
        weight = {t: n * math.log(described / frequency[t]) for t, n in counts.items()}
        chosen.append(sorted(weight, key=lambda t: (-weight[t], t))[:TERMS_PER_ENTRY])
    return chosen


def _example(value: str) -> str:
    return value if len(value) <= EXAMPLE_LENGTH else value[: EXAMPLE_LENGTH - 1] + "…"


def _count(number: int) -> str:
    return _id(number) if number else ""


def _keyword_field(document: SearchDocument) -> str:
    if document.keyword and document.keyword == keyword_from_name(document.name):
        return ""
    return document.keyword or "-"


def compact_index(documents: list[SearchDocument], module_names: dict[str, str], module_iods: dict[str, int]) -> dict:
    """The index as a JSON-ready dict; module_iods (how many IODs use each module) orders the modules."""
    descriptions = _description_terms(documents)
    words = _table(Counter(w for d in documents for w in d.name.split()))
    terms = _table(Counter(t for chosen in descriptions for t in chosen))
    vrs = _table(Counter(d.vr for d in documents if d.kind == "attribute"))
    whats = _table(Counter(d.what for d in documents if d.kind == "uid"))
    modules = _table(Counter({m: module_iods.get(m, 0) for d in documents for m in d.modules}))
    values = _table(Counter(v for d in documents for v in d.values), most=None)  # written as numbers
    rows, others, examples, valued, group = [], [], [], [], None
    attribute_rows = 0
    for document, chosen in zip(documents, descriptions, strict=True):
        name = "".join(_id(words[w]) for w in document.name.split() if w in words)
        flags = _id(document.prominence + 16 * document.retired, 1)
        described = "".join(_id(terms[t]) for t in chosen if t in terms)
        if document.kind != "attribute":
            kind = {"module": "m", "macro": "c", "iod": "i"}.get(document.kind) or _id(whats[document.what], 1)
            key = "" if document.kind != "uid" and document.id == slug(document.name) else document.id
            keyword = _keyword_field(document) if document.kind == "uid" else ""
            others.append("|".join([kind, key, keyword, name, flags, described, _count(document.required)]))
            continue
        number = attribute_rows
        attribute_rows += 1
        fields = [
            document.id[4:] if document.id[:4] == group else document.id,
            _keyword_field(document),
            name,
            _id(vrs[document.vr], 1),
            flags,
            "".join(_id(n) for n in sorted(modules[m] for m in document.modules if m in modules)),
            described,
            _count(document.required),
        ]
        rows.append("|".join(fields))
        group = document.id[:4]
        if document.examples:
            examples.append([number, *(_example(v) for v in document.examples[:EXAMPLES_PER_ENTRY])])
        if document.values:
            valued.append([number, *(values[v] for v in document.values if v in values)])
    return {
        "format": INDEX_FORMAT,
        "words": " ".join(words),
        "terms": " ".join(terms),
        "vrs": "|".join(vrs),
        "whats": "|".join(whats),
        "modules": [[m, module_names.get(m, m)] for m in modules],
        "values": list(values),
        "rows": ";".join(rows),
        "others": ";".join(others),
        "examples": examples,
        "valued": valued,
    }


def search_index_script(standard: Standard, aggregate: Aggregate | None = None) -> str:
    index = compact_index(
        search_documents(standard, examples_by_tag(aggregate)),
        {m.id: m.name for m in standard.modules.values()},
        {m: len(set(iods)) for m, iods in standard.iods_by_module.items()},
    )
    payload = json.dumps(index, separators=(",", ":"), ensure_ascii=False)
    payload = payload.replace("<", "\\u003c")  # nothing in the index can close a script element
    return f"window.DICOMREF_INDEX={payload};\n"
