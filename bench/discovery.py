"""Series discovery alone: dicomref's header walk against pydicom stopping before the pixels, same files."""

from __future__ import annotations

import statistics
import warnings
from dataclasses import dataclass

import pydicom

from bench.measure import alternate_calls
from dicomref.scrape.discovery import probe_series_uid


@dataclass(frozen=True)
class DiscoveryResult:
    files: int
    probe_seconds: float  # medians over the rounds
    pydicom_seconds: float
    agree: bool  # both found the same SeriesInstanceUID in every file


def probe_all(paths: list[str]) -> list[str | None]:
    found = []
    for path in paths:
        with open(path, "rb") as stream:
            found.append(probe_series_uid(stream))
    return found


def pydicom_all(paths: list[str]) -> list[str | None]:
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in paths:
            uid = pydicom.dcmread(path, stop_before_pixels=True).get("SeriesInstanceUID")
            found.append(None if uid is None else str(uid) or None)
    return found


def sample(paths: list[str], size: int) -> list[str]:
    """About `size` files spread evenly over the sorted list, so every part of the corpus is in it."""
    step = max(1, len(paths) // size)
    return paths[::step][:size]


def compare_discovery(paths: list[str], repeats: int, warm: bool = True) -> DiscoveryResult:
    seconds = alternate_calls({"probe": lambda: probe_all(paths), "pydicom": lambda: pydicom_all(paths)}, repeats, warm)
    return DiscoveryResult(
        files=len(paths),
        probe_seconds=statistics.median(seconds["probe"]),
        pydicom_seconds=statistics.median(seconds["pydicom"]),
        agree=probe_all(paths) == pydicom_all(paths),
    )
