"""Withhold identifying values unless every contributing dataset is declared de-identified."""

from __future__ import annotations

from pydicom.uid import UID_dictionary

WITHHELD = "withheld: identifying attribute (PS3.15 Basic Profile) from a dataset not declared de-identified"
UID_ROOT_ONLY = "UID reduced to its organisation root: dataset not declared de-identified"

# Registration arcs whose next component names the organisation.
_ORG_ARCS = (("1", "2", "840"), ("1", "3", "6", "1", "4", "1"), ("1", "2", "826", "0", "1"), ("1", "3", "12", "2"))


def uid_root(uid: str) -> str:
    """The organisation part of a UID: the arc it is registered under plus one component.

    '1.3.6.1.4.1.5962.1.1.1' -> '1.3.6.1.4.1.5962'; '2.25.123...' -> '2.25'; otherwise the first four components.
    """
    parts = uid.split(".")
    if parts[:2] == ["2", "25"]:
        return "2.25"
    for arc in sorted(_ORG_ARCS, key=len, reverse=True):
        if tuple(parts[: len(arc)]) == arc and len(parts) > len(arc):
            return ".".join(parts[: len(arc) + 1])
    return ".".join(parts[:4])


def is_public_uid(uid: str) -> bool:
    """UIDs the standard itself defines (SOP classes, transfer syntaxes, ...) identify nobody."""
    return uid in UID_dictionary or uid.startswith("1.2.840.10008.")


def redact(key: str, vr: str, value: str, identifying: frozenset[str]) -> tuple[str | None, str | None]:
    """(value to publish, why it changed) for a value from a dataset not declared de-identified."""
    if vr == "UI":
        uids = value.split("\\")
        if all(is_public_uid(u) for u in uids if u):
            return value, None
        return "\\".join(u if is_public_uid(u) else uid_root(u) + ".…" for u in uids), UID_ROOT_ONLY
    if key in identifying:
        return None, WITHHELD
    return value, None
