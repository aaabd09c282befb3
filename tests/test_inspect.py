"""The inspect page in Chromium: files read in the browser and never sent, shown as pydicom reads them, checked as
`dicomref validate --json` checks them (one shared table of files, both ways), hostile files each stopped with a
message, a 1 GiB file opened from its header, from file:// and over HTTP, by keyboard, on a phone, and with axe."""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicomref import urls
from dicomref.datasets import load_manifest
from dicomref.scrape.extract import DEFER_BYTES
from dicomref.site.page import visible
from dicomref.validate.engine import Validator
from dicomref.validate.files import check_paths
from dicomref.validate.view import from_dataset
from tests.conftest import MANIFEST, Build
from tests.hostile_dicom import CT_SMALL, hostile_files, mutated_files, sparse_gib_file
from tests.test_a11y import AXE
from tests.test_damage import SAMPLES, _encoded, _terms

pytestmark = pytest.mark.browser

TEXT_VRS = frozenset("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split())
SHOWN_VALUE = 240  # the page cuts longer values, as inspect.js says
# The top-level elements of every file's dataset and file meta as the page shows them: tag, VR, value.
SHOWN_VALUES = """() => Array.from(document.querySelectorAll('article.inspect-file')).map(article =>
  Array.from(article.querySelectorAll('.ds-block > ul.ds-tree > li.el')).map(li => {
    const line = li.querySelector(':scope > .el-line');
    return [line.querySelector('.el-tag').textContent, line.querySelector('.el-vr').textContent,
            line.querySelector('.el-value').textContent];
  }))"""


def plain_files(roots: list[Path]) -> list[Path]:
    """Every file under the folders but .gz files and zip archives, which the page does not open."""
    found = [
        Path(folder) / name
        for root in roots
        for folder, _, names in os.walk(root)
        for name in names
        if not name.lower().endswith((".gz", ".zip"))
    ]
    return sorted(found)


@dataclass(frozen=True)
class Opened:
    """What the page made of a list of files chosen at once."""

    files: list[Path]
    reports: list[dict]  # one validate JSON line per file, in the order chosen
    shown: list[list[list[str]]]  # per file, its top-level elements: tag, VR, value
    requests: list[str]  # every URL the page asked for
    errors: list[str]  # script errors


def open_files(browser, page_url: str, files: list[Path], context_options: dict | None = None) -> Opened:
    context = browser.new_context(**(context_options or {}))
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_url)
    page.set_input_files("#inspect-files", [str(f) for f in files])
    page.wait_for_function("window.dicomrefInspect && window.dicomrefInspect.done >= 1", timeout=120_000)
    reports = page.evaluate("window.dicomrefInspect.reports")
    shown = page.evaluate(SHOWN_VALUES)
    context.close()
    return Opened(files, reports, shown, requests, errors)


def validate_lines(files: list[Path], validator: Validator) -> list[dict]:
    """`dicomref validate --json`, file by file, each line's path the file's name (as the page names it)."""
    lines = []
    for path in files:
        (checked,) = list(check_paths([path], validator))
        lines.append(checked.to_json() | {"path": path.name})
    return lines


def assert_same_findings(opened: Opened, expected: list[dict]) -> None:
    assert opened.errors == []
    assert len(opened.reports) == len(expected) == len(opened.files)
    differing = []
    for path, theirs, ours in zip(opened.files, opened.reports, expected, strict=True):
        if ours["problem"] is not None and ours["iod"] is None:
            # Not checked by validate (not DICOM, truncated, no or an unknown SOP class): not checked here either.
            same = theirs["iod"] is None and theirs["findings"] == [] and bool(theirs["problem"])
        else:
            same = theirs == ours
        if not same:
            differing.append((path.name, ours["problem"], theirs["problem"], ours["findings"][:2], theirs["findings"]))
    assert differing == []


def python_shown(path: Path) -> dict[str, tuple[str, str]]:
    """Top-level text elements as validate reads them (pydicom, text decoded as the scrape decodes it): the
    displayed tag -> (VR, value as the page shows it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = pydicom.dcmread(path, force=True, defer_size=DEFER_BYTES)
    view = from_dataset(dataset, lambda tag: None)
    shown = {}
    for element in view.elements.values():
        if element.vr in TEXT_VRS and element.text is not None:
            text = element.text if len(element.text) <= SHOWN_VALUE else element.text[: SHOWN_VALUE - 1] + "…"
            shown[f"({element.tag[:4]},{element.tag[4:]})"] = (element.vr, visible(text) or "")
    return shown


def assert_values_are_pydicoms(opened: Opened) -> int:
    """Every top-level text value the page shows for a file it read is pydicom's; the number compared."""
    compared = 0
    differing = []
    for path, report, elements in zip(opened.files, opened.reports, opened.shown, strict=True):
        if report["iod"] is None:
            continue
        page: dict[str, tuple[str, str]] = {}
        for tag, vr, value in elements:
            page.setdefault(tag, (vr, value))
        for tag, (vr, value) in python_shown(path).items():
            compared += 1
            shown_vr, shown_value = page.get(tag, ("", None))
            # A registered UID is shown by its name, linked to its page, then the UID itself.
            named = vr == "UI" and (shown_value or "").endswith(" " + value)
            if shown_vr != vr or not (shown_value == value or named):
                differing.append((path.name, tag, vr, value, shown_vr, shown_value))
    assert differing == []
    return compared


# ---- The embedded corpora over HTTP, one page for every file ----------------------------------------------------


@pytest.fixture(scope="module")
def validator(standard) -> Validator:
    return Validator(standard)


@pytest.fixture(scope="module")
def embedded() -> list[Path]:
    return plain_files([d.root for d in load_manifest(MANIFEST) if d.root is not None])


@pytest.fixture(scope="module")
def expected(embedded: list[Path], validator: Validator) -> list[dict]:
    """The shared table: `dicomref validate --json` for every embedded file."""
    return validate_lines(embedded, validator)


@pytest.fixture(scope="module")
def over_http(browser, site_url: str, embedded: list[Path]) -> Opened:
    return open_files(browser, site_url + urls.INSPECT, embedded)


def test_every_embedded_file_gives_the_findings_of_validate(over_http: Opened, expected: list[dict]) -> None:
    assert_same_findings(over_http, expected)
    checked = sum(line["iod"] is not None for line in expected)
    print(f"\n{len(expected)} files, {checked} checked, {sum(len(x['findings']) for x in expected)} findings: equal")
    assert checked > 250


def test_top_level_text_values_are_those_pydicom_reads(over_http: Opened) -> None:
    compared = assert_values_are_pydicoms(over_http)
    print(f"\n{compared} top-level text values equal")
    assert compared > 5000


def test_no_request_leaves_the_site(over_http: Opened, site_url: str) -> None:
    assert over_http.requests, "the page asked for nothing, not even itself"
    assert [url for url in over_http.requests if not url.startswith(site_url)] == []
    assert site_url + urls.RULES_FILE in over_http.requests


def test_from_file_url(browser, default_build: Build, embedded: list[Path], expected: list[dict]) -> None:
    opened = open_files(browser, (default_build.site / urls.INSPECT).as_uri(), embedded)
    assert_same_findings(opened, expected)
    assert assert_values_are_pydicoms(opened) > 5000
    assert [url for url in opened.requests if not url.startswith("file://")] == []


def test_the_shared_corpora_give_the_findings_of_validate(browser, site_url: str, corpora: Path, validator) -> None:
    files = [next(p for p in plain_files([corpora]) if p.parent == folder) for folder in _folders(corpora)]
    opened = open_files(browser, site_url + urls.INSPECT, files)
    assert_same_findings(opened, validate_lines(files, validator))
    assert sum(r["iod"] is not None for r in opened.reports) >= 20


def _folders(root: Path) -> list[Path]:
    """The folders holding files: a series each in the shared corpora."""
    return sorted({path.parent for path in plain_files([root])})


def test_every_iso_2022_code_extension_reads_as_the_scrape_reads_it(
    browser, site_url: str, tmp_path: Path, validator
) -> None:
    """One file per ISO 2022 term pydicom knows (written as tests/test_damage.py writes them): Patient's Name with
    its ideographic group escaped per component, read and checked as `dicomref validate` reads and checks it."""
    files = []
    for term, encoding in _terms().items():
        dataset = pydicom.dcmread(CT_SMALL)
        dataset.SpecificCharacterSet = ["", term] if term != "ISO 2022 IR 6" else term
        coded = _encoded(SAMPLES[encoding], encoding)
        dataset.add_new(0x00100010, "PN", b"Abc^Def=" + coded + b"^" + coded + b"=")
        path = tmp_path / f"{term.replace(' ', '_')}.dcm"
        dataset.save_as(path)
        files.append(path)
    opened = open_files(browser, site_url + urls.INSPECT, files)
    assert_same_findings(opened, validate_lines(files, validator))
    assert assert_values_are_pydicoms(opened) >= len(files) * 10
    names = [dict((tag, value) for tag, _, value in shown)["(0010,0010)"] for shown in opened.shown]
    assert names == [f"Abc^Def={SAMPLES[encoding]}^{SAMPLES[encoding]}=" for encoding in _terms().values()]


# ---- Hostile and huge files ---------------------------------------------------------------------------------------


def test_hostile_files_each_give_a_message_with_the_byte_offset(browser, site_url: str, tmp_path: Path) -> None:
    made = hostile_files(tmp_path)
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + urls.INSPECT)
    page.set_input_files("#inspect-files", [str(p) for p in made.values()])
    page.wait_for_function("window.dicomrefInspect && window.dicomrefInspect.done >= 1", timeout=60_000)
    messages = page.eval_on_selector_all(
        "article.inspect-file", "articles => articles.map(a => (a.querySelector('.inspect-error') || {}).textContent)"
    )
    elements = page.eval_on_selector_all(
        "article.inspect-file", "articles => articles.map(a => a.querySelectorAll('.el').length)"
    )
    reports = page.evaluate("window.dicomrefInspect.reports")
    # Still responsive: a filter typed now is answered.
    page.fill("#filter-1", "x")
    page.wait_for_function("document.querySelector('#inspect-out .filter-status').textContent !== ''")
    context.close()
    by_name = dict(zip(made, zip(messages, elements, reports, strict=True), strict=True))
    for name, (message, _, report) in by_name.items():
        print(f"\n{name}: {message}")
        assert message and "Reading stopped at byte " in message, name
        assert report["problem"] and report["findings"] == [], name
    # What was read before the damage is shown.
    for name in ("truncated-in-pixel-data.dcm", "length-past-the-end.dcm", "huge-length.dcm", "deep-nesting.dcm"):
        assert by_name[name][1] > 10, name
    assert "nested more than" in by_name["deep-nesting.dcm"][0]
    assert "not DICOM" in by_name["not-dicom.txt"][0]
    assert "does not inflate" in by_name["deflated-noise.dcm"][0]


def test_mutated_files_each_end_in_a_report(browser, site_url: str, tmp_path: Path) -> None:
    """Real files damaged at random (seeded): no script error, and each file is checked or stopped with a message."""
    files = mutated_files(tmp_path, 80)
    opened = open_files(browser, site_url + urls.INSPECT, files)
    assert opened.errors == []
    assert len(opened.reports) == len(files)
    for report in opened.reports:
        assert (report["iod"] is None) == bool(report["problem"]), report
        assert "the checks failed" not in (report["problem"] or ""), report
    print(f"\n{sum(r['iod'] is not None for r in opened.reports)} of {len(files)} mutated files checked")


def _open_gib(browser, site_url: str, path: Path) -> tuple[float, dict]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + urls.INSPECT)
    started = time.monotonic()
    page.set_input_files("#inspect-files", str(path))
    page.wait_for_function("window.dicomrefInspect && window.dicomrefInspect.done >= 1", timeout=60_000)
    seconds = time.monotonic() - started
    report = page.evaluate("window.dicomrefInspect.reports[0]")
    context.close()
    return seconds, report


@pytest.fixture(scope="module")
def gib_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sparse_gib_file(tmp_path_factory.mktemp("gib") / "one-gib.dcm")


def test_a_gib_file_is_read_up_to_its_pixel_data(browser, site_url: str, gib_file: Path, validator) -> None:
    seconds, report = _open_gib(browser, site_url, gib_file)
    print(f"\n1 GiB file opened and checked in {seconds:.2f} s")
    (expected,) = validate_lines([gib_file], validator)
    assert report == expected
    assert report["iod"] == "ct-image"


@pytest.mark.long
def test_a_gib_file_opens_in_under_two_seconds(browser, site_url: str, gib_file: Path) -> None:
    seconds, _ = _open_gib(browser, site_url, gib_file)
    print(f"\n1 GiB file opened and checked in {seconds:.2f} s")
    assert seconds < 2


# ---- The page itself ----------------------------------------------------------------------------------------------


@pytest.fixture
def one_file(browser, site_url: str):
    """The page with rtplan.dcm (sequences, findings inside items) opened."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(site_url + urls.INSPECT)
    page.set_input_files("#inspect-files", get_testdata_file("rtplan.dcm"))
    page.wait_for_function("window.dicomrefInspect && window.dicomrefInspect.done >= 1")
    yield page
    context.close()


def test_save_report_writes_the_validate_line(one_file, validator, tmp_path: Path) -> None:
    with one_file.expect_download() as download:
        one_file.click("text=Save report")
    saved = tmp_path / "report.json"
    download.value.save_as(saved)
    (expected,) = validate_lines([Path(get_testdata_file("rtplan.dcm"))], validator)
    text = saved.read_text(encoding="utf-8")
    assert json.loads(text) == expected
    assert text == json.dumps(expected, sort_keys=True, ensure_ascii=False) + "\n"


def test_each_finding_is_beside_its_element(one_file) -> None:
    """rtplan.dcm: the file meta's instance UID differs from the dataset's, beside (0002,0003) once; an attribute
    retired two sequences deep, beside it once its items are open."""
    page = one_file
    beside = """() => Array.from(document.querySelectorAll('li.el.has-findings')).map(li =>
      [li.querySelector('.el-tag').textContent, li.querySelector(':scope > .el-findings').textContent])"""
    found = dict(page.evaluate(beside))
    assert found["(0002,0003)"].count("in the file meta differs from SOP Instance UID (0008,0018)") == 1
    # Conditions not evaluated inside the Beam Sequence's items are beside the sequence.
    assert found["(300A,00B0)"].count("Beam Sequence (300A,00B0) > High-Dose Technique Type (300A,00C7) absent") == 1
    assert "is retired" not in "".join(found.values())
    for tag in ("(300A,0070)", "(300C,0004)"):
        sequence = page.locator(f"li.el.seq:has(> .el-line > button.fold:text-is('{tag}'))")
        sequence.locator(":scope > .el-line > button.fold").click()
        sequence.locator(":scope > ol.items > li.item > .item-fold").first.click()
    retired = [text for _, text in page.evaluate(beside) if "is retired" in text]
    assert len(retired) == 1 and retired[0].count("is retired") == 1


def test_keyboard_opens_sequences_and_filters(one_file) -> None:
    page = one_file
    page.focus(".seq .fold")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.seq .fold').getAttribute('aria-expanded') === 'true'")
    for _ in range(3):  # past the attribute's link, to the first item's button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.item-fold')"):
            break
    page.keyboard.press(" ")
    page.wait_for_function("document.querySelector('.item-fold').getAttribute('aria-expanded') === 'true'")
    assert page.locator(".item .el").count() > 3
    page.focus("#filter-1")
    page.keyboard.type("300a00b0")
    page.wait_for_function("document.querySelector('.matches').children.length > 0")
    assert "Beam Sequence" in page.text_content(".matches")
    # The names found link to their attribute pages.
    links = page.eval_on_selector_all(".matches a", "links => links.map(a => a.getAttribute('href'))")
    assert links and all(link.startswith("../attributes/") for link in links)


def test_without_javascript_the_page_says_it_needs_it(browser, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + urls.INSPECT)
    text = page.inner_text("main")
    hidden = page.is_hidden("#inspect")
    context.close()
    assert "needs JavaScript" in text or "JavaScript, which is off" in text
    assert hidden


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_and_the_phone_layout_with_a_file_open(browser, site_url: str, width: int) -> None:
    if not AXE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{AXE} missing: run `make node_modules/.package-lock.json` (npm ci)")
        pytest.skip("axe-core not installed (npm ci)")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(site_url + urls.INSPECT)
    page.set_input_files("#inspect-files", [str(CT_SMALL), get_testdata_file("rtplan.dcm")])
    page.wait_for_function("window.dicomrefInspect && window.dicomrefInspect.done >= 1")
    page.click(".seq .fold")
    page.click(".item-fold")
    page.click(".finding-summary .fold")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    width_seen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    context.close()
    found = [(v["impact"], v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in results["violations"]]
    print(f"\naxe inspect {width}px: {found}; page {width_seen}")
    assert [f for f in found if f[0] in ("serious", "critical")] == []
    assert width_seen[0] <= width_seen[1]
