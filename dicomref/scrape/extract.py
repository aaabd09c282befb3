"""Turn a fully read DICOM file into the public elements we keep: text values, nesting, no private data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

BULK_VRS = frozenset({"OW", "OF", "OD", "OL", "OV"})
BINARY_INT_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV"})


@dataclass(frozen=True)
class ExtractOptions:
    max_length: int = 64
    exclude: frozenset[int] = frozenset()
    top_level_only: bool = False


def _format_one(value: object, vr: str) -> str:
    if vr == "AT":
        tag = BaseTag(int(value))  # type: ignore[arg-type]
        return f"({tag.group:04X},{tag.element:04X})"
    if vr == "FL":
        return f"{float(value):.7g}"  # type: ignore[arg-type]
    if vr == "FD":
        return repr(float(value))  # type: ignore[arg-type]
    if vr in BINARY_INT_VRS:
        return str(int(value))  # type: ignore[call-overload]
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value)


def value_text(element: DataElement) -> str:
    """The value as DICOM writes it: text as read (DS/IS keep their string), multiple values joined by '\\'."""
    value = element.value
    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(_format_one(v, element.VR) for v in value)
    return _format_one(value, element.VR)


def _is_bulk(element: DataElement) -> bool:
    if element.VR in BULK_VRS:
        return True
    if element.VR == "UN":
        try:
            dictionary_VR(element.tag)
        except KeyError:
            return True
    return False


def _byte_length(element: DataElement) -> int:
    value = element.value
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return int(getattr(element, "length", 0) or 0)


def _elements(dataset: Dataset, path: tuple[str, ...], options: ExtractOptions) -> Iterator[dict]:
    for element in dataset:
        tag = element.tag
        if tag.is_private or tag in options.exclude:
            continue
        key = f"{int(tag):08X}"
        if element.VR == "SQ":
            if options.top_level_only:
                continue
            for item in element.value or ():
                yield from _elements(item, path + (key,), options)
            continue
        if element.VR == "OB" or element.VR.startswith("OB "):
            continue
        if _is_bulk(element):
            yield {"tag": key, "vr": element.VR, "length": _byte_length(element), "truncated": False, "path": list(path)}
            continue
        try:
            text = value_text(element)
        except Exception:  # a malformed value must not cost the rest of the file
            raw = element.value if isinstance(element.value, bytes) else b""
            text = raw.decode("ascii", "replace")
        truncated = len(text) > options.max_length
        yield {
            "tag": key,
            "vr": element.VR,
            "value": text[: options.max_length] if truncated else text,
            "length": len(text),
            "truncated": truncated,
            "path": list(path),
        }


def extract_elements(dataset: Dataset, options: ExtractOptions) -> list[dict]:
    """File meta first, then the dataset, depth first; nested elements carry their sequence path."""
    meta: Iterable[dict] = _elements(dataset.file_meta, (), options) if dataset.file_meta else ()
    return [*meta, *_elements(dataset, (), options)]
