"""The one model of the DICOM standard that every stage asks."""

from dicomref.standard.dictionary import DictEntry, Dictionary, display_tag, tag_key
from dicomref.standard.load import load_standard
from dicomref.standard.model import Iod, Macro, Module, ModuleAttribute, Standard

__all__ = [
    "DictEntry",
    "Dictionary",
    "Iod",
    "Macro",
    "Module",
    "ModuleAttribute",
    "Standard",
    "display_tag",
    "load_standard",
    "tag_key",
]
