"""How often the files seen meet an attribute's requirements, per IOD, as attribute pages say it."""

from __future__ import annotations

from collections.abc import Callable

from dicomref.formats.aggregate import Aggregate
from dicomref.site.page import noun


def conformance_rows(aggregate: Aggregate, tag: str, iod_url: Callable[[str], str]) -> list[dict]:
    """One sentence per IOD requiring the attribute: "Type 1 in CT Image; missing in 3 of 40 CT Image files seen"."""
    rows = []
    for iod_id, counts in sorted(aggregate.get("conformance", {}).get(tag, {}).items()):
        broken = [f"{what} in {counts[what]:,}" for what in ("missing", "empty", "invalid") if counts[what]]
        seen = f"{counts['required']:,} {counts['name']} {noun(counts['required'], 'file')} seen"
        outcome = f"{', '.join(broken)} of {seen}" if broken else f"met by all {seen}"
        rows.append(
            {
                "type": counts["type"],
                "iod": counts["name"],
                "url": iod_url(iod_id),
                "outcome": outcome,
                "broken": bool(broken),
            }
        )
    return rows
