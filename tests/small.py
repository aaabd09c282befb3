"""A small standard (a few modules, macros and IODs of the real one) and a build from two real files.

Tests of atomic writes, kills and link-check failures need a whole site, not the whole standard: built
from this, a site has a few hundred pages instead of thousands. `python -m tests.small AGGREGATE OUT`
builds a site from it in a process of its own, for tests that kill the build.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
from pathlib import Path

from pydicom.data import get_testdata_file

from dicomref.aggregate import AggregateOptions, aggregate_to_file
from dicomref.formats.aggregate import load_aggregate
from dicomref.scrape import ScrapeInput, ScrapeOptions, scrape
from dicomref.site import build_site
from dicomref.standard import Standard, load_standard

IODS = ("ct-image", "enhanced-ct-image")
MACROS = ("pixel-measures", "frame-content", "plane-position-patient")
FILES = ("CT_small.dcm", "MR_small.dcm")
# Filled in again by Standard.__post_init__ from the modules, macros and IODs kept.
DERIVED = (
    "usages",
    "iods_by_module",
    "sop_class_names",
    "macro_usages",
    "iods_by_macro",
    "module_inclusions",
    "group_inclusions",
    "value_sets",
)


def subset_standard(full: Standard) -> Standard:
    """Two IODs with their modules, three macros, and the dictionary entries they use."""
    iods = {id: full.iods[id] for id in IODS}
    modules = {m.module_id: full.modules[m.module_id] for iod in iods.values() for m in iod.modules}
    macros = {id: full.macros[id] for id in MACROS}
    kept = {a.tag for table in [*modules.values(), *macros.values()] for a in table.attributes}
    kept |= {path_tag for table in modules.values() for a in table.attributes for path_tag in a.path}
    dictionary = copy.copy(full.dictionary)
    dictionary.entries = {key: entry for key, entry in full.dictionary.entries.items() if key in kept}
    return dataclasses.replace(
        full,
        dictionary=dictionary,
        modules=modules,
        macros=macros,
        iods=iods,
        identifying=frozenset(key for key in full.identifying if key in kept),
        listed_in_2020=frozenset(key for key in full.listed_in_2020 if key in kept),
        **{name: {} for name in DERIVED},
    )


def small_build(folder: Path, standard: Standard) -> tuple[Path, Path]:
    """Scrape two real files, aggregate them against `standard` and build the site: (aggregate, site)."""
    data = folder / "files"
    data.mkdir(parents=True)
    for name in FILES:
        (data / name).write_bytes(Path(get_testdata_file(name)).read_bytes())
    scraped = folder / "scraped.jsonl"
    scrape([ScrapeInput("small", data)], scraped, ScrapeOptions(jobs=1))
    aggregate = folder / "aggregate.json"
    aggregate_to_file([scraped], aggregate, standard, AggregateOptions())
    build_site(load_aggregate(aggregate), standard, folder / "site")
    return aggregate, folder / "site"


if __name__ == "__main__":
    aggregate_file, out = map(Path, sys.argv[1:3])
    build_site(load_aggregate(aggregate_file), subset_standard(load_standard()), out)
