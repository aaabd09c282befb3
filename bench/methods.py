"""The two reference scrapers dicomref is measured against, each run as its own process.

original: what the first effort did — `pydicom.dcmread` of every file in full (pixel data
included, no `specific_tags`, no `stop_before_pixels`), keeping every element: each one,
nested ones included, is turned from raw bytes into its value, as harvesting them does.
dcmread: the same reads with the values left raw (pydicom parses them only when asked), the
cheapest way pydicom can group every file; shown to bound what "original" costs from below.
floor: the least any scraper has to do — open every file and read its first 16 KiB.
All three group files by SeriesInstanceUID in one process.

Usage: python -m bench.methods {original,dcmread,floor} ROOT OUT.json
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from bench.walk import corpus_files

HEAD_BYTES = 16 * 1024


def _read_all(root: Path, every_element: bool) -> dict:
    """Series found by reading every file whole with pydicom: {"series": {uid: files}, "unreadable": n}."""
    import pydicom  # imported here so the floor's process loads nothing it does not use

    series: dict[str, int] = {}
    unreadable = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in corpus_files(root):
            try:
                dataset = pydicom.dcmread(path)
                if every_element:
                    for element in dataset.iterall():
                        element.value  # noqa: B018 - converting the raw value is the work measured
            except Exception:
                unreadable += 1
                continue
            uid = str(dataset.get("SeriesInstanceUID", ""))
            series[uid] = series.get(uid, 0) + 1
    return {"series": dict(sorted(series.items())), "unreadable": unreadable}


def original(root: Path) -> dict:
    return _read_all(root, every_element=True)


def dcmread(root: Path) -> dict:
    return _read_all(root, every_element=False)


def floor(root: Path) -> dict:
    """Read the first 16 KiB of every file and nothing else: {"files": n, "bytes": bytes read}."""
    files = read = 0
    for path in corpus_files(root):
        with open(path, "rb", buffering=0) as handle:
            read += len(handle.read(HEAD_BYTES))
        files += 1
    return {"files": files, "bytes": read}


METHODS = {"original": original, "dcmread": dcmread, "floor": floor}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in METHODS:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    name, root, out = argv
    result = METHODS[name](Path(root))
    Path(out).write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
