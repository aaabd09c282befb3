"""Shared fixtures: the standard, one default build per session, the corpora, Chromium."""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dicomref import pipeline
from dicomref.aggregate import AggregateOptions, aggregate_to_file
from dicomref.datasets import load_manifest
from dicomref.formats.unreadable import FILENAME as UNREADABLE_CSV
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from dicomref.search import index_beside
from dicomref.site import build_site
from dicomref.standard import Standard, load_standard

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "data" / "datasets.toml"
CORPORA = REPO.parent / "shared" / "corpora"
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Build:
    scraped: Path
    unreadable: Path
    aggregate: Path
    site: Path


@pytest.fixture(scope="session")
def standard() -> Standard:
    return load_standard()


def manifest_inputs(manifest: Path = MANIFEST) -> list[ScrapeInput]:
    return [ScrapeInput(d.name, d.root) for d in load_manifest(manifest) if d.root is not None]


def manifest_options(manifest: Path = MANIFEST) -> AggregateOptions:
    """What `dicomref build` passes: the manifest's declarations, licences and order."""
    return pipeline.manifest_options(manifest)


def run_pipeline(
    inputs: list[ScrapeInput], folder: Path, standard: Standard, options: AggregateOptions = AggregateOptions()
) -> Build:
    """The three stages through the library, as `dicomref build` runs them."""
    scraped = folder / "scraped.jsonl"
    scrape(inputs, scraped, ScrapeOptions(jobs=2))
    aggregate = folder / "aggregate.json"
    result = aggregate_to_file([scraped], aggregate, standard, options)
    build_site(result, standard, folder / "site")
    return Build(scraped, folder / UNREADABLE_CSV, aggregate, folder / "site")


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory, standard: Standard) -> Build:
    """The site built from the embedded default datasets as `dicomref build` builds it, once per test run.

    The test processes of one run (pytest-xdist) share it: the first to need it builds it, with the search
    index `dicomref search` keeps beside the aggregate, while the others wait on the lock; all only read it.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each process's own
    folder = shared / "default-build"
    built = shared / "default-build.done"
    with open(shared / "default-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build = run_pipeline(manifest_inputs(), folder, standard, manifest_options())
            index_beside(build.aggregate, standard=standard)
            built.write_text("")
    return Build(folder / "scraped.jsonl", folder / UNREADABLE_CSV, folder / "aggregate.json", folder / "site")


@dataclass(frozen=True)
class SmallBuild:
    standard: Standard
    scraped: Path
    aggregate: Path
    site: Path


@pytest.fixture(scope="session")
def small_standard(standard: Standard) -> Standard:
    """A few modules, macros and IODs of the real standard (tests/small.py): sites built from it are small."""
    from tests.small import subset_standard

    return subset_standard(standard)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory, small_standard: Standard) -> SmallBuild:
    """A site built from two real files against the small standard: quick to rebuild."""
    from tests.small import small_build

    folder = tmp_path_factory.mktemp("small-build")
    aggregate, site = small_build(folder, small_standard)
    return SmallBuild(small_standard, folder / "scraped.jsonl", aggregate, site)


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is not present on this machine")
    return CORPORA


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; with CI=true its absence is a failure, not a skip."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium not found at /usr/bin/chromium (apt-get install -y chromium)")
    pytest.skip("Chromium not installed (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


def serve_under(folder: Path, mount: str, site: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve `site` at http://127.0.0.1:PORT/<mount>/, as GitHub Pages serves a project site."""
    (folder / mount).parent.mkdir(parents=True, exist_ok=True)
    if not (folder / mount).exists():
        shutil.copytree(site, folder / mount)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/{mount}/"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(default_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, url = serve_under(tmp_path_factory.mktemp("served"), "dicomref", default_build.site)
    yield url
    server.shutdown()
