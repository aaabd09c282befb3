"""The link check: zero broken links over the whole default build, and each kind of breakage caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from dicomref.site import build_site
from dicomref.site.linkcheck import check_links
from tests.conftest import Build, SmallBuild


def test_the_default_build_has_no_broken_link(default_build: Build) -> None:
    report = check_links(default_build.site)
    print(
        f"\nlink check: {report.pages:,} pages, {report.links:,} internal links, {report.anchors:,} to anchors, "
        f"{report.external:,} external, {len(report.broken)} broken"
    )
    assert report.broken == ()
    assert report.pages == len(list(default_build.site.rglob("*.html")))
    assert report.links > 40 * report.pages and report.anchors > 10_000


def _page(site: Path, path: str, body: str, head: str = "") -> None:
    (site / path).parent.mkdir(parents=True, exist_ok=True)
    (site / path).write_text(f"<!doctype html><html><head>{head}</head><body>{body}</body></html>", encoding="utf-8")


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    _page(
        site,
        "index.html",
        '<main id="top"><a href="a/index.html#here">a</a><a href="#top">self</a>'
        '<a href="https://example.org/x">out</a><img src="data:,"></main>',
    )
    _page(
        site,
        "a/index.html",
        '<p id="here">x</p><a href="../index.html">home</a><a href="../style.css">css</a>'
        '<svg><a href="../index.html#top"><text>t</text></a></svg>',
    )
    (site / "style.css").write_text("")
    return site


def test_a_correct_site_passes(small_site: Path) -> None:
    report = check_links(small_site)
    assert report.broken == ()
    assert (report.pages, report.links, report.anchors, report.external) == (2, 5, 3, 2)


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("missing.html", "no such file"),
        ("a/index.html#nowhere", "no #nowhere in a/index.html"),
        ("#nowhere", "no #nowhere in index.html"),
        ("a/", "links to a folder"),
        ("a", "links to a folder"),
        ("/a/index.html", "absolute path"),
        ("../outside.html", "leaves the site"),
        ("javascript:alert(1)", "javascript: links are not allowed"),
        ("style.css#x", "anchor into a file that is not a page"),
    ],
)
def test_each_kind_of_broken_link_is_reported(small_site: Path, link: str, reason: str) -> None:
    _page(small_site, "index.html", f'<main id="top"><a href="{link}">x</a></main>')
    report = check_links(small_site)
    assert [(b.page, b.link) for b in report.broken] == [("index.html", link)]
    assert reason in report.broken[0].reason


def test_a_page_with_a_base_resolves_from_the_site_root(small_site: Path) -> None:
    _page(
        small_site,
        "404.html",
        '<a href="a/index.html#here">a</a>',
        head='<base href="/dicomref/"><link rel="stylesheet" href="style.css">',
    )
    assert check_links(small_site, base_path="/dicomref/").broken == ()
    wrong = check_links(small_site, base_path="/")
    assert [b.link for b in wrong.broken] == ["/dicomref/"]


def test_checking_in_parallel_finds_the_same(small_site: Path) -> None:
    for number in range(250):
        _page(
            small_site,
            f"many/{number}/index.html",
            f'<a href="../../index.html#top">home</a><a href="../{number + 1}/index.html">next</a>',
        )
    serial, parallel = check_links(small_site, jobs=1), check_links(small_site, jobs=2)
    assert serial == parallel
    assert [b.link for b in parallel.broken] == ["../250/index.html"]


def test_a_build_with_check_keeps_the_previous_site_on_a_broken_link(
    small: SmallBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dicomref.site.build as build

    out = tmp_path / "site"
    (out / "keep").mkdir(parents=True)
    (out / "keep" / "index.html").write_text("previous")
    monkeypatch.setattr(build, "NAV", (*build.NAV, ("gone", "Gone", "gone/index.html")))
    with pytest.raises(DicomrefError, match="broken links"):
        build_site(load_aggregate(small.aggregate), small.standard, out, check=True)
    assert (out / "keep" / "index.html").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
