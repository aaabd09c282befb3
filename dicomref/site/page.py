"""A page of the site: its path, template, title and typed context, and the wording shared by every page kind.

Every page kind's context is a dataclass of its own (a subclass of PageContext) built by its builder module;
templates only render what the context says, plurals and cut lists included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dicomref import urls

NAV = (
    ("iods", "IODs", urls.IODS),
    ("modules", "Modules", urls.MODULES),
    ("attributes", "Attributes", urls.GROUPS),
    ("uids", "UIDs", urls.UIDS),
    ("inspect", "Inspect", urls.INSPECT),
    ("coverage", "Coverage", urls.COVERAGE),
    ("about", "About", urls.ABOUT),
)


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str | None = None  # None for the current page


@dataclass(frozen=True)
class PageContext:
    """What a page's template shows beyond the page itself; each page kind extends it."""


@dataclass(frozen=True)
class Page:
    path: str  # output path relative to the site root, always ending in index.html or .html
    template: str
    title: str
    context: PageContext = field(default_factory=PageContext)
    section: str = ""  # the main navigation entry this page belongs to
    summary: str = ""  # the meta description
    crumbs: tuple[Crumb, ...] = ()
    base: str = ""  # an absolute base path, for a page served at any depth (404.html)

    @property
    def root(self) -> str:
        """The relative prefix from this page back to the site root ('' or '../../')."""
        return "" if self.base else urls.root_of(self.path)


@dataclass(frozen=True)
class PageSource:
    """A page known by its path before it is built, so that the build can share the building out."""

    path: str
    build: Callable[[], Page]


def ready(page: Page) -> PageSource:
    """A page built already (a cheap one), as a source."""
    return PageSource(page.path, lambda: page)


def crumbs(*pairs: tuple[str, str | None]) -> tuple[Crumb, ...]:
    return (Crumb("Home", urls.HOME), *(Crumb(label, url) for label, url in pairs))


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 file', '2,048 files'."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def noun(count: int, word: str, many: str | None = None) -> str:
    """The word alone, in the number the count asks for: 'file', 'files'."""
    return word if count == 1 else many or word + "s"


def visible(text: str | None) -> str | None:
    """Control characters (a NUL written as padding, say) shown as their symbols, U+2400 onwards."""
    if text is None or text.isprintable():
        return text
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 else "\u2421" if c == "\x7f" else c for c in text)
