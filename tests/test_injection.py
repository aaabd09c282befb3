"""Script planted in real DICOM files never runs on the site and never reaches a built file unescaped.

The payloads go into several real attributes (one nested in a code sequence), the file name and the
dataset name, and are published with identifying-value withholding switched off.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomref.aggregate import AggregateOptions
from dicomref.formats.aggregate import load_aggregate
from dicomref.scrape import ScrapeInput
from dicomref.standard import Standard
from tests.conftest import Build, run_pipeline, serve_under

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
CLOSE = "</script><script>alert(1)</script>"
LINK = "javascript:alert(1)"
PAYLOADS = (SCRIPT, IMAGE, CLOSE, LINK)
DATASET = "hostile <script>alert(1)</script>"

# Where each payload is planted: attribute keyword -> value.
PLANTED = {
    "StudyDescription": SCRIPT,
    "SeriesDescription": IMAGE,
    "Manufacturer": CLOSE,
    "ImageComments": LINK,
    "InstitutionName": IMAGE,
    "PatientName": CLOSE,
}
CODE_MEANING = SCRIPT
PAGES_WITH_VALUES = {
    "00081030": SCRIPT,  # StudyDescription
    "0008103E": IMAGE,  # SeriesDescription
    "00080070": CLOSE,  # Manufacturer
    "00204000": LINK,  # ImageComments
    "00080104": CODE_MEANING,  # Code Meaning, nested in Procedure Code Sequence
}


def _hostile_copy(source: str, folder: Path, name: str, series_uid: str) -> None:
    dataset = pydicom.dcmread(get_testdata_file(source))
    for keyword, value in PLANTED.items():
        setattr(dataset, keyword, value)
    code = Dataset()
    code.CodeValue = "X1"
    code.CodingSchemeDesignator = "99HOSTILE"
    code.CodeMeaning = CODE_MEANING
    dataset.ProcedureCodeSequence = Sequence([code])
    dataset.SeriesInstanceUID = series_uid
    folder.mkdir(parents=True, exist_ok=True)
    dataset.save_as(folder / name)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory, small_standard: Standard) -> Build:
    root = tmp_path_factory.mktemp("hostile")
    data = root / "dataset"
    _hostile_copy("CT_small.dcm", data, IMAGE + ".dcm", "1.2.826.0.1.3680043.2.1125.1.1")
    _hostile_copy("MR_small.dcm", data / "mr", "plain.dcm", "1.2.826.0.1.3680043.2.1125.1.2")
    return run_pipeline([ScrapeInput(DATASET, data)], root, small_standard, AggregateOptions(include_identifying=True))


def test_the_payloads_were_published(hostile_build: Build) -> None:
    """Guard against a vacuous pass: the values reached the aggregate unwithheld, and the pages show them as text."""
    attributes = load_aggregate(hostile_build.aggregate)["attributes"]
    for tag, payload in PAGES_WITH_VALUES.items():
        assert payload in [e["value"] for e in attributes[tag]["examples"]], tag
        html = (hostile_build.site / "attributes" / tag / "index.html").read_text(encoding="utf-8")
        assert _escaped(payload) in html, tag


def _escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )


RAW = [re.compile(re.escape(p.encode())) for p in ("<script>alert(1)", "<img src=x", "</script><script>")]
SCRIPT_URL = re.compile(rb"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_no_built_file_holds_a_payload_unescaped(hostile_build: Build) -> None:
    files = [p for p in hostile_build.site.rglob("*") if p.is_file()]
    offending = []
    for path in files:
        data = path.read_bytes()
        if any(pattern.search(data) for pattern in RAW) or SCRIPT_URL.search(data):
            offending.append(path.relative_to(hostile_build.site).as_posix())
    assert offending == []
    api = (hostile_build.site / "api" / "attributes" / "00081030.json").read_text()
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in api


@pytest.mark.browser
def test_no_dialog_opens_in_chromium(hostile_build: Build, browser, tmp_path: Path) -> None:
    server, url = serve_under(tmp_path, "dicomref", hostile_build.site)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        for tag, payload in PAGES_WITH_VALUES.items():
            page.goto(f"{url}attributes/{tag}/index.html")
            assert payload in page.locator("table.examples").inner_text()
        for path in [
            "index.html",
            "coverage/index.html",
            "about/index.html",
            "modules/general-study/index.html",
            "modules/general-series/index.html",
            "modules/general-equipment/index.html",
        ]:
            page.goto(url + path)
            page.wait_for_load_state("load")
        page.goto(url + "coverage/index.html")
        assert DATASET in page.locator("main").inner_text()
        for payload in PAYLOADS:
            page.fill("#q", payload)
            page.wait_for_load_state("networkidle")
            page.keyboard.press("ArrowDown")
            page.goto(f"{url}index.html?q={quote(payload)}")
            page.wait_for_load_state("networkidle")
            page.goto(f"{url}search/index.html?q={quote(payload)}")  # the results page shows the values matched
            page.wait_for_load_state("networkidle")
        page.goto(f"{url}api/attributes/00081030.json")
        assert dialogs == []
    finally:
        page.close()
        server.shutdown()
