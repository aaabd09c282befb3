"""axe-core (from the npm registry, see package.json) finds no serious or critical violation on every kind of page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "index.html",
    "attribute": "attributes/00180050/index.html",
    "module": "modules/image-plane/index.html",
    "folded module": "modules/ophthalmic-axial-measurements/index.html",
    "macro": "macros/pixel-measures/index.html",
    "iod": "iods/ct-image/index.html",
    "coverage": "coverage/index.html",
    "search": "search/index.html?q=date",
    "group": "browse/groups/0008/index.html",
    "attribute-values": "attributes/00080008/index.html",
    "uid": "uids/1.2.840.10008.5.1.4.1.1.2/index.html",
    "uids": "uids/index.html",
    "changes": "changes/index.html",
    "type changes": "attributes/00700084/index.html",
    "inspect": "inspect/index.html",
}


# The dark scheme changes colours only (prefers-color-scheme in style.css): there axe runs the rules of colour;
# every rule runs in the light scheme, at both widths.
AXE_OPTIONS = {
    "light": "{resultTypes: ['violations']}",
    "dark": "{resultTypes: ['violations'], runOnly: {type: 'rule', values: ['color-contrast', 'link-in-text-block']}}",
}


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if AXE.is_file():
        return AXE
    if os.environ.get("CI") == "true":
        pytest.fail(f"{AXE} missing: run `make node_modules/.package-lock.json` (npm ci)")
    pytest.skip("axe-core not installed (npm ci)")


# Each page is loaded once and checked in every view: the viewport and the colour scheme change in place, as a
# reader's resized window or switched system theme would change them.
VIEWS = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_serious_or_critical_violation(browser, site_url: str, axe_script: Path, kind: str) -> None:
    context = browser.new_context(viewport={"width": VIEWS[0][0], "height": 900}, color_scheme=VIEWS[0][1])
    page = context.new_page()
    page.goto(site_url + PAGES[kind])
    if "?q=" in PAGES[kind]:  # the results are rendered by the page's script
        page.wait_for_function("document.getElementById('all-results').hasAttribute('data-query')")
    page.add_script_tag(path=str(axe_script))
    serious = []
    for width, scheme in VIEWS:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches && innerWidth === {width}")
        results = page.evaluate(f"axe.run(document, {AXE_OPTIONS[scheme]})")
        found = [(v["impact"], v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in results["violations"]]
        print(f"\naxe {kind} {width}px {scheme}: {len(found)} violations {found}")
        serious += [(width, scheme, *f) for f in found if f[0] in ("serious", "critical")]
    context.close()
    assert serious == []
