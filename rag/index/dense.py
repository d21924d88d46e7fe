"""Dense vectors: the FAISS index (exact or HNSW), its search, and per-language mean vectors.

Exact inner product up to ``Settings.exact_index_max`` chunks (an exact flat index over 50k vectors
answers in milliseconds and is rebuilt from ``vectors.npy`` on load); HNSW above, saved with the
generation because building it is the slow part of a large commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faiss
import numpy as np

from rag.types import Chunk

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96  # recall ~0.99 at M=32 for 10^4..10^6 vectors; raised to k when k is larger


def kind_for(n_chunks: int, exact_index_max: int) -> str:
    return "flat" if n_chunks <= exact_index_max else "hnsw"


def build_faiss(vectors: np.ndarray, kind: str, *, base: Any = None, base_rows: int = 0) -> Any:
    """A FAISS inner-product index over ``vectors`` (rows = chunk rows).

    With ``base`` (an HNSW index over the first ``base_rows`` rows, unchanged) only the new rows are
    inserted into a copy -- appending is the common incremental case. The copy keeps the live index
    untouched until the commit succeeds.
    """
    dim = vectors.shape[1]
    index: Any
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return index
    if base is not None and base_rows <= len(vectors):
        index = faiss.deserialize_index(faiss.serialize_index(base))
        if len(vectors) > base_rows:
            index.add(vectors[base_rows:])
        return index
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    if len(vectors):
        index.add(vectors)
    return index


def hnsw_params() -> dict[str, int]:
    """What the manifest records about an HNSW index."""
    return {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH}


def search(index: Any, kind: str, chunks: Sequence[Chunk], dim: int, query_vec: np.ndarray,
           k: int) -> list[tuple[Chunk, float]]:
    """Top ``k`` chunks by inner product with an L2-normalised query vector (= cosine)."""
    if k <= 0 or not chunks:
        return []
    q = np.ascontiguousarray(np.asarray(query_vec, dtype=np.float32).reshape(1, -1))
    if q.shape[1] != dim:
        raise ValueError(f"query vector has dim {q.shape[1]}, index has {dim}")
    k = min(k, len(chunks))
    if kind == "hnsw":
        # Per-call parameters (not index.hnsw.efSearch) so concurrent searches don't race.
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))  # type: ignore[attr-defined]
        scores, rows = index.search(q, k, params=params)
    else:
        scores, rows = index.search(q, k)
    return [(chunks[int(r)], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]


def language_means(chunks: Sequence[Chunk], vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Mean chunk vector per chunk language (the retriever subtracts the query's similarity to it, see
    ``HybridRetriever._dense``). One pass over the vectors per generation; cheap even at 100k chunks."""
    if len(vectors) != len(chunks):
        return {}
    by_lang: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_lang.setdefault(c.lang, []).append(i)
    return {lang: np.asarray(vectors[rows].mean(axis=0), dtype=np.float32) for lang, rows in by_lang.items()}


def offsets(means: dict[str, np.ndarray], query_vec: np.ndarray) -> dict[str, float]:
    """The query's similarity to each language mean."""
    q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
    return {lang: float(mean @ q) for lang, mean in means.items()}
