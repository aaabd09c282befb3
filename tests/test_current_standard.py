"""The model against highdicom's installed tables, the pages they give, and the addresses of the 2020 site."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from dicomref.standard import Standard
from dicomref.standard.current import packaged_current_dir

OLD_PATHS = Path(__file__).parent / "data" / "site-paths-2020.txt"
_REFRESH = re.compile(r"url=(\S+)")


def _installed(table: str) -> dict:
    return json.loads((packaged_current_dir() / f"{table}.json").read_text())


def test_the_model_holds_the_installed_tables_exactly(standard: Standard) -> None:
    keyword = {e.tag: e.keyword for e in standard.dictionary}
    want_usage = {
        (iod, row["key"], row["usage"], row["ie"]) for iod, rows in _installed("iod_module_map").items() for row in rows
    }
    have_usage = {
        (iod.id, m.module_id, m.usage, m.information_entity) for iod in standard.iods.values() for m in iod.modules
    }
    want_rows = [
        (module, tuple(row["path"]), row["keyword"], "" if row["type"] == "None" else row["type"])
        for module, rows in sorted(_installed("module_attribute_map").items())
        for row in rows
    ]
    have_rows = [
        (module.id, tuple(keyword[t] for t in a.path), keyword[a.tag], a.type)
        for module in standard.modules.values()
        for a in module.attributes
    ]
    assert len(standard.iods) == 175 and len(standard.modules) == 436
    assert want_usage ^ have_usage == set()
    assert want_rows == have_rows and len(have_rows) == 99_740
    sop_classes = {s.uid: iod.id for iod in standard.iods.values() for s in iod.sop_classes}
    assert sop_classes == _installed("sop_class_iod_map")


def test_prose_joins_where_the_row_still_matches(standard: Standard) -> None:
    rows = [a for m in standard.modules.values() for a in m.attributes]
    assert sum(not a.described for a in rows) < len(rows) * 0.05
    patient_name = next(a for a in standard.modules["patient"].attributes if a.tag == "00100010" and not a.path)
    assert patient_name.described and "Patient's full name" in patient_name.description.text
    new = standard.modules["photoacoustic-image"]
    assert new.name == "Photoacoustic Image" and "not in the installed sources" in new.description.text


def test_what_changed_since_2020(standard: Standard) -> None:
    changes = standard.changes
    renamed = {r.old.id: r.new.id for r in changes.renamed_iods}
    assert renamed["cr-image"] == "computed-radiography-image" and len(renamed) == 10
    assert {"photoacoustic-image", "height-map-segmentation"} <= {n.id for n in changes.new_iods}
    assert "general-acquisition" in {n.id for n in changes.new_modules}
    content_creator = {(c.module_id, c.old, c.new) for c in changes.by_tag["00700084"] if not c.path}
    assert ("presentation-state-identification", "2", "3") in content_creator
    assert (
        next(a.type for a in standard.modules["presentation-state-identification"].attributes if a.tag == "00700084")
        == "3"
    )


def test_pages_of_the_current_iods_and_modules(default_build) -> None:
    site = default_build.site
    assert len(list((site / "iods").glob("*/index.html"))) >= 175
    for iod in ("photoacoustic-image", "height-map-segmentation"):
        assert (site / "iods" / iod / "index.html").is_file()
        assert json.loads((site / "api" / "iods" / f"{iod}.json").read_text())["modules"]
    module = json.loads((site / "api/modules/presentation-state-identification.json").read_text())
    assert next(r["type"] for r in module["rows"] if r["tag"] == "00700084") == "3"
    assert {"module": "presentation-state-identification", "path": [], "old": "2", "new": "3"}.items() <= (
        module["type_changes"][0].items()
    )
    page = BeautifulSoup((site / "attributes/00700084/index.html").read_text(), "html.parser")
    notes = [" ".join(li.get_text().split()) for li in page.select(".type-changes li")]
    assert "Presentation State Identification: Type 2 → 3" in notes
    changes = (site / "changes/index.html").read_text()
    assert "Presentation State Identification" in changes and "Computed Radiography Image" in changes


def test_every_address_of_the_2020_site_still_answers(default_build) -> None:
    site = default_build.site
    redirected = 0
    for line in OLD_PATHS.read_text().splitlines():
        page = site / line / "index.html"
        assert page.is_file(), line
        text = page.read_text()
        if 'http-equiv="refresh"' not in text:
            continue
        redirected += 1
        soup = BeautifulSoup(text, "html.parser")
        target = _REFRESH.search(soup.find("meta", attrs={"http-equiv": "refresh"})["content"]).group(1)
        assert soup.find("link", rel="canonical")["href"].startswith("http")
        assert soup.find("a", href=target) is not None
        assert (page.parent / target.split("#")[0]).resolve().is_file(), line
    assert redirected == 15
