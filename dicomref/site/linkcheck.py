"""The link check: every internal link of a built site leads to a file, and every #anchor exists there.

Pages are parsed with BeautifulSoup, keeping only the elements that carry an id or a link, which
is what makes checking thousands of pages quick. Links must be relative (so the site works at a
domain root, under a project path and from file://) and must name a file, not a folder.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup
from bs4.filter import ElementFilter

LINK_ATTRIBUTES = ("href", "src", "xlink:href")
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "data"})
PAGES_PER_WORKER = 100  # below this many pages per process, starting processes costs more than it saves


@dataclass(frozen=True)
class BrokenLink:
    page: str  # the page holding the link, relative to the site root
    link: str  # the link as written
    reason: str


@dataclass(frozen=True)
class LinkReport:
    pages: int
    links: int  # internal links checked
    anchors: int  # of those, links to an #anchor
    external: int  # links that leave the site, not followed
    broken: tuple[BrokenLink, ...]

    @property
    def ok(self) -> bool:
        return not self.broken


@dataclass(frozen=True)
class _Parsed:
    ids: frozenset[str]
    links: tuple[str, ...]
    base: str | None


class _Collector(ElementFilter):
    """Sees every start tag as BeautifulSoup parses, keeps its id and links, and lets no element be built.

    Building a tree of Python objects is what makes parsing thousands of pages slow; the check needs
    only the attributes, so it reads them from the filter hook and the tree stays empty.
    """

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.base: str | None = None

    @property
    def includes_everything(self) -> bool:
        return False

    def allow_tag_creation(self, nsprefix, name, attrs) -> bool:  # type: ignore[no-untyped-def]
        if not attrs:
            return False
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if name == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if name == "base":
            self.base = attrs.get("href")
            return False
        self.links.extend(attrs[key] for key in LINK_ATTRIBUTES if attrs.get(key) is not None)
        return False

    def allow_string_creation(self, string) -> bool:  # type: ignore[no-untyped-def]
        return False


def parse_page(html: bytes) -> _Parsed:
    collector = _Collector()
    BeautifulSoup(html, "lxml", parse_only=collector)  # type: ignore[arg-type]  # bs4 types it too narrowly
    return _Parsed(frozenset(collector.ids), tuple(collector.links), collector.base)


@dataclass(frozen=True)
class _Tree:
    files: frozenset[str]
    folders: frozenset[str]


def _tree(site: Path) -> _Tree:
    files: set[str] = set()
    folders: set[str] = set()
    for folder, subfolders, names in os.walk(site):
        relative = Path(folder).relative_to(site).as_posix()
        prefix = "" if relative == "." else relative + "/"
        folders.update(prefix + name for name in subfolders)
        files.update(prefix + name for name in names)
    return _Tree(frozenset(files), frozenset(folders))


def _parse_file(path: Path) -> _Parsed:
    return parse_page(path.read_bytes())


def _parse_all(
    site: Path, pages: list[str], jobs: int, on_progress: Callable[[int, int], None] | None
) -> dict[str, _Parsed]:
    """Parsing is the slow part, so it is spread over processes; results keep the pages' order."""
    paths = [site / page for page in pages]
    workers = min(jobs or os.cpu_count() or 1, max(1, len(paths) // PAGES_PER_WORKER))
    parsed: dict[str, _Parsed] = {}
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        results = pool.map(_parse_file, paths, chunksize=64) if pool else map(_parse_file, paths)
        for done, (page, result) in enumerate(zip(pages, results, strict=True), start=1):
            parsed[page] = result
            if on_progress and (done % 200 == 0 or done == len(pages)):
                on_progress(done, len(pages))
    return parsed


def check_links(
    site: Path, base_path: str = "/", jobs: int = 0, on_progress: Callable[[int, int], None] | None = None
) -> LinkReport:
    """Check every page under `site`; `base_path` is the only <base href> a page may declare;
    jobs 0: one process per core."""
    tree = _tree(site)
    pages = sorted(f for f in tree.files if f.endswith(".html"))
    parsed = _parse_all(site, pages, jobs, on_progress)
    broken: list[BrokenLink] = []
    links = anchors = external = 0
    for page, info in parsed.items():
        origin = posixpath.dirname(page)
        if info.base is not None:
            if info.base != base_path:
                broken.append(BrokenLink(page, info.base, f"<base href> is not the site's base path {base_path}"))
            origin = ""
        for link in info.links:
            problem, is_anchor = _check(link, origin, page, tree, parsed)
            if problem == "external":
                external += 1
                continue
            links += 1
            anchors += is_anchor
            if problem:
                broken.append(BrokenLink(page, link, problem))
    return LinkReport(pages=len(pages), links=links, anchors=anchors, external=external, broken=tuple(broken))


def _check(link: str, origin: str, page: str, tree: _Tree, parsed: dict[str, _Parsed]) -> tuple[str, bool]:
    """('' if fine, 'external', or why the link is broken; whether it names an anchor)."""
    parts = urlsplit(link.strip())
    if parts.scheme in EXTERNAL_SCHEMES or parts.netloc:
        return "external", False
    if parts.scheme:
        return f"{parts.scheme}: links are not allowed", False
    path, fragment = unquote(parts.path), unquote(parts.fragment)
    if not path:
        target = page
    elif path.startswith("/"):
        return "absolute path: breaks under a project path and from file://", bool(fragment)
    else:
        target = posixpath.normpath(posixpath.join(origin, path))
        if target == ".." or target.startswith("../"):
            return "leaves the site", bool(fragment)
        if path.endswith("/") or target in tree.folders or target == ".":
            return "links to a folder: name the file (index.html) so file:// works", bool(fragment)
        if target not in tree.files:
            return "no such file", bool(fragment)
    if fragment:
        if target not in parsed:
            return "anchor into a file that is not a page", True
        if fragment not in parsed[target].ids:
            return f"no #{fragment} in {target}", True
    return "", bool(fragment)
