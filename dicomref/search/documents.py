"""One search document per dictionary entry: what both the Whoosh index and the site's index draw from."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dicomref.aggregate.schema import Aggregate
from dicomref.standard import Standard

# Prominence is 0..15: twice the log2 of how many IODs use the attribute (about 150 IODs exist).
MAX_PROMINENCE = 15


@dataclass(frozen=True)
class SearchDocument:
    tag: str
    keyword: str
    name: str
    vr: str
    retired: bool
    modules: tuple[str, ...]  # ids of the modules using the attribute, sorted
    description: str  # the distinct descriptions the modules give, joined
    examples: tuple[str, ...]  # values seen in real files, as the aggregate publishes them
    prominence: int  # ranks the common attribute first among equals: SeriesInstanceUID before SeriesType

    @property
    def vrs(self) -> tuple[str, ...]:
        """'US or SS' -> ('US', 'SS')."""
        return tuple(part for part in self.vr.split() if part != "or")


def _prominence(standard: Standard, modules: tuple[str, ...]) -> int:
    iods = {iod for module in modules for iod in standard.iods_by_module.get(module, [])}
    return min(MAX_PROMINENCE, round(2 * math.log2(1 + len(iods))))


def _examples(aggregate: Aggregate, tag: str) -> tuple[str, ...]:
    examples = aggregate.get("attributes", {}).get(tag, {}).get("examples", [])
    return tuple(str(example["value"]) for example in examples if example.get("value") not in (None, ""))


def search_documents(standard: Standard, aggregate: Aggregate | None = None) -> list[SearchDocument]:
    """Every dictionary entry with its modules, descriptions and examples, in tag order."""
    documents = []
    for entry in standard.dictionary:
        usages = standard.usages.get(entry.tag, [])
        modules = tuple(sorted({usage.module_id for usage in usages}))
        descriptions = dict.fromkeys(
            usage.attribute.description.text for usage in usages if usage.attribute.description.text
        )
        documents.append(
            SearchDocument(
                tag=entry.tag,
                keyword=entry.keyword,
                name=entry.name,
                vr=entry.vr,
                retired=entry.retired,
                modules=modules,
                description=" ".join(descriptions),
                examples=_examples(aggregate or {}, entry.tag),
                prominence=_prominence(standard, modules),
            )
        )
    return documents
