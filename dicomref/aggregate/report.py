"""Coverage as a terminal table, JSON, Markdown or CSV."""

from __future__ import annotations

import csv
import io
import json

from rich.table import Table

OVERALL = (("overall", "All dictionary entries"), ("value_bearing", "Entries that carry a value"), ("value_bearing_current", "Current entries that carry a value"))


def _rows(coverage: dict) -> list[tuple[str, int, int, float]]:
    return [(label, coverage[key]["covered"], coverage[key]["total"], coverage[key]["percent"]) for key, label in OVERALL]


def render_coverage(coverage: dict, fmt: str):
    """Tables for the terminal, or the report as text in the named format."""
    datasets = sorted(coverage.get("by_dataset", {}).items())
    if fmt == "json":
        return json.dumps(coverage, indent=1, sort_keys=True) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["scope", "covered", "total", "percent"])
        writer.writerows(_rows(coverage))
        writer.writerows((f"dataset {name}", d["contributed"], "", "") for name, d in datasets)
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| Scope | Covered | Total | Percent |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {c} | {t} | {p}% |" for label, c, t, p in _rows(coverage)]
        lines += ["", "| Dataset | Attributes contributed | Only from this dataset |", "|---|---:|---:|"]
        lines += [f"| {name} | {d['contributed']} | {d['unique']} |" for name, d in datasets]
        return "\n".join(lines) + "\n"
    overall = Table("Scope", "Covered", "Total", "Percent", title="Coverage of the data dictionary")
    for label, covered, total, percent in _rows(coverage):
        overall.add_row(label, str(covered), str(total), f"{percent}%")
    per_dataset = Table("Dataset", "Contributed", "Only from it", title="Per dataset")
    for name, d in datasets:
        per_dataset.add_row(name, str(d["contributed"]), str(d["unique"]))
    return [overall, per_dataset]
