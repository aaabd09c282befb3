"""A synthetic archive made of real DICOM files, written fast and cached on disk by its parameters.

Each series copies one real template file; every copy gets the series' new SeriesInstanceUID
and its own SOPInstanceUID. Only those UID bytes change: each template is parsed once by
pydicom to find where the two values sit, and copies are the template's bytes with those
ranges overwritten by UIDs of exactly the same length. Encodings, private data and pixel
data stay as the scanner or toolkit wrote them.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataelem import RawDataElement

from dicomref.datasets import load_manifest
from dicomref.files import write_json_atomic

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "data" / "datasets.toml"
CORPORA = REPO.parent / "shared" / "corpora"
CACHE = Path(__file__).resolve().parent / "corpus"

GENERATOR_VERSION = 1
SERIES_UID = 0x0020000E
SOP_UID = 0x00080018
MEDIA_SOP_UID = 0x00020003
DEFLATED = "1.2.840.10008.1.2.1.99"
SERIES_PER_STUDY = 4
MANIFEST_NAME = "corpus.json"


@dataclass(frozen=True)
class Template:
    """A real file and where its UID values sit (offset, length of the text without padding)."""

    source: str  # "<dataset>/<path in dataset>", for people
    data: bytes
    series_at: tuple[int, int]
    sop_at: tuple[tuple[int, int], ...]  # the dataset's SOPInstanceUID and the file meta's copy

    def copy(self, series_uid: bytes, sop_uid: bytes) -> bytearray:
        out = bytearray(self.data)
        offset, length = self.series_at
        out[offset : offset + length] = series_uid
        for offset, length in self.sop_at:
            out[offset : offset + length] = sop_uid
        return out


@dataclass(frozen=True)
class Corpus:
    root: Path
    files: int
    series: dict[str, int]  # SeriesInstanceUID -> files, as written
    bytes: int
    templates: int
    folders: int


def template_roots() -> list[tuple[str, Path]]:
    """The pip-shipped datasets of the manifest, and ../shared/corpora where it exists."""
    roots = [(d.name, d.root) for d in load_manifest(MANIFEST) if d.root is not None]
    if CORPORA.is_dir():
        roots.append(("corpora", CORPORA))
    return roots


def _uid_span(raw: bytes, element: object) -> tuple[int, int] | None:
    """(offset, text length) of a raw UI element whose bytes sit unchanged in `raw`."""
    offset = getattr(element, "value_tell", None)
    value = getattr(element, "value", None)
    if offset is None or not isinstance(value, bytes) or raw[offset : offset + len(value)] != value:
        return None
    text = value.rstrip(b"\0 ")
    return (offset, len(text)) if text and b"\\" not in text else None


def _cut_short(dataset: pydicom.Dataset) -> bool:
    """Whether a top-level value holds fewer bytes than its header declares: the file is damaged."""
    for tag in dataset.keys():  # noqa: SIM118 (iterating a Dataset gives its elements)
        raw = dataset.get_item(tag)
        if (
            isinstance(raw, RawDataElement)
            and isinstance(raw.value, bytes)
            and raw.length != 0xFFFFFFFF
            and len(raw.value) < raw.length
        ):
            return True
    return False


def load_template(source: str, path: Path, min_uid_length: int) -> Template | None:
    """The file as a template, or None when pydicom cannot read it whole or its UIDs cannot be patched."""
    raw = path.read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(path)
            if _cut_short(dataset):
                return None  # pydicom keeps a value the file's end cut off; dicomref lists such files as truncated
            meta = dataset.file_meta
            if meta is not None and str(meta.get("TransferSyntaxUID", "")) == DEFLATED:
                return None  # the values sit inside compressed bytes
            series_at = _uid_span(raw, dataset.get_item(SERIES_UID)) if SERIES_UID in dataset else None
            sop_at = _uid_span(raw, dataset.get_item(SOP_UID)) if SOP_UID in dataset else None
            media_at = (
                _uid_span(raw, meta.get_item(MEDIA_SOP_UID)) if meta is not None and MEDIA_SOP_UID in meta else None
            )
    except Exception:  # pydicom rejects the file: the original method could not read it either
        return None
    if series_at is None or sop_at is None or min(series_at[1], sop_at[1]) < min_uid_length:
        return None
    sop_spans = (sop_at,) if media_at is None or media_at[1] != sop_at[1] else (sop_at, media_at)
    return Template(source, raw, series_at, sop_spans)


def _new_uid(kind: int, number: int, length: int) -> bytes:
    """A UID of exactly `length` characters under the 2.25 root: kind 1 for series, 2 for instances."""
    return f"2.25.{kind}{number:0{length - 6}d}".encode("ascii")


def _min_uid_length(files: int) -> int:
    return len("2.25.1") + len(str(files))


def find_templates(max_bytes: int, files: int) -> list[Template]:
    """Every usable real file no larger than `max_bytes`, in a stable order."""
    templates = []
    for name, root in template_roots():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.stat().st_size <= max_bytes:
                template = load_template(f"{name}/{path.relative_to(root).as_posix()}", path, _min_uid_length(files))
                if template is not None:
                    templates.append(template)
    return templates


def _series_sizes(files: int, series: int, rng: random.Random) -> list[int]:
    """Uneven series sizes (0.5x to 1.5x the mean), at least one file each, summing to `files`."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(series)]
    total = sum(weights)
    sizes = [max(1, int(files * w / total)) for w in weights]
    index = 0
    while sum(sizes) != files:
        step = 1 if sum(sizes) < files else -1
        if sizes[index % series] + step >= 1:
            sizes[index % series] += step
        index += 1
    return sizes


def layout(files: int, series: int, seed: int) -> Iterator[tuple[str, int]]:
    """(folder, series index) for every file in write order.

    Most series get one folder; every tenth is split over two folders, and every tenth pair of
    series shares one folder with their files interleaved.
    """
    rng = random.Random(seed)
    sizes = _series_sizes(files, series, rng)
    index = 0
    while index < series:
        study = f"study{index // SERIES_PER_STUDY:05d}"
        if index % 10 == 7 and index + 1 < series:
            members = [index] * sizes[index] + [index + 1] * sizes[index + 1]
            rng.shuffle(members)
            for member in members:
                yield f"{study}/mixed{index:05d}", member
            index += 2
            continue
        if index % 10 == 3 and sizes[index] > 1:
            half = sizes[index] // 2
            yield from ((f"{study}/series{index:05d}a", index) for _ in range(half))
            yield from ((f"{study}/series{index:05d}b", index) for _ in range(sizes[index] - half))
        else:
            yield from ((f"{study}/series{index:05d}", index) for _ in range(sizes[index]))
        index += 1


def corpus_key(files: int, series: int, seed: int, templates: list[Template]) -> str:
    identity = {
        "generator": GENERATOR_VERSION,
        "files": files,
        "series": series,
        "seed": seed,
        "templates": [(t.source, hashlib.sha256(t.data).hexdigest()) for t in templates],
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    return f"{files}f-{series}s-{digest}"


def _write(root: Path, files: int, series: int, seed: int, templates: list[Template]) -> Corpus:
    rng = random.Random(seed)
    order = list(range(len(templates)))
    rng.shuffle(order)  # as many different templates as there are series, then round again
    chosen = [templates[order[i % len(order)]] for i in range(series)]
    series_uids = [_new_uid(1, i, template.series_at[1]) for i, template in enumerate(chosen)]
    counts: dict[str, int] = {}
    folders: set[str] = set()
    written = 0
    for number, (folder, index) in enumerate(layout(files, series, seed)):
        if folder not in folders:
            (root / folder).mkdir(parents=True)
            folders.add(folder)
        template = chosen[index]
        data = template.copy(series_uids[index], _new_uid(2, number, template.sop_at[0][1]))
        with open(root / folder / f"IM{number:07d}.dcm", "wb") as handle:
            handle.write(data)
        written += len(data)
        uid = series_uids[index].decode("ascii")
        counts[uid] = counts.get(uid, 0) + 1
    return Corpus(root, files, dict(sorted(counts.items())), written, len({t.source for t in chosen}), len(folders))


def ensure_corpus(files: int, series: int, max_template_bytes: int, seed: int = 0, cache: Path = CACHE) -> Corpus:
    """The corpus for these parameters: read from the cache, or written there first."""
    if not 1 <= series <= files:
        raise ValueError(f"need 1 <= series ({series}) <= files ({files})")
    templates = find_templates(max_template_bytes, files)
    if not templates:
        raise ValueError(f"no usable DICOM template of at most {max_template_bytes} bytes")
    root = cache / corpus_key(files, series, seed, templates)
    manifest = root / MANIFEST_NAME
    if manifest.exists():
        saved = json.loads(manifest.read_text(encoding="utf-8"))
        return Corpus(
            root / "files", saved["files"], saved["series"], saved["bytes"], saved["templates"], saved["folders"]
        )
    if root.exists():
        shutil.rmtree(root)  # an earlier run was interrupted before its manifest
    corpus = _write(root / "files", files, series, seed, templates)
    summary = {
        "files": corpus.files,
        "series": corpus.series,
        "bytes": corpus.bytes,
        "templates": corpus.templates,
        "folders": corpus.folders,
    }
    write_json_atomic(manifest, summary)
    return corpus
