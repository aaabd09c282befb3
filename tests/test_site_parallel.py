"""The site built by several processes is the site built by one, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dicomref.forked import Claims, run_shares
from dicomref.formats.aggregate import load_aggregate
from dicomref.site import build_site
from tests.conftest import SmallBuild


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


def test_parallel_and_serial_builds_write_the_same_files(small: SmallBuild, tmp_path: Path) -> None:
    aggregate = load_aggregate(small.aggregate)
    serial = build_site(aggregate, small.standard, tmp_path / "serial", jobs=1)
    parallel = build_site(aggregate, small.standard, tmp_path / "parallel", jobs=3)
    assert serial == parallel.__class__(**{**vars(parallel), "out": serial.out})
    assert _tree(tmp_path / "serial") == _tree(tmp_path / "parallel")
    assert serial.pages > 100 and serial.largest_page


def test_an_error_in_a_worker_is_raised_by_the_build(small: SmallBuild, tmp_path: Path) -> None:
    """A page that cannot be built fails the build as it would in one process; the previous site stays."""
    aggregate = load_aggregate(small.aggregate)
    build_site(aggregate, small.standard, tmp_path / "site", jobs=2)
    before = _tree(tmp_path / "site")
    broken = {**aggregate, "attributes": {tag: {"files": 1, "examples": [{}]} for tag in aggregate["attributes"]}}
    with pytest.raises(Exception, match="aggregate file is malformed"):
        build_site(broken, small.standard, tmp_path / "site", jobs=2)  # type: ignore[arg-type]
    assert _tree(tmp_path / "site") == before
    assert not (tmp_path / ".site.building").exists()


def test_claims_hand_each_number_to_one_worker() -> None:
    """Workers drawing from one Claims take every number once between them, whatever their pace."""
    claims = Claims(500)

    def share(worker: int, _report: Callable[[None], None]) -> list[int]:
        return list(claims)

    taken = run_shares(share, 3, lambda _: None, "claims")
    assert sorted(number for numbers in taken for number in numbers) == list(range(500))
    assert all(numbers == sorted(numbers) for numbers in taken)
