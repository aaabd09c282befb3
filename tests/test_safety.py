"""Whole-pipeline guarantees: reproducible builds, and killed runs that leave the last good output."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, Build, SmallBuild, manifest_inputs, manifest_options, run_pipeline
from tests.interrupt import kill_at


def _tree_digest(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _tree_differences(left: Path, right: Path) -> list[str]:
    """Relative paths that differ in content or exist on one side only."""
    differences = []
    left_files = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    right_files = {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    differences += sorted(str(p) for p in left_files ^ right_files)
    for relative in sorted(left_files & right_files):
        if not filecmp.cmp(left / relative, right / relative, shallow=False):
            differences.append(str(relative))
    return differences


def test_two_builds_from_the_same_inputs_are_byte_identical(default_build: Build, standard, tmp_path: Path) -> None:
    again = run_pipeline(manifest_inputs(), tmp_path, standard, manifest_options())
    assert again.scraped.read_bytes() == default_build.scraped.read_bytes()
    assert again.unreadable.read_bytes() == default_build.unreadable.read_bytes()
    assert again.aggregate.read_bytes() == default_build.aggregate.read_bytes()
    assert _tree_differences(default_build.site, again.site) == []
    absolute = str(tmp_path).encode()
    assert [p for p in again.site.rglob("*") if p.is_file() and absolute in p.read_bytes()] == []


def test_generated_files_hold_no_absolute_paths(default_build: Build) -> None:
    home = str(Path.home())
    for path in [default_build.scraped, default_build.unreadable, default_build.aggregate]:
        text = path.read_text()
        assert str(REPO) not in text and str(default_build.site.parent) not in text and home + "/" not in text


def test_killed_aggregate_keeps_the_previous_output_and_a_rerun_matches(small: SmallBuild, tmp_path: Path) -> None:
    reference, out = tmp_path / "reference.json", tmp_path / "aggregate.json"
    command = [sys.executable, "-m", "dicomref", "aggregate", str(small.scraped), "--out"]
    subprocess.run([*command, str(reference)], cwd=REPO, check=True, capture_output=True)
    previous = b'{"schema": 1, "previous": true}\n'
    out.write_bytes(previous)
    kill_at([*command, str(out)], "replace:aggregate.json")  # the new output is written in full beside the old one
    assert out.read_bytes() == previous
    subprocess.run([*command, str(out)], cwd=REPO, check=True, capture_output=True)
    assert out.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize("point", ["site-page:20", "swap:site"])
def test_killed_site_build_keeps_the_previous_site_and_a_rerun_matches(
    point: str, small: SmallBuild, tmp_path: Path
) -> None:
    """Killed while writing pages, or between the two renames of the swap: the previous site stays whole."""
    out = tmp_path / "site"
    shutil.copytree(small.site, out)
    (out / "index.html").write_text("the previous good site")
    before = _tree_digest(out)
    command = [sys.executable, "-m", "tests.small", str(small.aggregate), str(out)]
    kill_at(command, point)
    if point == "swap:site":  # the previous site waits aside, to be put back by the next build
        assert not out.exists() and _tree_digest(tmp_path / ".site.old") == before
    else:
        assert _tree_digest(out) == before
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    assert _tree_differences(small.site, out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
