"""The model's dictionary is pydicom's, entry for entry, with repeating groups matched by concrete tags."""

from __future__ import annotations

import re

import pytest
from pydicom.datadict import DicomDictionary, RepeatersDictionary

from dicomref.standard import Dictionary, Standard
from dicomref.standard.dictionary import dictionary_release


def repeating_key(raw: str) -> str:
    return raw.upper().replace("X", "x")


def assert_same_entry(entry, pydicom_entry: tuple[str, str, str, str, str]) -> None:
    vr, vm, name, retired, keyword = pydicom_entry
    assert (entry.vr, entry.vm, entry.name, entry.keyword, entry.retired) == (
        vr,
        vm,
        "" if name == "Retired-blank" else name,  # pydicom's stand-in for PS3.6's blank name
        keyword,
        retired == "Retired",
    )


def test_every_pydicom_entry_is_in_the_model_unchanged(standard: Standard) -> None:
    for tag, pydicom_entry in DicomDictionary.items():
        key = f"{tag:08X}"
        entry = standard.entry(key)
        assert entry is not None, key
        assert entry.tag == key
        assert_same_entry(entry, pydicom_entry)
        assert standard.dictionary.key_for(tag) == key
    for raw, pydicom_entry in RepeatersDictionary.items():
        entry = standard.entry(repeating_key(raw))
        assert entry is not None, raw
        assert entry.repeating
        assert_same_entry(entry, pydicom_entry)
    assert len(standard.dictionary) == len(DicomDictionary) + len(RepeatersDictionary)


def test_multi_vr_entries_keep_every_vr(standard: Standard) -> None:
    assert standard.entry("00280106").vr == "US or SS"  # Smallest Image Pixel Value
    assert standard.entry("7FE00010").vr == "OB or OW"  # Pixel Data
    assert {e.vr for e in standard.dictionary if " or " in e.vr} >= {
        "US or SS",
        "OB or OW",
        "US or SS or OW",
        "US or OW",
    }


def concrete_tags(raw: str) -> list[int]:
    """Concrete tags a repeating entry stands for: the x digits filled in several ways."""
    key = repeating_key(raw)
    if "x" in key[:4]:  # 50xx, 60xx, 7Fxx: even groups 00-1E
        return [int(key[:2] + xx + key[4:], 16) for xx in ("00", "02", "0E", "1E")]
    return [int(key.replace("x", digit), 16) for digit in "05AF"]


@pytest.mark.parametrize("raw", sorted(RepeatersDictionary))
def test_concrete_tags_of_a_repeating_entry_count_for_it(raw: str, standard: Standard) -> None:
    dictionary = standard.dictionary
    matched = [tag for tag in concrete_tags(raw) if tag not in DicomDictionary]  # an exact entry wins: (0028,0400)
    assert matched, raw
    for tag in matched:
        assert dictionary.key_for(tag) == repeating_key(raw), f"{tag:08X}"


@pytest.mark.parametrize("group", ["5001", "6001", "601F", "7F01", "6020", "6100", "60FE", "5020"])
def test_odd_and_out_of_range_groups_never_fold_onto_a_repeating_entry(group: str, standard: Standard) -> None:
    dictionary = standard.dictionary
    for element in ("0010", "3000", "0005"):
        assert dictionary.key_for(int(group + element, 16)) is None


def test_private_tags_are_unknown() -> None:
    dictionary = Dictionary()
    assert dictionary.key_for(0x00090010) is None
    assert dictionary.key_for(0x00291010) is None


def test_command_and_file_meta_groups_are_included_and_marked(standard: Standard) -> None:
    kinds = {e.group: e.kind for e in standard.dictionary if e.group in ("0000", "0002", "0008")}
    assert kinds == {"0000": "command", "0002": "file meta", "0008": "data"}
    assert standard.entry("00020010").name == "Transfer Syntax UID"
    assert standard.entry("00000100").keyword == "CommandField"


def test_keys_are_eight_upper_hex_digits_or_lower_x(standard: Standard) -> None:
    for entry in standard.dictionary:
        assert re.fullmatch(r"[0-9A-Fx]{8}", entry.tag), entry.tag
        assert entry.display == f"({entry.tag[:4]},{entry.tag[4:]})"


def test_lookups_by_keyword_and_name_ignore_case_and_spacing() -> None:
    dictionary = Dictionary()
    assert dictionary.by_keyword("patientname").tag == "00100010"
    assert dictionary.by_name("  PATIENT'S   name ").tag == "00100010"
    assert dictionary.by_name("Overlay Rows").tag == "60xx0010"
    assert dictionary.by_name("No Such Name") is None


def test_the_dictionary_names_its_edition() -> None:
    assert re.fullmatch(r"20\d\d[a-e]", dictionary_release())


def test_an_exact_entry_wins_over_a_repeating_one(standard: Standard) -> None:
    assert standard.dictionary.key_for(0x00280400) == "00280400"  # Transform Label, not (0028,04x0)
    assert standard.dictionary.key_for(0x00280410) == "002804x0"
