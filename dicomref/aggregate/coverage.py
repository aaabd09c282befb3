"""Coverage of the data dictionary by real examples, overall and broken down to guide curation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dicomref.standard import Standard

MOST_WANTED = 50


@dataclass(frozen=True)
class Ratio:
    total: int
    covered: int

    def to_json(self) -> dict:
        percent = round(100.0 * self.covered / self.total, 2) if self.total else 0.0
        return {"total": self.total, "covered": self.covered, "percent": percent}


def _ratio(keys: Iterable[str], covered: set[str]) -> dict:
    keys = set(keys)
    return Ratio(len(keys), len(keys & covered)).to_json()


def _module_types(standard: Standard, module_id: str) -> dict[str, str]:
    """Each attribute of a module once, with the Type of its shallowest row."""
    types: dict[str, str] = {}
    for attribute in sorted(standard.modules[module_id].attributes, key=lambda a: a.depth):
        types.setdefault(attribute.tag, attribute.type)
    return types


def compute_coverage(standard: Standard, covered: set[str], contributions: dict[str, set[str]], modality_keys: dict[str, set[str]]) -> dict:
    """`covered`: keys with an example; `contributions`: dataset -> keys it gave examples for."""
    entries = list(standard.dictionary)
    value_bearing = [e for e in entries if e.bears_value]
    by_vr: dict[str, list[str]] = {}
    by_group: dict[str, list[str]] = {}
    for entry in entries:
        by_vr.setdefault(entry.vr, []).append(entry.tag)
        by_group.setdefault(entry.group, []).append(entry.tag)

    modules = {}
    for module_id, module in standard.modules.items():
        types = _module_types(standard, module_id)
        modules[module_id] = {
            "name": module.name,
            **_ratio(types, covered),
            "type1": _ratio((k for k, t in types.items() if t.startswith("1")), covered),
            "type2": _ratio((k for k, t in types.items() if t.startswith("2")), covered),
        }
    iods = {}
    required_in: dict[str, int] = {}
    for iod_id, iod in standard.iods.items():
        keys: set[str] = set()
        required: set[str] = set()
        for iod_module in iod.modules:
            if iod_module.module_id not in standard.modules:
                continue
            types = _module_types(standard, iod_module.module_id)
            keys |= set(types)
            required |= {k for k, t in types.items() if t[:1] in {"1", "2"}}
        iods[iod_id] = {"name": iod.name, **_ratio(keys, covered)}
        for key in required:
            required_in[key] = required_in.get(key, 0) + 1

    datasets = {}
    for name, keys in sorted(contributions.items()):
        others = set().union(*(k for n, k in contributions.items() if n != name)) if len(contributions) > 1 else set()
        datasets[name] = {"contributed": len(keys), "unique": len(keys - others)}

    wanted = sorted(
        (e for e in value_bearing if not e.retired and e.tag not in covered and required_in.get(e.tag)),
        key=lambda e: (-required_in[e.tag], e.tag),
    )[:MOST_WANTED]
    return {
        "overall": _ratio((e.tag for e in entries), covered),
        "value_bearing": _ratio((e.tag for e in value_bearing), covered),
        "value_bearing_current": _ratio((e.tag for e in value_bearing if not e.retired), covered),
        "by_vr": {vr: _ratio(keys, covered) for vr, keys in sorted(by_vr.items())},
        "by_group": {group: _ratio(keys, covered) for group, keys in sorted(by_group.items())},
        "by_module": modules,
        "by_iod": iods,
        "by_dataset": datasets,
        "by_modality": {m: {"contributed": len(keys)} for m, keys in sorted(modality_keys.items())},
        "most_wanted": [
            {"tag": e.tag, "keyword": e.keyword, "name": e.name, "vr": e.vr, "required_in_iods": required_in[e.tag]}
            for e in wanted
        ],
    }
