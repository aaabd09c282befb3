"""`dicomref validate` against dciodvfy run once per file, side by side on the same real files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.agreement import corpus_files
from bench.dciodvfy import dciodvfy, run_dciodvfy

DATASETS = ("pydicom-test-files", "pydicom-charset-files", "pydicom-data", "deid-data")


def measure_validate(manifest: Path, corpora: Path, repo: Path) -> dict:
    """Files per second of one `dicomref validate --json` over every file (start-up and model load included; its
    worker processes one per core, the default) and of dciodvfy started once per file, one after another."""
    files = corpus_files(manifest, DATASETS, corpora)
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "dicomref", "validate", "--json", *map(str, files)],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    ours = time.perf_counter() - started
    reports = sum(1 for line in run.stdout.splitlines() if line.startswith("{"))
    result: dict = {"files": len(files), "reports": reports, "dicomref_seconds": ours, "exit_code": run.returncode}
    result["dicomref_files_per_second"] = len(files) / ours
    binary = dciodvfy()
    if binary is None:
        result["dciodvfy_seconds"] = None
        return result
    started = time.perf_counter()
    for path in files:
        run_dciodvfy(binary, path)
    theirs = time.perf_counter() - started
    result["dciodvfy_seconds"] = theirs
    result["dciodvfy_files_per_second"] = len(files) / theirs
    result["dicomref_over_dciodvfy"] = theirs / ours
    return result
