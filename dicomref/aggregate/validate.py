"""Check example values against their VR's rules (pydicom) and the standard's enumerated values."""

from __future__ import annotations

from pydicom import config
from pydicom.valuerep import validate_value

from dicomref.standard.descriptions import ValueSet

# Numbers we wrote ourselves from binary VRs; they are valid by construction.
BINARY_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV", "FL", "FD", "AT"})
TEXT_VRS_SINGLE_VALUE = frozenset({"LT", "ST", "UT", "UR"})


def check_value(vr: str, text: str, truncated: bool, value_sets: tuple[ValueSet, ...] = ()) -> str | None:
    """None when the value is valid, else a short value-free phrase saying what is wrong."""
    if vr in BINARY_VRS or " or " in vr or vr not in _VALIDATED:
        return None
    values = [text] if vr in TEXT_VRS_SINGLE_VALUE else text.split("\\")
    if truncated:
        values = values[:-1]  # the last value was cut, so its length cannot be judged
    for value in values:
        if value == "" and vr != "PN":
            continue
        try:
            validate_value(vr, value, config.RAISE)
        except (ValueError, TypeError):
            return f"not a valid {vr} value"
    for value_set in value_sets:
        if value_set.kind == "enumerated" and value_set.which is None:
            allowed = set(value_set.values)
            if any(v and v.strip() not in allowed for v in values):
                return "not one of the standard's enumerated values"
    return None


_VALIDATED = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UI", "UR"})
