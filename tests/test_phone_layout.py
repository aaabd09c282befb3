"""Pages on a phone (390x844 in Chromium): nothing wider than the screen, tables that scroll say so, no word cut."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = [
    "iods/ct-image/index.html",
    "iods/enhanced-mr-image/index.html",
    "modules/general-series/index.html",
    "modules/image-plane/index.html",
    "coverage/index.html",
    "browse/groups/0008/index.html",
    "browse/groups/0018/index.html",
    "browse/groups/index.html",
    "search/index.html?q=date",
    "attributes/00280004/index.html",
    "inspect/index.html",
]
# Every table of the page: how wide it is against the box around it, and whether that box scrolls visibly.
TABLES = """() => Array.from(document.querySelectorAll('main table')).map(table => {
  const wrap = table.closest('.table-wrap');
  const style = wrap ? getComputedStyle(wrap) : null;
  return {
    table: table.className,
    width: table.getBoundingClientRect().width,
    room: wrap ? wrap.clientWidth : table.parentElement.clientWidth,
    scrolls: !!style && ['auto', 'scroll'].includes(style.overflowX) && wrap.scrollWidth > wrap.clientWidth,
    focusable: !!wrap && wrap.tabIndex === 0,
    named: !!wrap && !!wrap.getAttribute('aria-label'),
    cue: !!style && (style.backgroundImage.match(/radial-gradient/g) || []).length === 2,
  };
})"""
# Words of running text laid out over two lines; identifiers (code, tags, keywords, values) may wrap anywhere.
CUT_WORDS = """() => {
  const cut = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('code, .value, .tag, .kw, .meta, svg, .visually-hidden, [hidden]')) continue;
    for (const match of node.data.matchAll(/[^\\s\\-\\/–—]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.bottom)));
      if (lines.size > 1) cut.push(match[0]);
    }
  }
  return cut;
}"""


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    yield context
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_nothing_wider_than_the_screen(phone, site_url: str, path: str) -> None:
    page = phone.new_page()
    page.goto(site_url + path)
    if "?q=" in path:
        page.wait_for_function("document.getElementById('all-results').hasAttribute('data-query')")
    page.wait_for_load_state("load")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    tables = page.evaluate(TABLES)
    cut = page.evaluate(CUT_WORDS)
    page.screenshot(path=f"tests/screenshots/phone-{path.split('?')[0].replace('/', '-')}.png")
    page.close()
    print(f"\n{path}: page {width[0]} px in {width[1]}; tables {[(t['table'], round(t['width'])) for t in tables]}")
    assert width[0] <= width[1], f"{path} scrolls sideways: {width}"
    for table in tables:
        if table["width"] > table["room"] + 1:
            assert table["scrolls"] and table["focusable"] and table["named"] and table["cue"], (path, table)
    assert cut == [], (path, cut[:10])


def test_a_wide_table_scrolls_from_the_keyboard(phone, site_url: str) -> None:
    page = phone.new_page()
    page.goto(site_url + "coverage/index.html")
    wraps = page.locator(".table-wrap")
    wide = [
        n
        for n in range(wraps.count())
        if wraps.nth(n).evaluate("w => w.scrollWidth > w.clientWidth && getComputedStyle(w).overflowX === 'auto'")
    ]
    assert wide, "coverage has a table wider than a phone"
    wrap = wraps.nth(wide[0])
    wrap.focus()
    assert wrap.evaluate("w => document.activeElement === w && w.scrollLeft === 0")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("w => w.scrollLeft > 0", arg=wrap.element_handle())
    page.close()


def test_the_cut_word_probe_sees_a_cut_word(phone, site_url: str) -> None:
    """The check above is worth something only if a word broken over two lines is reported."""
    page = phone.new_page()
    page.goto(site_url + "index.html")
    page.evaluate(
        """() => {
        const p = document.createElement('p');
        p.style.cssText = 'width: 3rem; overflow-wrap: anywhere';
        p.textContent = 'Photometric Interpretation';
        document.querySelector('main').appendChild(p);
    }"""
    )
    assert page.evaluate(CUT_WORDS) == ["Photometric", "Interpretation"]
    page.close()
