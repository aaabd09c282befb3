"""What the site derives from the standard alone is kept in the user cache, and what many pages show is made once."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest
from jinja2 import DictLoader

from dicomref.site.build import Fragments, _environment
from dicomref.site.tables import SiteTables, build_tables, site_tables
from dicomref.standard import Standard
from dicomref.standard.cache import CACHE_DIR_VARIABLE
from dicomref.standard.uids import load_uid_registry
from dicomref.validate.script import rules_script, site_rules_script


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path))
    return tmp_path


def test_the_site_tables_are_kept_and_read_back(standard: Standard, cache: Path) -> None:
    assert standard.source_key  # the session's standard came from (or went to) its cache
    built = site_tables(standard)
    (kept,) = cache.glob("site-tables-*.pickle")
    assert kept.name.startswith(f"site-tables-{standard.source_key}-")
    fresh = build_tables(standard)
    assert built.anchors == fresh.anchors
    assert [n.tag for n in built.items.items("00400275")] == [n.tag for n in fresh.items.items("00400275")]
    # What is read is the cache: tables planted in it are what comes back.
    planted = SiteTables(fresh.items, {("module", "patient"): {((), "00100010"): "planted"}})
    kept.write_bytes(pickle.dumps(planted))
    assert site_tables(standard).anchors == planted.anchors


def test_a_changed_standard_is_never_served_the_tables_of_the_loaded_one(standard: Standard, cache: Path) -> None:
    site_tables(standard)
    smaller = dataclasses.replace(standard, macros={})
    assert smaller.source_key == ""
    assert all(kind == "module" for kind, _ in site_tables(smaller).anchors)
    assert len(list(cache.glob("site-tables-*.pickle"))) == 1


def test_the_kept_rules_script_is_the_one_built(standard: Standard, cache: Path) -> None:
    uids = {registered.uid: registered.name for registered in load_uid_registry(standard)}
    expected = rules_script(standard, uids)
    assert site_rules_script(standard) == expected
    (kept,) = cache.glob("rules-script-*.pickle")
    assert site_rules_script(standard) == expected and pickle.loads(kept.read_bytes()) == expected


def test_a_fragment_is_rendered_once_per_key_and_root() -> None:
    env = _environment({})
    env.loader = DictLoader(
        {
            "part.html": "{{ root }}{{ word }}",
            "page.html": '{{ fragment("part.html", key, word=word) }}|{{ fragment("part.html", key, word=word) }}',
        }
    )
    env.globals["fragment"] = Fragments(env)
    page = env.get_template("page.html")
    assert page.render(root="../", key=1, word="<a>") == "../&lt;a&gt;|../&lt;a&gt;"
    assert page.render(root="", key=1, word="<a>") == "&lt;a&gt;|&lt;a&gt;"  # another depth, made again
    # The key decides: the same key is the same fragment, whatever else is passed.
    assert page.render(root="../", key=1, word="other") == "../&lt;a&gt;|../&lt;a&gt;"
    assert page.render(root="../", key=2, word="other") == "../other|../other"
