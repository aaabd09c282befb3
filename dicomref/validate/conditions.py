"""The standard's condition texts ("Required if ...") compiled into a small data form that any engine evaluates.

A compiled condition is plain data (dataclasses that serialise to JSON), so the same rules can
be evaluated here and, in the browser, by a script. Only the common forms are compiled: tests
on attributes named with their tag (present, absent, has a value, equals, differs from, numeric
comparisons, "includes"), joined with and/or, and what the file's IOD requires ("image does not
require ..."). Anything else (prose about the acquisition, a reference to another section) stays
`NotEvaluated` with its text: the engine reports it as not evaluated, never as an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# An attribute as the standard cites it: its name, then its tag, e.g. "Bits Stored (0028,0101)".
_REFERENCE = re.compile(r"\(([0-9A-Fa-fxX]{4}),([0-9A-Fa-fxX]{4})\)")
# Where the condition starts in a row's description, and where its first sentence ends.
_START = re.compile(r"\b(?:Required|Shall be present|Required only) if\b|\bRequired for images where\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"\.(?=\s|$)|;|\bMay be present otherwise\b|\bOtherwise\b", re.IGNORECASE)
# A value as conditions write it: a code string, a number, a quoted string.
_VALUE = re.compile(r'^(?:"[^"]*"|[A-Z0-9_][A-Z0-9_ .\-+]*|-?\d+(?:\.\d+)?)$')
# An attribute's name as cited: capitalised words, with the small words names hold ("Number of Blocks").
_NAME = r"(?:[A-Z0-9][\w/\-'()]*)(?:\s+(?:(?:of|in|for|to|on|per|from|by|with|at|the|a)\s+)*[A-Z0-9(][\w/\-'()]*)*\s*"
# What may precede the first attribute: its name, with the words saying which value is tested.
_LEAD = re.compile(
    r"^\s*(?:either\s+|both\s+)?(?:the\s+)?(?:(?:value|Value\s+\d+|(?:first|second|third|fourth)\s+value)\s+(?:of|for)\s+"
    r"(?:the\s+)?)?" + _NAME + "$"
)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}


@dataclass(frozen=True)
class Test:
    """One attribute tested; `position` is the 1-based value it looks at (None: any value)."""

    op: str  # present, absent, has-value, equals, not-equals, greater, less
    tag: str
    values: tuple[str, ...] = ()
    position: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "tag": self.tag, "values": list(self.values), "position": self.position}


@dataclass(frozen=True)
class All:
    terms: tuple[Condition, ...]

    def to_json(self) -> dict[str, Any]:
        return {"op": "and", "terms": [t.to_json() for t in self.terms]}


@dataclass(frozen=True)
class AnyOf:
    terms: tuple[Condition, ...]

    def to_json(self) -> dict[str, Any]:
        return {"op": "or", "terms": [t.to_json() for t in self.terms]}


@dataclass(frozen=True)
class NotRequiredByIod:
    """ "image does not require A (gggg,eeee) and B (gggg,eeee)": holds unless the mandatory modules of the file's
    IOD require all of them (Type 1 or 2 at the top level, the IOD's overrides applied)."""

    tags: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"op": "not-required-by-iod", "tags": list(self.tags)}


@dataclass(frozen=True)
class NotEvaluated:
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"op": "not-evaluated", "text": self.text}


Condition = Test | All | AnyOf | NotRequiredByIod | NotEvaluated


def condition_clause(description: str) -> str:
    """The first sentence of "Required if ..." in a row's description; "" when the row states none."""
    start = _START.search(description)
    if start is None:
        return ""
    rest = description[start.start() :]
    end = _SENTENCE_END.search(rest, len(start.group(0)))
    return rest[: end.start() if end else len(rest)].strip().rstrip(",")


# "whose SOP Class is one of the following: CT ("1.2.840.10008.5.1.4.1.1.2") or MR (...) Storage SOP Classes"
_SOP_CLASSES = re.compile(
    r"\b(?:whose\s+|the\s+)?SOP Class(?:\s+UID)?\s+(is\s+not|is)\s+(?:one\s+of\s+the\s+following:\s*)?(.*)$"
)
_QUOTED_UID = re.compile(r'"([0-9.]+)"')


def _sop_classes(body: str) -> str:
    """A test on the SOP class written as one on SOP Class UID (0008,0016), the form the compiler reads."""
    match = _SOP_CLASSES.search(body)
    if match is None:
        return body
    uids = _QUOTED_UID.findall(match.group(2))
    rest = _QUOTED_UID.sub("", match.group(2))
    if not uids or re.search(r"\(\s*[0-9A-Fa-f]{4},", rest):
        return body
    values = " or ".join(f'"{uid}"' for uid in uids)
    return f"{body[: match.start()]}SOP Class UID (0008,0016) {match.group(1)} {values}"


def compile_condition(text: str) -> Condition:
    """The compiled form of a condition text ("Required if X (gggg,eeee) is present and ..."); NotEvaluated if
    any part of it is not one of the forms understood."""
    clause = condition_clause(text) if _START.search(text) else text.strip()
    body = _sop_classes(_START.sub("", clause, count=1).strip())
    try:
        compiled = (_not_required(body) or _compile(body)) if body else None
    except _Unsupported:
        compiled = None
    return compiled if compiled is not None else NotEvaluated(clause or _requirement(text))


def _requirement(text: str) -> str:
    """The sentence of a description that states when the attribute is required, else its beginning."""
    for sentence in re.split(r"(?<=\.)\s+", text):
        if re.search(r"\brequired\b|\bshall be present\b", sentence, re.IGNORECASE):
            return sentence.strip()
    return text.strip()[:200]


class _Unsupported(Exception):
    """A part of the text is not one of the forms compiled."""


# Patient Orientation (0020,0020): "image does not require Image Orientation (Patient) (0020,0037) and Image
# Position (Patient) (0020,0032) or if image does not require Image Orientation (Slide) (0048,0102)".
_NOT_REQUIRED = re.compile(r"^image does not require (.+?)(?:,?\s+or if image does not require (.+))?$")
_ONLY_NAMES = re.compile(r"^(?:\s*(?:and\s+)?" + _NAME + r"\([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\))+\s*$")


def _not_required(body: str) -> Condition | None:
    """What the IOD requires, as conditions on Patient Orientation state it. The clauses name the two ways an
    image's orientation is otherwise required (by the patient, by the slide); the row is required when the IOD
    requires neither. Read as a literal "or", every image not of a slide would need it, those whose Image Plane
    Module gives their orientation included."""
    match = _NOT_REQUIRED.match(body)
    if match is None:
        return None
    clauses = [clause for clause in match.groups() if clause]
    if not all(_ONLY_NAMES.match(clause) for clause in clauses):
        return None
    terms = tuple(
        NotRequiredByIod(tuple((m.group(1) + m.group(2)).upper() for m in _REFERENCE.finditer(clause)))
        for clause in clauses
    )
    return terms[0] if len(terms) == 1 else All(terms)


def _compile(body: str) -> Condition:
    references = list(_REFERENCE.finditer(body))
    if not references:
        raise _Unsupported
    groups: list[tuple[list[tuple[str, int | None]], str, str]] = []  # (attributes under one test, test, list join)
    joins: list[str] = []  # the word between one group and the next
    pending: list[tuple[str, int | None]] = []
    pending_join = "and"
    for number, match in enumerate(references):
        tag = (match.group(1) + match.group(2)).upper().replace("X", "x")
        last = number + 1 == len(references)
        after = body[match.end() : len(body) if last else references[number + 1].start()]
        before = body[references[number - 1].end() if number else 0 : match.start()]
        if number == 0 and not _LEAD.match(before):
            raise _Unsupported  # prose before the first attribute ("the Patient is an animal and ...")
        position = _position(before) or _position_after(after)
        after = _strip_position(after)
        test, join = (after, "") if last else _split_join(after)
        pending.append((tag, position))
        if test.strip(" ,"):
            groups.append((pending, test, pending_join))
            pending, pending_join = [], "and"
            if not last:
                if not join:
                    raise _Unsupported
                joins.append(join)
        elif join == "or":
            pending_join = "or"
    if pending:
        raise _Unsupported
    terms = [_group_condition(attributes, test, list_join) for attributes, test, list_join in groups]
    # "and" binds tighter than "or", as the standard's prose reads.
    alternatives: list[list[Condition]] = [[terms[0]]]
    for join, term in zip(joins, terms[1:], strict=True):
        if join == "or":
            alternatives.append([term])
        else:
            alternatives[-1].append(term)
    ors = [parts[0] if len(parts) == 1 else All(tuple(parts)) for parts in alternatives]
    return ors[0] if len(ors) == 1 else AnyOf(tuple(ors))


def _split_join(after: str) -> tuple[str, str]:
    """Split "is YES and Bits Stored " into ("is YES", "and"): the test, and the word joining the next one."""
    text = after.strip()
    # The next attribute's name is the run of capitalised words right before its tag.
    name = re.search(
        r"(?:^|(?<=\s))((?:(?:the|a|an)\s+)?(?:value\s+of\s+)?(?:Value\s+\d+\s+of\s+(?:the\s+)?)?" + _NAME + ")$", text
    )
    head = text[: name.start()] if name else text
    head = head.rstrip()
    for word in ("and", "or"):
        if head.endswith(f" {word}") or head == word:
            return head[: -len(word)].strip(" ,"), word
    if head.endswith(","):
        return head.rstrip(", "), ""
    raise _Unsupported


_NAME_AT_END = r"\s+of\s+(?:the\s+)?" + _NAME + "$"


def _position(text: str) -> int | None:
    """ "Value 3 of Image Type " before a reference: the position it tests."""
    match = re.search(r"\bValue\s+(\d+)" + _NAME_AT_END, text)
    if match:
        return int(match.group(1))
    match = re.search(r"\b(first|second|third|fourth)\s+value" + _NAME_AT_END, text, re.IGNORECASE)
    return _ORDINAL[match.group(1).lower()] if match else None


def _position_after(after: str) -> int | None:
    match = re.match(r"\s*Value\s+(\d+)\b", after)
    return int(match.group(1)) if match else None


def _strip_position(after: str) -> str:
    after = re.sub(r"^\s*Value\s+\d+\b", "", after)
    # The words before the next reference naming its position belong to it, not to this test.
    return re.sub(r"\bValue\s+\d+\s+of\s+(?:the\s+)?(?=[A-Z][^(]*$)", "", after)


_PRESENT = re.compile(r"^(?:is|are)\s+(?:also\s+)?present$")
_ABSENT = re.compile(r"^(?:is|are)\s+(?:not\s+present|absent)$|^(?:is|are)\s+not\s+sent$")
_HAS_VALUE = re.compile(
    r"^(?:is\s+present\s+and\s+)?(?:has|contains)\s+a\s+value$|^is\s+present\s+(?:and\s+is\s+not\s+empty|with\s+a\s+value)$"
    r"|^is\s+not\s+empty$|^is\s+present\s+and\s+not\s+empty$"
)
_EQUALS = re.compile(
    r"^(?:is\s+present\s+(?:and\s+|with\s+)?)?(?:(?:has|contains)\s+(?:a\s+|the\s+)?values?\s+(?:of\s+)?"
    r"|value\s+is\s+|is\s+equal\s+to\s+|equals\s+|=\s*|is\s+(?:set\s+to\s+)?|has\s+a\s+value\s+of\s+"
    r"|a\s+value\s+of\s+|(?:is\s+present\s+and\s+)?(?:has\s+)?(?:a\s+)?value\s+of\s+|is\s+present\s+and\s+the\s+value\s+is\s+)"
    r"(.+)$"
)
_NOT_EQUALS = re.compile(
    r"^(?:is\s+present\s+and\s+)?(?:is\s+not\s+(?:equal\s+to\s+)?|(?:equals|is)\s+other\s+than\s+|!=\s*"
    r"|does\s+not\s+equal\s+|is\s+present\s+and\s+has\s+a\s+value\s+other\s+than\s+|value\s+is\s+not\s+)(.+)$"
)
_INCLUDES = re.compile(r"^(?:is\s+present\s+and\s+)?(?:includes|contains)\s+(?:the\s+value\s+|a\s+value\s+of\s+)?(.+)$")
_NON_ZERO = re.compile(
    r"^(?:is\s+present\s+and\s+)?(?:is\s+|has\s+a\s+)?(?:non-?zero|not\s+zero|greater\s+than\s+(?:zero|0))(?:\s+value)?$"
)
_GREATER = re.compile(r"^(?:is\s+|has\s+a\s+value\s+)?greater\s+than\s+(-?\d+(?:\.\d+)?)$")
_LESS = re.compile(r"^(?:is\s+|has\s+a\s+value\s+)?less\s+than\s+(-?\d+(?:\.\d+)?)$")


def _group_condition(attributes: list[tuple[str, int | None]], test: str, list_join: str) -> Condition:
    """The test applied to each attribute of a list: "A and B are not present" holds when both are absent;
    "A or B is present" when either is."""
    text = re.sub(r"\s+", " ", test).strip(" ,")
    text = re.sub(r"^(?:either\s+|both\s+)", "", text)
    terms = tuple(_single(tag, position, text) for tag, position in attributes)
    if len(terms) == 1:
        return terms[0]
    return AnyOf(terms) if list_join == "or" else All(terms)


def _single(tag: str, position: int | None, text: str) -> Test:
    text = re.sub(r"^at\s+the\s+\w+\s+level\s+", "", text)
    text = re.sub(r"^(?:in\s+the\s+same\s+(?:item|sequence\s+item)\s*,?\s*)", "", text)
    text = re.sub(r"\s*,?\s*(?:in\s+(?:the\s+)?(?:same|this|that|any|each)\s+[\w ]*?item[s]?)$", "", text)
    if _PRESENT.match(text):
        return Test("present", tag, (), position)
    if _ABSENT.match(text):
        return Test("absent", tag, (), position)
    if _HAS_VALUE.match(text):
        return Test("has-value", tag, (), position)
    if _NON_ZERO.match(text):
        return Test("greater", tag, ("0",), position)
    for pattern, op in ((_GREATER, "greater"), (_LESS, "less")):
        match = pattern.match(text)
        if match:
            return Test(op, tag, (match.group(1),), position)
    for pattern, op in ((_NOT_EQUALS, "not-equals"), (_INCLUDES, "includes"), (_EQUALS, "equals")):
        match = pattern.match(text)
        if match:
            return Test(op, tag, _values(match.group(1)), position)
    raise _Unsupported


def _values(text: str) -> tuple[str, ...]:
    """ "MONOCHROME1 or MONOCHROME2", "A, B, or C", "\"01\"" -> the values; prose raises _Unsupported."""
    parts = [p.strip() for p in re.split(r",\s*(?:or\s+)?|\s+or\s+", text.strip().rstrip(".")) if p.strip()]
    if not parts:
        raise _Unsupported
    values = []
    for part in parts:
        part = re.sub(r"\s*\(.*\)$", "", part)  # "YES (the default)": the value before its gloss
        if not _VALUE.match(part):
            raise _Unsupported
        values.append(part.strip('"'))
    return tuple(values)


def from_json(data: dict[str, Any]) -> Condition:
    """The inverse of `to_json`: how rules written to a file are read back."""
    op = data["op"]
    if op == "and":
        return All(tuple(from_json(t) for t in data["terms"]))
    if op == "or":
        return AnyOf(tuple(from_json(t) for t in data["terms"]))
    if op == "not-evaluated":
        return NotEvaluated(data["text"])
    if op == "not-required-by-iod":
        return NotRequiredByIod(tuple(data["tags"]))
    return Test(op, data["tag"], tuple(data["values"]), data["position"])
