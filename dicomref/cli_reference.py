"""docs/cli.md: the command-line reference, generated from the app's own help so it cannot drift.

`make docs` (or `python -m dicomref.cli_reference docs/cli.md`) writes it; a test fails when the
file differs from what the app prints today.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from dicomref.cli import app
from dicomref.files import write_text_atomic

WIDTH = 100


def _help(arguments: list[str]) -> str:
    result = CliRunner().invoke(app, [*arguments, "--help"], env={"NO_COLOR": "1", "COLUMNS": str(WIDTH)})
    if result.exit_code != 0:
        raise RuntimeError(f"dicomref {' '.join(arguments)} --help failed: {result.output}")
    return "\n".join(line.rstrip() for line in result.output.strip().splitlines())


def cli_reference() -> str:
    commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    parts = [
        "# dicomref command-line reference",
        "",
        "Every command's `--help`, as the app prints it (regenerate with `make docs`).",
        "",
        *[f"- [`dicomref {name}`](#dicomref-{name})" for name in commands],
        "",
        "## dicomref",
        "",
        "```text",
        _help([]),
        "```",
    ]
    for name in commands:
        parts += ["", f"## dicomref {name}", "", "```text", _help([name]), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    write_text_atomic(Path(sys.argv[1]), cli_reference())
