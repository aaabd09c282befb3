"""Rank attributes, modules, macros, IODs and UIDs for a query with Whoosh: tiers by kind of match, then weight.

Tiers, best first: exact tag or UID, exact keyword (or a module's, macro's or IOD's name spelled as
one word), tag or UID prefix, every word a whole word of the name, the query as a whole value
(an example seen in files or a value the standard lists), every word begun or one typo away in the
name, keyword prefix, all words in name or description, all words anywhere (examples too), and,
only when nothing matches every word, any word. Within a tier (see `relevance`) current before
retired; in the name and value tiers, what more IODs require before the rest; then BM25F and
prominence. Queries are built from parts (Term, Prefix, FuzzyTerm), never parsed, so no input can
be a syntax error. static/site.js ranks the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

from whoosh import query as wq
from whoosh.index import Index
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from dicomref.search.query import Query, parse_query, tag_matches
from dicomref.urls import KIND_NAMES, folder_url

# How much one step of prominence (0..15) weighs against BM25F within a tier.
PROMINENCE_WEIGHT = 0.15
# Words this long tolerate one typo ('thikness'); shorter ones would match too much.
FUZZY_LENGTH = 5
# Relevance within a tier: CURRENT for anything not retired, then up to REQUIRED_SPAN for the IODs
# requiring it (in the name and value tiers), then the text's own relevance squeezed below one step of that.
CURRENT = 50.0
REQUIRED_SPAN = 40.0
MOST_IODS = 200
TEXT_SPAN = 0.19
WEIGHED_BY_REQUIRED = frozenset({"NAME", "VALUE", "NAME_PARTIAL"})


class Tier(IntEnum):
    ANY_WORD = 0
    ANYWHERE = 1
    DESCRIPTION = 2
    KEYWORD_PREFIX = 3
    NAME_PARTIAL = 4
    VALUE = 5
    NAME = 6
    TAG_PREFIX = 7
    KEYWORD = 8
    TAG = 9

    @property
    def label(self) -> str:
        """What matched, as people say it: 'keyword prefix'."""
        return {"NAME_PARTIAL": "name, words begun", "VALUE": "value"}.get(
            self.name, self.name.lower().replace("_", " ")
        )


def relevance(tier: Tier, retired: bool, required: int, text: float) -> float:
    """One number that orders results within a tier (see the module's docstring); `text` is at least 0."""
    weight = 0.0 if retired else CURRENT
    if tier.name in WEIGHED_BY_REQUIRED:
        return weight + REQUIRED_SPAN * min(required, MOST_IODS) / MOST_IODS + TEXT_SPAN * text / (1 + text)
    return weight + min(text, CURRENT - 1)


@dataclass(frozen=True)
class SearchResult:
    kind: str  # attribute, module, macro, iod or uid
    id: str  # the tag, the module, macro or IOD id, or the UID
    name: str
    what: str  # 'Attribute', 'Module', 'Macro', 'IOD', 'SOP Class', 'Transfer Syntax'
    keyword: str
    vr: str
    retired: bool
    tier: Tier
    relevance: float

    @property
    def tag(self) -> str:
        """The attribute's tag; empty for the other kinds."""
        return self.id if self.kind == "attribute" else ""

    @property
    def url(self) -> str:
        """The page's folder in the site, as urls.folder_url gives it."""
        return folder_url(self.kind, self.id)

    @property
    def match(self) -> str:
        """What matched: the tier, with 'tag' read as 'UID' for a UID and 'keyword' as 'whole name' for a table."""
        label = self.tier.label
        if self.kind == "uid":
            return label.replace("tag", "UID")
        return "whole name" if self.kind != "attribute" and self.tier == Tier.KEYWORD else label

    @property
    def score(self) -> float:
        return round(self.tier * 100 + min(self.relevance, 99.0), 3)

    def as_json(self) -> dict:
        row = {"kind": self.kind, "id": self.id, "what": self.what, "name": self.name, "url": self.url}
        if self.kind == "attribute":
            row.update(tag=self.id, keyword=self.keyword, vr=self.vr)
        elif self.kind == "uid":
            row.update(keyword=self.keyword)
        return {**row, "retired": self.retired, "score": self.score}


def _word(field: str, word: str, fuzzy: bool = False) -> wq.Query:
    """A word typed: the exact term counts most, then a longer word it starts, then (if allowed) one typo away."""
    parts = [wq.Term(field, word, boost=2.0), wq.Prefix(field, word, constantscore=False)]
    if fuzzy and len(word) >= FUZZY_LENGTH:
        parts.append(wq.FuzzyTerm(field, word, boost=0.5, maxdist=1, prefixlength=1, constantscore=False))
    return wq.Or(parts)


def _description_term(searcher: Searcher, word: str) -> str | None:
    """The word as the description field indexes it (stemmed); None for a stop word."""
    terms = [token.text for token in searcher.schema["description"].analyzer(word)]
    return terms[0] if terms else None


def _word_in_text(searcher: Searcher, word: str, with_examples: bool) -> wq.Query | None:
    parts = [_word("name", word)]
    stem = _description_term(searcher, word)
    if stem:
        parts.append(wq.Term("description", stem))
    if with_examples:
        parts.append(_word("examples", word))
    return wq.Or(parts) if stem or with_examples else None


def _tag_queries(searcher: Searcher, typed: str) -> list[tuple[Tier, wq.Query]]:
    """The typed tag (or its start), with repeating-group entries matching any digit at their 'x'."""
    repeating = [key for key in searcher.reader().field_terms("tag") if "x" in key and tag_matches(key, typed)]
    if len(typed) == 8:
        return [(Tier.TAG, wq.Or([wq.Term("tag", typed), *(wq.Term("tag", key) for key in repeating)]))]
    return [(Tier.TAG_PREFIX, wq.Or([wq.Prefix("tag", typed), *(wq.Term("tag", key) for key in repeating)]))]


def _tiers(searcher: Searcher, query: Query) -> list[tuple[Tier, wq.Query]]:
    tiers = _tag_queries(searcher, query.tag) if query.tag else []
    if query.uid:
        tiers += [(Tier.TAG, wq.Term("uid", query.uid)), (Tier.TAG_PREFIX, wq.Prefix("uid", query.uid))]
    if query.compact:
        tiers.append((Tier.KEYWORD, wq.Term("keyword_lc", query.compact)))
        tiers.append((Tier.KEYWORD_PREFIX, wq.Prefix("keyword_lc", query.compact)))
    if query.words:
        tiers.append((Tier.NAME, wq.And([wq.Term("name", w) for w in query.words])))
        tiers.append((Tier.VALUE, wq.Term("values", query.value)))
        tiers.append((Tier.NAME_PARTIAL, wq.And([_word("name", w, fuzzy=True) for w in query.words])))
        for tier, with_examples in ((Tier.DESCRIPTION, False), (Tier.ANYWHERE, True)):
            parts = [p for p in (_word_in_text(searcher, w, with_examples) for w in query.words) if p is not None]
            if parts:
                tiers.append((tier, wq.And(parts)))
    return tiers


def _any_word(searcher: Searcher, query: Query) -> wq.Query:
    return wq.Or([p for p in (_word_in_text(searcher, w, with_examples=True) for w in query.words) if p is not None])


def _filter(searcher: Searcher, query: Query) -> wq.Query | None:
    parts = []
    if query.kind:
        parts.append(wq.Term("kind", query.kind))
    if query.vr:
        parts.append(wq.Term("vrs", query.vr.lower()))
    if query.retired:
        parts.append(wq.Term("retired", query.retired))
    if query.module:
        exact = query.module in set(searcher.reader().field_terms("modules"))
        parts.append(wq.Term("modules", query.module) if exact else wq.Prefix("modules", query.module))
    return wq.And(parts) if parts else None


def _result(searcher: Searcher, docnum: int, tier: Tier, score: float) -> SearchResult:
    stored = searcher.stored_fields(docnum)
    retired = stored["retired"] == "yes"
    if tier == Tier.TAG:  # the entry of that very tag before a repeating group it falls in
        text = 0.0 if "x" in stored["key"] else 1.0
    elif tier in (Tier.KEYWORD, Tier.TAG_PREFIX):  # tag order
        text = 0.0
    elif tier == Tier.KEYWORD_PREFIX:  # all prefix matches score alike: the common and the short come first
        text = stored["prominence"] + (1 / (1 + len(stored["keyword"])) if stored["keyword"] else 0.0)
    else:
        text = score + PROMINENCE_WEIGHT * stored["prominence"]
    return SearchResult(
        kind=stored["kind"],
        id=stored["key"],
        name=stored["name"],
        what=stored["what"],
        keyword=stored["keyword"],
        vr=stored["vr"],
        retired=retired,
        tier=tier,
        relevance=relevance(tier, retired, stored["required"], text),
    )


def _id_key(result: SearchResult) -> str:
    """Ids in order; a UID by its numbers ('1.2.4.50' before '1.2.4.100'), as site.js orders them."""
    if result.kind != "uid":
        return result.id
    return ".".join(number.rjust(10, "0") for number in result.id.split("."))


def rank_key(result: SearchResult) -> tuple:
    """Best first: tier, relevance, then IODs before modules, macros, UIDs and attributes, then id."""
    return (-result.tier, -round(result.relevance, 3), KIND_NAMES.index(result.kind), _id_key(result))


def search(index: Index, text: str, limit: int | None = 10, kind: str | None = None) -> list[SearchResult]:
    """What matches `text`, best first; any input is a valid query. `kind` narrows as `kind:` in the text does."""
    query = parse_query(text)
    if kind is not None:
        query = replace(query, kind=kind)
    if query.empty:
        return []
    with index.searcher(weighting=BM25F()) as searcher:
        only = _filter(searcher, query)
        found: dict[int, SearchResult] = {}

        def collect(tier: Tier, part: wq.Query) -> None:
            for score, docnum in searcher.search(part, filter=only, limit=None).top_n:
                if docnum not in found:
                    found[docnum] = _result(searcher, docnum, tier, score)

        for tier, part in sorted(_tiers(searcher, query), key=lambda item: -item[0]):
            collect(tier, part)
        if not found and query.words:
            collect(Tier.ANY_WORD, _any_word(searcher, query))
        if not found and not query.words and query.tag is None:
            collect(Tier.ANY_WORD, wq.Every())
    ranked = sorted(found.values(), key=rank_key)
    return ranked[:limit] if limit is not None else ranked
