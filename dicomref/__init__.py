"""dicomref: a DICOM standard reference built from real example values."""

__version__ = "0.1.0"
