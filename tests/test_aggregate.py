"""The aggregate stage over the default build's real scraped records: merging, determinism, example choice."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from pydicom.datadict import DicomDictionary, mask_match
from typer.testing import CliRunner

from bench.aggregate_speed import repeated_records
from dicomref.aggregate import AggregateOptions, aggregate, aggregate_to_file
from dicomref.aggregate.collect import ValueStats
from dicomref.aggregate.examples import Example, choose_examples
from dicomref.aggregate.runner import BYTES_PER_SHARE
from dicomref.aggregate.sample import DistinctSketch, stable_hash
from dicomref.cli import app
from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import load_aggregate
from tests.conftest import Build, manifest_options
from tests.instances import counted_records

runner = CliRunner()
OPTIONS = manifest_options()  # as the default build: every dataset public, so no series label depends on a key


def entry_key(tag: str) -> str | None:
    """The dictionary entry a scraped tag counts for, folded with pydicom's own repeater matching."""
    number = int(tag, 16)
    if number in DicomDictionary:
        return tag
    repeater = mask_match(number)
    return repeater.upper().replace("X", "x") if repeater else None


def scraped_lines(build: Build) -> list[str]:
    return build.scraped.read_text(encoding="utf-8").splitlines(keepends=True)


def write_shards(lines: list[str], folder: Path, count: int) -> list[Path]:
    """Every `count`-th line to the same shard, and the shards in reverse order: a different split and order."""
    shards = []
    for index in range(count):
        shard = folder / f"shard-{index}.jsonl"
        shard.write_text("".join(lines[index::count]), encoding="utf-8")
        shards.append(shard)
    return shards[::-1]


def test_shards_aggregate_to_the_same_bytes_as_the_whole(default_build: Build, standard, tmp_path: Path) -> None:
    whole = tmp_path / "whole.json"
    aggregate_to_file([default_build.scraped], whole, standard, OPTIONS)
    sharded = tmp_path / "sharded.json"
    aggregate_to_file(write_shards(scraped_lines(default_build), tmp_path, 2), sharded, standard, OPTIONS)
    assert whole.read_bytes() == sharded.read_bytes()
    assert whole.read_bytes() == default_build.aggregate.read_bytes()


def test_two_runs_give_byte_identical_output(default_build: Build, standard, tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    aggregate_to_file([default_build.scraped], first, standard)
    aggregate_to_file([default_build.scraped], second, standard)
    assert first.read_bytes() == second.read_bytes()
    assert str(tmp_path) not in first.read_text(encoding="utf-8")


def test_a_file_in_two_shards_counts_once(default_build: Build, standard, tmp_path: Path) -> None:
    lines = scraped_lines(default_build)
    overlapping = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    overlapping[0].write_text("".join(lines[: len(lines) // 2 + 5]), encoding="utf-8")
    overlapping[1].write_text("".join(lines[len(lines) // 2 - 5 :]), encoding="utf-8")
    assert aggregate(overlapping, standard, OPTIONS) == aggregate([default_build.scraped], standard, OPTIONS)


def test_capped_tracking_is_independent_of_split_and_order(default_build: Build, standard, tmp_path: Path) -> None:
    """With room for only 3 values per attribute, the kept sample and its counts still do not depend on sharding."""
    options = replace(OPTIONS, tracked_values=3)
    whole = aggregate([default_build.scraped], standard, options)
    assert whole == aggregate(write_shards(scraped_lines(default_build), tmp_path, 3), standard, options)
    uids = whole["attributes"]["00080018"]
    assert uids["distinct_exact"] is False and uids["distinct"] > 3
    for info in whole["attributes"].values():
        assert sum(1 for e in info["examples"] if e["withheld"] is None) <= 3  # withheld buckets are not sampled


def test_distinct_counts_are_exact_up_to_capacity_then_estimated() -> None:
    small, large = DistinctSketch(1000), DistinctSketch(1000)
    for number in range(50_000):
        large.add(stable_hash(f"1.2.3.{number}"))
        if number < 900:
            small.add(stable_hash(f"1.2.3.{number}"))
            small.add(stable_hash(f"1.2.3.{number}"))
    assert small.count() == (900, True)
    estimate, exact = large.count()
    assert not exact and abs(estimate - 50_000) < 5_000 and len(large.hashes) == 1000


def recount(build: Build) -> tuple[dict[str, set], dict[str, int]]:
    """Distinct values (text, or byte length of binary values) and files, per entry, straight from the JSON Lines."""
    distinct: dict[str, set] = defaultdict(set)
    files: Counter[str] = Counter()
    for record in counted_records(build.scraped):
        keys_in_file = set()
        for element in record["elements"]:
            key = entry_key(element["tag"])
            if key is None:
                continue
            keys_in_file.add(key)
            distinct[key].add(element["value"] if "value" in element else ("bulk", element["length"]))
        files.update(keys_in_file)
    return distinct, files


def test_distinct_and_file_counts_match_a_recount(default_build: Build) -> None:
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    distinct, files = recount(default_build)
    for key, values in distinct.items():
        assert attributes[key]["distinct"] == len(values), key
        assert attributes[key]["distinct_exact"] is True
        assert attributes[key]["files"] == files[key], key


def test_examples_option_limits_each_attribute(default_build: Build, standard) -> None:
    result = aggregate([default_build.scraped], standard, AggregateOptions(examples=2))
    counts = Counter(len(info["examples"]) for info in result["attributes"].values())
    assert max(counts) == 2 and counts[2] > 100


def test_empty_values_appear_only_when_nothing_else_exists(default_build: Build) -> None:
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    distinct, _ = recount(default_build)
    mixed = [k for k, values in distinct.items() if "" in values and len(values) > 1]
    only_empty = [k for k, values in distinct.items() if values == {""}]
    assert mixed and only_empty
    for key in mixed:
        assert all(e["value"] != "" for e in attributes[key]["examples"]), key
    for key in only_empty:
        assert [e["value"] for e in attributes[key]["examples"]] == [""], key


def test_examples_prefer_new_modalities_and_rank_invalid_last(default_build: Build) -> None:
    attributes = load_aggregate(default_build.aggregate)["attributes"]
    modality = attributes["00080060"]["examples"]
    assert len({e["value"] for e in modality}) == 5 and modality[0]["count"] == max(e["count"] for e in modality)
    flagged = 0
    for key, info in attributes.items():
        validity = [e["valid"] for e in info["examples"]]
        assert validity == sorted(validity, reverse=True), key
        flagged += validity.count(False)
        assert all(e["problem"] for e in info["examples"] if not e["valid"])
        assert info["invalid"] >= validity.count(False)
    assert flagged > 0


def example(value: str, count: int, modality: str, problem: str | None = None) -> Example:
    stats = ValueStats(count=count, contexts=frozenset({("set", modality, "1.2.840.10008.5.1.4.1.1.2", ())}))
    return Example(value, stats, problem=problem)


def test_choice_skips_near_duplicates_and_favours_other_modalities() -> None:
    candidates = [
        example("5.0", 40, "CT"),
        example("5", 30, "CT"),
        example("5.000", 20, "MR"),
        example("2.5", 10, "CT"),
        example("3", 2, "MR"),
        example("abc", 90, "CT", problem="not a valid DS value"),
        example("", 100, "CT"),
    ]
    chosen = [e.value for e in choose_examples(candidates, "DS", 5)]
    assert chosen == ["5.0", "3", "2.5", "5", "5.000"]
    assert [e.value for e in choose_examples(candidates, "DS", 7)] == [*chosen, "abc"]
    assert [e.value for e in choose_examples([example("", 3, "CT")], "DS", 5)] == [""]


def test_bad_input_is_one_clear_error(tmp_path: Path, standard) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"not": "a record"}\n', encoding="utf-8")
    with pytest.raises(DicomrefError, match=r"broken.jsonl:1: not a scraped record"):
        aggregate([broken], standard)
    with pytest.raises(DicomrefError, match="not found"):
        aggregate([tmp_path / "missing.jsonl"], standard)
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"source": {"dataset": "d", "path": "p"}, "elements": [{"vr": "CS"}]}\n', encoding="utf-8")
    with pytest.raises(DicomrefError, match=r"odd.jsonl:1: an element is not as `dicomref scrape` writes it"):
        aggregate([odd], standard)


def test_a_line_cut_short_by_a_killed_scrape_is_skipped(default_build: Build, standard, tmp_path: Path) -> None:
    lines = scraped_lines(default_build)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines) + lines[0][: len(lines[0]) // 2], encoding="utf-8")
    assert aggregate([cut], standard, OPTIONS) == aggregate([default_build.scraped], standard, OPTIONS)


def test_cli_aggregates_shards_with_examples_option(default_build: Build, tmp_path: Path) -> None:
    shards = write_shards(scraped_lines(default_build), tmp_path, 2)
    out = tmp_path / "aggregate.json"
    result = runner.invoke(
        app,
        [
            "aggregate",
            *map(str, shards),
            "--out",
            str(out),
            "--examples",
            "3",
            "--datasets",
            str(tmp_path / "none.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["schema"] == 1 and max(len(i["examples"]) for i in data["attributes"].values()) == 3
    assert "examples for" in result.output


def test_two_processes_give_the_bytes_of_one(default_build: Build, standard, tmp_path: Path) -> None:
    """Thousands of records, each a new instance, in two shards with repeats and copies, folded by one process and
    by two: the same bytes, with a sample small enough that the processes' samples merge."""
    mean = default_build.scraped.stat().st_size / len(scraped_lines(default_build))
    many = repeated_records(default_build.scraped, tmp_path / "many.jsonl", int(2.2 * BYTES_PER_SHARE / mean))
    lines = many.read_text(encoding="utf-8").splitlines(keepends=True)
    copies_lines = [line.replace('"dataset": "', '"dataset": "copies-', 1) for line in lines[:50]]
    shards = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    shards[0].write_text("".join(lines[: len(lines) // 2] + copies_lines), encoding="utf-8")
    shards[1].write_text("".join(lines[len(lines) // 2 - 20 :] + lines[:10]), encoding="utf-8")
    options = replace(OPTIONS, tracked_values=50)
    outs = {jobs: tmp_path / f"jobs-{jobs}.json" for jobs in (1, 2)}
    for jobs, out in outs.items():
        aggregate_to_file(shards, out, standard, replace(options, jobs=jobs))
    assert outs[1].read_bytes() == outs[2].read_bytes()
    result = load_aggregate(outs[2])
    assert result["attributes"]["00080018"]["distinct_exact"] is False
    copies, scraped = (sum(d[count] for d in result["datasets"]) for count in ("copies", "scraped"))
    assert copies > 40 and copies + scraped == len(lines) + len(copies_lines)


def test_two_processes_stop_at_the_first_bad_line(default_build: Build, standard, tmp_path: Path) -> None:
    first, second = scraped_lines(default_build)[:2]
    odd = '{"elements": [{"vr": "CS"}], "source": {"dataset": "d", "path": "odd"}}\n'
    shards = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    shards[0].write_text(first * (BYTES_PER_SHARE // len(first) + 1), encoding="utf-8")
    repeats = BYTES_PER_SHARE // len(second) // 2
    shards[1].write_text(second * 1000 + odd + second * repeats + "not json\n" + second * repeats, encoding="utf-8")
    for jobs in (1, 2):
        with pytest.raises(DicomrefError, match=r"b.jsonl:1001: an element is not as `dicomref scrape` writes it"):
            aggregate(shards, standard, replace(OPTIONS, jobs=jobs))
