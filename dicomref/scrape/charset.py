"""Decode text in the file's character set, ISO 2022 code extensions included, with no escape sequence left.

pydicom decodes most code extensions, but some codecs it hands the escape sequence to keep it
(ISO 2022 IR 58, GB2312: `ESC $ ) A` stays in the text). Here every fragment that starts with
an escape sequence is decoded by the character set the sequence designates, the sequence
itself removed unless the Python codec reads it (ISO 2022 JP: IR 87 and IR 159).
"""

from __future__ import annotations

from pydicom.charset import CODES_TO_ENCODINGS, decode_bytes, default_encoding

ESC = 0x1B
# Codecs that read the escape sequences themselves; for every other one it is removed first.
_CODECS_READING_ESCAPES = frozenset({"iso2022_jp", "iso2022_jp_2"})
# Designations to G1 (ESC $ ) F) put the characters in bytes 0xA1-0xFE: the EUC form of the set.
_EUC = {"iso_ir_58": "gb2312"}


def _sequence_length(fragment: bytes) -> int:
    return 4 if fragment.startswith((b"\x1b$(", b"\x1b$)")) else 3


def _fragment(fragment: bytes, encodings: list[str], delimiters: set[int]) -> str:
    """One run of bytes that starts with an escape sequence: decoded up to the first delimiter by the set it
    designates, after it by the first character set (PS3.5 6.1.2.5.3)."""
    length = _sequence_length(fragment)
    encoding = CODES_TO_ENCODINGS.get(fragment[:length])
    if encoding is None or (encoding not in encodings and encoding != default_encoding):
        return fragment.decode(encodings[0], "replace")  # an unknown escape stays visible, so it is flagged
    if encoding in _CODECS_READING_ESCAPES:
        return fragment.decode(encoding, "replace")
    body = fragment[length:]
    cut = next((index for index, byte in enumerate(body) if byte in delimiters), len(body))
    return body[:cut].decode(_EUC.get(encoding, encoding), "replace") + body[cut:].decode(encodings[0], "replace")


def decode_text(raw: bytes, encodings: list[str], delimiters: set[int]) -> str:
    """Text of a value in the file's character sets (Python codec names, as pydicom converts them)."""
    if ESC not in raw:
        return decode_bytes(raw, encodings, delimiters)
    starts = [0, *(index for index, byte in enumerate(raw) if byte == ESC)]
    pieces = [raw[start:end] for start, end in zip(starts, [*starts[1:], len(raw)], strict=True) if end > start]
    return "".join(
        _fragment(piece, encodings, delimiters) if piece[0] == ESC else piece.decode(encodings[0], "replace")
        for piece in pieces
    )
