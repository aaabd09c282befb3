"""The site stage: render every page, the JSON API and the search index into a folder swapped in whole."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from dicomref import __version__
from dicomref.errors import DicomrefError
from dicomref.files import dumps_json, replace_dir
from dicomref.site.pages import Page, SiteModel, all_pages
from dicomref.site.search_index import INDEX_FILE, search_index_script
from dicomref.standard import Standard


@dataclass(frozen=True)
class SiteSummary:
    pages: int
    bytes: int
    out: Path


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("dicomref", "templates"), autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.globals["version"] = __version__
    return env


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _api(model: SiteModel, out: Path) -> int:
    written = 0
    for entry in model.standard.dictionary:
        info = model.attribute_info(entry.tag)
        document = {
            "tag": entry.tag,
            "keyword": entry.keyword,
            "name": entry.name,
            "vr": entry.vr,
            "vm": entry.vm,
            "retired": entry.retired,
            "modules": sorted({u.module_id for u in model.standard.usages.get(entry.tag, [])}),
            "files": info.get("files", 0),
            "distinct": info.get("distinct", 0),
            "examples": info.get("examples", []),
        }
        written += _write(out / "api" / "attributes" / f"{entry.tag}.json", dumps_json(document))
    written += _write(out / "api" / "coverage.json", dumps_json(model.aggregate.get("coverage", {})))
    return written


def _sitemap(pages: list[Page], base_url: str) -> str:
    base = base_url.rstrip("/") + "/"
    urls = "".join(f"<url><loc>{base}{p.path.removesuffix('index.html')}</loc></url>\n" for p in pages)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'


def build_site(aggregate: dict, standard: Standard, out: Path, base_url: str = "http://127.0.0.1:8000/") -> SiteSummary:
    """Render into a sibling folder, then swap it in: a failed build leaves the last good site."""
    if aggregate.get("schema") != 1:
        raise DicomrefError("aggregate file has an unknown schema; re-run `dicomref aggregate`")
    building = out.with_name(f".{out.name}.building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    env = _environment()
    model = SiteModel(standard, aggregate)
    pages = list(all_pages(model))
    total = 0
    for page in pages:
        html = env.get_template(page.template).render(page=page, root=page.root, release=standard.release, **page.context)
        total += _write(building / page.path, html)
    not_found = Page("404.html", "404.html", "Page not found")
    total += _write(building / "404.html", env.get_template("404.html").render(page=not_found, root=base_url_path(base_url), release=standard.release))
    static = files("dicomref") / "templates" / "static"
    for asset in static.iterdir():
        if asset.is_file():
            total += _write(building / "static" / asset.name, asset.read_text(encoding="utf-8"))
    total += _write(building / INDEX_FILE, search_index_script(standard))
    total += _api(model, building)
    total += _write(building / "sitemap.xml", _sitemap(pages, base_url))
    total += _write(building / "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {base_url.rstrip('/')}/sitemap.xml\n")
    total += _write(building / ".nojekyll", "")
    replace_dir(building, out)
    return SiteSummary(pages=len(pages) + 1, bytes=total, out=out)


def base_url_path(base_url: str) -> str:
    """The path part of the base URL ('/dicomref/'): the 404 page is served at any depth, so it links absolutely."""
    rest = base_url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path if path.endswith("/") else path + "/"


def load_aggregate(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DicomrefError(f"{path} not found (run `dicomref aggregate` first)") from None
    except ValueError:
        raise DicomrefError(f"{path} is not valid JSON (re-run `dicomref aggregate`)") from None
