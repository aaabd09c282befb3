"""Rank attributes for a query with Whoosh: tiers by kind of match, BM25F within a tier.

Tiers, best first: exact tag, exact keyword, tag prefix, keyword prefix, all words in the name,
all words in name or description, all words anywhere (examples too), and, only when nothing
matches every word, any word. Among equals, non-retired attributes come first. Queries are
built from parts (Term, Prefix, FuzzyTerm), never parsed, so no input can be a syntax error.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from whoosh import query as wq
from whoosh.index import Index
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from dicomref.search.query import Query, parse_query, tag_matches

# How much one step of prominence (0..15) weighs against BM25F within a tier.
PROMINENCE_WEIGHT = 0.15
# Words this long tolerate one typo ('thikness'); shorter ones would match too much.
FUZZY_LENGTH = 5


class Tier(IntEnum):
    ANY_WORD = 0
    ANYWHERE = 1
    DESCRIPTION = 2
    NAME = 3
    KEYWORD_PREFIX = 4
    TAG_PREFIX = 5
    KEYWORD = 6
    TAG = 7

    @property
    def label(self) -> str:
        """What matched, as people say it: 'keyword prefix'."""
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True)
class SearchResult:
    tag: str
    keyword: str
    name: str
    vr: str
    retired: bool
    tier: Tier
    relevance: float  # within the tier: BM25F and prominence, prominence alone for keyword prefixes, none for tags

    @property
    def score(self) -> float:
        return round(self.tier * 100 + min(self.relevance, 99.0), 3)

    def as_json(self) -> dict:
        return {"tag": self.tag, "keyword": self.keyword, "name": self.name, "vr": self.vr, "score": self.score}


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
    if query.compact:
        tiers.append((Tier.KEYWORD, wq.Term("keyword_lc", query.compact)))
        tiers.append((Tier.KEYWORD_PREFIX, wq.Prefix("keyword_lc", query.compact)))
    if query.words:
        tiers.append((Tier.NAME, wq.And([_word("name", w, fuzzy=True) for w in query.words])))
        for tier, with_examples in ((Tier.DESCRIPTION, False), (Tier.ANYWHERE, True)):
            parts = [p for p in (_word_in_text(searcher, w, with_examples) for w in query.words) if p is not None]
            if parts:
                tiers.append((tier, wq.And(parts)))
    return tiers


def _any_word(searcher: Searcher, query: Query) -> wq.Query:
    return wq.Or([p for p in (_word_in_text(searcher, w, with_examples=True) for w in query.words) if p is not None])


def _filter(searcher: Searcher, query: Query) -> wq.Query | None:
    parts = []
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
    if tier == Tier.TAG:  # the entry of that very tag before a repeating group it falls in
        relevance = 0.0 if "x" in stored["tag"] else 1.0
    elif tier in (Tier.KEYWORD, Tier.TAG_PREFIX):  # tag order
        relevance = 0.0
    elif tier == Tier.KEYWORD_PREFIX:  # all prefix matches score alike: the common and the short come first
        relevance = stored["prominence"] + (1 / (1 + len(stored["keyword"])) if stored["keyword"] else 0.0)
    else:
        relevance = score + PROMINENCE_WEIGHT * stored["prominence"]
    return SearchResult(
        stored["tag"], stored["keyword"], stored["name"], stored["vr"], stored["retired"] == "yes", tier, relevance
    )


def search(index: Index, text: str, limit: int | None = 10) -> list[SearchResult]:
    """The attributes matching `text`, best first; any input is a valid query."""
    query = parse_query(text)
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
    ranked = sorted(found.values(), key=lambda r: (-r.tier, -round(r.relevance, 3), r.retired, r.tag))
    return ranked[:limit] if limit is not None else ranked
