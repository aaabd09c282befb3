"""Coverage as rich tables for the terminal, JSON, Markdown or CSV, whole or by one breakdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from rich.markup import escape
from rich.table import Table

from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import Coverage
from dicomref.standard import display_tag

FORMATS = ("table", "json", "markdown", "csv")
BREAKDOWNS = ("vr", "group", "module", "iod", "dataset", "modality", "wanted", "empty", "conformance")
SUMMARY = (
    ("overall", "All dictionary entries"),
    ("value_bearing", "Entries that carry a value (not SQ or OB)"),
    ("value_bearing_current", "Current (not retired) entries that carry a value"),
)
WANTED_IN_SUMMARY = 10
NAME_WIDTH = 32


@dataclass(frozen=True)
class ReportTable:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]


def _part(coverage: Coverage, key: str) -> Any:
    """A part of the coverage named at run time (a summary ratio or a breakdown)."""
    return cast(Mapping[str, Any], coverage)[key]


def _ratio_cells(ratio: Mapping[str, Any]) -> tuple:
    return (ratio["covered"], ratio["total"], ratio["percent"])


EMPTY_ONLY_LABEL = "Entries seen only with empty values (not covered)"


def summary_table(coverage: Coverage) -> ReportTable:
    rows = [(label, *_ratio_cells(_part(coverage, key))) for key, label in SUMMARY]
    if "empty_only" in coverage:
        rows.append((EMPTY_ONLY_LABEL, *_ratio_cells(coverage["empty_only"])))
    return ReportTable("Coverage of the data dictionary", ("Scope", "Covered", "Total", "Percent"), rows)


def _empty_only(coverage: Coverage) -> ReportTable:
    entries = coverage.get("empty_only", {}).get("entries", [])
    return ReportTable(
        "Seen only with empty values: in files, but never with a value (not counted as covered)",
        ("Tag", "Keyword", "Name", "VR", "Series scraped"),
        [(display_tag(e["tag"]), e["keyword"], e["name"], e["vr"], e["files"]) for e in entries],
    )


def _sources(coverage: Coverage, by: str, title: str, column: str) -> ReportTable:
    rows = sorted(_part(coverage, f"by_{by}").items(), key=lambda kv: (-kv[1]["unique"], -kv[1]["contributed"], kv[0]))
    columns = (column, "Series scraped", "Entries contributed", "Only from it")
    if by == "dataset":  # copies of an instance counted from another dataset add nothing
        return ReportTable(
            title,
            (*columns, "Copies passed over"),
            [(name, d["files"], d["contributed"], d["unique"], d.get("copies", 0)) for name, d in rows],
        )
    return ReportTable(title, columns, [(name, d["files"], d["contributed"], d["unique"]) for name, d in rows])


def _wanted(coverage: Coverage, limit: int | None = None) -> ReportTable:
    rows = [
        (display_tag(w["tag"]), w["keyword"], w["name"], w["vr"], w["required_in_iods"])
        for w in coverage["most_wanted"][:limit]
    ]
    return ReportTable(
        "Most wanted: no example yet, Type 1 or 2 in a mandatory module of the most IODs",
        ("Tag", "Keyword", "Name", "VR", "Required in IODs"),
        rows,
    )


def _conformance(coverage: Coverage) -> ReportTable:
    conformance = coverage.get("conformance") or {"checked": 0, "most_broken": []}
    return ReportTable(
        f"Requirements most often broken, by IOD ({conformance['checked']} scraped files of a known IOD checked)",
        ("IOD", "Tag", "Keyword", "Type", "Required", "Missing", "Empty", "Invalid"),
        [
            (r["name"], display_tag(r["tag"]), r["keyword"], r["type"], r["required"], r["missing"], r["empty"],
             r["invalid"])
            for r in conformance["most_broken"]
        ],
    )  # fmt: skip


def breakdown_table(coverage: Coverage, by: str) -> ReportTable:
    ratio_columns = ("Covered", "Total", "Percent")
    if by == "vr":
        return ReportTable(
            "By VR", ("VR", *ratio_columns), [(vr, *_ratio_cells(r)) for vr, r in coverage["by_vr"].items()]
        )
    if by == "group":
        return ReportTable(
            "By group",
            ("Group", *ratio_columns),
            [(group, *_ratio_cells(r)) for group, r in coverage["by_group"].items()],
        )
    columns: tuple[str, ...]
    if by == "module":
        columns = (
            "Module",
            "Name",
            *ratio_columns,
            "Type 1 covered",
            "Type 1 total",
            "Type 2 covered",
            "Type 2 total",
            "IODs",
        )
        rows = [
            (
                i,
                m["name"],
                *_ratio_cells(m),
                m["type1"]["covered"],
                m["type1"]["total"],
                m["type2"]["covered"],
                m["type2"]["total"],
                m["iods"],
            )
            for i, m in coverage["by_module"].items()
        ]
        return ReportTable("By module (attributes that carry a value)", columns, rows)
    if by == "iod":
        columns = ("IOD", "Name", *ratio_columns, "Required covered", "Required total")
        rows = [
            (i, d["name"], *_ratio_cells(d), d["required"]["covered"], d["required"]["total"])
            for i, d in coverage["by_iod"].items()
        ]
        return ReportTable("By IOD (required: Type 1 or 2 in its mandatory modules)", columns, rows)
    if by == "dataset":
        return _sources(coverage, "dataset", "By dataset", "Dataset")
    if by == "modality":
        return _sources(coverage, "modality", "By modality", "Modality")
    if by == "wanted":
        return _wanted(coverage)
    if by == "empty":
        return _empty_only(coverage)
    if by == "conformance":
        return _conformance(coverage)
    raise DicomrefError(f"--by {by}: choose one of {', '.join(BREAKDOWNS)}")


def coverage_json(coverage: Coverage, by: str | None) -> Mapping[str, Any]:
    """The whole coverage object, or the three summary ratios and the one breakdown asked for."""
    if by is None:
        return coverage
    breakdown_table(coverage, by)  # rejects an unknown breakdown
    name = {"wanted": "most_wanted", "empty": "empty_only", "conformance": "conformance"}.get(by, f"by_{by}")
    summary = [key for key, _ in SUMMARY] + ["empty_only"]
    parts = cast(Mapping[str, Any], coverage)
    return {**{key: parts[key] for key in summary if key in parts}, name: parts.get(name, {})}


def _cell(value: object) -> str:
    return f"{value}%" if isinstance(value, float) else str(value)


def _markdown(table: ReportTable) -> str:
    def row(cells: Iterable[object]) -> str:
        return "| " + " | ".join(_cell(c).replace("|", "\\|") for c in cells) + " |"

    align = ["---:" if isinstance(c, (int, float)) else "---" for c in (table.rows[0] if table.rows else table.columns)]
    return (
        "\n".join(
            [
                f"### {table.title}",
                "",
                row(table.columns),
                "| " + " | ".join(align) + " |",
                *(row(r) for r in table.rows),
            ]
        )
        + "\n"
    )


def _rich(table: ReportTable) -> Table:
    rich_table = Table(*table.columns, title=escape(table.title))
    # A name, tag or keyword stays whole (the other columns wrap to fit 80 columns); a sentence may wrap.
    rich_table.columns[0].no_wrap = all(len(_cell(row[0])) <= NAME_WIDTH for row in table.rows)
    for column in rich_table.columns[1:]:
        column.overflow = "fold"  # a long keyword folds onto the next line rather than losing its end
    for row in table.rows:
        rich_table.add_row(*(escape(_cell(c)) for c in row))
    return rich_table


def render_coverage(coverage: Coverage, fmt: str, by: str | None = None) -> str | list[Table]:
    """Without `by`: the summary, the datasets and the top of the most wanted list;
    with it: the summary and that breakdown.

    CSV holds one table: the breakdown asked for, else the summary.
    """
    if fmt not in FORMATS:
        raise DicomrefError(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(coverage_json(coverage, by), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    tables = [summary_table(coverage)]
    tables += (
        [breakdown_table(coverage, by)]
        if by
        else [breakdown_table(coverage, "dataset"), _wanted(coverage, WANTED_IN_SUMMARY), _empty_only(coverage)]
    )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(tables[-1 if by else 0].columns)
        writer.writerows(tables[-1 if by else 0].rows)
        return buffer.getvalue()
    if fmt == "markdown":
        return "\n".join(_markdown(t) for t in tables)
    return [_rich(t) for t in tables]
