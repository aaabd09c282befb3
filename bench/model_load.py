"""Loading the standard's model in a fresh process: cold (empty cache) and cached (second load).

The cache lives under the user cache directory, which platformdirs takes from XDG_CACHE_HOME;
each measurement points it at a folder of its own, so the user's real cache is never touched
and "cold" is truly cold.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Command, run_once

# Runs in the fresh process: the load alone is timed, apart from importing the package.
# Each run appends one line of figures to the file named by its argument.
LOAD = """
import json, sys, time
started = time.perf_counter()
from dicomref.standard import load_standard
imported = time.perf_counter()
load_standard()
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"import": imported - started, "load": time.perf_counter() - imported}) + "\\n")
"""


@dataclass(frozen=True)
class ModelLoadResult:
    cold_seconds: float  # median time of load_standard() with an empty cache
    cached_seconds: (
        float | None
    )  # the next fresh process, reading the cache the cold load wrote; None: no cache written
    second_load_seconds: float  # a second fresh process on the same cache folder, cache or not
    import_seconds: float
    cache_files: int
    cache_bytes: int


def _figures(path: Path) -> list[dict]:
    return [json.loads(timing) for timing in path.read_text(encoding="utf-8").splitlines()]


def measure_model_load(work: Path, repeats: int, repo: Path) -> ModelLoadResult:
    """Rounds of two fresh processes on one cache folder, emptied first: a cold load, then a cached one.

    The site build before this has read the standard's JSON files, so the page cache is warm for both.
    """
    cache = work / "cache"
    outs = {"cold": work / "cold.jsonl", "cached": work / "cached.jsonl"}
    cache_files: list[Path] = []
    for out in outs.values():
        out.unlink(missing_ok=True)
    for round_ in range(repeats):
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        for name, out in outs.items():
            command = Command([sys.executable, "-c", LOAD, str(out)], env={"XDG_CACHE_HOME": str(cache)}, cwd=repo)
            run_once(command, work / f"{name}.{round_}.log")
            if name == "cold":
                cache_files = [p for p in cache.rglob("*") if p.is_file()]
    cold, cached = _figures(outs["cold"]), _figures(outs["cached"])
    second_load = statistics.median(t["load"] for t in cached)
    return ModelLoadResult(
        cold_seconds=statistics.median(t["load"] for t in cold),
        cached_seconds=second_load if cache_files else None,
        second_load_seconds=second_load,
        import_seconds=statistics.median(t["import"] for t in cold + cached),
        cache_files=len(cache_files),
        cache_bytes=sum(p.stat().st_size for p in cache_files),
    )
