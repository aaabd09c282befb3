"""One search document per attribute, module, macro, IOD and UID, drawn on by the Whoosh index and the site's."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from pydicom.uid import UID_dictionary

from dicomref.formats.aggregate import Example
from dicomref.search.query import normal_value
from dicomref.standard import Module, Standard

# The examples seen of each attribute, by tag: from an aggregate, or read back from a built site.
ExamplesByTag = Mapping[str, list[Example]]

# Prominence is 0..15: twice the log2 of how many IODs use the attribute (about 150 IODs exist).
MAX_PROMINENCE = 15
# Module rows of these Types must be present (Type 2 possibly empty) wherever the module is.
REQUIRED_TYPES = frozenset({"1", "2"})
# The UIDs searched: the kinds of pydicom's UID registry that developers look up.
UID_TYPES = frozenset({"SOP Class", "Meta SOP Class", "Transfer Syntax"})
# Values longer than this are free text rather than a value someone would type whole.
MAX_VALUE_LENGTH = 64
KIND_LABELS = {"attribute": "Attribute", "module": "Module", "macro": "Macro", "iod": "IOD"}


@dataclass(frozen=True)
class SearchDocument:
    kind: str  # attribute, module, macro, iod or uid (see urls.KINDS)
    id: str  # the tag, the module, macro or IOD id, or the UID
    keyword: str  # the attribute's or UID's keyword; empty for the others
    name: str
    what: str  # what it is, as people say it: 'Attribute', 'Module', 'SOP Class', 'Transfer Syntax'
    vr: str = ""
    retired: bool = False
    modules: tuple[str, ...] = ()  # ids of the modules using the attribute, sorted
    description: str = ""  # the distinct descriptions the modules give, joined
    examples: tuple[str, ...] = ()  # values seen in real files, as the aggregate publishes them
    values: tuple[str, ...] = ()  # whole values: the standard's value sets, then those seen in files
    required: int = 0  # IODs in which it must be present: ranks Study Date before an SR content item's Date
    prominence: int = 0  # ranks the common attribute first among equals: SeriesInstanceUID before SeriesType

    @property
    def vrs(self) -> tuple[str, ...]:
        """'US or SS' -> ('US', 'SS')."""
        return tuple(part for part in self.vr.split() if part != "or")

    @property
    def name_words(self) -> tuple[str, ...]:
        return tuple(re.findall(r"[a-z0-9]+", self.name.lower()))

    @property
    def exact_keyword(self) -> str:
        """What a query spelled as one word must equal to match the keyword; empty when that is the name's one word.

        Modules, macros and IODs have their name spelled as a keyword ('ctimage'). A one-word name
        such as Date is matched as a word of the name instead, so it ranks among the other names.
        """
        keyword = (self.keyword or "".join(self.name_words)).lower()
        return "" if (keyword,) == self.name_words else keyword


def _prominence(iod_count: int) -> int:
    return min(MAX_PROMINENCE, round(2 * math.log2(1 + iod_count)))


def _examples(examples: ExamplesByTag, tag: str) -> tuple[str, ...]:
    return tuple(str(example["value"]) for example in examples.get(tag, []) if example.get("value") not in (None, ""))


def _values(standard: Standard, tag: str, examples: tuple[str, ...]) -> tuple[str, ...]:
    """Each value the standard lists and each value seen (multiple values apart), once, as first written."""
    listed = [value for value_set in standard.value_sets_for(tag) for value in value_set.values]
    seen = [part for example in examples for part in example.split("\\")]
    unique: dict[str, str] = {}
    for value in [*listed, *seen]:
        if len(value) <= MAX_VALUE_LENGTH and normal_value(value):
            unique.setdefault(normal_value(value), value)
    return tuple(unique.values())


def _required_by_attribute(standard: Standard) -> Counter[str]:
    """How many IODs require each attribute: Type 1 or 2 at the top level of a mandatory module."""
    required: Counter[str] = Counter()
    for iod in standard.iods.values():
        tags: set[str] = set()
        for used in iod.modules:
            module = standard.modules.get(used.module_id)
            if module is not None and used.usage == "M":
                tags.update(a.tag for a in module.attributes if a.depth == 0 and a.type in REQUIRED_TYPES)
        required.update(tags)
    return required


def attribute_documents(standard: Standard, examples: ExamplesByTag | None = None) -> list[SearchDocument]:
    """Every dictionary entry with its modules, descriptions, values and examples, in tag order."""
    required = _required_by_attribute(standard)
    documents = []
    for entry in standard.dictionary:
        usages = standard.usages.get(entry.tag, [])
        modules = tuple(sorted({usage.module_id for usage in usages}))
        descriptions = dict.fromkeys(
            usage.attribute.description.text for usage in usages if usage.attribute.description.text
        )
        seen = _examples(examples or {}, entry.tag)
        iods = {iod for module in modules for iod in standard.iods_by_module.get(module, [])}
        documents.append(
            SearchDocument(
                kind="attribute",
                id=entry.tag,
                keyword=entry.keyword,
                name=entry.name,
                what="Attribute",
                vr=entry.vr,
                retired=entry.retired,
                modules=modules,
                description=" ".join(descriptions),
                examples=seen,
                values=_values(standard, entry.tag, seen),
                required=required[entry.tag],
                prominence=_prominence(len(iods)),
            )
        )
    return documents


def _table_document(kind: str, table: Module, iods: list[str], mandatory: set[str]) -> SearchDocument:
    """A module or macro: required by the IODs where it is mandatory, prominent by all that use it."""
    return SearchDocument(
        kind=kind,
        id=table.id,
        keyword="",
        name=table.name,
        what=KIND_LABELS[kind],
        description=table.description.text,
        required=len(mandatory),
        prominence=_prominence(len(set(iods))),
    )


def _table_documents(standard: Standard) -> list[SearchDocument]:
    """Modules, macros and IODs, each kind in id order."""
    documents = []
    for module in standard.modules.values():
        iods = standard.iods_by_module.get(module.id, [])
        mandatory = {i for i in iods for m in standard.iods[i].modules if m.module_id == module.id and m.usage == "M"}
        documents.append(_table_document("module", module, iods, mandatory))
    for macro in standard.macros.values():
        iods = standard.iods_by_macro.get(macro.id, [])
        mandatory = {
            i for i in iods for g in standard.iods[i].functional_groups if g.macro_id == macro.id and g.usage == "M"
        }
        documents.append(_table_document("macro", macro, iods, mandatory))
    for iod in standard.iods.values():
        documents.append(
            SearchDocument(
                kind="iod",
                id=iod.id,
                keyword="",
                name=iod.name,
                what=KIND_LABELS["iod"],
                description=iod.description.text,
            )
        )
    return sorted(documents, key=lambda d: (d.kind, d.id))


def uid_documents() -> list[SearchDocument]:
    """The SOP classes and transfer syntaxes of pydicom's UID registry, in UID order."""
    documents = []
    for uid, (name, kind, info, retired, keyword) in sorted(UID_dictionary.items()):
        if kind in UID_TYPES:
            documents.append(
                SearchDocument(
                    kind="uid",
                    id=uid,
                    keyword=keyword,
                    name=name.removesuffix(" (Retired)"),
                    what=kind,
                    retired=bool(retired),
                    description=info,
                )
            )
    return documents


def search_documents(standard: Standard, examples: ExamplesByTag | None = None) -> list[SearchDocument]:
    """Everything searched: attributes in tag order (with the `examples` seen of each), then modules, macros, IODs and
    UIDs."""
    return [*attribute_documents(standard, examples), *_table_documents(standard), *uid_documents()]
