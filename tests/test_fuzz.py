"""Hypothesis mutates real files; series discovery and value extraction either answer or name a reason
free of values. Nothing raises, nothing hangs, and every record is one the aggregate stage can read."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomref.scrape.discovery import ProbeError, probe_series_uid
from dicomref.scrape.extract import ExtractOptions
from dicomref.scrape.sources import Candidate
from dicomref.scrape.tasks import ReadTask, read_series
from tests.test_discovery import REASON as PROBE_REASON
from tests.test_discovery import SEEDS
from tests.test_hostile import REASON as READ_REASON

SEED_BYTES = [path.read_bytes() for path in SEEDS]
OFFSETS = st.one_of(st.integers(0, 4095), st.integers(0, 1 << 20))  # the head, where discovery reads, or anywhere
EDITS = st.lists(
    st.tuples(OFFSETS, st.integers(0, 255), st.sampled_from(["set", "delete", "insert", "truncate"])),
    min_size=1,
    max_size=8,
)
pytestmark = pytest.mark.fuzz
# 200 examples each in `make test`; `make test-long` searches deeper (DICOMREF_FUZZ_EXAMPLES).
FUZZ = settings(
    max_examples=int(os.environ.get("DICOMREF_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ELEMENT_KEYS = {"tag", "vr", "value", "length", "truncated", "path"}
HEX_TAG = re.compile(r"[0-9A-F]{8}")


def mutate(raw: bytes, edits: list[tuple[int, int, str]]) -> bytes:
    data = bytearray(raw)
    for offset, byte, kind in edits:
        offset %= len(data) + 1
        if kind == "set" and offset < len(data):
            data[offset] = byte
        elif kind == "delete":
            del data[offset : offset + 1 + byte % 8]
        elif kind == "insert":
            data[offset:offset] = bytes([byte]) * (1 + byte % 8)
        elif kind == "truncate":
            del data[offset:]
    return bytes(data)


@FUZZ
@given(raw=st.sampled_from(SEED_BYTES), edits=EDITS)
def test_discovery_answers_or_names_a_reason(raw: bytes, edits: list[tuple[int, int, str]]) -> None:
    try:
        answer = probe_series_uid(io.BytesIO(mutate(raw, edits)))
    except ProbeError as exc:
        assert PROBE_REASON.fullmatch(exc.reason), exc.reason
    else:
        assert answer is None or (isinstance(answer, str) and answer)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(raw=st.sampled_from(SEED_BYTES), edits=EDITS)
def test_extraction_gives_a_valid_record_or_a_reason(
    folder: Path, raw: bytes, edits: list[tuple[int, int, str]]
) -> None:
    (folder / "mutated.dcm").write_bytes(mutate(raw, edits))
    options = ExtractOptions(max_length=16)
    result = read_series(
        ReadTask([Candidate("fuzz", str(folder), "mutated.dcm")], None, 1, options, seconds=20, probe=True)
    )
    if result.record is None:
        ((_, reason),) = result.failures
        assert READ_REASON.fullmatch(reason), reason
        return
    record = json.loads(json.dumps(result.record, ensure_ascii=False))
    assert record["source"]["path"] == "mutated.dcm"
    for element in record["elements"]:
        assert set(element) in (ELEMENT_KEYS, ELEMENT_KEYS - {"value"}), element
        assert HEX_TAG.fullmatch(element["tag"]) and int(element["tag"][:4], 16) % 2 == 0
        assert all(HEX_TAG.fullmatch(tag) for tag in element["path"])
        assert isinstance(element["vr"], str) and element["vr"] not in {"OB", "SQ"}
        assert isinstance(element["length"], int) and element["length"] >= 0
        if "value" in element:
            assert isinstance(element["value"], str) and len(element["value"]) <= 16
            assert element["truncated"] == (element["length"] > 16) or element["truncated"]
