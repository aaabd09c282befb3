"""A failed or killed site build leaves the previous site in place, and the next build finishes it whole."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dicomref.errors import DicomrefError
from dicomref.site import build_site, load_aggregate
from dicomref.standard import Standard
from tests.conftest import REPO, Build


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


def test_a_build_killed_midway_leaves_the_previous_site(
    default_build: Build, standard: Standard, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    shutil.copytree(default_build.site, out)
    (out / "index.html").write_text("the previous good site")
    before = _digest(out)
    building = tmp_path / ".site.building"
    command = [sys.executable, "-m", "dicomref", "site", "--aggregate", str(default_build.aggregate), "--out", str(out)]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "100"}
    )
    deadline = time.monotonic() + 600
    while not (building / "modules").is_dir() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(
            0.02
        )  # module pages come after the listings and IODs: once their folder exists the build is well under way
    assert process.poll() is None, "the build ended before it could be killed midway"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert building.is_dir() and (building / "index.html").is_file() and not (building / "sitemap.xml").exists()
    assert _digest(out) == before

    build_site(load_aggregate(default_build.aggregate), standard, out)
    assert not building.exists()
    assert _digest(out) == _digest(default_build.site)


def test_a_build_that_fails_while_rendering_keeps_the_previous_site(
    default_build: Build, standard: Standard, tmp_path: Path
) -> None:
    out = _previous_site(tmp_path)
    before = _digest(out)
    with pytest.raises(DicomrefError, match="malformed"):
        build_site(_breaks_rendering(load_aggregate(default_build.aggregate)), standard, out)
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_swap_cut_short_is_undone_by_the_next_build(default_build: Build, standard: Standard, tmp_path: Path) -> None:
    """Killed between the two renames of the swap, the last good site waits as .site.old; the next run puts it back."""
    previous = _previous_site(tmp_path)
    before = _digest(previous)
    previous.rename(tmp_path / ".site.old")
    with pytest.raises(DicomrefError):
        build_site(_breaks_rendering(load_aggregate(default_build.aggregate)), standard, tmp_path / "site")
    assert _digest(tmp_path / "site") == before
    assert not (tmp_path / ".site.old").exists()
