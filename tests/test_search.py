"""Search through the library, the CLI and `serve`'s /api/search, over the default build's aggregate.

CASES is the one table of queries: tests/test_search_browser.py runs the same table in Chromium.
A result is named by its tag when it is an attribute, else by kind and id: 'iod:ct-image'.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dicomref.cli import app
from dicomref.formats.aggregate import examples_by_tag, load_aggregate, write_aggregate
from dicomref.search import (
    INDEX_DIR,
    SearchResult,
    Tier,
    current_index,
    ensure_index,
    index_beside,
    parse_query,
    parse_tag,
    search,
    search_documents,
)
from dicomref.site.search_index import INDEX_FILE, keyword_from_name, search_index_script
from dicomref.site.serve import make_server
from dicomref.standard import Standard
from dicomref.urls import FOLDERS
from tests.conftest import Build

SITE_INDEX_BUDGET = 400 * 1024


@dataclass(frozen=True)
class Case:
    query: str
    first: str | None = None  # this result ranks first
    top3: str | None = None  # this result is among the first three
    nothing: bool = False  # the query matches nothing
    vr: str | None = None  # every result is an attribute with this VR
    above: tuple[str, str] | None = None  # the first ranks above the second, which is found too


# Slice Thickness as a JSON search result, but for its score.
SLICE_THICKNESS = {
    "kind": "attribute",
    "id": "00180050",
    "what": "Attribute",
    "name": "Slice Thickness",
    "url": "attributes/00180050/",
    "tag": "00180050",
    "keyword": "SliceThickness",
    "vr": "DS",
    "retired": False,
}


def result_key(kind: str, id: str) -> str:
    """How the table names a result: the tag of an attribute, 'kind:id' for the rest."""
    return id if kind == "attribute" else f"{kind}:{id}"


HOSTILE = [
    "",
    " ",
    "   \t ",
    "(",
    ")",
    "\\",
    '"',
    "'",
    "*",
    ".*+?^${}()|[]\\",
    "[a-z]+(?=x)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%s%n%x",
    "a" * 1000,
    "0010," * 200,
    "vr:",
    "module:",
    "0x",
    "é中😀",
    "AND OR NOT",
    "name:foo tag:(",
]

CASES = [
    # Tags, whole or partial, in every common notation
    Case("(0010,0010)", first="00100010"),
    Case("0010,0010", first="00100010"),
    Case("00100010", first="00100010"),
    Case("0010 0010", first="00100010"),
    Case("0x00100010", first="00100010"),
    Case("(0018, 0050)", first="00180050"),
    Case("0008,1115", first="00081115"),
    Case("0010", first="00100010"),
    Case("0008,11", first="00081110"),
    Case("6000,0010", first="60xx0010"),
    Case("60xx,0010", first="60xx0010"),
    Case("(7FE0,0010)", first="7FE00010"),
    # Keywords, whole or partial, any case
    Case("PatientName", first="00100010"),
    Case("patientname", first="00100010"),
    Case("patientna", first="00100010"),
    Case("SliceThick", first="00180050"),
    Case("SOPInstanceUID", first="00080018"),
    Case("modality", first="00080060"),
    Case("date", first="00080020", above=("00080020", "0040A121")),  # Study Date before the SR content item's Date
    Case("Series", top3="00200011"),
    Case("series desc", top3="0008103E"),
    # Words of the name, typos tolerated
    Case("slice thickness", first="00180050"),
    Case("body", top3="00180015"),
    Case("body part", top3="00180015"),
    Case("rt related", top3="30060030"),
    Case("rt related roi", top3="30060030"),
    Case("thikness", top3="00180050"),
    Case("pixle spacing", top3="00280030"),
    Case("spacing slices", top3="00180088"),
    Case("patient's name", top3="00100010"),
    Case("photometric", top3="00280004"),
    Case("sop class", top3="00080016"),
    # Description text and example values
    Case("table surface", top3="00181460"),
    Case("kilo voltage", top3="00180060"),
    Case("MONOCHROME2", first="00280004", above=("00280004", "00289099")),  # the value, not the retired name
    Case("b value", first="00189087", above=("00189087", "22000005")),  # Diffusion b-value before Barcode Value
    # SOP Class UID and SOP Instance UID are both required by every IOD: tag order decides between them
    Case("UID", first="00080016", top3="00080018", above=("00080018", "0040A124")),
    Case("HFS", top3="00185100"),
    Case("ISO_IR 100", top3="00080005"),
    # Filters
    Case("date vr:DA", first="00080020", vr="DA"),
    Case("vr:DA", top3="00080020", vr="DA"),
    Case("vr:PN patient", top3="00100010", vr="PN"),
    Case("length to end retired:yes", first="00080001"),
    Case("name module:patient", top3="00100010"),
    Case("module:general-series series", top3="00200011"),
    Case("vr:ZZ", nothing=True),
    Case("retired:maybe", nothing=True),
    # Modules, macros, IODs and UIDs
    Case("CT Image", first="iod:ct-image", top3="module:ct-image"),
    Case("General Series", first="module:general-series"),
    Case("Enhanced MR Image Storage", first="uid:1.2.840.10008.5.1.4.1.1.4.1"),
    Case(
        "1.2.840.10008.1.2.4.50", first="uid:1.2.840.10008.1.2.4.50", above=("uid:1.2.840.10008.1.2.4.50", "00020010")
    ),
    Case("1.2.840.10008.1.2.4.", first="uid:1.2.840.10008.1.2.4.50"),  # the start of a UID, in numeric order
    Case("EnhancedMRImageStorage", first="uid:1.2.840.10008.5.1.4.1.1.4.1"),
    Case("pixel measures", first="macro:pixel-measures"),
    Case("series kind:module", first="module:general-series"),
    Case("jpeg baseline kind:uid", first="uid:1.2.840.10008.1.2.4.50"),
    Case("kind:iods ct", first="iod:ct-image"),
    Case("kind:nothing", nothing=True),
    # Input that must never break anything
    *(Case(text) for text in HOSTILE),
]


def check_case(case: Case, keys: list[str], vrs: list[str]) -> None:
    """The expectations of one case against its results (keys and VRs, best first; VRs empty but for attributes)."""
    if case.first:
        assert keys[:1] == [case.first], (case.query, keys[:5])
    if case.top3:
        assert case.top3 in keys[:3], (case.query, keys[:5])
    if case.nothing:
        assert keys == [], (case.query, keys[:5])
    if case.vr:
        assert keys and all(case.vr in vr.split() for vr in vrs), (case.query, vrs)
    if case.above:
        higher, lower = case.above
        assert higher in keys and lower in keys and keys.index(higher) < keys.index(lower), (case.query, keys[:5])


@pytest.fixture(scope="module")
def index(default_build: Build, standard: Standard):
    """The Whoosh index beside the default build's aggregate, as `dicomref site` leaves it."""
    return index_beside(default_build.aggregate, standard=standard)


def test_the_table_covers_every_form() -> None:
    queries = [case.query for case in CASES]
    assert len(CASES) >= 40
    for required in [
        "0010",
        "0008,1115",
        "body",
        "rt related",
        "Series",
        "date",
        "",
        " ",
        "(",
        "\\",
        '"',
        "*",
        "<script>alert(1)</script>",
        "a" * 1000,
    ]:
        assert required in queries


@pytest.mark.parametrize("case", CASES, ids=[repr(c.query[:24]) for c in CASES])
def test_library(index, case: Case) -> None:
    results = search(index, case.query, limit=None)
    check_case(case, [result_key(r.kind, r.id) for r in results], [r.vr for r in results])
    assert [r.tier for r in results] == sorted((r.tier for r in results), reverse=True)


def test_cli_runs_the_table(index, default_build: Build) -> None:
    runner = CliRunner()
    for case in CASES:
        result = runner.invoke(
            app, ["search", case.query, "--json", "--limit", "1000", "--aggregate", str(default_build.aggregate)]
        )
        assert result.exit_code == 0, (case.query, result.output)
        rows = json.loads(result.stdout)
        common = {"kind", "id", "what", "name", "url", "retired", "score"}
        for row in rows:
            extra = {"attribute": {"tag", "keyword", "vr"}, "uid": {"keyword"}}.get(row["kind"], set())
            assert set(row) == common | extra, row
        check_case(case, [result_key(row["kind"], row["id"]) for row in rows], [row.get("vr", "") for row in rows])


def test_slice_thickness_json_first(index, default_build: Build) -> None:
    result = CliRunner().invoke(
        app, ["search", "slice thickness", "--json", "--aggregate", str(default_build.aggregate)]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0] == {**SLICE_THICKNESS, "score": rows[0]["score"]}
    assert rows[0]["score"] > rows[1]["score"]


def test_cli_table_and_limit(index, default_build: Build) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["search", "0010", "--limit", "3", "--aggregate", str(default_build.aggregate)])
    assert result.exit_code == 0, result.output
    assert "(0010,0010)" in result.stdout and "Patient's Name" in result.stdout and "tag prefix" in result.stdout
    assert result.stdout.count("(0010,") == 3
    limited = runner.invoke(
        app, ["search", "date", "--json", "--limit", "2", "--aggregate", str(default_build.aggregate)]
    )
    assert len(json.loads(limited.stdout)) == 2
    nothing = runner.invoke(app, ["search", "vr:ZZ", "--aggregate", str(default_build.aggregate)])
    assert nothing.exit_code == 0 and "Nothing matches" in nothing.output
    assert runner.invoke(app, ["search", "date", "--limit", "0"]).exit_code != 0


def test_cli_kind_option(index, default_build: Build) -> None:
    runner = CliRunner()
    aggregate = ["--aggregate", str(default_build.aggregate)]
    table = runner.invoke(app, ["search", "jpeg baseline", "--kind", "uid", *aggregate])
    assert table.exit_code == 0, table.output
    assert "Transfer" in table.stdout and "JPEG Baseline" in table.stdout  # the table wraps long cells at 80 columns
    for kind in ["attribute", "module", "macro", "iod", "uid"]:
        rows = json.loads(
            runner.invoke(app, ["search", "image", "--kind", kind, "--json", "--limit", "50", *aggregate]).stdout
        )
        assert rows and {row["kind"] for row in rows} == {kind}, kind
        assert all(row["url"].startswith(FOLDERS[kind] + "/") for row in rows)
    wrong = runner.invoke(app, ["search", "image", "--kind", "table", *aggregate])
    assert wrong.exit_code == 2 and "table" in wrong.output


def test_ranking_tiers(index) -> None:
    def tiers(text: str) -> list[Tier]:
        return [r.tier for r in search(index, text, limit=None)]

    assert tiers("00180050")[0] == Tier.TAG
    assert tiers("SliceThickness")[0] == Tier.KEYWORD
    assert tiers("0018,00")[0] == Tier.TAG_PREFIX
    assert tiers("SliceThi")[0] == Tier.KEYWORD_PREFIX
    assert tiers("thickness slice")[0] == Tier.NAME
    assert tiers("thick slice")[0] == Tier.NAME_PARTIAL
    assert tiers("MONOCHROME2")[0] == Tier.VALUE
    assert tiers("table surface")[0] == Tier.DESCRIPTION
    assert tiers("1.2.840.10008.1.2.4.50")[0] == Tier.TAG and tiers("1.2.840.10008.1.2.4")[0] == Tier.TAG_PREFIX
    assert tiers("LightSpeed")[0] == Tier.ANYWHERE  # a word of a value seen (LightSpeed Ultra)
    assert tiers("zzyzx thickness")[0] == Tier.ANY_WORD  # nothing has every word: any word will do


def test_current_before_retired_within_a_tier(index) -> None:
    checked = 0
    for text in ["0008,00", "0028,01", "vr:US", "overlay", "retired:no", "command", "monochrome", "pixel value"]:
        results = search(index, text, limit=None)
        for before, after in zip(results, results[1:], strict=False):
            if before.tier == after.tier and before.retired != after.retired:
                assert not before.retired, (text, before, after)
                checked += 1
    assert checked > 0


def test_filters(index) -> None:
    assert all(r.retired for r in search(index, "retired:yes", limit=None))
    assert not any(r.retired for r in search(index, "overlay retired:no", limit=None))
    assert len(search(index, "vr:DA", limit=None)) == len(search(index, "VR:da", limit=None)) > 10
    in_series = {r.tag for r in search(index, "module:general-series", limit=None)}
    assert {"0020000E", "00080060", "00200011"} <= in_series and "00100010" not in in_series
    assert {r.tag for r in search(index, "module:general-ser", limit=None)} >= in_series  # the start of an id


# 150 inputs in `make test`; `make test-long` tries more (DICOMREF_FUZZ_EXAMPLES).
@pytest.mark.fuzz
@settings(
    max_examples=int(os.environ.get("DICOMREF_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(alphabet=st.characters(exclude_categories=[]), max_size=60)
    | st.from_regex(r"(vr|module|retired|kind):\S{0,8}( [0-9a-fx(),.]{0,12})?", fullmatch=True)
)
def test_any_input_is_a_query(index, text: str) -> None:
    results = search(index, text, limit=5)
    assert all(isinstance(r, SearchResult) for r in results)


def test_undecodable_command_line_bytes(index) -> None:
    assert parse_query("module:\udcff x") == parse_query("module: x")
    assert [r.tag for r in search(index, "slice\udcff thickness")][:1] == ["00180050"]


def test_parse_query() -> None:
    for text in ["(0010,0010)", "0010,0010", "00100010", "0010 0010", "0x00100010", "( 0010 , 0010 )", "0x0010,0x0010"]:
        assert parse_tag(text) == "00100010", text
    assert parse_tag("0008,11") == "000811"
    assert parse_tag("(0008,") == "0008"
    assert parse_tag("60XX,0010") == "60xx0010"
    assert parse_tag("face") is None and parse_tag("0010,0010,0010") is None
    query = parse_query("Slice  Thickness vr:ds retired:y module:Image-Plane")
    assert (query.words, query.compact, query.vr, query.retired, query.module) == (
        ("slice", "thickness"),
        "slicethickness",
        "DS",
        "yes",
        "image-plane",
    )
    assert parse_query("retired:n").retired == "no" and parse_query("retired:maybe").retired == "maybe"
    assert parse_query("vr:").empty and parse_query("").empty and parse_query("(").empty
    assert len(parse_query("a " * 1000).words) == 12


def test_index_rebuilt_when_the_aggregate_changes(tmp_path: Path, default_build: Build, standard: Standard) -> None:
    aggregate = tmp_path / "aggregate.json"
    data = load_aggregate(default_build.aggregate)
    write_aggregate(aggregate, data)
    first = index_beside(aggregate, standard=standard)
    assert (tmp_path / INDEX_DIR).is_dir() and current_index(aggregate) is not None
    assert search(first, "zebrastripe") == []
    data["attributes"].setdefault("00081030", {"examples": []}).setdefault("examples", []).append(
        {"value": "ZEBRASTRIPE"}
    )
    write_aggregate(aggregate, data)
    assert current_index(aggregate) is None
    rebuilt = index_beside(aggregate, standard=standard)
    assert [r.tag for r in search(rebuilt, "zebrastripe")] == ["00081030"]


def test_index_without_an_aggregate_uses_the_standard_alone(tmp_path: Path, standard: Standard) -> None:
    index = index_beside(tmp_path / "missing" / "aggregate.json", standard=standard)
    assert search(index, "slice thickness")[0].tag == "00180050"
    assert search(index, "LightSpeed") == []  # no values seen in files are known


def test_unwritable_data_folder_falls_back_to_memory(tmp_path: Path, standard: Standard) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    index = ensure_index(blocker / INDEX_DIR, "stamp", lambda: search_documents(standard))
    assert search(index, "0008,1115")[0].tag == "00081115"


def test_serve_answers_search(default_build: Build, index) -> None:
    server = make_server(default_build.site, 0, index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def get(path: str) -> tuple[int, str, bytes]:
        with urllib.request.urlopen(base + path) as response:
            return response.status, response.headers["Content-Type"], response.read()

    try:
        status, kind, body = get("/api/search?q=" + urllib.parse.quote("slice thickness"))
        assert status == 200 and kind.startswith("application/json")
        rows = json.loads(body)
        assert rows[0]["tag"] == "00180050" and rows[0]["url"] == "attributes/00180050/"
        assert len(json.loads(get("/api/search?q=date&limit=3")[2])) == 3
        modules = json.loads(get("/api/search?q=series&kind=module&limit=100")[2])
        assert modules[0]["id"] == "general-series" and {row["kind"] for row in modules} == {"module"}
        with pytest.raises(urllib.error.HTTPError) as refused:
            get("/api/search?q=series&kind=table")
        assert refused.value.code == 400
        assert len(json.loads(get("/api/search?q=date&limit=many")[2])) == 10
        for text in HOSTILE:
            status, _, body = get("/api/search?q=" + urllib.parse.quote(text))
            assert status == 200 and isinstance(json.loads(body), list)
        assert json.loads(get("/api/search")[2]) == []
        assert b"<html" in get("/index.html")[2]
    finally:
        server.shutdown()
        server.server_close()


def test_result_json_shape() -> None:
    result = SearchResult(
        "attribute", "00180050", "Slice Thickness", "Attribute", "SliceThickness", "DS", False, Tier.KEYWORD, 50.0
    )
    assert result.as_json() == {**SLICE_THICKNESS, "score": 850.0}
    uid = SearchResult(
        "uid",
        "1.2.840.10008.1.2",
        "Implicit VR Little Endian",
        "Transfer Syntax",
        "ImplicitVRLittleEndian",
        "",
        False,
        Tier.TAG,
        51.0,
    )
    assert uid.as_json()["url"] == "uids/1.2.840.10008.1.2/" and "tag" not in uid.as_json() and uid.match == "UID"


def test_site_index_size_and_contents(default_build: Build, standard: Standard) -> None:
    script = (default_build.site / INDEX_FILE).read_bytes()
    print(f"\nsite search index: {len(script):,} bytes for {len(search_documents(standard)):,} documents")
    assert len(script) <= SITE_INDEX_BUDGET
    assert b"<" not in script  # nothing in it can close the script element
    aggregate = load_aggregate(default_build.aggregate)
    assert script.decode("utf-8") == search_index_script(standard, aggregate)  # deterministic
    text = script.decode("utf-8")
    index = json.loads(text[text.index("=") + 1 : text.rindex(";")])
    assert len(index["rows"].split(";")) == len(standard.dictionary)
    others = Counter(document.kind for document in search_documents(standard) if document.kind != "attribute")
    assert len(index["others"].split(";")) == sum(others.values())
    assert others["module"] == len(standard.modules) and others["iod"] == len(standard.iods) and others["uid"] > 300
    with_examples = [n for n, d in enumerate(search_documents(standard, examples_by_tag(aggregate))) if d.examples]
    assert [row[0] for row in index["examples"]] == with_examples and with_examples


def test_keyword_from_name() -> None:
    assert keyword_from_name("Patient's Name") == "PatientName"
    assert keyword_from_name("RT Related ROI Sequence") == "RTRelatedROISequence"
    assert keyword_from_name("X-Ray Tube Current") == "XRayTubeCurrent"
