"""A failed or killed site build leaves the previous site in place, and the next build finishes it whole."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from dicomref.site import build_site
from tests.conftest import SmallBuild


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _previous_site(folder: Path) -> Path:
    out = folder / "site"
    (out / "old").mkdir(parents=True)
    (out / "index.html").write_text("the previous good site")
    (out / "old" / "index.html").write_text("a page of the previous good site")
    return out


def _breaks_rendering(aggregate: dict) -> dict:
    """An example without its count: the model raises while the attribute pages are being rendered."""
    aggregate["attributes"]["00180050"]["examples"][0].pop("count")
    return aggregate


def test_a_build_that_fails_while_rendering_keeps_the_previous_site(small: SmallBuild, tmp_path: Path) -> None:
    out = _previous_site(tmp_path)
    before = _digest(out)
    with pytest.raises(DicomrefError, match="malformed"):
        build_site(_breaks_rendering(load_aggregate(small.aggregate)), small.standard, out)
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_swap_cut_short_is_undone_by_the_next_build(small: SmallBuild, tmp_path: Path) -> None:
    """Killed between the two renames of the swap, the last good site waits as .site.old; the next run puts it back."""
    previous = _previous_site(tmp_path)
    before = _digest(previous)
    previous.rename(tmp_path / ".site.old")
    with pytest.raises(DicomrefError):
        build_site(_breaks_rendering(load_aggregate(small.aggregate)), small.standard, tmp_path / "site")
    assert _digest(tmp_path / "site") == before
    assert not (tmp_path / ".site.old").exists()


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rebuild_links_the_files_that_come_out_the_same_and_writes_the_others(
    small: SmallBuild, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    shutil.copytree(small.site, out)
    (out / "index.html").write_text("edited in place since")
    before = _inodes(out)
    build_site(load_aggregate(small.aggregate), small.standard, out)
    after = _inodes(out)
    assert _digest(out) == _digest(small.site)
    assert {path for path in after if after[path] != before.get(path)} == {"index.html"}
    assert all(p.stat().st_nlink == 1 for p in out.rglob("*") if p.is_file())  # the replaced site is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_failed_rebuild_leaves_the_files_it_linked_whole(small: SmallBuild, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(small.site, out)
    before = _digest(out)
    with pytest.raises(DicomrefError, match="malformed"):
        build_site(_breaks_rendering(load_aggregate(small.aggregate)), small.standard, out, jobs=1)
    assert _digest(out) == before
    assert all(p.stat().st_nlink == 1 for p in out.rglob("*") if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
