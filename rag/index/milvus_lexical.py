"""Lexical search for the Milvus store: Milvus's BM25 over our terms, plus the coverage filter.

Milvus scores BM25 server-side (the ``bm25`` function turns each chunk's ``terms`` into a sparse vector,
the query's terms into an IDF-weighted one). What no engine does is ``rag.index.lexical``'s coverage
filter -- a chunk counts only when it holds ``Settings.lexical_min_coverage`` of the query's IDF weight under the
language rules that fit it best -- which is what keeps cross-lingual questions from being outvoted by
incidental word overlap. So the client asks Milvus for a wide candidate list with each chunk's terms,
reads each query term's document frequency from the ``terms`` collection (kept by ``apply``; cached
per index version), and applies the same filter the local index applies to all chunks.

``LocalLexical`` is the alternative that docs/scaling.md allowed: today's in-memory ``LexicalIndex``
rebuilt from the terms stored in Milvus. It reads every chunk's terms on open and after each change,
so it does not scale past one process's memory; it exists so ``bench/retrieval_recall.py`` can measure
the two side by side (the choice and its figures are in docs/scaling.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from rag.index.lexical import LexicalIndex, _idf, _rule_terms
from rag.index.milvus_schema import CHUNKS
from rag.settings import Settings
from rag.types import Chunk

CANDIDATES_MIN = 200  # BM25 candidates fetched before the coverage filter (or 10 x k if larger)


def bm25_score(distance: float) -> float:
    """Milvus returns BM25 relevance as the hit's distance; Milvus Lite negates it (it sorts ascending
    internally). The order is the engine's either way; the magnitude is the BM25 score."""
    return abs(float(distance))


class MilvusLexical:
    """BM25 by Milvus, coverage filter in the client (document frequencies from the ``terms`` collection)."""

    def __init__(self, client: Any, doc_freqs: Callable[[Sequence[str]], dict[str, int]]) -> None:
        self.client = client
        self._doc_freqs = doc_freqs
        self._df: dict[str, int] = {}
        self._df_version = -1
        self._lock = threading.Lock()

    def _idf(self, terms: Sequence[str], n_docs: int, version: int) -> dict[str, float]:
        with self._lock:
            if version != self._df_version:
                self._df, self._df_version = {}, version
            missing = [t for t in terms if t not in self._df]
        if missing:
            found = self._doc_freqs(missing)
            with self._lock:
                if version == self._df_version:
                    self._df.update({t: found.get(t, 0) for t in missing})
            df = {**self._df, **{t: found.get(t, 0) for t in missing}}
        else:
            df = self._df
        return {t: _idf(df[t], n_docs) for t in terms}

    def search(self, query: str, lang: str, k: int, n_docs: int, version: int, min_coverage: float | None = None
               ) -> list[tuple[Chunk, float]]:
        threshold = Settings.lexical_min_coverage if min_coverage is None else min_coverage
        rule_sets = _rule_terms(query, lang)
        terms = sorted(set().union(*rule_sets))
        if k <= 0 or not terms or n_docs == 0:
            return []
        res = self.client.search(CHUNKS, data=[" ".join(terms)], anns_field="sparse",
                                 limit=min(max(CANDIDATES_MIN, 10 * k), 16_384),
                                 output_fields=["chunk", "terms"], search_params={"metric_type": "BM25"},
                                 consistency_level="Strong")
        hits = list(res[0]) if res else []
        if not hits:
            return []
        held = [set(str(h["entity"]["terms"]).split()) for h in hits]
        idf = self._idf(terms, n_docs, version)  # a term found nowhere gets the largest IDF, as locally
        out: list[tuple[Chunk, float]] = []
        for hit, have in zip(hits, held, strict=True):
            coverage = max(sum(idf[t] for t in ts if t in have) / sum(idf[t] for t in ts) for ts in rule_sets)
            if coverage >= threshold - 1e-9:
                out.append((Chunk.from_dict(hit["entity"]["chunk"]), bm25_score(hit["distance"])))
        # Stable on the engine's order; ties by chunk id so results do not depend on segment layout.
        out.sort(key=lambda t: (-round(t[1], 6), t[0].id))
        return out[:k]


class LocalLexical:
    """Today's ``LexicalIndex`` rebuilt in memory from the terms stored in Milvus (bench comparison)."""

    def __init__(self, rows: Callable[[], list[dict[str, Any]]], chunks: Callable[[list[str]], list[Chunk]]
                 ) -> None:
        self._rows = rows
        self._chunks = chunks
        self._index: LexicalIndex | None = None
        self._version = -1
        self._lock = threading.Lock()

    def search(self, query: str, lang: str, k: int, n_docs: int, version: int, min_coverage: float | None = None
               ) -> list[tuple[Chunk, float]]:
        with self._lock:
            if self._index is None or version != self._version:
                rows = sorted(self._rows(), key=lambda r: r["id"])
                index = LexicalIndex([r["id"] for r in rows], [r["lang"] for r in rows],
                                     [str(r["terms"]).split() for r in rows])
                index._fit()
                self._index, self._version = index, version
            index = self._index
        found = index.search(query, lang, k, min_coverage=min_coverage)
        by_id = {c.id: c for c in self._chunks([cid for cid, _ in found])}
        return [(by_id[cid], score) for cid, score in found if cid in by_id]
