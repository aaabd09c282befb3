"""What pydicom itself says about a file: the reference discovery and scraping are held to."""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

UNREADABLE = "<unreadable>"


def pydicom_series_uid(path: Path) -> str | None:
    """The series UID as pydicom reads the file, None if it has none, or UNREADABLE.

    The reading is dcmread(stop_before_pixels=True), the call the probe stands in for. A full
    dcmread is not the reference because pydicom drops every element when the pixel data is
    truncated (pydicom-data's emri_small_jpeg_2k_lossless_too_short.dcm), series UID included.
    Files without the DICM marker need force=True, under which pydicom turns any bytes (text,
    PDF, zip) into a dataset of nonsense tags; such a reading counts as DICOM only if it found
    (0008,0016) SOP Class UID, which every DICOM object carries. An empty UID counts as none,
    and a multi-valued one as unreadable, as the probe reports them.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True)
        except InvalidDicomError:
            try:
                dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            except Exception:
                return UNREADABLE
            if "SOPClassUID" not in dataset:
                return UNREADABLE
        except Exception:
            return UNREADABLE
        value = dataset.get("SeriesInstanceUID")
    if value is not None and not isinstance(value, str):
        return UNREADABLE
    return value or None
