"""The built site in headless Chromium: served under /dicomref/ on 127.0.0.1, and from file://."""

from __future__ import annotations

import pytest

from tests.conftest import REPO, Build

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "tests" / "screenshots"
SHOWN = {"home": "index.html", "slice-thickness": "attributes/00180050/index.html", "coverage": "coverage/index.html"}
WIDTHS = {"desktop": 1280, "phone": 390}


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
    assert "Image Plane" in page.locator("h1").inner_text()
    page.click("table.tree >> text=Slice Thickness")
    assert "Slice Thickness" in page.locator("h1").inner_text()
    assert page.locator("table.examples code.value").count() >= 1
    page.click("text=Coverage")
    assert page.locator("svg.chart").count() == 5


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


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", list(WIDTHS))
def test_screenshots_fit_the_screen(browser, site_url: str, device: str, scheme: str) -> None:
    """Saved for people to look at; the test itself checks nothing overflows sideways on a phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": WIDTHS[device], "height": 900}, color_scheme=scheme, device_scale_factor=1
    )
    page = context.new_page()
    errors, failed = _watch(page)
    for name, path in SHOWN.items():
        page.goto(site_url + path)
        suffix = "" if scheme == "light" else "-dark"
        target = SCREENSHOTS / f"{name}-{device}{suffix}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {WIDTHS[device]}px screen"
    assert errors == [] and failed == []
    context.close()


def test_usable_by_keyboard(browser, site_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + "attributes/00180050/index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                "[document.activeElement.tagName, document.activeElement.getAttribute('data-copy'), "
                "getComputedStyle(document.activeElement).outlineStyle]"
            )
        )
        if focused[-1][1] == "SliceThickness":
            break
    tag, copied, outline = focused[-1]
    assert (tag, copied) == ("BUTTON", "SliceThickness") and outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == "SliceThickness"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    context.close()
