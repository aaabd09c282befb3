"""The site stage: render every page, the JSON API and the search index into a folder swapped in whole.

The build writes into `.<out>.building` beside the output and renames it over the output only
when everything is written, so a failed or killed build leaves the last good site in place. Pages and
API documents are made independently of each other, so forked processes share them out and the files are
the same whatever their number.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    Template,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from dicomref import __version__, urls
from dicomref.errors import DicomrefError
from dicomref.files import replace_dir
from dicomref.forked import Claims, frozen_heap, run_shares
from dicomref.formats.aggregate import Aggregate, check_aggregate
from dicomref.pause import pause_point
from dicomref.site.api import Document, api_documents, html_safe_json
from dicomref.site.credits import Credits
from dicomref.site.front_pages import not_found_page
from dicomref.site.linkcheck import LinkReport, check_links
from dicomref.site.model import SiteModel, attribute_entries
from dicomref.site.page import NAV, PageSource, ready
from dicomref.site.pages import all_pages
from dicomref.site.redirects import Redirect, redirects
from dicomref.site.search_index import INDEX_FILE, search_index_script
from dicomref.standard import Standard
from dicomref.standard.cache import cache_dir
from dicomref.validate.script import site_rules_script

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
_HREF = re.compile(r'href="([^"]*)"')
# Pages a worker writes between two reports of its progress.
REPORT_EVERY = 25
# Consecutive outputs a worker claims at once: an attribute's page and its API document stay together.
OUTPUTS_TOGETHER = 16
FILE_MODE = 0o644


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


class _RowsEnvironment(Environment):
    """The rows handed to templates are dicts: `row.name` reads the key first, sparing the AttributeError the usual
    attribute-first lookup raises for every field of every row."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


class Fragments:
    """A part of a page that many pages show alike, rendered once per key (and the page's way back to the root).

    The page's context gives the key with the fragment's data, and decides that the same key means the same data;
    the fragment's template sees only that data and `root`.
    """

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._made: dict[tuple[str, Hashable, str], Markup] = {}

    @pass_context
    def __call__(self, context: Context, name: str, key: Hashable, **data: Any) -> Markup:
        root = context["root"]
        made = self._made.get((name, key, root))
        if made is None:
            made = self._made[(name, key, root)] = Markup(self._env.get_template(name).render(root=root, **data))
        return made


def _environment(targets: dict[str, str]) -> Environment:
    env = _RowsEnvironment(
        loader=PackageLoader("dicomref", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
    )
    env.globals["version"] = __version__
    env.globals["nav"] = NAV
    env.globals["urls"] = urls
    env.filters["num"] = "{:,}".format
    env.filters["localised"] = lambda html, root: localised(html, targets, root)
    env.filters["type_class"] = type_class
    env.globals["fragment"] = Fragments(env)
    return env


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """The compiled templates kept in the user cache, each under a digest of its source, so that later builds
    load them instead of compiling; none where that folder cannot be written."""
    folder = cache_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


def type_class(attribute_type: str) -> str:
    """The badge of a Type: 't1', 't2', 't3', with 'cond' for 1C and 2C."""
    return f"t{attribute_type[:1]}" + (" cond" if len(attribute_type) > 1 else "")


@dataclass(frozen=True)
class Output:
    """A file of the site, made when its turn comes: a page (rendered from its source) or an API document."""

    path: str
    make: Callable[[], bytes]
    page: bool
    alone: bool = False  # slow to make (the search index, the rules): claimed first, in a batch of its own


@dataclass
class Written:
    """What a share of the outputs came to."""

    bytes: int = 0
    files: int = 0
    pages: int = 0
    largest: tuple[int, int, str] = (0, 0, "")  # (bytes, -index, path): the largest page, the first of equals
    redirects: int = 0  # pages at old addresses leading to the new ones

    def add(self, other: Written) -> None:
        self.bytes += other.bytes
        self.files += other.files
        self.pages += other.pages
        self.redirects += other.redirects
        self.largest = max(self.largest, other.largest)


def _write_file(path: Path, data: bytes) -> None:
    """The bytes into a new file, without the buffered file object open() makes: thousands of files a build."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


@dataclass
class Destination:
    """Where a share of the outputs goes: the new site's folder, beside the site it replaces (if any), whose files
    that come out the same are linked instead of written again. The file system then neither allocates their
    blocks again nor frees the old ones when the replaced site is removed: most of a rebuild's files."""

    folder: Path
    previous: Path | None = None
    made: set[Path] = field(default_factory=set)  # folders made by this process

    def put(self, relative: str, data: bytes) -> None:
        path = self.folder / relative
        if path.parent not in self.made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        if self.previous is None or not _linked_if_same(self.previous / relative, path, data):
            _write_file(path, data)


def _linked_if_same(old: Path, new: Path, data: bytes) -> bool:
    """Link `old` as `new` when it is a plain file of ours holding exactly `data`; False when not (or it cannot)."""
    try:
        found = os.lstat(old)
        if not stat.S_ISREG(found.st_mode) or stat.S_IMODE(found.st_mode) != FILE_MODE or found.st_size != len(data):
            return False
        descriptor = os.open(old, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            same = os.read(descriptor, len(data) + 1) == data
        finally:
            os.close(descriptor)
        if same:
            os.link(old, new, follow_symlinks=False)
        return same
    except OSError:  # gone, unreadable, or a file system without hard links: written instead
        return False


def _write_share(
    destination: Destination, outputs: list[Output], share: Iterable[int], report: Callable[[int], None]
) -> Written:
    """Make and write the outputs at the indices of `share`; `report` hears of every REPORT_EVERY pages."""
    written = Written()
    reported = 0
    for index in share:
        output = outputs[index]
        data = output.make()
        destination.put(output.path, data)
        written.bytes += len(data)
        written.files += 1
        if output.page:
            written.pages += 1
            written.largest = max(written.largest, (len(data), -index, output.path))
            if written.pages - reported >= REPORT_EVERY:
                report(written.pages - reported)
                reported = written.pages
    report(written.pages - reported)
    return written


def _write_outputs(
    destination: Destination, outputs: list[Output], jobs: int, on_pages: Callable[[int], None]
) -> Written:
    """Every output written to `destination`, by `jobs` forked processes claiming batches of them in turn.

    Forked workers share the model and the compiled templates with this process as they are; this process
    counts their pages (the `site-page` pause points are passed here) and raises what a worker raised.
    """
    pages_done = 0

    def count(pages: int) -> None:
        nonlocal pages_done
        for done in range(pages_done + 1, pages_done + pages + 1):
            pause_point("site-page", done)
        pages_done += pages
        if pages:
            on_pages(pages_done)

    return _write_shares(destination, outputs, jobs, count)


def _write_shares(
    destination: Destination, outputs: list[Output], jobs: int, count: Callable[[int], None]
) -> Written:
    """Each worker claims the next batch of outputs when it is done with its last, so none waits on another."""
    batches = _batches(outputs)
    claims = Claims(len(batches))

    def share(_worker: int, report: Callable[[int], None]) -> Written:
        return _write_share(destination, outputs, (index for batch in claims for index in batches[batch]), report)

    written = Written()
    for part in run_shares(share, jobs, count, "site"):
        written.add(part)
    return written


def _batches(outputs: list[Output]) -> list[list[int]]:
    """The slow outputs one by one, then the rest OUTPUTS_TOGETHER at a time, in their order."""
    alone = [[index] for index, output in enumerate(outputs) if output.alone]
    together = [index for index, output in enumerate(outputs) if not output.alone]
    runs = range(0, len(together), OUTPUTS_TOGETHER)
    return [*alone, *(together[start : start + OUTPUTS_TOGETHER] for start in runs)]


def _sitemap(pages: list[PageSource], base_url: str) -> str:
    base = base_url.rstrip("/") + "/"
    listed = "".join(f"<url><loc>{base}{p.path.removesuffix('index.html')}</loc></url>\n" for p in pages)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{listed}</urlset>\n"
    )


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


def _page_output(source: PageSource, templates: dict[str, Template], release: str) -> Output:
    def render() -> bytes:
        page = source.build()
        variables = vars(page.context)  # each field of the typed context is a variable of the template
        return templates[page.template].render(page=page, root=page.root, release=release, **variables).encode()

    return Output(source.path, render, page=True)


def _document_output(path: str, document: Document) -> Output:
    return Output(path, lambda: html_safe_json(document()).encode("utf-8"), page=False)


def _redirect_output(moved: Redirect, template: Template, base_url: str) -> Output:
    canonical = base_url.rstrip("/") + "/" + moved.target.replace("index.html", "", 1)
    return Output(moved.path, lambda: template.render(redirect=moved, canonical=canonical).encode("utf-8"), page=False)


def _write_everything(
    model: SiteModel, destination: Destination, base_url: str, jobs: int, on_progress: ProgressCallback | None
) -> Written:
    env = _environment(model.local_targets)
    templates = {name: env.get_template(name) for name in env.list_templates(extensions=["html"])}
    pages = [*all_pages(model), ready(not_found_page(base_url_path(base_url)))]
    outputs = _paired(
        [_page_output(source, templates, model.standard.release) for source in pages],
        [_document_output(path, document) for path, document in api_documents(model)],
        {urls.attribute_url(e.tag): urls.api_url("attribute", e.tag) for e in attribute_entries(model.standard)},
    )
    moved = redirects(model.standard, {source.path for source in pages})
    outputs += [_redirect_output(redirect, templates["redirect.html"], base_url) for redirect in moved]

    def report(done: int) -> None:
        if on_progress:
            on_progress("render", done, len(pages))

    static = files("dicomref") / "templates" / "static"
    assets = sorted((a for a in static.iterdir() if a.is_file()), key=lambda a: a.name)
    outputs += [Output(f"static/{asset.name}", asset.read_bytes, page=False) for asset in assets]
    outputs += [
        Output(urls.SCRIPT_FILE, lambda: urls.urls_script().encode("utf-8"), page=False),
        Output(
            INDEX_FILE,
            lambda: search_index_script(model.standard, model.aggregate).encode("utf-8"),
            page=False,
            alone=True,
        ),
        Output(
            urls.RULES_FILE,
            lambda: site_rules_script(model.standard).encode("utf-8"),
            page=False,
            alone=True,
        ),
        Output("sitemap.xml", lambda: _sitemap(pages[:-1], base_url).encode("utf-8"), page=False),
        Output("robots.txt", lambda: _robots(base_url).encode("utf-8"), page=False),
        Output(".nojekyll", lambda: b"", page=False),
    ]
    written = _write_outputs(destination, outputs, jobs, report)
    written.redirects = len(moved)
    return written


def _paired(pages: list[Output], documents: list[Output], twins: dict[str, str]) -> list[Output]:
    """The pages, each attribute's API document right after its page (`twins`: page path to document path), then
    the other documents: a share making the page makes the document too, from the same data."""
    unpaired = {document.path: document for document in documents}
    outputs = []
    for page in pages:
        outputs.append(page)
        twin = unpaired.pop(twins.get(page.path, ""), None)
        if twin is not None:
            outputs.append(twin)
    return outputs + [document for document in documents if document.path in unpaired]


def _robots(base_url: str) -> str:
    return f"User-agent: *\nAllow: /\nSitemap: {base_url.rstrip('/')}/sitemap.xml\n"


def build_site(
    aggregate: Aggregate,
    standard: Standard,
    out: Path,
    base_url: str = DEFAULT_BASE_URL,
    on_progress: ProgressCallback | None = None,
    check: bool = False,
    credits: Credits | None = None,
    jobs: int = 0,
) -> SiteSummary:
    """Render into a sibling folder, then swap it in: a failed build leaves the last good site.

    With `check`, every internal link and anchor is checked before the swap, and a broken link fails the build.
    `jobs` processes write the pages and documents (0: one per core).
    """
    _recover_interrupted_swap(out)
    check_aggregate(aggregate)
    building = out.with_name(f".{out.name}.building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    with frozen_heap():  # from here on, collections need not walk the model, nor workers copy it
        model = SiteModel(standard, aggregate, credits or Credits())
        destination = Destination(building, out if out.is_dir() and not out.is_symlink() else None)
        try:
            written = _write_everything(model, destination, base_url, jobs or os.cpu_count() or 1, on_progress)
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
    replace_dir(building, out, jobs or os.cpu_count() or 1)
    return SiteSummary(
        iods=len(standard.iods),
        modules=len(standard.modules),
        macros=len(standard.macros),
        redirects=written.redirects,
        pages=written.pages,
        bytes=written.bytes,
        out=out,
        files=written.files,
        largest_page=written.largest[2],
        largest_page_bytes=written.largest[0],
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
