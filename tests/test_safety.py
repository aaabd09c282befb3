"""Whole-pipeline guarantees: reproducible builds, and killed runs that leave the last good output."""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO, Build, manifest_inputs, run_pipeline


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
    again = run_pipeline(manifest_inputs(), tmp_path, standard)
    assert again.scraped.read_bytes() == default_build.scraped.read_bytes()
    assert again.unreadable.read_bytes() == default_build.unreadable.read_bytes()
    assert again.aggregate.read_bytes() == default_build.aggregate.read_bytes()
    assert _tree_differences(default_build.site, again.site) == []


def test_generated_files_hold_no_absolute_paths(default_build: Build) -> None:
    home = str(Path.home())
    for path in [default_build.scraped, default_build.unreadable, default_build.aggregate]:
        text = path.read_text()
        assert str(REPO) not in text and str(default_build.site.parent) not in text and home + "/" not in text


def _kill_when(command: list[str], ready, watched: Path, before: bytes) -> None:
    """Start `command`, SIGKILL it once `ready()` says it is mid-work, and check `watched` still holds `before`."""
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert watched.read_bytes() == before


def test_killed_aggregate_keeps_the_previous_output_and_a_rerun_matches(default_build: Build, tmp_path: Path) -> None:
    reference = tmp_path / "reference.json"
    undeclared = tmp_path / "datasets.toml"  # no dataset declared public or de-identified, as default_build
    undeclared.write_text("", encoding="utf-8")
    base = [
        sys.executable,
        "-m",
        "dicomref",
        "aggregate",
        str(default_build.scraped),
        "--datasets",
        str(undeclared),
        "--out",
    ]
    started = time.monotonic()
    subprocess.run([*base, str(reference)], cwd=REPO, check=True, capture_output=True)
    duration = time.monotonic() - started
    out = tmp_path / "aggregate.json"
    previous = b'{"schema": 1, "previous": true}\n'
    out.write_bytes(previous)
    killed_at = time.monotonic() + 0.8 * duration  # late in the run: past loading, while aggregating or writing
    _kill_when([*base, str(out)], lambda: time.monotonic() >= killed_at, out, previous)
    subprocess.run([*base, str(out)], cwd=REPO, check=True, capture_output=True)
    assert out.read_bytes() == reference.read_bytes() == default_build.aggregate.read_bytes()


def test_killed_site_build_keeps_the_previous_site_and_a_rerun_matches(default_build: Build, tmp_path: Path) -> None:
    out = tmp_path / "site"
    shutil.copytree(default_build.site, out)
    before = (out / "index.html").read_bytes()
    command = [sys.executable, "-m", "dicomref", "site", "--aggregate", str(default_build.aggregate), "--out", str(out)]
    building = tmp_path / ".site.building" / "modules"  # pages are being written
    _kill_when(command, building.exists, out / "index.html", before)
    assert _tree_differences(default_build.site, out) == []
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    assert _tree_differences(default_build.site, out) == []
