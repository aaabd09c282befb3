"""The aggregate stage at scale: the default scrape's records repeated as new instances, in one and in two processes.

Each copy of a record gets its own SOP Instance UID, Series Instance UID and path, so every record counts as a file
of its own (no copy folds into another), as records of a large archive would.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Command, Series, alternate
from dicomref.formats.scraped import RecordWriter, ScrapedRecord, read_records

# Elements that name the instance or the series: rewritten in every copy.
_RENAMED = {"00080018": "instance", "00020003": "instance", "0020000E": "series"}
# The root of the UIDs made here (dicomref's own, under the 2.25 UUID arc's rules: digits only).
_ROOT = "2.25.4242"


@dataclass(frozen=True)
class AggregateRun:
    records: int
    input_bytes: int
    seconds: dict[str, float]  # by jobs: "1" and "2"
    cpu_seconds: dict[str, float]
    peak_bytes: dict[str, int]  # largest resident memory of the process tree
    records_per_second: dict[str, float]
    identical: bool  # the two outputs byte for byte


def repeated_records(template: Path, out: Path, records: int) -> Path:
    """`records` records made from the template's, each a new instance of a new series (every tenth record starts
    one); written once and reused while the file has the right count."""
    if out.exists() and out.with_suffix(".count").exists() and out.with_suffix(".count").read_text() == str(records):
        return out
    originals = list(read_records(template))
    out.unlink(missing_ok=True)
    with RecordWriter(out) as writer:
        for number in range(records):
            writer.write(_copy(originals[number % len(originals)], number))
    out.with_suffix(".count").write_text(str(records))
    return out


def _copy(record: ScrapedRecord, number: int) -> ScrapedRecord:
    uids = {"instance": f"{_ROOT}.1.{number}", "series": f"{_ROOT}.2.{number // 10}"}
    elements = [
        {**e, "value": uids[_RENAMED[e["tag"]]]} if not e["path"] and e["tag"] in _RENAMED and "value" in e else e
        for e in record["elements"]
    ]
    source = {**record["source"], "path": f"copies/{number}/{record['source']['path']}"}
    source["series_instance_uid"] = uids["series"]
    return {"source": source, "elements": elements}  # type: ignore[typeddict-item]


def measure_aggregate(
    template: Path, manifest: Path, work: Path, records: int, repeats: int, warm: bool, repo: Path
) -> AggregateRun:
    """`dicomref aggregate` on `records` records with --jobs 1 and --jobs 2, alternating (after one warm-up each when
    `warm`); the records are kept in `work` for the next run."""
    work.mkdir(parents=True, exist_ok=True)
    scraped = repeated_records(template, work / f"records-{records}.jsonl", records)
    outs = {jobs: work / f"aggregate-jobs{jobs}.json" for jobs in ("1", "2")}
    commands = {
        jobs: Command(
            [sys.executable, "-m", "dicomref", "aggregate", str(scraped), "--datasets", str(manifest)]
            + ["--out", str(out), "--jobs", jobs],
            cwd=repo,
        )
        for jobs, out in outs.items()
    }
    series: dict[str, Series] = alternate(commands, repeats, work / "logs", warm=warm)
    return AggregateRun(
        records=records,
        input_bytes=scraped.stat().st_size,
        seconds={jobs: s.seconds for jobs, s in series.items()},
        cpu_seconds={jobs: s.cpu_seconds for jobs, s in series.items()},
        peak_bytes={jobs: s.tree_peak_bytes for jobs, s in series.items()},
        records_per_second={jobs: records / s.seconds for jobs, s in series.items()},
        identical=outs["1"].read_bytes() == outs["2"].read_bytes(),
    )
