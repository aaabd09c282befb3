"""The pages of their own: home, about, coverage, search results and the 404 page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from dicomref import urls
from dicomref.formats.aggregate import Coverage, Ratio
from dicomref.site.charts import Bar, bar_chart
from dicomref.site.listing_pages import browse_links
from dicomref.site.model import SiteModel
from dicomref.site.page import Page, PageContext, PageSource, crumbs, plural, ready
from dicomref.standard import Standard, display_tag
from dicomref.urls import attribute_url, iod_url, module_url, root_of

# Entry points on the home page.
HOME_ATTRIBUTES = 12
HOME_IODS = 8
HOME_EXAMPLE_LENGTH = 40
CHART_MODULES = 25
CHART_MODULE_MIN_ATTRIBUTES = 5  # smaller modules reach 100% with one file and would crowd the chart
CHART_IODS = 20


@dataclass(frozen=True)
class HomeContext(PageContext):
    summary: list[dict]
    overall: Ratio
    datasets: list
    counts: dict[str, int]
    popular: list[dict]
    iods: list[dict]
    browse: list[dict]


@dataclass(frozen=True)
class AboutContext(PageContext):
    datasets: list
    releases: dict[str, str]
    collections: list


@dataclass(frozen=True)
class CoverageContext(PageContext):
    summary: list[dict]
    datasets: list[dict]
    chart_dataset: str
    chart_modality: str
    chart_vr: str
    chart_module: str
    chart_iod: str
    chart_counts: dict[str, int]
    most_wanted: list[dict]
    most_broken: list[dict]  # the requirements files most often break, by IOD
    conformance_checked: str  # how many scraped files of a known IOD were checked
    empty_only: dict


def front_pages(model: SiteModel) -> list[PageSource]:
    return [ready(_home_page(model)), ready(_about_page(model)), ready(_coverage_page(model)), ready(search_page()),
            ready(inspect_page(model))]


def _most_broken(model: SiteModel) -> list[dict]:
    rows = (model.coverage.get("conformance") or {}).get("most_broken", [])
    return [
        {
            **row,
            "display": display_tag(row["tag"]),
            "attribute": model.name_of(row["tag"]) or row["keyword"],
            "url": attribute_url(row["tag"]) if model.standard.any_entry(row["tag"]) else None,
            "iod_url": iod_url(row["iod"]) if row["iod"] in model.standard.iods else None,
        }
        for row in rows
    ]


def _about_page(model: SiteModel) -> Page:
    return Page(
        urls.ABOUT,
        "about.html",
        "About",
        AboutContext(
            datasets=model.datasets,
            releases=model.standard.releases,
            collections=model.credits.about([d["name"] for d in model.datasets]),
        ),
        section="about",
        summary="Where dicomref's data comes from, how the examples were gathered, and its JSON API.",
        crumbs=crumbs(("About", None)),
    )


def _coverage_page(model: SiteModel) -> Page:
    path = urls.COVERAGE
    root = root_of(path)
    coverage = model.coverage
    total = coverage["overall"]["total"]
    by_module = sorted(
        ((i, m) for i, m in coverage.get("by_module", {}).items() if m["total"] >= CHART_MODULE_MIN_ATTRIBUTES),
        key=lambda kv: (-kv[1]["percent"], kv[1]["name"]),
    )
    by_iod = sorted(coverage.get("by_iod", {}).items(), key=lambda kv: (-kv[1]["percent"], kv[1]["name"]))
    datasets: list[dict[str, Any]] = [
        {
            **d,
            "contributed": coverage.get("by_dataset", {}).get(d["name"], {}).get("contributed", 0),
            "unique": coverage.get("by_dataset", {}).get(d["name"], {}).get("unique", 0),
        }
        for d in model.datasets
    ]
    return Page(
        path,
        "coverage.html",
        "Coverage",
        CoverageContext(
            summary=_coverage_summary(coverage),
            datasets=datasets,
            chart_dataset=bar_chart(
                "Attributes with examples, by dataset", [Bar(d["name"], d["contributed"], total) for d in datasets]
            ),
            chart_modality=bar_chart(
                "Attributes with examples, by modality",
                [Bar(m, r["contributed"], total) for m, r in coverage.get("by_modality", {}).items()],
            ),
            chart_vr=bar_chart(
                "Coverage by value representation",
                [Bar(vr, r["covered"], r["total"]) for vr, r in coverage.get("by_vr", {}).items()],
            ),
            chart_module=bar_chart(
                "Best covered modules",
                [Bar(m["name"], m["covered"], m["total"], module_url(i)) for i, m in by_module[:CHART_MODULES]],
                root,
            ),
            chart_iod=bar_chart(
                "Best covered IODs",
                [Bar(m["name"], m["covered"], m["total"], iod_url(i)) for i, m in by_iod[:CHART_IODS]],
                root,
            ),
            chart_counts={
                "modules": min(CHART_MODULES, len(by_module)),
                "iods": min(CHART_IODS, len(by_iod)),
                "module_min": CHART_MODULE_MIN_ATTRIBUTES,
            },
            most_wanted=[
                {**w, "display": display_tag(w["tag"]), "url": attribute_url(w["tag"])}
                for w in coverage.get("most_wanted", [])
            ],
            empty_only=_empty_only(coverage),
            most_broken=_most_broken(model),
            conformance_checked=plural((coverage.get("conformance") or {}).get("checked", 0), "scraped file"),
        ),
        section="coverage",
        summary=(
            "How much of the DICOM data dictionary has real example values: by dataset, modality, VR, module and IOD."
        ),
        crumbs=crumbs(("Coverage", None)),
    )


def _empty_only(coverage: Coverage) -> dict:
    """Entries files hold only with empty values, apart from the covered ones (absent from older aggregates)."""
    empty = coverage.get("empty_only", {})
    entries = [
        {**e, "display": display_tag(e["tag"]), "url": attribute_url(e["tag"])} for e in empty.get("entries", [])
    ]
    return {"covered": empty.get("covered", 0), "entries": entries}


def _coverage_summary(coverage: Coverage) -> list[dict]:
    labels = (
        ("overall", "All dictionary entries"),
        ("value_bearing", "Entries that carry a value (not SQ or OB)"),
        ("value_bearing_current", "Current (not retired) entries that carry a value"),
    )
    ratios = cast(Mapping[str, Ratio], coverage)
    return [{"label": label, **ratios[key]} for key, label in labels if key in coverage]


def _home_page(model: SiteModel) -> Page:
    standard = model.standard
    seen = sorted(
        (
            (info["files"], key)
            for key, info in model.aggregate["attributes"].items()
            if info.get("examples") and _is_data(standard, key)
        ),
        key=lambda fk: (-fk[0], fk[1]),
    )
    by_iod = sorted(model.coverage.get("by_iod", {}).items(), key=lambda kv: (-kv[1]["percent"], kv[1]["name"]))
    return Page(
        urls.HOME,
        "home.html",
        "DICOM standard reference with real examples",
        HomeContext(
            summary=_coverage_summary(model.coverage),
            overall=model.coverage["overall"],
            datasets=model.datasets,
            counts={
                "attributes": len(standard.dictionary),
                "modules": len(standard.modules),
                "iods": len(standard.iods),
                "series": sum(d["scraped"] for d in model.datasets),
            },
            popular=[_popular(model, key, files) for files, key in seen[:HOME_ATTRIBUTES]],
            iods=[
                {"name": r["name"], "url": iod_url(i), "coverage": r}
                for i, r in by_iod[:HOME_IODS]
                if i in standard.iods
            ],
            browse=browse_links(""),
        ),
        summary=(
            "A fast, static reference of the DICOM standard: every attribute, module and IOD, "
            "with example values from real DICOM files."
        ),
    )


def _is_data(standard: Standard, key: str) -> bool:
    entry = standard.entry(key)
    return entry is not None and entry.kind == "data"


def _popular(model: SiteModel, key: str, files: int) -> dict:
    """An attribute the home page leads with: its row, its first example cut short, and how many files hold it."""
    entry = model.standard.entry(key)
    assert entry is not None
    example = model.examples(key)[0]
    value = example["value"] or ""
    if len(value) > HOME_EXAMPLE_LENGTH:
        value = value[: HOME_EXAMPLE_LENGTH - 1] + "…"
    return {**model.attribute_row(entry), "files": plural(files, "file"), "example": {**example, "value": value}}


def search_page() -> Page:
    """The results page (`search/?q=`): its script lists every match of the query in the address."""
    return Page(
        urls.SEARCH,
        "search.html",
        "Search",
        summary="Search every attribute, module, macro, IOD and UID of the DICOM standard.",
        crumbs=crumbs(("Search", None)),
    )


@dataclass(frozen=True)
class InspectContext(PageContext):
    edition: str  # the edition of the standard the rules were compiled from
    attributes: str  # how many dictionary entries the page knows
    iods: str  # how many IODs it checks


def inspect_page(model: SiteModel) -> Page:
    """The inspect page: its scripts read chosen files in the browser and check them with the compiled rules."""
    standard = model.standard
    return Page(
        urls.INSPECT,
        "inspect.html",
        "Inspect a file",
        InspectContext(
            edition=standard.release,
            attributes=plural(len(standard.dictionary), "dictionary entry", "dictionary entries"),
            iods=plural(len(standard.iods), "IOD"),
        ),
        section="inspect",
        summary="Open a DICOM file in the browser: its elements linked to their pages, checked against the standard.",
        crumbs=crumbs(("Inspect", None)),
    )


def not_found_page(base_path: str) -> Page:
    """GitHub Pages serves 404.html at any depth, so its links resolve from the site's absolute base path."""
    return Page(
        urls.NOT_FOUND, "404.html", "Page not found", summary="There is no page at this address.", base=base_path
    )
