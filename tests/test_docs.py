"""The reference under docs/ stays true to the code."""

from __future__ import annotations

from dicomref.cli_reference import cli_reference
from tests.conftest import REPO


def test_the_cli_reference_is_current() -> None:
    """docs/cli.md is the app's own help; a changed option or help text must be regenerated with `make docs`."""
    written = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == cli_reference(), "docs/cli.md is stale: run `make docs`"
    assert "## dicomref scrape" in written and "Example" in written
