"""Interrupted and repeated scrapes: a run killed with SIGKILL and run again ends with the output of a run
never interrupted, whatever the number of workers; re-running appends only what is new."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicomref.errors import DicomrefError
from dicomref.formats.scraped import read_records
from dicomref.formats.unreadable import FILENAME as UNREADABLE_CSV
from dicomref.formats.unreadable import unreadable_path
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from tests.conftest import MANIFEST, manifest_inputs
from tests.interrupt import kill_at
from tests.test_scrape import folder_of

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))
MR_SMALL = Path(get_testdata_file("MR_small.dcm"))


def scrape_command(out: Path, jobs: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dicomref",
        "scrape",
        "--datasets",
        str(MANIFEST),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
    ]


def processes() -> dict[int, int]:
    """Every running process (zombies excluded) and its parent, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if state != "Z":
            parents[int(stat.parent.name)] = int(parent)
    return parents


def descendants(pid: int) -> set[int]:
    """Processes started by `pid`, and by those."""
    parents = processes()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manifest's datasets scraped in one go, by two workers."""
    out = tmp_path_factory.mktemp("uninterrupted") / "scraped.jsonl"
    scrape(manifest_inputs(), out, ScrapeOptions(jobs=2))
    return out


def test_sigkill_midway_then_rerun_gives_the_uninterrupted_output(uninterrupted: Path, tmp_path: Path) -> None:
    out = tmp_path / "scraped.jsonl"
    total = lines(uninterrupted)
    killed_at = total // 3
    kill_at(scrape_command(out), f"scrape-record:{killed_at}")
    assert lines(out) == killed_at
    assert not (tmp_path / UNREADABLE_CSV).exists()  # written only at the end

    rerun = subprocess.run(scrape_command(out), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({killed_at} already done)" in rerun.stderr.replace(",", "")
    assert out.read_bytes() == uninterrupted.read_bytes()
    assert (tmp_path / UNREADABLE_CSV).read_bytes() == unreadable_path(uninterrupted).read_bytes()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the workers")
def test_sigkill_leaves_no_worker_behind_and_rerun_completes(uninterrupted: Path, tmp_path: Path) -> None:
    """Only the main process is killed; its workers notice and end on their own."""
    out = tmp_path / "scraped.jsonl"
    workers: set[int] = set()
    kill_at(
        scrape_command(out, jobs=2),
        "scrape-record:1",
        group=False,
        when_paused=lambda pid: workers.update(descendants(pid)),
    )
    assert len(workers) >= 3  # the fork server and two workers
    deadline = time.monotonic() + 60
    while workers & set(processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not workers & set(processes()), "worker processes outlived the killed scrape"
    rerun = subprocess.run(scrape_command(out, jobs=2), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert out.read_bytes() == uninterrupted.read_bytes()


def test_a_line_cut_short_is_replaced(uninterrupted: Path, tmp_path: Path) -> None:
    out = tmp_path / "scraped.jsonl"
    data = uninterrupted.read_bytes()
    cut = data.index(b"\n", len(data) // 3) + 200  # two hundred bytes into a record
    out.write_bytes(data[:cut])
    summary = scrape(manifest_inputs(), out, ScrapeOptions(jobs=1))
    assert out.read_bytes() == data
    assert summary.resumed == data[:cut].count(b"\n") and summary.scraped == lines(uninterrupted)


def test_rerun_reads_nothing_again_and_new_folders_are_appended(tmp_path: Path) -> None:
    first = folder_of(tmp_path / "first", **{"ct.dcm": CT_SMALL})
    second = folder_of(tmp_path / "second", **{"mr.dcm": MR_SMALL})
    (second / "notes.txt").write_text("not DICOM", encoding="utf-8")
    out = tmp_path / "out" / "scraped.jsonl"
    scrape([ScrapeInput("first", first)], out, ScrapeOptions(jobs=1))
    (first / "stray.txt").write_text("not DICOM either", encoding="utf-8")
    again = scrape([ScrapeInput("first", first)], out, ScrapeOptions(jobs=1))
    assert (again.resumed, again.scraped, again.unreadable) == (1, 1, 1)
    both = scrape([ScrapeInput("first", first), ScrapeInput("second", second)], out, ScrapeOptions(jobs=1))
    assert (both.resumed, both.scraped) == (1, 2)

    fresh = tmp_path / "fresh" / "scraped.jsonl"
    scrape([ScrapeInput("first", first), ScrapeInput("second", second)], fresh, ScrapeOptions(jobs=2))
    assert out.read_bytes() == fresh.read_bytes()
    unreadable = unreadable_path(out).read_text(encoding="utf-8")
    assert unreadable == unreadable_path(fresh).read_text(encoding="utf-8")
    assert unreadable == "path,reason\nfirst/stray.txt,not DICOM\nsecond/notes.txt,not DICOM\n"

    with pytest.raises(DicomrefError, match=f"{re.escape(str(out))} already holds records of other inputs \\(first\\)"):
        scrape([ScrapeInput("second", second)], out, ScrapeOptions(jobs=1))  # never added to without --resume
    only_second = scrape([ScrapeInput("second", second)], out, ScrapeOptions(jobs=1, resume=True))
    assert only_second.resumed == 2  # rows of the dataset not walked this time are kept
    assert unreadable_path(out).read_text(encoding="utf-8") == unreadable


def test_all_files_resumes_file_by_file(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "series", **{"a.dcm": CT_SMALL, "b.dcm": CT_SMALL, "c.dcm": CT_SMALL})
    out = tmp_path / "scraped.jsonl"
    reference = tmp_path / "reference.jsonl"
    scrape([ScrapeInput("s", folder)], reference, ScrapeOptions(jobs=1, all_files=True))
    out.write_bytes(reference.read_bytes().split(b"\n", 1)[0] + b"\n")
    summary = scrape([ScrapeInput("s", folder)], out, ScrapeOptions(jobs=1, all_files=True))
    assert (summary.resumed, summary.scraped) == (1, 3)
    assert out.read_bytes() == reference.read_bytes()
    assert [record["source"]["path"] for record in read_records(out)] == ["a.dcm", "b.dcm", "c.dcm"]


def test_files_skipped_in_a_series_stay_listed_after_a_resume(tmp_path: Path) -> None:
    """The first file of a series fails to read in full; the record notes it, so a resumed run still lists it."""
    folder = folder_of(tmp_path / "series", **{"b.dcm": CT_SMALL})
    histogram = pydicom.dcmread(CT_SMALL).get_item(0x00431029)  # a value after (0020,000E)
    (folder / "a.dcm").write_bytes(CT_SMALL.read_bytes()[: histogram.value_tell + histogram.length // 2])
    out = tmp_path / "scraped.jsonl"
    scrape([ScrapeInput("s", folder)], out, ScrapeOptions(jobs=1))
    listed = (tmp_path / UNREADABLE_CSV).read_text(encoding="utf-8")
    (record,) = list(read_records(out))
    assert record["source"]["path"] == "b.dcm" and record["source"]["skipped"] == [
        ["a.dcm", "truncated in (0043,1029)"]
    ]
    assert listed == 'path,reason\ns/a.dcm,"truncated in (0043,1029)"\n'
    again = scrape([ScrapeInput("s", folder)], out, ScrapeOptions(jobs=1))
    assert again.resumed == 1 and (tmp_path / UNREADABLE_CSV).read_text(encoding="utf-8") == listed
