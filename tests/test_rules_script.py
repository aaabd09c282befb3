"""static/rules.js, the compact form of the compiled rules the inspect page reads: the same rules."""

from __future__ import annotations

import json

from dicomref.validate.rules import compile_rules
from dicomref.validate.script import rules_script

PREFIX = "window.DICOMREF_RULES="


def _unpacked_modules(document: dict) -> dict:
    """The modules as Rules.to_json writes them, from the compact form."""
    modules = {}
    for module_id, name, rows_text in document["m"]:
        rows = []
        for text in rows_text.split(";") if rows_text else []:
            fields = [*text.split(" "), "", "", "", "", ""][:6]
            tag, path, type_, condition, enumerated, defined = fields

            def at(table: str, index: str) -> object:
                return document[table][int(index)] if index else None

            rows.append(
                {
                    "tag": tag,
                    "path": at("p", path),
                    "type": type_,
                    "condition": at("c", condition),
                    "enumerated": at("t", enumerated) or [],
                    "defined": at("t", defined) or [],
                }
            )
        modules[module_id] = {"id": module_id, "name": name, "rows": rows}
    return modules


def test_the_script_holds_the_compiled_rules(standard) -> None:
    script = rules_script(standard, {"1.2.840.10008.1.2": "Implicit VR Little Endian"})
    assert script.startswith(PREFIX) and script.endswith(";\n") and "</" not in script
    document = json.loads(script[len(PREFIX) : -2])
    rules = compile_rules(standard).to_json()
    assert _unpacked_modules(document) == rules["modules"]
    index = [m[0] for m in document["m"]]
    for iod_id, iod in rules["iods"].items():
        name, usages, overrides, requires = document["i"][iod_id]
        assert name == iod["name"]
        for (module, usage, condition), wanted in zip(usages, iod["modules"], strict=True):
            # A module without rules (-1) is passed over by both engines.
            assert (index[module] if module >= 0 else None) == (wanted["module"] if module >= 0 else None)
            assert module >= 0 or wanted["module"] not in rules["modules"]
            assert usage == wanted["usage"]
            assert (document["c"][condition] if condition >= 0 else None) == wanted["condition"]
        assert [[tag, document["p"][path], module, type_] for tag, path, module, type_ in overrides] == iod["overrides"]
        assert requires == iod["requires"]
    assert document["s"] == rules["sop_classes"]
    assert len(document["d"]) == len(standard.dictionary)
    assert document["u"] == {"1.2.840.10008.1.2": "Implicit VR Little Endian"}
    print(f"\nstatic/rules.js: {len(script.encode()):,} bytes")
