"""Long listings split into parts, so that no page grows past what a phone renders quickly.

Group 0018 holds over 750 attributes; a part holds at most ROWS_PER_PART rows. The first part
keeps the listing's address, so links to it stay valid; part n is at `<listing>/n/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ROWS_PER_PART = 300


@dataclass(frozen=True)
class Part:
    path: str
    number: int  # from 1
    rows: list[dict]
    nav: list[dict]  # every part: label, url, current; empty when there is one part


def part_path(path: str, index: int) -> str:
    """The page holding the listing's row at index: the listing's page, or its N-th part (.../3/index.html)."""
    number = index // ROWS_PER_PART + 1
    return path if number == 1 else path.removesuffix("index.html") + f"{number}/index.html"


def split(path: str, rows: list[dict], label: Callable[[dict], str]) -> list[Part]:
    """The listing's parts; each part is labelled by its first and last rows."""
    chunks = [rows[i : i + ROWS_PER_PART] for i in range(0, len(rows), ROWS_PER_PART)] or [[]]
    paths = [part_path(path, i * ROWS_PER_PART) for i in range(len(chunks))]
    labels = [f"{label(c[0])} – {label(c[-1])}" if c else "" for c in chunks]
    parts = []
    for number, (chunk, own) in enumerate(zip(chunks, paths, strict=True), start=1):
        nav = (
            [{"label": text, "url": p, "current": p == own} for text, p in zip(labels, paths, strict=True)]
            if len(chunks) > 1
            else []
        )
        parts.append(Part(own, number, chunk, nav))
    return parts
