"""The JSON API: one document per attribute, UID, IOD and module, and the coverage report, as the pages show them.

The attribute document is the one `dicomref show --json` prints (standard.describe); strings are written so that
none can open or close markup, wherever a document ends up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from dicomref import urls
from dicomref.errors import DicomrefError
from dicomref.formats.aggregate import Attribute, Example
from dicomref.site.model import SiteModel, attribute_entries
from dicomref.site.uid_pages import UidUses
from dicomref.standard import DictEntry
from dicomref.standard.describe import attribute_document
from dicomref.standard.documents import iod_document, module_document
from dicomref.standard.uids import RegisteredUid


def html_safe_json(data: object) -> str:
    """Compact canonical JSON (sorted keys, UTF-8) in which no string can open or close markup."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


# A document is made when its turn comes to be written, so that the build can share the making out.
Document = Callable[[], object]


def api_documents(model: SiteModel) -> Iterator[tuple[str, Document]]:
    """(path, document) of every document of the API, in a fixed order."""
    for entry in attribute_entries(model.standard):
        info = model.attribute_info(entry.tag)
        yield urls.api_url("attribute", entry.tag), functools.partial(_attribute, model, entry, info)
    yield from uid_documents(model)
    yield urls.COVERAGE_API, lambda: model.coverage
    for iod in model.standard.iods.values():
        yield urls.api_url("iod", iod.id), functools.partial(iod_document, model.standard, iod)
    for module in model.standard.modules.values():
        yield urls.api_url("module", module.id), functools.partial(module_document, model.standard, module)


def _attribute(model: SiteModel, entry: DictEntry, info: Attribute) -> object:
    return attribute_document(model.standard, entry, info, model.items, model.placement(entry.tag))


def uid_documents(model: SiteModel) -> Iterator[tuple[str, Document]]:
    """The JSON document of each UID: what its page shows, as data."""
    uses = functools.cache(lambda: UidUses.of(model))
    for registered in model.uids:
        yield urls.api_url("uid", registered.uid), functools.partial(_uid, uses, registered)


def _uid(uses: Callable[[], UidUses], registered: RegisteredUid) -> object:
    known = uses()
    return {
        "uid": registered.uid,
        "name": registered.name,
        "keyword": registered.keyword,
        "kind": registered.kind,
        "info": registered.info,
        "retired": registered.retired,
        "iods": list(registered.iods),
        "files": known.files(registered.uid),
        "seen_as": {tag: files for tag, files in sorted(known.as_value.get(registered.uid, {}).items())},
        "attributes": sorted(known.by_sop_class.get(registered.uid, {})),
    }


def published_examples(site: Path) -> dict[str, list[Example]]:
    """The examples a built site publishes, per tag, read back from its attribute documents (for its search)."""
    attributes = {}
    for document in sorted((site / urls.api_url("attribute", "any")).parent.glob("*.json")):
        try:
            examples = json.loads(document.read_text(encoding="utf-8")).get("examples", [])
        except (ValueError, UnicodeDecodeError, AttributeError):
            raise DicomrefError(f"{document} is not an attribute document (rebuild the site)") from None
        attributes[document.stem] = examples
    return attributes
