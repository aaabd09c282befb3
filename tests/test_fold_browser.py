"""In Chromium: module pages fold with and without JavaScript, one button opens everything, a link opens its row."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGE = "modules/general-series/index.html"


def _open_count(page) -> int:
    return page.locator("#tree details[open]").count()


def test_one_button_opens_and_closes_every_sequence(browser, site_url: str) -> None:
    page = browser.new_page()
    try:
        page.goto(site_url + PAGE)
        folds = page.locator("#tree details").count()
        assert folds > 3 and _open_count(page) == 0
        button = page.locator("button.expand-all")
        button.click()
        assert _open_count(page) == folds and button.get_attribute("aria-expanded") == "true"
        button.click()
        assert _open_count(page) == 0 and button.inner_text() == "Expand all"
    finally:
        page.close()


def test_a_link_to_a_nested_row_opens_the_sequences_around_it(browser, site_url: str) -> None:
    page = browser.new_page()
    try:
        page.goto(site_url + PAGE)
        nested = page.locator("#tree ol.items ol.items li.node").first.get_attribute("id")
        page.goto(f"{site_url}{PAGE}#{nested}")
        row = page.locator(f"[id='{nested}'] > .row")
        row.wait_for(state="visible")
        assert row.is_visible() and _open_count(page) >= 2
    finally:
        page.close()


def test_sequences_fold_without_javascript(browser, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site_url + PAGE)
        assert not page.locator("button.expand-all").is_visible()  # shown only where it works
        first = page.locator("#tree li.sq > details").first
        item = first.locator("ol.items > li.node").first
        assert not item.is_visible()
        first.locator("> summary").click()
        assert item.is_visible() and first.get_attribute("open") is not None
    finally:
        context.close()
