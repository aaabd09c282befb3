"""Named pause points: a run can be stopped at a known moment of its work, never at a guessed time.

Setting `DICOMREF_PAUSE_AT=NAME` (or `NAME:N`, the N-th time the run passes that point) makes the run
print `dicomref: paused at NAME` on standard error and wait there until it is killed. Tests of
interrupted runs use it to kill a scrape, an aggregate or a site build mid-write, whatever the load
of the machine; nothing pauses when the variable is unset.

The points: `scrape-record:N` (after the N-th record is written), `replace:FILE` (a file written
beside its target, not yet renamed over it), `site-page:N` (after the N-th page of a site build is
written), `swap:FOLDER` (between the two renames that swap a built folder into place) and
`idc-download:N` (the N-th object of `dicomref idc fetch` half downloaded).
"""

from __future__ import annotations

import os
import sys
import time

ENVIRONMENT_VARIABLE = "DICOMREF_PAUSE_AT"
ANNOUNCEMENT = "dicomref: paused at "


def pause_point(name: str, count: int | None = None) -> None:
    """Wait here for ever when the environment names this point (with `count`, this pass of it)."""
    wanted = os.environ.get(ENVIRONMENT_VARIABLE)
    if not wanted or (wanted != name and wanted != f"{name}:{count}"):
        return
    sys.stderr.write(f"{ANNOUNCEMENT}{wanted}\n")
    sys.stderr.flush()
    while True:
        time.sleep(3600)
