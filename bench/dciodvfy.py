"""dciodvfy (dicom3tools), the reference validator: run it on a file and read its missing and empty attributes.

Its lines name the attribute by keyword and the module, not the sequence path, so the comparison
with `dicomref validate` is by file and attribute.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pydicom.datadict import tag_for_keyword

_REQUIREMENT = re.compile(
    r"^Error - (Missing attribute|Empty attribute \(no value\)|Missing attribute or empty \(no value\))"
    r".*?Type (1C|2C|1|2) (?:Required|Conditional) Element=<(\w+)>"
)


@dataclass(frozen=True)
class Requirement:
    """A Type 1 or 2 attribute (or 1C, 2C) found missing or empty."""

    code: str  # missing or empty
    tag: str  # 8 upper-case hex digits, or dciodvfy's keyword when pydicom does not know it
    conditional: bool


def dciodvfy() -> Path | None:
    """The binary the dicom3tools package installs beside this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / "dciodvfy"
    if beside.exists():
        return beside
    found = shutil.which("dciodvfy")
    return Path(found) if found else None


def run_dciodvfy(binary: Path, path: Path, timeout: float = 60) -> str:
    result = subprocess.run([str(binary), str(path)], capture_output=True, text=True, errors="replace", timeout=timeout)
    return result.stdout + result.stderr


def requirements(output: str) -> set[Requirement]:
    found = set()
    for line in output.splitlines():
        match = _REQUIREMENT.match(line.strip())
        if match is None:
            continue
        kind, type_, keyword = match.groups()
        tag = tag_for_keyword(keyword)
        key = f"{tag:08X}" if tag is not None else keyword
        found.add(Requirement("missing" if kind == "Missing attribute" else "empty", key, type_.endswith("C")))
    return found


def read_failed(output: str) -> bool:
    """dciodvfy could not read the file through, or found no IOD: its findings are not a judgement of the file."""
    return any(
        phrase in output
        for phrase in ("read failed", "Information Object Not found", "Tags out of order", "Seek failed")
    )
