"""`dicomref idc plan` on the real installed IDC index: coverage, determinism, limits, the missing extra."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicomref.cli import app

pq = pytest.importorskip("pyarrow.parquet", reason="the IDC extra is not installed: pip install 'dicomref[idc]'")
pytest.importorskip("duckdb")
idc_index_data = pytest.importorskip("idc_index_data")

from dicomref.idc.plan import (  # noqa: E402
    DEFAULT_LICENCES,
    NON_COMMERCIAL_LICENCES,
    PlanOptions,
    make_plan,
    plan_csv,
)

runner = CliRunner()


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(text.splitlines()))


def _allowed_combinations(licences: tuple[str, ...]) -> set[tuple[str, str, str]]:
    """(modality, SOP class, manufacturer) of every series under an allowed licence, read independently of dicomref."""
    columns = ["Modality", "SOPClassUID", "Manufacturer", "license_short_name"]
    table = pq.read_table(idc_index_data.IDC_INDEX_PARQUET_FILEPATH, columns=columns)
    values = [table.column(name).to_pylist() for name in columns]
    return {
        (modality or "", sop_class or "", manufacturer or "")
        for modality, sop_class, manufacturer, licence in zip(*values, strict=True)
        if licence in licences
    }


@pytest.fixture(scope="module")
def default_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("plan") / "plan.csv"
    result = runner.invoke(app, ["idc", "plan", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_plan_covers_every_allowed_combination(default_plan: tuple[Path, str]) -> None:
    out, summary = default_plan
    rows = _rows(out.read_text(encoding="utf-8"))
    planned = {(r["modality"], r["sop_class_uid"], r["manufacturer"]) for r in rows}
    combinations = _allowed_combinations(DEFAULT_LICENCES)
    print(
        f"\n{len(combinations)} (modality, SOP class, manufacturer) combinations under CC BY, "
        f"{len(rows)} series planned"
    )
    assert combinations <= planned
    assert len(combinations) > 200  # IDC v25 has 255 under CC BY 4.0 and 3.0
    assert len(rows) <= 1500
    assert {r["license"] for r in rows} <= set(DEFAULT_LICENCES)
    assert len({r["series_instance_uid"] for r in rows}) == len(rows)
    assert all(r["crdc_series_uuid"] and r["aws_bucket"].startswith("idc-open-data") and r["adds"] for r in rows)
    assert f"IDC index {idc_index_data.__version__}: {len(rows):,} series" in summary
    assert f"{len(rows):,} series planned" in summary


def test_two_runs_give_the_same_bytes(default_plan: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = default_plan
    again = tmp_path / "again.csv"
    result = runner.invoke(app, ["idc", "plan", "--out", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == out.read_bytes()


def test_licence_size_and_budget_limits_hold() -> None:
    options = PlanOptions(budget=60, max_series_mb=20.0, max_instance_mb=0.5)
    plan = make_plan(options)
    rows = _rows(plan_csv(plan))
    assert len(rows) == 60
    for row in rows:
        assert row["license"] in DEFAULT_LICENCES
        assert float(row["series_size_mb"]) <= 20.0
        assert float(row["series_size_mb"]) / int(row["instance_count"]) <= 0.5
    # Greedy order: the first series adds the most, so a smaller budget is a prefix of a larger one.
    smaller = _rows(plan_csv(make_plan(PlanOptions(budget=10, max_series_mb=20.0, max_instance_mb=0.5))))
    assert smaller == rows[:10]


def test_non_commercial_only_when_asked() -> None:
    default = make_plan(PlanOptions(dimensions=("modality", "sop_class", "manufacturer"), budget=400))
    asked = make_plan(
        PlanOptions(
            dimensions=("modality", "sop_class", "manufacturer"),
            budget=400,
            licences=DEFAULT_LICENCES + NON_COMMERCIAL_LICENCES,
        )
    )
    assert {s.candidate.license for s in default.series} <= set(DEFAULT_LICENCES)
    assert {s.candidate.license for s in asked.series} & set(NON_COMMERCIAL_LICENCES)
    assert asked.available["bucket"] > default.available["bucket"]
    assert asked.covered["bucket"] == asked.available["bucket"]


def test_only_the_dimensions_asked_for_are_counted(tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    result = runner.invoke(app, ["idc", "plan", "--out", str(out), "--dimension", "modality", "--budget", "5"])
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text(encoding="utf-8"))
    assert len(rows) == 5
    assert all(set(item.split("=", 1)[0] for item in r["adds"].split("; ")) <= {"bucket", "modality"} for r in rows)


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["idc", "plan", "--out", str(tmp_path / "p.csv"), "--dimension", "colour"])
    assert result.exit_code == 2
    assert "unknown dimension 'colour'" in result.output
    assert not (tmp_path / "p.csv").exists()


def test_without_the_extra_it_says_how_to_install_it(tmp_path: Path) -> None:
    """With the index's reader unimportable, as on an install without the extra."""
    script = "import sys; sys.modules['duckdb'] = None; from dicomref.cli import app; app()"
    for command in (["idc", "plan", "--out", str(tmp_path / "p.csv")], ["idc", "fetch", str(tmp_path / "p.csv")]):
        done = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            "error: the IDC index is not installed: pip install 'dicomref[idc]'"
        ]
