"""The site's URL scheme, written once: the folder of each kind of page, and the kinds search finds.

Pages, the JSON API, search (CLI and `/api/search`), the CLI's `--kind` and the site's script (through the
generated `static/urls.js`) all take their folders and kinds from here. Every URL is relative to the site's root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A kind of thing the standard defines that has a page of its own, and that search finds."""

    name: str  # as typed after `kind:` and given to `--kind`
    folder: str  # its pages are <folder>/<id>/index.html, its documents api/<folder>/<id>.json
    title: str  # a heading for a list of them


# In the order results of equal rank are listed.
KINDS = (
    Kind("iod", "iods", "IODs"),
    Kind("module", "modules", "Modules"),
    Kind("macro", "macros", "Macros"),
    Kind("uid", "uids", "UIDs"),
    Kind("attribute", "attributes", "Attributes"),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)
FOLDERS = {kind.name: kind.folder for kind in KINDS}

GROUPS_FOLDER = "browse/groups"
KEYWORDS_FOLDER = "browse/keywords"
SCRIPT_FILE = "static/urls.js"
# The compiled rules and the dictionary for the inspect page (dicomref/validate/script.py writes it).
RULES_FILE = "static/rules.js"

# Pages of their own.
HOME = "index.html"
ABOUT = "about/index.html"
COVERAGE = "coverage/index.html"
SEARCH = "search/index.html"
NOT_FOUND = "404.html"
IODS = "iods/index.html"
MODULES = "modules/index.html"
MACROS = "macros/index.html"
UIDS = "uids/index.html"
GROUPS = f"{GROUPS_FOLDER}/index.html"
KEYWORDS = f"{KEYWORDS_FOLDER}/index.html"
RETIRED = "browse/retired/index.html"
CHANGES = "changes/index.html"
INSPECT = "inspect/index.html"
COVERAGE_API = "api/coverage.json"


def page_url(kind: str, id_: str) -> str:
    """The page of one attribute, module, macro, IOD or UID."""
    return f"{FOLDERS[kind]}/{id_}/index.html"


def folder_url(kind: str, id_: str) -> str:
    """The same page as its folder, the form search results link to."""
    return f"{FOLDERS[kind]}/{id_}/"


def api_url(kind: str, id_: str) -> str:
    """The JSON document of what the page of `kind` and `id_` shows."""
    return f"api/{FOLDERS[kind]}/{id_}.json"


def attribute_url(key: str) -> str:
    return page_url("attribute", key)


def module_url(module_id: str) -> str:
    return page_url("module", module_id)


def macro_url(macro_id: str) -> str:
    return page_url("macro", macro_id)


def table_url(kind: str, table_id: str) -> str:
    """The page of a module or a macro."""
    return module_url(table_id) if kind == "module" else macro_url(table_id)


def iod_url(iod_id: str) -> str:
    return page_url("iod", iod_id)


def uid_url(uid: str) -> str:
    return page_url("uid", uid)


def group_url(group: str) -> str:
    return f"{GROUPS_FOLDER}/{group}/index.html"


def letter_url(letter: str) -> str:
    return f"{KEYWORDS_FOLDER}/{letter}/index.html"


def root_of(path: str) -> str:
    """The way back to the site's root from the page at `path`."""
    return "../" * path.count("/")


def urls_script() -> str:
    """`static/urls.js`: the kinds and their folders for the site's script, loaded before it."""
    scheme = {
        "kinds": list(KIND_NAMES),
        "folders": FOLDERS,
        "titles": {kind.name: kind.title for kind in KINDS},
    }
    return f"window.DICOMREF_URLS={json.dumps(scheme, sort_keys=True, separators=(',', ':'))};\n"
