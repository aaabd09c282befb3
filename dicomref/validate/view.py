"""A small neutral view of a DICOM dataset: what the rules look at, from a pydicom Dataset or a scraped record.

Both sources give each element's presence, emptiness and value text, nested in sequence items.
A scraped record never holds sequence elements themselves or OB values, and its items are
recovered from the order of the elements (each item's tags ascend), so its view is marked
`complete=False`: the absence of an SQ or OB attribute there is unknown, not missing.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from dicomref.formats.scraped import ScrapedElement, ScrapedRecord
from dicomref.scrape.extract import BULK_VRS, _as_written, _encodings, value_text

KeyFor = Callable[[int], "str | None"]  # a concrete tag's dictionary key ('60xx0010' for 0x60020010)
SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR"})


@dataclass(slots=True)
class Element:
    tag: str  # the concrete tag, 8 upper-case hex digits
    vr: str
    text: str | None  # the value as written, multiple values joined by '\'; None for binary and sequences
    empty: bool
    truncated: bool = False  # the text is only the value's beginning
    items: list[Item] | None = None  # a sequence's items

    def values(self) -> list[str]:
        """The values that can be judged: a cut-short last value is left out."""
        if not self.text:
            return []
        values = [self.text] if self.vr in SINGLE_VALUE_VRS else self.text.split("\\")
        return values[:-1] if self.truncated else values


@dataclass(slots=True)
class Item:
    """A dataset or a sequence item; elements keyed by dictionary key (the first of a repeating group wins)."""

    elements: dict[str, Element] = field(default_factory=dict)
    complete: bool = True  # whether an SQ or OB attribute absent here is known to be absent

    def add(self, key: str, element: Element) -> None:
        self.elements.setdefault(key, element)


def _key(tag: int, key_for: KeyFor) -> str:
    return key_for(tag) or f"{tag:08X}"


def from_dataset(dataset: Dataset, key_for: KeyFor) -> Item:
    """The view of a file read by pydicom: file meta and dataset in one root item."""
    key_for = functools.cache(key_for)  # a multi-frame file's items repeat their tags frame by frame
    root = Item()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dataset.file_meta:
            _fill(root, dataset.file_meta, key_for)
        _fill(root, dataset, key_for)
    return root


def _fill(item: Item, dataset: Dataset, key_for: KeyFor) -> None:
    encodings = _encodings(dataset)
    for tag in dataset.keys():  # noqa: SIM118 (iterating a Dataset yields its elements, read and converted)
        if tag.is_private or tag.group == 0xFFFE:
            continue
        try:
            raw = dataset.get_item(tag, keep_deferred=True)
        except Exception:
            continue
        item.add(_key(int(tag), key_for), _element(dataset, tag, raw, key_for, encodings))


def _element(dataset: Dataset, tag: int, raw: object, key_for: KeyFor, encodings: list[str]) -> Element:
    key = f"{int(tag):08X}"
    vr = str(getattr(raw, "VR", "") or "")
    if not vr:
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            vr = "UN"
    length = getattr(raw, "length", None)
    if isinstance(raw, RawDataElement) and raw.value is None and length:  # deferred: a large value
        return Element(key, vr, None, False)
    if vr in BULK_VRS or vr.startswith("OB") or vr == "UN":
        value = getattr(raw, "value", None)
        size = len(value) if isinstance(value, (bytes, bytearray)) else (length or 0)
        return Element(key, vr, None, size == 0 and length != 0xFFFFFFFF)
    if isinstance(raw, RawDataElement) and vr != "SQ" and raw.value is not None:
        try:  # the text straight from the bytes, as scrape reads it: far cheaper than pydicom's conversion
            text = _as_written(raw.value, vr, encodings, raw.is_little_endian)
        except Exception:
            text = None
        if text is not None:
            return Element(key, vr, text, text == "")
    try:
        element = dataset[tag]
    except Exception:
        return Element(key, vr, None, not length)
    vr = element.VR
    if vr == "SQ":
        items = []
        for dataset_item in element.value or ():
            child = Item()
            _fill(child, dataset_item, key_for)
            items.append(child)
        return Element(key, vr, None, not items, items=items)
    if vr in BULK_VRS or vr.startswith("OB"):
        return Element(key, vr, None, element.is_empty)
    try:
        text = value_text(element)
    except Exception:
        text = ""
    return Element(key, vr, text, text == "")


def from_record(record: ScrapedRecord, key_for: KeyFor) -> Item:
    """The view of a scraped record; items are rebuilt where a tag does not ascend within its sequence."""
    root = Item(complete=False)
    # The open items from the top level down, with the last tag met in each and the sequence path to them.
    stack: list[tuple[Item, list[int]]] = [(root, [-1])]
    path: list[str] = []
    for scraped in record["elements"]:
        _place(scraped, stack, path, key_for)
    return root


def _place(scraped: ScrapedElement, stack: list[tuple[Item, list[int]]], path: list[str], key_for: KeyFor) -> None:
    wanted = scraped["path"]
    common = 0
    while common < min(len(path), len(wanted)) and path[common] == wanted[common]:
        common += 1
    del path[common:], stack[common + 1 :]
    for sequence_key in wanted[common:]:
        _enter(sequence_key, stack, path, key_for)
    tag = int(scraped["tag"], 16)
    item, last = stack[-1]
    if tag <= last[0] and len(stack) > 1:  # a tag that does not ascend starts the sequence's next item
        _next_item(stack, path, key_for)
        item, last = stack[-1]
    last[0] = tag
    item.add(_key(tag, key_for), scraped_element(scraped))


def scraped_element(scraped: ScrapedElement) -> Element:
    value = scraped.get("value")
    empty = (value == "") if value is not None else scraped["length"] == 0
    return Element(scraped["tag"], scraped["vr"], value, empty, scraped["truncated"])


def _enter(sequence_key: str, stack: list[tuple[Item, list[int]]], path: list[str], key_for: KeyFor) -> None:
    tag = int(sequence_key, 16)
    item, last = stack[-1]
    if tag <= last[0] and len(stack) > 1:
        _next_item(stack, path, key_for)
        item, last = stack[-1]
    last[0] = tag
    key = _key(tag, key_for)
    sequence = item.elements.get(key)
    if sequence is None or sequence.items is None:
        sequence = Element(sequence_key, "SQ", None, False, items=[])
        item.elements[key] = sequence
    child = Item(complete=False)
    sequence.items.append(child)  # type: ignore[union-attr]
    stack.append((child, [-1]))
    path.append(sequence_key)


def _next_item(stack: list[tuple[Item, list[int]]], path: list[str], key_for: KeyFor) -> None:
    """Close the innermost item and open the next one of the same sequence."""
    sequence_key = path.pop()
    stack.pop()
    parent, _ = stack[-1]
    sequence = parent.elements[_key(int(sequence_key, 16), key_for)]
    child = Item(complete=False)
    sequence.items.append(child)  # type: ignore[union-attr]
    stack.append((child, [-1]))
    path.append(sequence_key)


def walk(item: Item, path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], str, Element]]:
    """Every element at every depth, with the concrete tags of its enclosing sequences."""
    for key, element in item.elements.items():
        yield path, key, element
        for child in element.items or ():
            yield from walk(child, (*path, element.tag))
