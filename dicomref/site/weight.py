"""How heavy the built pages are: bytes and elements of the largest, which bound how fast a phone shows them."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# What a page of the default build may weigh at most.
MAX_PAGE_BYTES = 250_000
MAX_PAGE_ELEMENTS = 4_000


@dataclass(frozen=True)
class PageWeight:
    path: str  # inside the site
    bytes: int
    elements: int


class _ElementCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.count += 1


def count_elements(html: str) -> int:
    counter = _ElementCounter()
    counter.feed(html)
    counter.close()
    return counter.count


def largest_pages(site: Path, count: int = 5) -> list[PageWeight]:
    """The `count` largest HTML pages by bytes, largest first (ties by path)."""
    sized = sorted(((p.stat().st_size, p) for p in site.rglob("*.html")), key=lambda sp: (-sp[0], sp[1].as_posix()))
    return [
        PageWeight(path.relative_to(site).as_posix(), size, count_elements(path.read_text(encoding="utf-8")))
        for size, path in sized[:count]
    ]
