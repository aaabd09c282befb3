"""One engine: the rules of a file's IOD evaluated over its view (a file read by pydicom or a scraped record)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

from dicomref import urls
from dicomref.standard import Standard
from dicomref.standard.dictionary import DictEntry, display_tag
from dicomref.validate.conditions import All, AnyOf, Condition, NotEvaluated, NotRequiredByIod, Test
from dicomref.validate.rules import IodModuleRule, IodRule, ModuleRule, RowRule, Rules, Terms, compile_rules
from dicomref.validate.view import Element, Item, walk

SOP_CLASS_UID, SOP_INSTANCE_UID = "00080016", "00080018"
MEDIA_SOP_CLASS_UID, MEDIA_SOP_INSTANCE_UID = "00020002", "00020003"
DATASET_PADDING = "FFFCFFFC"
_NUMERIC_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV", "FL", "FD", "DS", "IS"})
_NO_VM_CHECK = frozenset({"SQ", "LT", "ST", "UT", "UR", "OB", "OW", "OF", "OD", "OL", "OV", "UN"})


@dataclass(frozen=True)
class Finding:
    severity: str  # error, warning or info
    code: str  # missing, empty, condition, enumerated, defined-term, vr, vm, not-in-iod, retired, meta
    tag: str  # dictionary key, which names the attribute's page
    path: tuple[str, ...]  # tags of the enclosing sequences, outermost first
    module: str
    type: str
    message: str
    conditional: bool = False  # required by a condition (1C, 2C) rather than unconditionally
    where: str = ""  # the enclosing sequences with names and tags, e.g. "Beam Sequence (300A,00B0) > "

    @property
    def page(self) -> str:
        return urls.folder_url("attribute", self.tag)

    def to_json(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict copies every value deeply, a tenth of a run printing JSON.
        fields_ = {f.name: getattr(self, f.name) for f in fields(self)}
        return fields_ | {"path": list(self.path), "page": self.page}


@dataclass
class Report:
    sop_class_uid: str
    iod: str | None
    findings: list[Finding] = field(default_factory=list)
    problem: str = ""  # why the file could not be checked, e.g. an unknown SOP class

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)


def _number(text: str) -> float | None:
    text = text.strip()
    try:
        return float(int(text[:-1], 16)) if text[-1:] in {"H", "h"} else float(text)
    except ValueError:
        return None


def _same(vr: str, value: str, term: str) -> bool:
    if vr in _NUMERIC_VRS:
        a, b = _number(value), _number(term)
        if a is not None and b is not None:
            return a == b
    return value.strip() == term.strip()


@dataclass
class Scope:
    """Where a row is evaluated: its item, and the items around it, innermost first."""

    items: tuple[Item, ...]
    tags: tuple[str, ...] = ()  # the concrete tags of the sequences around the item, outermost first
    iod_requires: tuple[str, ...] = ()  # IodRule.requires of the file's IOD

    def find(self, key: str) -> tuple[Element | None, bool]:
        """The element a condition names, looked up from the innermost item outwards; and whether its
        absence is certain."""
        for item in self.items:
            if key in item.elements:
                return item.elements[key], True
        return None, all(item.complete for item in self.items)


def evaluate(condition: Condition, scope: Scope) -> bool | None:
    """True, False, or None when it cannot be told (not compiled, or an attribute whose presence is unknown)."""
    if isinstance(condition, NotEvaluated):
        return None
    if isinstance(condition, NotRequiredByIod):
        return not all(tag in scope.iod_requires for tag in condition.tags)
    if isinstance(condition, (All, AnyOf)):
        results = [evaluate(term, scope) for term in condition.terms]
        if isinstance(condition, All):
            return False if False in results else (None if None in results else True)
        return True if True in results else (None if None in results else False)
    return _test(condition, scope)


def _test(test: Test, scope: Scope) -> bool | None:
    element, certain = scope.find(test.tag)
    if element is None:
        if not certain and test.op in {"present", "absent"}:
            return None
        return test.op == "absent"
    if test.op in {"present", "absent"}:
        return test.op == "present"
    if test.op == "has-value":
        return not element.empty
    values = element.values()
    if test.position is not None:
        values = values[test.position - 1 : test.position]
    if test.op in {"equals", "includes"}:
        return any(_same(element.vr, v, t) for v in values for t in test.values)
    if test.op == "not-equals":
        return bool(values) and not any(_same(element.vr, v, t) for v in values for t in test.values)
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    limit = _number(test.values[0]) if test.values else None
    if not numbers or limit is None:
        return False
    return numbers[0] > limit if test.op == "greater" else numbers[0] < limit


@dataclass(frozen=True)
class _ModulePlan:
    usage: IodModuleRule
    name: str
    presence_tags: frozenset[str]  # top-level tags whose presence applies a C or U module (none of a mandatory one)
    # The rows that can give a finding, in order, with the IOD's Type overrides applied, in runs of one sequence
    # path: a run inside a sequence the file lacks is passed over whole.
    runs: tuple[tuple[tuple[str, ...], tuple[RowRule, ...]], ...]


def _runs(iod: IodRule, module: ModuleRule) -> Iterator[tuple[tuple[str, ...], tuple[RowRule, ...]]]:
    run: list[RowRule] = []
    for row in module.rows:
        type_ = iod.type_of(row, module.name)
        if type_ in {"1", "2", "1C", "2C"} or row.enumerated or row.defined:
            if run and run[0].path != row.path:
                yield run[0].path, tuple(run)
                run = []
            run.append(row if type_ == row.type else replace(row, type=type_))
    if run:
        yield run[0].path, tuple(run)


class Validator:
    """The rules compiled once, applied to any number of views."""

    def __init__(self, standard: Standard, rules: Rules | None = None):
        # The value format checks the aggregate's examples get; imported here, as the aggregate imports this module.
        from dicomref.aggregate.validate import vr_problem

        self.standard = standard
        self.rules = rules or compile_rules(standard)
        self._vr_problem = vr_problem
        self._plans: dict[str, tuple[_ModulePlan, ...]] = {}

    def check(self, root: Item, required: dict[str, str] | None = None) -> Report:
        """The findings; `required`, when given, receives each attribute the file was required to hold (present
        or not) with the Type that required it, for conformance counts."""
        sop_class, iod_id = self.iod_of(root)
        if iod_id is None:
            why = "no SOP Class UID" if not sop_class else f"unknown SOP class {sop_class}"
            return Report(sop_class, None, problem=why)
        report = Report(sop_class, iod_id)
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for finding in self._findings(root, iod_id, {} if required is None else required):
            key = (finding.code, finding.tag, finding.path)
            if key not in seen:
                seen.add(key)
                where = "".join(
                    f"{self._name(self.standard.dictionary.key_for(int(t, 16)) or t)} > " for t in finding.path
                )
                report.findings.append(replace(finding, where=where))
        return report

    def iod_of(self, root: Item) -> tuple[str, str | None]:
        """The file's SOP Class UID, and the IOD it names (None when it names none)."""
        sop_class = _text(root, SOP_CLASS_UID) or _text(root, MEDIA_SOP_CLASS_UID)
        return sop_class, self.rules.iod_of_sop_class.get(sop_class)

    def value_keys(self) -> frozenset[str]:
        """The attributes whose values (not only presence and emptiness) the module rows of any IOD read: those
        their conditions test, those with value sets, and the SOP Class UIDs that choose the IOD."""
        keys = {SOP_CLASS_UID, MEDIA_SOP_CLASS_UID}
        conditions = [u.condition for iod in self.rules.iods.values() for u in iod.modules if u.condition is not None]
        for module in self.rules.modules.values():
            conditions += [row.condition for row in module.rows if row.condition is not None]
            keys.update(row.tag for row in module.rows if row.enumerated or row.defined)
        while conditions:
            condition = conditions.pop()
            if isinstance(condition, Test):
                keys.add(condition.tag)
            elif isinstance(condition, (All, AnyOf)):
                conditions += condition.terms
        return frozenset(keys)

    def applied_modules(self, root: Item, iod_id: str) -> Iterator[tuple[IodModuleRule, str]]:
        """The modules checked and why: mandatory, a condition that holds, or present (C and U modules)."""
        top_level = Scope((root,), (), self.rules.iods[iod_id].requires)
        for plan in self._plan(iod_id):
            usage = plan.usage
            if usage.usage == "M":
                yield usage, "mandatory"
            elif usage.condition is not None and evaluate(usage.condition, top_level) is True:
                yield usage, "condition"
            elif any(tag in root.elements for tag in plan.presence_tags):
                yield usage, "present"

    def _plan(self, iod_id: str) -> tuple[_ModulePlan, ...]:
        """The IOD's modules with the rows that can give a finding, made once per IOD: most rows are Type 3 rows
        without value sets, which say nothing of a file."""
        plan = self._plans.get(iod_id)
        if plan is None:
            iod = self.rules.iods[iod_id]
            modules = [(u, self.rules.modules[u.module_id]) for u in iod.modules if u.module_id in self.rules.modules]
            mandatory_tags = frozenset().union(*(m.top_level for u, m in modules if u.usage == "M"))
            plan = self._plans[iod_id] = tuple(
                _ModulePlan(
                    usage,
                    module.name,
                    module.top_level - mandatory_tags,
                    # which rows apply to an SR content item depends on its Value Type and template
                    () if module.content_tree else tuple(_runs(iod, module)),
                )
                for usage, module in modules
            )
        return plan

    def _findings(self, root: Item, iod_id: str, required: dict[str, str]) -> Iterator[Finding]:
        yield from self.row_findings(root, iod_id, required)
        yield from self._elements(root, iod_id)
        yield from self._meta(root)

    def row_findings(self, root: Item, iod_id: str, required: dict[str, str]) -> Iterator[Finding]:
        """The findings of the module rows (missing, empty, conditions, value sets): they read only the structure
        of the file and the values of value_keys(); `required` receives what the rows required."""
        scopes: dict[tuple[str, ...], list[Scope]] = {}
        applied = {usage.module_id for usage, _why in self.applied_modules(root, iod_id)}
        iod_requires = self.rules.iods[iod_id].requires
        for plan in self._plan(iod_id):
            if plan.usage.module_id not in applied:
                continue
            for path, rows in plan.runs:
                found = scopes.get(path)
                if found is None:
                    found = scopes[path] = list(_scopes(root, path, iod_requires))
                for row in rows:
                    for scope in found:
                        yield from self._row(row, plan.name, scope, required)

    def _row(self, row: RowRule, module: str, scope: Scope, required_tags: dict[str, str]) -> Iterator[Finding]:
        element, certain = scope.items[0].elements.get(row.tag), scope.items[0].complete
        path = scope.tags
        base = row.type.rstrip("C")
        if row.type in {"1", "2"}:
            required, conditional = True, False
        elif row.type in {"1C", "2C"} and row.condition is not None:
            holds = evaluate(row.condition, scope)
            required, conditional = holds is True, True
            if holds is None and element is None and isinstance(row.condition, NotEvaluated):
                yield Finding(
                    "info",
                    "condition",
                    row.tag,
                    path,
                    module,
                    row.type,
                    f"{self._name(row.tag)} absent; condition not evaluated: {row.condition.text}",
                )
        else:
            required, conditional = False, False
        if required and (element is not None or certain or not _opaque(self.standard, row.tag)):
            required_tags.setdefault(row.tag, row.type)
        if element is None:
            if required and (certain or not _opaque(self.standard, row.tag)):
                yield Finding(
                    "error",
                    "missing",
                    row.tag,
                    path,
                    module,
                    row.type,
                    f"{self._name(row.tag)} is missing (Type {row.type}{_because(row)})",
                    conditional,
                )
            return
        if element.empty and base == "1" and (required or row.type == "1C"):
            yield Finding(
                "error",
                "empty",
                row.tag,
                path,
                module,
                row.type,
                f"{self._name(row.tag)} is empty (Type {row.type})",
                conditional,
            )
            return
        yield from self._terms(row, element, module, path)

    def _terms(self, row: RowRule, element: Element, module: str, path: tuple[str, ...]) -> Iterator[Finding]:
        values = element.values()
        for kind, terms in (("enumerated", row.enumerated), ("defined-term", row.defined)):
            for position in _outside(terms, element.vr, values):
                where = f"value {position}" if position else "value"
                if kind == "enumerated":
                    yield Finding(
                        "error",
                        kind,
                        row.tag,
                        path,
                        module,
                        row.type,
                        f"{self._name(row.tag)} {where} is not one of the enumerated values",
                    )
                else:
                    yield Finding(
                        "warning",
                        kind,
                        row.tag,
                        path,
                        module,
                        row.type,
                        f"{self._name(row.tag)} {where} is not a defined term",
                    )
                break

    def _elements(self, root: Item, iod_id: str) -> Iterator[Finding]:
        allowed = self.rules.allowed(iod_id)
        # The items of a multi-frame file repeat most values frame by frame: each is judged once.
        problems: dict[tuple[str, str, str | None, bool, bool], tuple[str, str] | None] = {}
        for path, key, element in walk(root):
            entry = self.standard.dictionary.get(key)
            if entry is None:
                continue
            if not path and entry.kind == "data" and key not in allowed and key != DATASET_PADDING:
                message = f"{self._name(key)} is not in the {iod_id} IOD"
                yield Finding("warning", "not-in-iod", key, path, "", "", message)
            if entry.retired:
                yield Finding("warning", "retired", key, path, "", "", f"{self._name(key)} is retired")
            judged = (key, element.vr, element.text, element.truncated, element.empty)
            if judged not in problems:
                problems[judged] = self.value_problem(entry, element)
            problem = problems[judged]
            if problem is not None:
                code, message = problem
                yield Finding("error", code, key, path, "", "", f"{self._name(key)}{message}")

    def value_problem(self, entry: DictEntry, element: Element) -> tuple[str, str] | None:
        """How the element breaks its dictionary entry: ('vr', why) for its VR or value format, ('vm', why) for its
        number of values; why follows the attribute's name."""
        # An implicit VR file's element has the dictionary's VR, "OB or OW" included: it cannot disagree.
        if element.vr not in {"UN", "", entry.vr, *entry.vr.split(" or ")} and entry.vr != "NONE":
            return "vr", f" has VR {element.vr}, expected {entry.vr}"
        if not element.text or element.empty:
            return None
        problem = self._vr_problem(element.vr, element.text, element.truncated)
        if problem:
            return "vr", f": {problem}"
        if not element.truncated and element.vr not in _NO_VM_CHECK and not _vm_fits(entry.vm, len(element.values())):
            return "vm", f" has {len(element.values())} values, VM {entry.vm} expected"
        return None

    def _meta(self, root: Item) -> Iterator[Finding]:
        for meta_key, data_key in ((MEDIA_SOP_CLASS_UID, SOP_CLASS_UID), (MEDIA_SOP_INSTANCE_UID, SOP_INSTANCE_UID)):
            meta, data = _text(root, meta_key), _text(root, data_key)
            if meta and data and meta != data:
                yield Finding(
                    "error",
                    "meta",
                    meta_key,
                    (),
                    "file meta",
                    "",
                    f"{self._name(meta_key)} in the file meta differs from {self._name(data_key)}",
                )

    def _name(self, key: str) -> str:
        entry = self.standard.dictionary.get(key)
        return f"{entry.name} {display_tag(key)}" if entry else display_tag(key)


def _because(row: RowRule) -> str:
    return "; its condition holds" if row.type.endswith("C") else ""


def _opaque(standard: Standard, key: str) -> bool:
    """SQ and OB attributes, whose absence a scraped record cannot show."""
    entry = standard.dictionary.get(key)
    return entry is None or entry.vr == "SQ" or "OB" in entry.vr


def _outside(terms: Terms, vr: str, values: list[str]) -> Iterator[int]:
    """The positions of the values outside the terms allowed at their position."""
    for index, value in enumerate(values, 1):
        if not value.strip():
            continue
        for position, allowed in terms:
            if position in {None, index} and not any(_same(vr, value, term) for term in allowed):
                yield index


def _vm_fits(vm: str, count: int) -> bool:
    """PS3.5 6.4 multiplicities: '1', '2', '1-3', '1-n', '2-2n', '3-3n'."""
    if count == 0:
        return True
    low, _, high = vm.partition("-")
    try:
        minimum = int(low)
    except ValueError:
        return True
    if not high:
        return count == minimum
    if high.endswith("n"):
        step = int(high[:-1] or 1)
        return count >= minimum and count % step == 0
    return minimum <= count <= int(high)


def _scopes(root: Item, path: tuple[str, ...], iod_requires: tuple[str, ...]) -> Iterator[Scope]:
    """Every item at the end of a sequence path, with the items around it."""
    scopes: list[tuple[tuple[Item, ...], tuple[str, ...]]] = [((root,), ())]
    for sequence_key in path:
        deeper: list[tuple[tuple[Item, ...], tuple[str, ...]]] = []
        for items, tags in scopes:
            element = items[0].elements.get(sequence_key)
            if element is None:
                continue
            for child in element.items or ():
                deeper.append(((child, *items), (*tags, element.tag)))
        scopes = deeper
    for items, tags in scopes:
        yield Scope(items, tags, iod_requires)


def _text(root: Item, key: str) -> str:
    element = root.elements.get(key)
    return (element.text or "").strip("\0 ") if element is not None else ""
