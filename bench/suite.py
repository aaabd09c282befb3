"""Every measurement of `make bench`, in one run, gathered into one results document."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pydicom

from bench.aggregate_speed import measure_aggregate
from bench.corpus import CACHE, MANIFEST, REPO, Corpus, ensure_corpus
from bench.discovery import compare_discovery, sample
from bench.measure import Command, Series, alternate
from bench.model_load import measure_model_load
from bench.scrape_phases import measure_phases
from bench.site_build import default_aggregate, measure_site
from bench.validate_speed import measure_validate
from bench.walk import corpus_files
from dicomref.formats.scraped import read_records
from dicomref.formats.unreadable import read_unreadable, unreadable_path

# Targets from the benchmark's brief; the table marks each as met or missed.
TARGET_ORIGINAL_OVER_DICOMREF = 20.0
TARGET_DICOMREF_OVER_FLOOR = 3.0
TARGET_FLOOR_AT_FILES = 100_000
TARGET_DISCOVERY = 10.0
TARGET_MEMORY_GROWTH = 1.5
TARGET_MARGINAL_COST_GROWTH = (
    1.25  # "linear": one more file costs no more in a large archive than in a small one, within noise
)
TARGET_MODEL_CACHE = 5.0
TARGET_SITE_PAGES_PER_SECOND = 1000.0
TARGET_AGGREGATE_RECORDS_PER_SECOND = 3000.0
TARGET_AGGREGATE_AT_RECORDS = 100_000


@dataclass(frozen=True)
class BenchConfig:
    files: int = 20_000
    series: int = 200
    scaling: tuple[int, ...] = (10_000, 40_000, 160_000)
    repeats: int = 3
    discovery_files: int = 4_000
    site_repeats: int = 1
    model_repeats: int = 3
    max_template_bytes: int = 64 * 1024
    seed: int = 0
    warm: bool = True  # one untimed run of each command before the timed rounds
    cache: Path = CACHE
    aggregate: Path | None = None  # None: scrape and aggregate the manifest's datasets first
    only: str | None = None  # "cluster": only the local run against a local Dask cluster; "validate": only that
    aggregate_records: tuple[int, ...] = (10_000, 100_000)  # the default scrape's records repeated as new instances

    @classmethod
    def quick(cls, **changes: object) -> BenchConfig:
        """Small sizes, one round each, no warm-up: proves every measurement runs, in about a minute."""
        values = dict(
            files=400,
            series=8,
            scaling=(200, 400, 800),
            repeats=1,
            discovery_files=100,
            site_repeats=1,
            model_repeats=1,
            warm=False,
            aggregate_records=(1_200,),
        )
        values.update(changes)
        return cls(**values)


def _dicomref(*args: str) -> list[str]:
    return [sys.executable, "-m", "dicomref", *args]


def _method(name: str, root: Path, out: Path) -> Command:
    return Command([sys.executable, "-m", "bench.methods", name, str(root), str(out)], cwd=REPO)


def _scrape(root: Path, out: Path, jobs: int, *options: str) -> Command:
    def fresh() -> None:  # a leftover output would make dicomref resume instead of scrape
        out.unlink(missing_ok=True)
        unreadable_path(out).unlink(missing_ok=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    return Command(
        _dicomref("scrape", str(root), "--out", str(out), "--jobs", str(jobs), *options), cwd=REPO, prepare=fresh
    )


def _figures(series: Series, files: int) -> dict:
    return {
        "seconds": series.seconds,
        "files_per_second": files / series.seconds,
        "cpu_seconds": series.cpu_seconds,
        "tree_peak_bytes": series.tree_peak_bytes,
        "process_peak_bytes": series.process_peak_bytes,
        "runs_seconds": [run.seconds for run in series.runs],
    }


def _scraped_series(out: Path) -> dict[str, int]:
    """SeriesInstanceUID -> files in the series, as dicomref's output records them."""
    found = {}
    for record in read_records(out):
        source = record["source"]
        found[source["series_instance_uid"]] = source["series_files"]
    return dict(sorted(found.items()))


def _unreadable_rows(out: Path) -> int:
    csv = unreadable_path(out)
    return len(read_unreadable(csv)) if csv.exists() else 0


def _corpus_summary(corpus: Corpus) -> dict:
    return {
        "files": corpus.files,
        "series": len(corpus.series),
        "bytes": corpus.bytes,
        "mean_file_bytes": corpus.bytes // corpus.files,
        "templates": corpus.templates,
        "folders": corpus.folders,
    }


def measure_scrape(corpus: Corpus, work: Path, repeats: int, warm: bool) -> dict:
    """(a) original, its lazy variant, (b) dicomref on all cores, (c) the floor: alternating."""
    outs = {name: work / f"{name}.json" for name in ("original", "dcmread", "floor")}
    scraped = work / "dicomref" / "scraped.jsonl"
    commands = {
        "original": _method("original", corpus.root, outs["original"]),
        "dcmread": _method("dcmread", corpus.root, outs["dcmread"]),
        "dicomref": _scrape(corpus.root, scraped, jobs=0),
        "floor": _method("floor", corpus.root, outs["floor"]),
    }
    measured = alternate(commands, repeats, work / "logs", warm)
    original = json.loads(outs["original"].read_text(encoding="utf-8"))
    dicomref_series = _scraped_series(scraped)
    seconds = {name: series.seconds for name, series in measured.items()}
    cpu = {name: series.cpu_seconds for name, series in measured.items()}
    return {
        **{name: _figures(series, corpus.files) for name, series in measured.items()},
        "original_over_dicomref": seconds["original"] / seconds["dicomref"],
        "original_over_dicomref_cpu": cpu["original"] / cpu["dicomref"],
        "dcmread_over_dicomref": seconds["dcmread"] / seconds["dicomref"],
        "dicomref_over_floor": seconds["dicomref"] / seconds["floor"],
        "dicomref_over_floor_cpu": cpu["dicomref"] / cpu["floor"],
        "series_expected": len(corpus.series),
        "series_original": len(original["series"]),
        "series_dicomref": len(dicomref_series),
        "series_agree": original["series"] == dicomref_series == corpus.series,
        "unreadable_original": original["unreadable"],
        "unreadable_dicomref": _unreadable_rows(scraped),
    }


def _outputs(out: Path) -> tuple[bytes, bytes]:
    return out.read_bytes(), unreadable_path(out).read_bytes()


def measure_cluster(corpus: Corpus, work: Path, repeats: int, warm: bool) -> dict:
    """dicomref on two local worker processes against a local Dask cluster of two workers: alternating.

    The cluster's figures include starting it (a scheduler and two worker processes) each run.
    """
    outs = {name: work / name / "scraped.jsonl" for name in ("local", "cluster")}
    commands = {
        "local": _scrape(corpus.root, outs["local"], 2),
        "cluster": _scrape(corpus.root, outs["cluster"], 2, "--cluster", "local"),
    }
    measured = alternate(commands, repeats, work / "logs", warm)
    return {
        **{name: _figures(series, corpus.files) for name, series in measured.items()},
        "workers": 2,
        "cluster_over_local": measured["cluster"].seconds / measured["local"].seconds,
        "same_output": _outputs(outs["local"]) == _outputs(outs["cluster"]),
    }


def _marginal_growth(points: list[dict]) -> float | None:
    """Cost of one more file between the two largest sizes over that between the two smallest.

    Differences cancel every fixed cost, so 1.0 is exactly linear and more means each file
    costs more as the archive grows. None when noise made a difference meaningless (not positive).
    """
    if len(points) < 3:
        return None

    def marginal(low: dict, high: dict) -> float:
        return (high["dicomref"]["seconds"] - low["dicomref"]["seconds"]) / (high["files"] - low["files"])

    first, last = marginal(points[0], points[1]), marginal(points[-2], points[-1])
    return last / first if first > 0 and last > 0 else None


def measure_scaling(config: BenchConfig, work: Path, say: Callable[[str], None]) -> dict:
    """dicomref and the floor at growing sizes, the same files per series throughout.

    dicomref's fixed cost (starting Python and its worker processes) is measured on a one-file
    archive, to show each size's time per file without it. The largest size also runs dicomref
    on one core, for the parallel speed-up.
    """
    say("scaling: dicomref's fixed cost, on a one-file archive")
    one_file = ensure_corpus(1, 1, config.max_template_bytes, config.seed, config.cache)
    startup = alternate(
        {"dicomref": _scrape(one_file.root, work / "startup" / "scraped.jsonl", jobs=0)},
        config.repeats,
        work / "startup" / "logs",
        config.warm,
    )["dicomref"]
    points = []
    for files in config.scaling:
        series = max(1, round(files * config.series / config.files))
        say(f"scaling: corpus of {files:,} files")
        corpus = ensure_corpus(files, series, config.max_template_bytes, config.seed, config.cache)
        folder = work / f"scaling-{files}"
        commands = {
            "dicomref": _scrape(corpus.root, folder / "scraped.jsonl", jobs=0),
            "floor": _method("floor", corpus.root, folder / "floor.json"),
        }
        if files == config.scaling[-1]:
            commands["dicomref_jobs1"] = _scrape(corpus.root, folder / "one-core" / "scraped.jsonl", jobs=1)
        say(f"scaling: {', '.join(commands)} on {files:,} files")
        measured = alternate(commands, config.repeats, folder / "logs", config.warm)
        dicomref, floor = measured["dicomref"], measured["floor"]
        point = {
            "files": files,
            "series": series,
            "bytes": corpus.bytes,
            "dicomref": _figures(dicomref, files),
            "floor": _figures(floor, files),
            "dicomref_over_floor": dicomref.seconds / floor.seconds,
            "dicomref_seconds_per_file_after_startup": max(0.0, dicomref.seconds - startup.seconds) / files,
            "series_agree": _scraped_series(folder / "scraped.jsonl") == corpus.series,
        }
        if "dicomref_jobs1" in measured:
            point["dicomref_jobs1"] = _figures(measured["dicomref_jobs1"], files)
        points.append(point)
    smallest, largest = points[0], points[-1]
    return {
        "startup_seconds": startup.seconds,
        "points": points,
        "marginal_cost_growth": _marginal_growth(points),
        "memory_growth": largest["dicomref"]["tree_peak_bytes"] / smallest["dicomref"]["tree_peak_bytes"],
        "main_process_memory_growth": largest["dicomref"]["process_peak_bytes"]
        / smallest["dicomref"]["process_peak_bytes"],
        "parallel_jobs": os.cpu_count() or 1,
        "parallel_speedup": largest["dicomref_jobs1"]["seconds"] / largest["dicomref"]["seconds"],
    }


def _measure_stages(config: BenchConfig, work: Path, say: Callable[[str], None]) -> dict:
    """The site on every core and on one, and the aggregate at each size on one process and two."""
    aggregate = config.aggregate
    if aggregate is None:
        say("site: scraping and aggregating the default datasets (untimed)")
        aggregate = default_aggregate(work / "default", MANIFEST, REPO)
    say("site: building on every core and on one")
    site = asdict(measure_site(aggregate, work / "site", config.site_repeats, REPO))
    site["pages_per_second"] = site["pages"] / site["seconds"]
    site["serial_pages_per_second"] = site["pages"] / site["serial_seconds"]
    return {"site": site, "aggregate": _measure_aggregates(config, aggregate.with_name("scraped.jsonl"), say)}


def _measure_aggregates(config: BenchConfig, template: Path, say: Callable[[str], None]) -> list[dict]:
    """The aggregate at each size, on one process and two; the largest sizes once each, without a warm-up."""
    points = []
    for records in config.aggregate_records:
        say(f"aggregate: {records:,} records, --jobs 1 and 2")
        small = records <= 10_000
        run = measure_aggregate(
            template,
            MANIFEST,
            config.cache / "aggregate",
            records,
            config.repeats if small else 1,
            config.warm and small,
            REPO,
        )
        points.append(asdict(run))
    return points


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 1,
        "memory_bytes": memory_kb * 1024,
        "system": platform.platform(),
        "python": platform.python_version(),
        "pydicom": pydicom.__version__,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def _targets(results: dict) -> dict:
    scrape, scaling, discovery, model = (
        results["scrape"],
        results["scaling"],
        results["discovery"],
        results["model_load"],
    )
    largest = scaling["points"][-1]
    cached_ratio = model["cold_over_cached"]
    rows = {
        "original_over_dicomref": (
            f">= {TARGET_ORIGINAL_OVER_DICOMREF:g}x",
            scrape["original_over_dicomref"],
            scrape["original_over_dicomref"] >= TARGET_ORIGINAL_OVER_DICOMREF,
        ),
        "dicomref_over_floor": (
            f"<= {TARGET_DICOMREF_OVER_FLOOR:g}x at >= {TARGET_FLOOR_AT_FILES:,} files",
            largest["dicomref_over_floor"],
            largest["dicomref_over_floor"] <= TARGET_DICOMREF_OVER_FLOOR
            if largest["files"] >= TARGET_FLOOR_AT_FILES
            else None,
        ),
        "discovery_speedup": (
            f">= {TARGET_DISCOVERY:g}x",
            discovery["speedup"],
            discovery["speedup"] >= TARGET_DISCOVERY,
        ),
        "marginal_cost_growth": (
            f"<= {TARGET_MARGINAL_COST_GROWTH:g}x",
            scaling["marginal_cost_growth"],
            None
            if scaling["marginal_cost_growth"] is None
            else scaling["marginal_cost_growth"] <= TARGET_MARGINAL_COST_GROWTH,
        ),
        "memory_growth": (
            f"<= {TARGET_MEMORY_GROWTH:g}x",
            scaling["memory_growth"],
            scaling["memory_growth"] <= TARGET_MEMORY_GROWTH,
        ),
        "model_cold_over_cached": (
            f">= {TARGET_MODEL_CACHE:g}x",
            cached_ratio,
            None if cached_ratio is None else cached_ratio >= TARGET_MODEL_CACHE,
        ),
        "series_agree": ("same series", scrape["series_agree"], scrape["series_agree"]),
    }
    # met is None where the run cannot judge: too few files for the floor target, or no cache yet.
    return {name: {"target": target, "value": value, "met": met} for name, (target, value, met) in rows.items()} | (
        _stage_targets(results)
    )


def _stage_targets(results: dict) -> dict:
    aggregate = results["aggregate"][-1]
    rows = {
        "site_pages_per_second": (
            f">= {TARGET_SITE_PAGES_PER_SECOND:,.0f} pages/s",
            results["site"]["pages_per_second"],
            results["site"]["pages_per_second"] >= TARGET_SITE_PAGES_PER_SECOND,
        ),
        "site_identical": ("serial = parallel", results["site"]["identical"], results["site"]["identical"]),
        "aggregate_records_per_second": (
            f">= {TARGET_AGGREGATE_RECORDS_PER_SECOND:,.0f} records/s at {TARGET_AGGREGATE_AT_RECORDS:,} records",
            aggregate["records_per_second"]["2"],
            aggregate["records_per_second"]["2"] >= TARGET_AGGREGATE_RECORDS_PER_SECOND
            if aggregate["records"] >= TARGET_AGGREGATE_AT_RECORDS
            else None,
        ),
        "aggregate_identical": (
            "--jobs 1 = --jobs 2",
            all(point["identical"] for point in results["aggregate"]),
            all(point["identical"] for point in results["aggregate"]),
        ),
    }
    # met is None where the run cannot judge: too few records for the aggregate target.
    return {name: {"target": target, "value": value, "met": met} for name, (target, value, met) in rows.items()}


def run_bench(config: BenchConfig, say: Callable[[str], None] = lambda message: None) -> dict:
    """Run every measurement; returns the results document (also what bench/results.json holds)."""
    results: dict = {"machine": machine(), "config": {**asdict(config), "cache": None, "aggregate": None}}
    if config.only == "validate":
        say("validate: dicomref validate against dciodvfy once per file, on the embedded corpora")
        results["validate"] = measure_validate(MANIFEST, REPO.parent / "shared" / "corpora", REPO)
        results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
        return results
    config.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=config.cache, prefix="work-") as scratch:
        work = Path(scratch)
        if config.only == "stages":
            results.update(_measure_stages(config, work, say))
            results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
            results["targets"] = _stage_targets(results)
            return results
        say(f"corpus: {config.files:,} files in {config.series:,} series")
        corpus = ensure_corpus(config.files, config.series, config.max_template_bytes, config.seed, config.cache)
        results["corpus"] = _corpus_summary(corpus)
        if config.only != "cluster":
            say(
                f"scrape: original, dcmread, dicomref, floor; {config.repeats} rounds"
                f"{' after one warm-up' if config.warm else ''}"
            )
            results["scrape"] = measure_scrape(corpus, work / "scrape", config.repeats, config.warm)
        say(f"cluster: dicomref on two local workers against a local Dask cluster of two; {config.repeats} rounds")
        results["cluster"] = measure_cluster(corpus, work / "cluster", config.repeats, config.warm)
        if config.only == "cluster":
            results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
            results["targets"] = {}
            return results
        say(f"discovery: header walk against pydicom on {config.discovery_files:,} files")
        discovery = compare_discovery(
            sample(corpus_files(corpus.root), config.discovery_files), config.repeats, config.warm
        )
        results["discovery"] = {**asdict(discovery), "speedup": discovery.pydicom_seconds / discovery.probe_seconds}
        results["scaling"] = measure_scaling(config, work, say)
        largest = results["scaling"]["points"][-1]
        original_per_file = results["scrape"]["original"]["seconds"] / config.files
        # (a) has no fixed cost worth the name, so its rate carries over to the largest size.
        results["scaling"]["original_over_dicomref_extrapolated"] = (
            original_per_file * largest["files"] / largest["dicomref"]["seconds"]
        )
        say(f"scrape phases: listing, opening, reading, parsing and extraction in process, {largest['files']:,} files")
        largest_corpus = ensure_corpus(
            largest["files"], largest["series"], config.max_template_bytes, config.seed, config.cache
        )
        phases = measure_phases(
            largest_corpus.root,
            work / f"scaling-{largest['files']}" / "scraped.jsonl",
            largest["dicomref"]["seconds"],
            results["scaling"]["startup_seconds"],
            config.repeats,
            config.warm,
        )
        results["scrape_phases"] = asdict(phases)
        results.update(_measure_stages(config, work, say))
        say("standard: loading the model cold and cached")
        model = asdict(measure_model_load(work / "model", config.model_repeats, REPO))
        model["cold_over_cached"] = (
            None if model["cached_seconds"] is None else model["cold_seconds"] / model["cached_seconds"]
        )
        results["model_load"] = model
        say("validate: dicomref validate against dciodvfy once per file, on the embedded corpora")
        results["validate"] = measure_validate(MANIFEST, REPO.parent / "shared" / "corpora", REPO)
    results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    results["targets"] = _targets(results)
    return results
