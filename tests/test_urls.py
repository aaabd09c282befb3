"""The URL scheme is written once, in dicomref/urls.py: pages, search, the CLI and the site's script use it."""

from __future__ import annotations

import re

from dicomref import urls
from dicomref.search import parse_query
from tests.conftest import REPO, Build

# A folder of the scheme written as a literal path, in Python, JavaScript or a template.
_FOLDERS = r"(attributes|modules|macros|iods|uids|browse|api)/"
_FOLDER_LITERAL = re.compile(rf"[\"'`]{_FOLDERS}|\}}\}}{_FOLDERS}")
# The list of search kinds spelled out.
_KIND_LIST = re.compile(r"[\"']iod[\"'],\s*[\"']module[\"']|attribute: \"attributes\"")


def _sources() -> list[tuple[str, str]]:
    package = REPO / "dicomref"
    files = [*package.rglob("*.py"), *package.rglob("*.js"), *package.rglob("*.html")]
    return [(path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")) for path in sorted(files)]


def test_folders_and_kinds_are_written_only_in_the_url_scheme() -> None:
    found = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _sources()
        if name != "dicomref/urls.py"
        for number, line in enumerate(text.splitlines(), 1)
        if _FOLDER_LITERAL.search(line) or _KIND_LIST.search(line)
    ]
    assert found == []


def test_every_kind_has_a_folder_and_search_knows_it() -> None:
    assert [kind.name for kind in urls.KINDS] == list(urls.KIND_NAMES)
    for kind in urls.KIND_NAMES:
        assert parse_query(f"kind:{kind}").kind == kind
        assert urls.page_url(kind, "x") == f"{urls.FOLDERS[kind]}/x/index.html"
        assert urls.folder_url(kind, "x") == f"{urls.FOLDERS[kind]}/x/"


def test_the_site_script_reads_the_scheme_the_build_wrote(default_build: Build) -> None:
    assert (default_build.site / urls.SCRIPT_FILE).read_text(encoding="utf-8") == urls.urls_script()
    page = (default_build.site / urls.HOME).read_text(encoding="utf-8")
    assert page.index(urls.SCRIPT_FILE) < page.index("static/site.js")
