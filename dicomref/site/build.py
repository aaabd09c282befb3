"""The site stage: render every page, the JSON API and the search index into a folder swapped in whole.

The build writes into `.<out>.building` beside the output and renames it over the output only
when everything is written, so a failed or killed build leaves the last good site in place.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dicomref import __version__
from dicomref.aggregate.schema import Aggregate, check_aggregate
from dicomref.errors import DicomrefError
from dicomref.files import dumps_json, replace_dir
from dicomref.pause import pause_point
from dicomref.site.changes import changes_page
from dicomref.site.credits import Credits
from dicomref.site.linkcheck import LinkReport, check_links
from dicomref.site.pages import NAV, Page, SiteModel, all_pages, attribute_entries, not_found_page
from dicomref.site.redirects import redirects
from dicomref.site.search_index import INDEX_FILE, search_index_script
from dicomref.site.uid_pages import uid_documents, uid_pages
from dicomref.standard import Standard
from dicomref.standard.describe import attribute_document
from dicomref.standard.documents import iod_document, module_document

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
_HREF = re.compile(r'href="([^"]*)"')


@dataclass(frozen=True)
class SiteSummary:
    pages: int
    bytes: int
    out: Path
    files: int = 0
    largest_page: str = ""
    largest_page_bytes: int = 0
    links: LinkReport | None = None  # when the build was asked to check its links
    iods: int = 0  # IOD pages
    modules: int = 0  # module pages
    macros: int = 0  # macro pages
    redirects: int = 0  # pages at old addresses leading to the new ones


# Called with the phase ("render" or "check"), pages done and pages in all.
ProgressCallback = Callable[[str, int, int], None]


def localised(html: str, targets: dict[str, str], root: str) -> Markup:
    """Sanitised description HTML with each link to a table of the standard pointed at our page of it."""
    return Markup(_HREF.sub(lambda m: f'href="{root}{targets[m[1]]}"' if m[1] in targets else m[0], html))


def _environment(targets: dict[str, str]) -> Environment:
    env = Environment(
        loader=PackageLoader("dicomref", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["version"] = __version__
    env.globals["nav"] = NAV
    env.filters["num"] = "{:,}".format
    env.filters["localised"] = lambda html, root: localised(html, targets, root)
    return env


class _Writer:
    """Writes files under one folder, creating each directory once and counting what it wrote."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bytes = 0
        self.files = 0
        self.largest = ("", 0)
        self.pages = 0
        self.redirects = 0
        self._made: set[Path] = set()

    def write(self, relative: str, data: bytes) -> None:
        path = self.folder / relative
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        with open(path, "wb") as handle:
            handle.write(data)
        self.bytes += len(data)
        self.files += 1

    def page(self, relative: str, html: str) -> None:
        data = html.encode("utf-8")
        if len(data) > self.largest[1]:
            self.largest = (relative, len(data))
        self.write(relative, data)
        self.pages += 1
        pause_point("site-page", self.pages)


def html_safe_json(data: object) -> str:
    """Canonical JSON in which no string can open or close markup, wherever the document ends up."""
    return dumps_json(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _api(model: SiteModel, writer: _Writer) -> None:
    for entry in attribute_entries(model.standard):
        document = attribute_document(model.standard, entry, model.attribute_info(entry.tag), model.items)
        writer.write(f"api/attributes/{entry.tag}.json", html_safe_json(document).encode("utf-8"))
    for path, document in uid_documents(model):
        writer.write(path, html_safe_json(document).encode("utf-8"))
    writer.write("api/coverage.json", html_safe_json(model.coverage).encode("utf-8"))
    for iod in model.standard.iods.values():
        writer.write(f"api/iods/{iod.id}.json", html_safe_json(iod_document(model.standard, iod)).encode("utf-8"))
    for module in model.standard.modules.values():
        document = module_document(model.standard, module)
        writer.write(f"api/modules/{module.id}.json", html_safe_json(document).encode("utf-8"))


def _sitemap(pages: list[Page], base_url: str) -> str:
    base = base_url.rstrip("/") + "/"
    urls = "".join(f"<url><loc>{base}{p.path.removesuffix('index.html')}</loc></url>\n" for p in pages)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'


def base_url_path(base_url: str) -> str:
    """The path part of the base URL: 'https://x.github.io/dicomref' -> '/dicomref/'."""
    rest = base_url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path if path.endswith("/") else path + "/"


def _recover_interrupted_swap(out: Path) -> None:
    """A build killed between the two renames of the swap leaves the last good site as .<out>.old."""
    old = out.with_name(f".{out.name}.old")
    if old.is_dir() and not out.exists():
        os.replace(old, out)


def _render(
    model: SiteModel, standard: Standard, writer: _Writer, base_url: str, on_progress: ProgressCallback | None
) -> list[Page]:
    env = _environment(model.local_targets)
    templates: dict[str, object] = {}
    pages = [*all_pages(model), changes_page(model), *uid_pages(model)]
    extra = 1  # the 404 page
    for done, page in enumerate([*pages, not_found_page(base_url_path(base_url))], start=1):
        if page.template not in templates:
            templates[page.template] = env.get_template(page.template)
        writer.page(
            page.path,
            templates[page.template].render(page=page, root=page.root, release=standard.release, **page.context),
        )
        if on_progress and (done % 50 == 0 or done == len(pages) + extra):
            on_progress("render", done, len(pages) + extra)
    redirect = env.get_template("redirect.html")
    base = base_url.rstrip("/") + "/"
    for moved in redirects(standard, {p.path for p in pages}):
        canonical = base + moved.target.replace("index.html", "", 1)
        writer.write(moved.path, redirect.render(redirect=moved, canonical=canonical).encode("utf-8"))
        writer.redirects += 1
    return pages


def _write_everything(
    model: SiteModel, standard: Standard, writer: _Writer, base_url: str, on_progress: ProgressCallback | None
) -> int:
    pages = _render(model, standard, writer, base_url, on_progress)
    static = files("dicomref") / "templates" / "static"
    for asset in sorted(static.iterdir(), key=lambda a: a.name):
        if asset.is_file():
            writer.write(f"static/{asset.name}", asset.read_bytes())
    writer.write(INDEX_FILE, search_index_script(standard, model.aggregate).encode("utf-8"))
    _api(model, writer)
    writer.write("sitemap.xml", _sitemap(pages, base_url).encode("utf-8"))
    writer.write("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {base_url.rstrip('/')}/sitemap.xml\n".encode())
    writer.write(".nojekyll", b"")
    return len(pages) + 1


def build_site(
    aggregate: Aggregate,
    standard: Standard,
    out: Path,
    base_url: str = DEFAULT_BASE_URL,
    on_progress: ProgressCallback | None = None,
    check: bool = False,
    credits: Credits | None = None,
) -> SiteSummary:
    """Render into a sibling folder, then swap it in: a failed build leaves the last good site.

    With `check`, every internal link and anchor is checked before the swap, and a broken link fails the build.
    """
    _recover_interrupted_swap(out)
    check_aggregate(aggregate)
    building = out.with_name(f".{out.name}.building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    writer = _Writer(building)
    try:
        pages = _write_everything(
            SiteModel(standard, aggregate, credits or Credits()), standard, writer, base_url, on_progress
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise DicomrefError(
            "aggregate file is malformed (a field is missing or of the wrong type); "
            "re-run `dicomref aggregate` (--debug shows where)"
        ) from exc
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    links = _check(building, base_url, on_progress) if check else None
    replace_dir(building, out)
    return SiteSummary(
        iods=len(standard.iods),
        modules=len(standard.modules),
        macros=len(standard.macros),
        redirects=writer.redirects,
        pages=pages,
        bytes=writer.bytes,
        out=out,
        files=writer.files,
        largest_page=writer.largest[0],
        largest_page_bytes=writer.largest[1],
        links=links,
    )


def _check(building: Path, base_url: str, on_progress: ProgressCallback | None) -> LinkReport:
    report = check_links(
        building,
        base_url_path(base_url),
        on_progress=(lambda done, total: on_progress("check", done, total)) if on_progress else None,
    )
    if not report.ok:
        shutil.rmtree(building, ignore_errors=True)
        first = report.broken[0]
        raise DicomrefError(
            f"{len(report.broken):,} broken links, the first in {first.page}: {first.link} ({first.reason}); "
            "the previous site is kept"
        )
    return report
