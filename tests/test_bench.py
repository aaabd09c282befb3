"""The bench runs end to end at small sizes and reports every figure; timings are never asserted."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pydicom
import pytest

from bench.corpus import MANIFEST_NAME, ensure_corpus, layout
from bench.measure import Command, run_once
from bench.report import rows
from bench.walk import corpus_files
from tests.conftest import REPO, Build

SECTIONS = {"corpus", "scrape", "parallel", "discovery", "scaling", "site", "aggregate", "standard", "cluster"}
SECTIONS |= {"validate", "phases"}


def _read(path: str) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def test_corpus_copies_real_files_with_new_uids(tmp_path: Path) -> None:
    corpus = ensure_corpus(files=90, series=9, max_template_bytes=64 * 1024, cache=tmp_path)
    paths = corpus_files(corpus.root)
    assert len(paths) == 90
    datasets = [_read(path) for path in paths]
    assert collections.Counter(str(d.SeriesInstanceUID) for d in datasets) == corpus.series
    assert len(corpus.series) == 9
    sops = [str(d.SOPInstanceUID) for d in datasets]
    assert len(set(sops)) == 90
    assert all(
        str(d.file_meta.MediaStorageSOPInstanceUID) == str(d.SOPInstanceUID)
        for d in datasets
        if "MediaStorageSOPInstanceUID" in d.file_meta
    )
    assert corpus.templates == 9  # one real file per series, all different


def test_layout_splits_series_and_mixes_folders() -> None:
    placed = list(layout(files=1000, series=20, seed=0))
    folders_of = collections.defaultdict(set)
    series_in = collections.defaultdict(set)
    for folder, series in placed:
        folders_of[series].add(folder)
        series_in[folder].add(series)
    assert len(placed) == 1000
    assert any(len(folders) > 1 for folders in folders_of.values())
    assert any(len(series) > 1 for series in series_in.values())


def test_corpus_is_cached_by_its_parameters(tmp_path: Path) -> None:
    first = ensure_corpus(files=20, series=2, max_template_bytes=64 * 1024, cache=tmp_path)
    written = (first.root.parent / MANIFEST_NAME).stat().st_mtime_ns
    again = ensure_corpus(files=20, series=2, max_template_bytes=64 * 1024, cache=tmp_path)
    other = ensure_corpus(files=20, series=4, max_template_bytes=64 * 1024, cache=tmp_path)
    assert again.root == first.root and (first.root.parent / MANIFEST_NAME).stat().st_mtime_ns == written
    assert other.root != first.root


def test_run_once_sees_the_memory_of_child_processes(tmp_path: Path) -> None:
    grandchild = (
        "import subprocess, sys; subprocess.run([sys.executable, '-c', "
        "'x = bytearray(80_000_000); x[::4096] = b\"1\" * len(x[::4096])'], check=True)"
    )
    run = run_once(Command([sys.executable, "-c", grandchild]), tmp_path / "log")
    assert run.process_peak_bytes >= 80_000_000
    assert run.tree_peak_bytes >= run.process_peak_bytes


@pytest.mark.long
def test_quick_bench_reports_every_row(tmp_path: Path, default_build: Build) -> None:
    out = tmp_path / "results.json"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--quick",
        "--cache",
        str(tmp_path / "corpus"),
        "--aggregate",
        str(default_build.aggregate),
        "--out",
        str(out),
    ]
    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    table = rows(results)
    assert {section for section, *_ in table} == SECTIONS
    for section, measure, value, _ in table:
        assert value, (section, measure)
    assert all(section in finished.stdout for section in SECTIONS) and "a / b" in finished.stdout
    scrape = results["scrape"]
    for ratio in (
        "original_over_dicomref",
        "original_over_dicomref_cpu",
        "dcmread_over_dicomref",
        "dicomref_over_floor",
        "dicomref_over_floor_cpu",
    ):
        assert scrape[ratio] > 0, ratio
    scaling = results["scaling"]
    for ratio in (
        "parallel_speedup",
        "memory_growth",
        "main_process_memory_growth",
        "original_over_dicomref_extrapolated",
    ):
        assert scaling[ratio] > 0, ratio
    assert scrape["series_agree"] and results["discovery"]["agree"]
    assert results["cluster"]["same_output"] and results["cluster"]["cluster_over_local"] > 0
    assert all(point["series_agree"] for point in results["scaling"]["points"])
    assert results["site"]["identical"] and all(point["identical"] for point in results["aggregate"])
    assert [p["files"] for p in scaling["points"]] == [200, 400, 800]
    assert scaling["startup_seconds"] > 0 and "dicomref_jobs1" in scaling["points"][-1]
    assert results["site"]["pages"] > 1000 and results["site"]["search_index_gzip_bytes"] > 0
    assert len(results["site"]["largest_pages"]) == 5 and any(m.startswith("largest page 1") for _, m, *_ in table)
    model = results["model_load"]
    assert model["cold_seconds"] > 0
    assert (model["cached_seconds"] is None) == (model["cache_files"] == 0) == (model["cold_over_cached"] is None)
    assert set(results["targets"]) == {
        "original_over_dicomref",
        "dicomref_over_floor",
        "discovery_speedup",
        "marginal_cost_growth",
        "memory_growth",
        "model_cold_over_cached",
        "series_agree",
        "site_pages_per_second",
        "site_identical",
        "aggregate_records_per_second",
        "aggregate_identical",
    }
