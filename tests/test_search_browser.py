"""The site's search in Chromium, on the default build: the shared table of queries on the results page and in the
box's list, the combobox, the URL, file://."""

from __future__ import annotations

import statistics

import pytest

from dicomref.site.search_index import keyword_from_name
from dicomref.standard import Standard
from tests.conftest import Build
from tests.test_search import CASES, check_case, result_key

pytestmark = pytest.mark.browser

RENDERED = "text => document.getElementById('results').getAttribute('data-query') === text"
PAGE_RENDERED = "text => document.getElementById('all-results').getAttribute('data-query') === text"
OPTIONS = "#results li[role=option]:not(.all) a"
KINDS = {"attributes": "attribute", "modules": "module", "macros": "macro", "iods": "iod", "uids": "uid"}
RESULTS = """els => els.map(a => ({
  folder: a.getAttribute('href').split('/').slice(-3)[0],
  id: a.getAttribute('href').split('/').slice(-2)[0],
  what: a.querySelector('.kind').textContent,
  shown: a.querySelector('.tag') ? a.querySelector('.tag').textContent : '',
  name: a.querySelector('.name').textContent,
  meta: a.querySelector('.meta').textContent,
  snippet: a.querySelector('.snippet').textContent,
}))"""
# Records, in the page, the time from each keydown to the frame after its results were rendered.
LATENCY_PROBE = """() => {
  window.searchLatencies = [];
  let start = null;
  document.addEventListener('keydown', () => { start = performance.now(); }, true);
  new MutationObserver(() => {
    if (start === null) return;
    const began = start;
    start = null;
    requestAnimationFrame(() => setTimeout(() => window.searchLatencies.push(performance.now() - began), 0));
  }).observe(document.getElementById('results'), { attributes: true, attributeFilter: ['data-query'] });
}"""
# Empties the box without a key press, so the probe only times typing.
CLEAR = "() => { const q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input')); }"
FIRST_USE = """() => new Promise(resolve => {
  const input = document.getElementById('q'), list = document.getElementById('results');
  const began = performance.now();
  new MutationObserver((_, observer) => {
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - began), 0));
  }).observe(list, { attributes: true, attributeFilter: ['data-query'] });
  input.focus();
  input.value = 's';
  input.dispatchEvent(new Event('input'));
})"""


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status}: {response.url}") if response.status >= 400 else None,
    )
    return problems


def _search(page, text: str) -> list[dict]:
    page.fill("#q", text)
    page.wait_for_function(RENDERED, arg=text[:200])
    return page.eval_on_selector_all(OPTIONS, RESULTS)


def _all_results(page, text: str) -> list[dict]:
    page.fill("#q", text)
    page.wait_for_function(PAGE_RENDERED, arg=text[:200])
    return page.eval_on_selector_all("#all-results li a", RESULTS)


def _keys(rows: list[dict]) -> list[str]:
    return [result_key(KINDS[r["folder"]], r["id"]) for r in rows]


def _vr(row: dict) -> str:
    """An attribute's VR, the last part of its 'Keyword · VR' line."""
    return row["meta"].split(" · ")[-1] if row["folder"] == "attributes" else ""


def _says_what_it_is(row: dict) -> bool:
    if row["folder"] == "attributes":
        return row["what"] == "Attribute" and row["shown"] == f"({row['id'][:4]},{row['id'][4:]})"
    if row["folder"] == "uids":
        return row["what"] in ("SOP Class", "Meta SOP Class", "Transfer Syntax") and row["meta"] == row["id"]
    return row["what"] == {"modules": "Module", "macros": "Macro", "iods": "IOD"}[row["folder"]]


def test_the_table_in_chromium(browser, site_url: str) -> None:
    """Every case on the results page (every match), and the box's list holding the first of the same matches."""
    page = browser.new_page()
    problems = _watch(page)
    page.goto(site_url + "search/index.html")
    box = browser.new_page()
    box_problems = _watch(box)
    box.goto(site_url + "index.html")
    for case in CASES:
        rows = _all_results(page, case.query)
        check_case(case, _keys(rows), [_vr(r) for r in rows])
        assert page.locator("#all-results script, #all-results img, #all-results [onerror]").count() == 0, case.query
        assert all(_says_what_it_is(row) and row["name"] and row["snippet"] for row in rows), case.query
        listed = _search(box, case.query)
        assert _keys(listed) == _keys(rows)[:10], case.query
        assert box.locator("#results li.all a").count() == (1 if rows else 0), case.query
    assert problems == [] and box_problems == []
    page.close()
    box.close()


def test_results_page_lists_every_match(browser, site_url: str) -> None:
    page = browser.new_page()
    problems = _watch(page)
    page.goto(site_url + "index.html")
    listed = _search(page, "date")
    assert len(listed) == 10
    total = int(page.locator("#results li.all a").inner_text().split()[1].replace(",", ""))
    assert total > 20
    page.click("#results li.all a")
    page.wait_for_url("**/search/index.html?q=date")
    page.wait_for_function(PAGE_RENDERED, arg="date")
    rows = page.eval_on_selector_all("#all-results li a", RESULTS)
    assert len(rows) == total and _keys(rows)[:10] == _keys(listed)
    assert page.locator("#results li").count() == 0 and page.input_value("#q") == "date"
    assert f"{total} matches" in page.inner_text("#all-status")
    kinds = page.eval_on_selector_all("#all-kinds a", "els => els.map(a => [a.textContent, a.getAttribute('href')])")
    assert kinds and kinds[0][0] == f"Attributes {total}" and kinds[0][1].endswith("q=date%20kind%3Aattribute")
    page.goto(site_url + "search/index.html?q=enhanced%20mr")
    page.wait_for_function(PAGE_RENDERED, arg="enhanced mr")
    named = [a[0].split()[0] for a in page.eval_on_selector_all("#all-kinds a", "els => els.map(a => [a.textContent])")]
    assert named[:2] == ["IODs", "Modules"] and "UIDs" in named
    page.click("#all-kinds a:text-matches('^Modules')")
    page.wait_for_function(PAGE_RENDERED, arg="enhanced mr kind:module")
    assert {r["folder"] for r in page.eval_on_selector_all("#all-results li a", RESULTS)} == {"modules"}
    page.keyboard.press("/")
    page.keyboard.type("x")
    page.wait_for_function(PAGE_RENDERED, arg="enhanced mr kind:modulex")
    assert "No match" in page.inner_text("#all-status")
    assert problems == []
    page.close()


def test_enter_without_a_result_opens_the_results_page(browser, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + "attributes/00100010/index.html")
    _search(page, "zzqqxx")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/index.html?q=zzqqxx")
    page.wait_for_function(PAGE_RENDERED, arg="zzqqxx")
    assert "No match" in page.inner_text("#all-status")
    page.close()


def test_status_never_under_the_clear_button(browser, site_url: str) -> None:
    """The count and the clear (x) button share the box's right end without overlapping, on desktop and phone."""
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 844})
        page = context.new_page()
        page.goto(site_url + "index.html")
        for text in ["date", "b value", "zzqqxx", "a" * 60]:
            _search(page, text)
            status = page.locator(".search-status").bounding_box()
            clear = page.locator(".search-clear").bounding_box()
            box = page.locator("#q").bounding_box()
            assert status and clear and box and page.inner_text(".search-status")
            assert status["x"] + status["width"] <= clear["x"], (width, text, status, clear)
            assert box["x"] <= status["x"] and clear["x"] + clear["width"] <= box["x"] + box["width"]
        page.click(".search-clear")
        assert page.input_value("#q") == "" and page.evaluate("document.activeElement.id") == "q"
        assert page.locator(".search-clear").is_hidden()
        context.close()


def test_results_show_what_the_dictionary_says(browser, site_url: str, standard: Standard) -> None:
    """Every entry whose keyword is not its name respelled, and a sample of the rest, decode exactly."""
    entries = list(standard.dictionary)
    sample = [e for e in entries if e.keyword != keyword_from_name(e.name)] + entries[::40]
    page = browser.new_page()
    page.goto(site_url + "index.html")
    for entry in sample:
        first = _search(page, entry.tag)[0]
        assert (first["id"], first["meta"]) == (entry.tag, " · ".join(p for p in (entry.keyword, entry.vr) if p))
        assert first["name"] == entry.name + (" (retired)" if entry.retired else "")
    page.close()


def test_combobox_keyboard_and_url(browser, site_url: str) -> None:
    page = browser.new_page()
    problems = _watch(page)
    page.goto(site_url + "attributes/00100010/index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q" and page.input_value("#q") == ""
    page.keyboard.type("thickness")
    page.wait_for_function(RENDERED, arg="thickness")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "true"
    assert page.locator("#results").get_attribute("role") == "listbox"
    assert page.locator("#results li[role=option] a[href]").count() > 2
    assert "q=thickness" in page.url
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "result-1"
    assert [page.locator(f"#result-{n}").get_attribute("aria-selected") for n in (0, 1)] == ["false", "true"]
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == "result-0"
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and page.input_value("#q") == "thickness"
    page.keyboard.press("ArrowDown")
    target = page.locator("#result-0 a").get_attribute("href").split("/")[-2]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/attributes/{target}/index.html")
    assert "Thickness" in page.locator("h1").inner_text()
    page.goto(site_url + "modules/index.html?q=0008%2C1115")
    page.wait_for_function(RENDERED, arg="0008,1115")
    assert page.input_value("#q") == "0008,1115"
    assert page.eval_on_selector_all(OPTIONS, RESULTS)[0]["id"] == "00081115"
    assert problems == []
    page.close()


def test_search_from_file_url(browser, default_build: Build) -> None:
    page = browser.new_page()
    problems = _watch(page)
    page.goto((default_build.site / "modules" / "index.html").as_uri())
    rows = _search(page, "rt related")
    assert "30060030" in [r["id"] for r in rows[:3]]
    page.click("#results a[href$='attributes/30060030/index.html']")
    page.wait_for_url("**/attributes/30060030/index.html")
    assert "RT Related ROI Sequence" in page.locator("h1").inner_text()
    assert problems == []
    page.close()


@pytest.mark.long
def test_keystroke_to_results_time(browser, site_url: str) -> None:
    """Measured, printed, never asserted: from a keydown to the frame after its results are on screen."""
    page = browser.new_page()
    page.goto(site_url + "index.html")
    first_use = page.evaluate(FIRST_USE)
    page.evaluate(LATENCY_PROBE)
    typed = [
        c.query for c in CASES if c.query.strip() and len(c.query) <= 40 and c.query.isascii() and c.query.isprintable()
    ]
    for text in typed:
        page.evaluate(CLEAR)
        page.wait_for_function(RENDERED, arg="")
        for end in range(1, len(text) + 1):
            page.keyboard.type(text[end - 1])
            page.wait_for_function(RENDERED, arg=text[:end])
    latencies = sorted(page.evaluate("window.searchLatencies"))
    assert len(latencies) == sum(len(t) for t in typed)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"\nsearch keystroke to rendered results over {len(latencies)} keystrokes: "
        f"median {statistics.median(latencies):.1f} ms, "
        f"p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms; first use (index load and decode) {first_use:.1f} ms"
    )
    page.close()
