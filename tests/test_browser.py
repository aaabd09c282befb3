"""The built site in headless Chromium: served under /dicomref/ on 127.0.0.1, and from file://."""

from __future__ import annotations

import pytest

from tests.conftest import Build

pytestmark = pytest.mark.browser


def _watch(page) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    return errors, failed


def _walk_home_to_attribute(page, home: str) -> None:
    page.goto(home)
    assert "DICOM" in page.title()
    page.click("nav >> text=IODs")
    page.click("text=CT Image")
    assert page.locator("h1").inner_text().startswith("CT Image")
    page.click("table.iod >> text=Image Plane")
    assert "Image Plane Module" in page.locator("h1").inner_text()
    page.click("table.tree >> text=Slice Thickness")
    assert "Slice Thickness" in page.locator("h1").inner_text()
    assert page.locator("table.examples code.value").count() >= 1


def test_walk_served_under_a_project_path(browser, site_url: str) -> None:
    page = browser.new_page()
    errors, failed = _watch(page)
    _walk_home_to_attribute(page, site_url + "index.html")
    assert page.url.startswith(site_url)
    assert errors == [] and failed == []
    page.close()


def test_walk_from_file_url(browser, default_build: Build) -> None:
    page = browser.new_page()
    errors, failed = _watch(page)
    _walk_home_to_attribute(page, (default_build.site / "index.html").as_uri())
    assert errors == [] and failed == []
    page.close()
