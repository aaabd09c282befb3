"""UID pages: one per registered UID (SOP classes, transfer syntaxes, ...), a browse page by kind, and their JSON."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from dicomref import urls
from dicomref.formats.aggregate import Example
from dicomref.site.model import SiteModel
from dicomref.site.page import Crumb, Page, PageContext, PageSource, noun, plural, ready
from dicomref.standard import display_tag
from dicomref.standard.uids import SOP_CLASS, TRANSFER_SYNTAX, RegisteredUid
from dicomref.urls import attribute_url, iod_url, uid_url

# Example values shown per attribute on a SOP class page.
VALUES_SHOWN = 3
KIND_INTROS = {
    SOP_CLASS: "What a stored or exchanged object is (its IOD) and what may be done with it.",
    TRANSFER_SYNTAX: "How a data set is encoded: byte order, explicit or implicit VR, pixel data compression.",
}


@dataclass(frozen=True)
class UidContext(PageContext):
    uid: RegisteredUid
    kind_url: str
    iods: list[dict]
    is_sop_class: bool
    seen_as: list[dict]
    files: int
    files_text: str  # 'seen in 3 scraped files', '' when none
    attributes: list[dict]
    api_url: str


@dataclass(frozen=True)
class UidBrowseContext(PageContext):
    kinds: list[dict]
    total: int


def kind_id(kind: str) -> str:
    """'Well-known SOP Instance' -> 'well-known-sop-instance': the anchor of the kind on the browse page."""
    return "-".join("".join(c if c.isalnum() else " " for c in kind.lower()).split())


@dataclass
class UidUses:
    """Where each UID shows up in the aggregate: as an example value, and as the SOP class of files."""

    as_value: dict[str, dict[str, int]] = field(default_factory=dict)  # uid -> tag -> files holding that value
    by_sop_class: dict[str, dict[str, list[Example]]] = field(default_factory=dict)  # uid -> tag -> examples

    @classmethod
    def of(cls, model: SiteModel) -> UidUses:
        uses = cls()
        for tag, info in sorted(model.aggregate["attributes"].items()):
            entry = model.standard.entry(tag)
            for example in info.get("examples", []):
                for sop_class in example.get("sop_classes", []):
                    uses.by_sop_class.setdefault(sop_class, {}).setdefault(tag, []).append(example)
                value = example.get("value")
                if entry is not None and entry.vr == "UI" and value:
                    for registered in model.uids.registered_in(value):
                        counts = uses.as_value.setdefault(registered.uid, {})
                        counts[tag] = counts.get(tag, 0) + example["count"]
        return uses

    def files(self, uid: str) -> int:
        """Scraped files that name the UID in one attribute at least (the most of any attribute)."""
        return max(self.as_value.get(uid, {}).values(), default=0)


def _seen_as(model: SiteModel, uses: UidUses, uid: str) -> list[dict]:
    return [
        {
            "display": display_tag(tag),
            "name": model.name_of(tag),
            "url": attribute_url(tag),
            "files": files,
            "files_text": f"in {plural(files, 'file')}",
        }
        for tag, files in sorted(uses.as_value.get(uid, {}).items())
    ]


def _shown(example: Example) -> str:
    if example.get("bulk_length") is not None:
        return f"binary, {example['bulk_length']:,} bytes"
    value = example.get("value")
    return "withheld" if value is None else value


def _attributes_seen(model: SiteModel, uses: UidUses, uid: str) -> list[dict]:
    rows = []
    for tag, examples in sorted(uses.by_sop_class.get(uid, {}).items()):
        entry = model.standard.entry(tag)
        vr = entry.vr if entry else ""
        rows.append(
            {
                "display": display_tag(tag),
                "name": model.name_of(tag),
                "url": attribute_url(tag) + "#examples",
                "values": [
                    {
                        "text": _shown(e),
                        "plain": e.get("value") is not None,
                        "uids": model.registered_uids_in(e.get("value"), vr),
                    }
                    for e in examples[:VALUES_SHOWN]
                ],
                "more": max(0, len(examples) - VALUES_SHOWN),
            }
        )
    return rows


def _iods(model: SiteModel, registered: RegisteredUid) -> list[dict]:
    return [
        {"name": model.standard.iods[i].name, "url": iod_url(i)} for i in registered.iods if i in model.standard.iods
    ]


def _uid_page(model: SiteModel, known: Callable[[], UidUses], registered: RegisteredUid) -> Page:
    uses = known()
    seen_as = _seen_as(model, uses, registered.uid)
    attributes = _attributes_seen(model, uses, registered.uid) if registered.kind == SOP_CLASS else []
    files = uses.files(registered.uid)
    return Page(
        uid_url(registered.uid),
        "uid.html",
        f"{registered.title} ({registered.uid})" if registered.name else registered.uid,
        UidContext(
            uid=registered,
            kind_url=f"{urls.UIDS}#{kind_id(registered.kind)}",
            iods=_iods(model, registered),
            is_sop_class=registered.kind == SOP_CLASS,
            seen_as=seen_as,
            files=files,
            files_text=f"seen in {plural(files, 'scraped file')}" if files else "",
            attributes=attributes,
            api_url=urls.api_url("uid", registered.uid),
        ),
        section="uids",
        summary=f"DICOM {registered.kind} {registered.uid}: {registered.label}"
        + (", with the attributes seen in real files of it." if attributes else "."),
        crumbs=(
            Crumb("Home", urls.HOME),
            Crumb("UIDs", urls.UIDS),
            Crumb(registered.kind, f"{urls.UIDS}#{kind_id(registered.kind)}"),
            Crumb(registered.title),
        ),
    )


def _browse_page(model: SiteModel, uses: UidUses) -> Page:
    kinds = []
    for kind in model.uids.kinds:
        rows = [
            {
                "uid": u.uid,
                "name": u.title,
                "url": uid_url(u.uid),
                "retired": u.retired,
                "iods": _iods(model, u),
                "files": uses.files(u.uid),
                "files_word": noun(uses.files(u.uid), "file"),
            }
            for u in model.uids.of_kind(kind)
        ]
        current = sum(1 for r in rows if not r["retired"])
        kinds.append(
            {
                "kind": kind,
                "id": kind_id(kind),
                "intro": KIND_INTROS.get(kind, ""),
                "rows": rows,
                "current": current,
                "retired": len(rows) - current,
                "is_sop_class": kind == SOP_CLASS,
            }
        )
    return Page(
        urls.UIDS,
        "uids.html",
        "UIDs",
        UidBrowseContext(kinds=kinds, total=len(model.uids)),
        section="uids",
        summary=f"The {len(model.uids)} UIDs the DICOM standard registers: SOP classes, transfer syntaxes and more.",
        crumbs=(Crumb("Home", urls.HOME), Crumb("UIDs")),
    )


def uid_pages(model: SiteModel) -> list[PageSource]:
    """The browse page, then one page per registered UID."""
    uses = functools.cache(lambda: UidUses.of(model))
    return [
        ready(_browse_page(model, uses())),
        *(
            PageSource(uid_url(registered.uid), functools.partial(_uid_page, model, uses, registered))
            for registered in model.uids
        ),
    ]
