"""How far `dicomref validate` agrees with dciodvfy on missing and empty Type 1 and 2 attributes, file by file.

Recall: the share of dciodvfy's findings that dicomref makes too; precision: the share of
dicomref's that dciodvfy confirms; each for unconditional (Type 1, 2) and conditional (1C, 2C)
requirements, classed by the validator making the finding. Files either cannot read, or whose
IOD either does not know, are left out and counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.dciodvfy import Requirement, read_failed, requirements, run_dciodvfy
from dicomref.validate.engine import Validator
from dicomref.validate.files import check_paths

Key = tuple[str, str, str]  # file, code, tag


@dataclass
class Agreement:
    files: int = 0
    left_out: int = 0
    ours: dict[bool, set[Key]] = field(default_factory=lambda: {False: set(), True: set()})
    theirs: dict[bool, set[Key]] = field(default_factory=lambda: {False: set(), True: set()})

    def _all(self, side: dict[bool, set[Key]]) -> set[Key]:
        return side[False] | side[True]

    def recall(self, conditional: bool) -> float:
        theirs = self.theirs[conditional]
        return len(theirs & self._all(self.ours)) / len(theirs) if theirs else 1.0

    def precision(self, conditional: bool) -> float:
        ours = self.ours[conditional]
        return len(ours & self._all(self.theirs)) / len(ours) if ours else 1.0

    def only_ours(self, conditional: bool) -> set[Key]:
        return self.ours[conditional] - self._all(self.theirs)

    def only_theirs(self, conditional: bool) -> set[Key]:
        return self.theirs[conditional] - self._all(self.ours)

    def figures(self) -> str:
        return (
            f"{self.files} files compared ({self.left_out} left out): "
            f"Type 1/2 recall {self.recall(False):.1%} precision {self.precision(False):.1%}; "
            f"1C/2C recall {self.recall(True):.1%} precision {self.precision(True):.1%} "
            f"(dciodvfy {len(self.theirs[False])}+{len(self.theirs[True])}, "
            f"dicomref {len(self.ours[False])}+{len(self.ours[True])} findings)"
        )


def compare(files: Iterable[Path], validator: Validator, binary: Path, jobs: int = 2) -> Agreement:
    agreement = Agreement()
    files = list(files)
    with ThreadPoolExecutor(jobs) as pool:  # dciodvfy runs as a process per file: two at a time on two cores
        outputs = pool.map(lambda path: run_dciodvfy(binary, path), files)
        for path, output in zip(files, outputs, strict=True):
            _add(agreement, path, output, validator)
    return agreement


def _add(agreement: Agreement, path: Path, output: str, validator: Validator) -> None:
    checked = next(iter(check_paths([path], validator)), None)
    if checked is None or checked.report is None or checked.report.iod is None:
        agreement.left_out += 1
        return
    if read_failed(output):
        agreement.left_out += 1
        return
    agreement.files += 1
    name = str(path)
    for finding in checked.report.findings:
        if finding.severity == "error" and finding.code in {"missing", "empty"}:
            agreement.ours[finding.conditional].add((name, finding.code, finding.tag))
    found: Requirement
    for found in requirements(output):
        agreement.theirs[found.conditional].add((name, found.code, found.tag))


def corpus_files(manifest: Path, datasets: Iterable[str], corpora: Path) -> list[Path]:
    """Every file of the named datasets and of the shared corpora where present: plain files only, as dciodvfy
    reads neither .gz files nor zip members."""
    from dicomref.datasets import load_manifest

    wanted = set(datasets)
    roots = [d.root for d in load_manifest(manifest) if d.name in wanted and d.root is not None]
    if corpora.is_dir():
        roots.append(corpora)
    return [
        Path(folder) / name
        for root in sorted(roots)
        for folder, _, names in os.walk(root)
        for name in sorted(names)
        if not name.lower().endswith((".gz", ".zip"))
    ]
