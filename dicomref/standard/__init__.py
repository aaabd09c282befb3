"""The one model of the DICOM standard that every stage asks."""

from dicomref.standard.dictionary import DictEntry, Dictionary, display_tag, tag_key
from dicomref.standard.model import Iod, Module, ModuleAttribute, Standard, load_standard

__all__ = [
    "DictEntry",
    "Dictionary",
    "Iod",
    "Module",
    "ModuleAttribute",
    "Standard",
    "display_tag",
    "load_standard",
    "tag_key",
]
