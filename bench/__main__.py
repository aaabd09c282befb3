"""python -m bench: measure dicomref side by side with the original method and the physical limits.

Example: python -m bench --files 100000 --scaling 10000,40000,160000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from bench.report import print_table, write_results
from bench.suite import BenchConfig, run_bench

RESULTS = Path(__file__).resolve().parent / "results.json"


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(","))
    if not sizes or min(sizes) < 1 or list(sizes) != sorted(sizes):
        raise argparse.ArgumentTypeError("expected growing file counts such as 10000,40000,160000")
    return sizes


def parse(argv: list[str]) -> tuple[BenchConfig, Path]:
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n")[1]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and one round each: checks that every measurement runs"
    )
    parser.add_argument(
        "--files", type=int, help=f"files in the main corpus (default {defaults.files:,}; up to 1,000,000)"
    )
    parser.add_argument("--series", type=int, help=f"series in the main corpus (default {defaults.series})")
    parser.add_argument("--scaling", type=_sizes, help="corpus sizes for the scaling runs (default 10000,40000,160000)")
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"timed rounds per comparison, after one untimed warm-up (default {defaults.repeats})",
    )
    parser.add_argument(
        "--discovery-files", type=int, help=f"files in the discovery comparison (default {defaults.discovery_files:,})"
    )
    parser.add_argument(
        "--model-repeats",
        type=int,
        help=f"timed loads of the standard, cold and cached each (default {defaults.model_repeats})",
    )
    parser.add_argument(
        "--max-template-kb", type=int, help="largest real file copied into the corpus, in KiB (default 64)"
    )
    parser.add_argument(
        "--aggregate-records",
        type=_sizes,
        help="record counts of the aggregate runs (default 10000,100000)",
    )
    parser.add_argument(
        "--aggregate",
        type=Path,
        help="aggregate JSON the site is built from (default: scrape and aggregate the manifest's datasets first)",
    )
    parser.add_argument(
        "--only",
        choices=["cluster", "validate", "stages"],
        help="only this measure: cluster (dicomref on two local workers against a local Dask cluster of two), "
        "validate (dicomref validate against dciodvfy run once per file), or stages (the site and the aggregate, "
        "each on one core and on every core)",
    )
    parser.add_argument("--cache", type=Path, help="folder for generated corpora (default bench/corpus)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON (default bench/results.json)")
    args = parser.parse_args(argv)
    changes = {
        name: value
        for name, value in {
            "files": args.files,
            "series": args.series,
            "scaling": args.scaling,
            "repeats": args.repeats,
            "discovery_files": args.discovery_files,
            "model_repeats": args.model_repeats,
            "max_template_bytes": None if args.max_template_kb is None else args.max_template_kb * 1024,
            "aggregate": args.aggregate,
            "aggregate_records": args.aggregate_records,
            "cache": args.cache,
            "only": args.only,
        }.items()
        if value is not None
    }
    config = BenchConfig.quick(**changes) if args.quick else BenchConfig(**changes)
    if not 1 <= config.files <= 1_000_000:
        parser.error("--files must be between 1 and 1,000,000")
    if not 1 <= config.series <= config.files:
        parser.error("--series must be between 1 and --files")
    if config.aggregate is not None and not config.aggregate.is_file():
        parser.error(f"--aggregate {config.aggregate}: no such file")
    return config, args.out


def main(argv: list[str]) -> int:
    config, out = parse(argv)
    console, status = Console(), Console(stderr=True)
    if not console.is_terminal:
        console = Console(width=200)  # logs and pipes: one line per row
    results = run_bench(config, lambda message: status.log(message))
    write_results(results, out)
    print_table(results, console)
    console.print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
