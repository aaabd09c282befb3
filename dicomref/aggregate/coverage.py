"""Coverage of the data dictionary by real examples, overall and broken down to guide curation.

An entry is covered when at least one scraped file gave it a value that is not empty (for binary
VRs, a length above 0), whether or not that value may be published; entries seen only with empty
values are counted and listed apart. Each dictionary entry counts once; a
repeating group such as (60xx,0010) is one entry. Module and IOD breakdowns count the attributes
that can carry a value: a sequence has none of its own, its contents are counted instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from dicomref.standard import Standard

MOST_WANTED = 50
REQUIRED_TYPES = frozenset({"1", "2"})


@dataclass(frozen=True)
class Ratio:
    total: int
    covered: int

    def to_json(self) -> dict:
        percent = round(100.0 * self.covered / self.total, 2) if self.total else 0.0
        return {"total": self.total, "covered": self.covered, "percent": percent}


def ratio(keys: Iterable[str], covered: set[str]) -> dict:
    keys = set(keys)
    return Ratio(len(keys), len(keys & covered)).to_json()


@dataclass
class Source:
    """What one dataset or one modality gave: scraped files and the entries it has values for."""

    files: int = 0
    keys: set[str] = field(default_factory=set)
    copies: int | None = None  # datasets only: records passed over as copies of an instance counted elsewhere


def marginal(sources: dict[str, Source]) -> dict[str, dict]:
    """Per source: entries it contributed, and how many of them no other source did (its marginal value)."""
    holders = Counter(key for source in sources.values() for key in source.keys)
    return {
        name: {
            "files": source.files,
            "contributed": len(source.keys),
            "unique": sum(1 for key in source.keys if holders[key] == 1),
            **({} if source.copies is None else {"copies": source.copies}),
        }
        for name, source in sorted(sources.items())
    }


def _module_types(standard: Standard, value_bearing: set[str]) -> dict[str, dict[str, str]]:
    """Per module, each attribute that can carry a value once, with the Type of its shallowest row."""
    modules: dict[str, dict[str, str]] = {}
    for module_id, module in standard.modules.items():
        types: dict[str, str] = {}
        for attribute in sorted(module.attributes, key=lambda a: a.depth):
            if attribute.tag in value_bearing:
                types.setdefault(attribute.tag, attribute.type)
        modules[module_id] = types
    return modules


def _required_by_module(standard: Standard, value_bearing: set[str]) -> dict[str, set[str]]:
    """Per module, the attributes of Type 1 or 2 at its top level: present in every instance using it."""
    return {
        module_id: {
            a.tag for a in module.attributes if a.depth == 0 and a.type in REQUIRED_TYPES and a.tag in value_bearing
        }
        for module_id, module in standard.modules.items()
    }


def compute_coverage(
    standard: Standard,
    covered: set[str],
    datasets: dict[str, Source],
    modalities: dict[str, Source],
    empty_only: dict[str, int] | None = None,
) -> dict:
    """`covered`: dictionary keys with at least one value that is not empty; `empty_only`: keys seen only empty,
    with the number of files holding them."""
    empty_only = empty_only or {}
    entries = list(standard.dictionary)
    value_bearing = {e.tag for e in entries if e.bears_value}
    by_vr: dict[str, list[str]] = {}
    by_group: dict[str, list[str]] = {}
    for entry in entries:
        by_vr.setdefault(entry.vr, []).append(entry.tag)
        by_group.setdefault(entry.group, []).append(entry.tag)

    types = _module_types(standard, value_bearing)
    required = _required_by_module(standard, value_bearing)
    modules = {
        module_id: {
            "name": module.name,
            **ratio(types[module_id], covered),
            "type1": ratio((k for k, t in types[module_id].items() if t.startswith("1")), covered),
            "type2": ratio((k for k, t in types[module_id].items() if t.startswith("2")), covered),
            "iods": len(set(standard.iods_by_module.get(module_id, []))),
        }
        for module_id, module in standard.modules.items()
    }
    iods = {}
    required_in: Counter[str] = Counter()
    for iod_id, iod in standard.iods.items():
        used = [m for m in iod.modules if m.module_id in standard.modules]
        keys = set().union(*(types[m.module_id] for m in used))
        mandatory = set().union(*(required[m.module_id] for m in used if m.usage == "M"))
        iods[iod_id] = {"name": iod.name, **ratio(keys, covered), "required": ratio(mandatory, covered)}
        required_in.update(mandatory)

    current = [e for e in entries if e.tag in value_bearing and not e.retired]
    wanted = sorted(
        (e for e in current if e.tag not in covered and required_in[e.tag]), key=lambda e: (-required_in[e.tag], e.tag)
    )
    return {
        "overall": ratio((e.tag for e in entries), covered),
        "value_bearing": ratio(value_bearing, covered),
        "value_bearing_current": ratio((e.tag for e in current), covered),
        "by_vr": {vr: ratio(keys, covered) for vr, keys in sorted(by_vr.items())},
        "by_group": {group: ratio(keys, covered) for group, keys in sorted(by_group.items())},
        "by_module": modules,
        "by_iod": iods,
        "by_dataset": marginal(datasets),
        "by_modality": marginal(modalities),
        "empty_only": {
            **ratio((e.tag for e in entries), set(empty_only)),
            "entries": [
                {"tag": e.tag, "keyword": e.keyword, "name": e.name, "vr": e.vr, "files": empty_only[e.tag]}
                for e in sorted(entries, key=lambda e: e.tag)
                if e.tag in empty_only
            ],
        },
        "most_wanted": [
            {"tag": e.tag, "keyword": e.keyword, "name": e.name, "vr": e.vr, "required_in_iods": required_in[e.tag]}
            for e in wanted[:MOST_WANTED]
        ],
    }
