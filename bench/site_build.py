"""The site stage on the default aggregate: build time, pages per second, sizes, the search index."""

from __future__ import annotations

import gzip
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Command, Series, alternate, run_once
from dicomref.site.weight import largest_pages

SEARCH_INDEX_GLOB = "static/search-index*"


@dataclass(frozen=True)
class SiteResult:
    seconds: float  # median of whole `dicomref site` processes
    peak_bytes: int
    pages: int  # HTML files
    files: int
    bytes: int
    largest_page: str  # path inside the site
    largest_page_bytes: int
    search_index_bytes: int
    search_index_gzip_bytes: int  # gzip level 9, as a server would send it
    largest_pages: tuple[tuple[str, int, int], ...] = ()  # the five largest: path, bytes, elements
    serial_seconds: float = 0.0  # the same build with --jobs 1
    identical: bool = False  # the serial build's files are the parallel build's, byte for byte


def default_aggregate(work: Path, manifest: Path, repo: Path) -> Path:
    """Scrape and aggregate the manifest's datasets (untimed): the aggregate `make site` publishes."""
    work.mkdir(parents=True, exist_ok=True)
    scraped, aggregate = work / "scraped.jsonl", work / "aggregate.json"
    scraped.unlink(missing_ok=True)
    dicomref = [sys.executable, "-m", "dicomref"]
    run_once(
        Command([*dicomref, "scrape", "--datasets", str(manifest), "--out", str(scraped)], cwd=repo),
        work / "scrape.log",
    )
    run_once(
        Command([*dicomref, "aggregate", str(scraped), "--datasets", str(manifest), "--out", str(aggregate)], cwd=repo),
        work / "aggregate.log",
    )
    return aggregate


def measure_site(aggregate: Path, work: Path, repeats: int, repo: Path) -> SiteResult:
    """Whole `dicomref site` processes on every core and on one, alternating. No untimed build first: the
    aggregate step before it has already read the same code and standard files."""
    outs = {"parallel": work / "site", "serial": work / "site-serial"}
    commands = {
        name: Command(
            [sys.executable, "-m", "dicomref", "site", "--aggregate", str(aggregate), "--out", str(out)]
            + (["--jobs", "1"] if name == "serial" else []),
            cwd=repo,
        )
        for name, out in outs.items()
    }
    both: dict[str, Series] = alternate(commands, repeats, work / "logs", warm=False)
    series, out = both["parallel"], outs["parallel"]
    files = [p for p in out.rglob("*") if p.is_file()]
    pages = [p for p in files if p.suffix == ".html"]
    largest = max(pages, key=lambda p: (p.stat().st_size, p.as_posix()))
    index = sorted(out.glob(SEARCH_INDEX_GLOB))
    index_bytes = b"".join(p.read_bytes() for p in index)
    return SiteResult(
        seconds=series.seconds,
        peak_bytes=series.tree_peak_bytes,
        pages=len(pages),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
        largest_page=largest.relative_to(out).as_posix(),
        largest_page_bytes=largest.stat().st_size,
        search_index_bytes=len(index_bytes),
        search_index_gzip_bytes=len(gzip.compress(index_bytes, compresslevel=9, mtime=0)),
        largest_pages=tuple((p.path, p.bytes, p.elements) for p in largest_pages(out, 5)),
        serial_seconds=both["serial"].seconds,
        identical=_tree(out) == _tree(outs["serial"]),
    )


def _tree(folder: Path) -> dict[str, str]:
    """Every file under the folder by its path, as a digest of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.blake2b(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
