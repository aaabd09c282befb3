"""The whole flow over a datasets manifest: scrape, aggregate, site and search index, each stage's output a file.

`dicomref build` is this module with progress shown; the outputs of the first two stages and the search index go
into a data folder (beside the manifest unless told otherwise, as the Makefile's targets put them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dicomref.aggregate import AggregateOptions, AggregateProgress, aggregate_to_file
from dicomref.datasets import load_manifest
from dicomref.formats.aggregate import Aggregate
from dicomref.scrape import ScrapeOptions, ScrapeProgress, ScrapeSummary, scrape
from dicomref.scrape.runner import manifest_inputs
from dicomref.search import index_beside
from dicomref.site import SiteSummary, build_site
from dicomref.site.build import DEFAULT_BASE_URL, ProgressCallback
from dicomref.site.credits import credits_from_manifest
from dicomref.standard import Standard

SCRAPED = "scraped.jsonl"
AGGREGATE = "aggregate.json"


def manifest_options(
    manifest: Path, examples: int = 5, include_identifying: bool = False, jobs: int = 0
) -> AggregateOptions:
    """Aggregate options with what the manifest declares: datasets de-identified or public, and licences."""
    entries = load_manifest(manifest) if manifest.exists() else []
    return AggregateOptions(
        deidentified=frozenset(d.name for d in entries if d.deidentified),
        public=frozenset(d.name for d in entries if d.public),
        licences=tuple((d.name, d.licence) for d in entries if d.licence),
        order=tuple(d.name for d in entries),
        examples=examples,
        include_identifying=include_identifying,
        jobs=jobs,
    )


@dataclass(frozen=True)
class BuildPaths:
    """Where a build over `manifest` writes: the stages' files into `data` (default: beside the manifest), the site
    into `site`."""

    manifest: Path
    site: Path
    data: Path | None = None

    @property
    def folder(self) -> Path:
        return self.data if self.data is not None else self.manifest.parent

    @property
    def scraped(self) -> Path:
        return self.folder / SCRAPED

    @property
    def aggregate(self) -> Path:
        return self.folder / AGGREGATE


@dataclass(frozen=True)
class BuildProgress:
    """What each stage reports while it runs."""

    scrape: Callable[[ScrapeProgress], None] | None = None
    aggregate: Callable[[AggregateProgress], None] | None = None
    site: ProgressCallback | None = None
    stage: Callable[[str], None] | None = None  # "scrape", "aggregate", "site", "search index" as each starts


@dataclass(frozen=True)
class BuildResult:
    scrape: ScrapeSummary
    aggregate: Aggregate
    site: SiteSummary


def build(
    paths: BuildPaths,
    standard: Standard,
    scrape_options: ScrapeOptions = ScrapeOptions(),
    base_url: str = DEFAULT_BASE_URL,
    progress: BuildProgress = BuildProgress(),
    standard_folder: Path | None = None,
) -> BuildResult:
    """Every stage in order over the manifest's datasets; a stage that fails leaves the earlier stages' files.

    `standard_folder` is the newer export `standard` was loaded from, if any: the search index is keyed by it.
    """
    started = progress.stage or (lambda stage: None)
    started("scrape")
    scraped = scrape(manifest_inputs(paths.manifest), paths.scraped, scrape_options, on_progress=progress.scrape)
    started("aggregate")
    options = manifest_options(paths.manifest, jobs=scrape_options.jobs)
    aggregate = aggregate_to_file([paths.scraped], paths.aggregate, standard, options, on_progress=progress.aggregate)
    started("site")
    credits = credits_from_manifest(paths.manifest)
    site = build_site(
        aggregate, standard, paths.site, base_url, on_progress=progress.site, credits=credits, jobs=scrape_options.jobs
    )
    started("search index")
    index_beside(paths.aggregate, standard_folder, standard)
    return BuildResult(scraped, aggregate, site)
