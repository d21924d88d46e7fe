"""The update diff: from the live snapshot and a batch of upserts/removals to the next snapshot.

Only what changed is recomputed: unchanged documents are skipped, a chunk text already in the index
keeps its vector (so editing one paragraph of a long file embeds one chunk), the lexical index re-uses
the tokens of known chunk ids, and an append-only change extends an HNSW graph instead of rebuilding it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.embedding import Embedder
from rag.index import dense
from rag.index.base import ApplyReport, Upsert
from rag.index.lexical import LexicalIndex
from rag.index.snapshot import Snapshot, doc_record, now
from rag.types import Chunk, Document


@dataclass
class Change:
    """A planned next snapshot and the report to return once it is published."""

    snapshot: Snapshot
    report: ApplyReport


DocChange = tuple[Document, list[Chunk], bool]  # an upsert to write: document, unique chunks, stored before


def dedupe_chunks(chunks: Sequence[Chunk]) -> list[Chunk]:
    """Chunk ids hash (source, text), so a paragraph repeated inside one document yields one id twice;
    the index keeps the first occurrence (same text, so retrieval loses nothing)."""
    seen: set[str] = set()
    out: list[Chunk] = []
    for c in chunks:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out


def validate(upserts: Sequence[Upsert]) -> set[str]:
    """The sources of ``upserts``; ``ValueError`` when a document is given twice or one of its chunks
    names another source."""
    seen: set[str] = set()
    for doc, chunks in upserts:
        if doc.source in seen:
            raise ValueError(f"document {doc.source!r} given twice in one apply")
        seen.add(doc.source)
        for c in chunks:
            if c.source != doc.source:
                raise ValueError(f"chunk {c.id} has source {c.source!r}, document is {doc.source!r}")
    return seen


def changed(upserts: Sequence[Upsert], records: Mapping[str, dict[str, Any]]) -> list[DocChange]:
    """The upserts to write: (document, its chunks without repeats, whether it was stored before). A
    document whose stored record has the same content hash and chunk ids is unchanged and left out."""
    out: list[DocChange] = []
    for doc, chunks in upserts:
        unique = dedupe_chunks(chunks)
        rec = records.get(doc.source)
        if (rec is not None and rec["content_hash"] == doc.content_hash
                and rec["chunk_ids"] == [c.id for c in unique]):
            continue
        out.append((doc, unique, rec is not None))
    return out


def embed_new(embedder: Embedder, texts: Sequence[str], *, progress: bool) -> np.ndarray:
    """Document vectors of ``texts``, one float32 row each (none asked: no call to the embedder);
    ``ValueError`` when the embedder returns another shape."""
    dim = embedder.dim
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    vecs = np.asarray(embedder.embed_documents(list(texts), progress=progress), dtype=np.float32)
    if vecs.shape != (len(texts), dim):
        raise ValueError(f"embedder returned shape {vecs.shape}, expected ({len(texts)}, {dim})")
    return vecs


def plan(old: Snapshot, upserts: Sequence[Upsert], removals: Sequence[str], embedder: Embedder,
         exact_index_max: int, *, progress: bool) -> Change | None:
    """The next snapshot, or None when nothing changes (then nothing must be written).

    Embeds only chunk texts not already in ``old``; ``ValueError`` on inconsistent input or chunk ids
    that collide with another document's.
    """
    t0 = time.perf_counter()
    seen = validate(upserts)
    removed_sources = {s for s in removals if s in old.docs and s not in seen}
    changes = changed(upserts, old.docs)
    if not changes and not removed_sources:
        return None

    replaced = removed_sources | {doc.source for doc, _, existed in changes if existed}
    keep_rows = [i for i, c in enumerate(old.chunks) if c.source not in replaced]
    new_chunks = [c for _, chunks, _ in changes for c in chunks]
    kept_ids = {old.chunks[i].id for i in keep_rows}
    new_ids: set[str] = set()
    for c in new_chunks:
        if c.id in kept_ids or c.id in new_ids:
            raise ValueError(f"chunk id {c.id} ({c.source!r}) collides with another document's chunk")
        new_ids.add(c.id)

    new_rows, reused, embedded = _vectors_for(old, new_chunks, embedder, progress=progress)
    chunks_all = [old.chunks[i] for i in keep_rows] + new_chunks
    vectors_all = np.ascontiguousarray(np.vstack([old.vectors[keep_rows], new_rows]), dtype=np.float32)

    t = now()
    docs = {s: r for s, r in old.docs.items() if s not in replaced}
    for doc, chunks, _ in changes:
        docs[doc.source] = doc_record(doc, chunks, t)
    lexical = LexicalIndex.build(((c.id, c.text, c.lang) for c in chunks_all), previous=old.lexical)
    kind = dense.kind_for(len(chunks_all), exact_index_max)
    append_only = len(keep_rows) == len(old.chunks)
    base = old.faiss_index if (kind == "hnsw" and old.kind == "hnsw" and append_only) else None
    faiss_index = dense.build_faiss(vectors_all, kind, base=base, base_rows=len(old.chunks))
    snap = Snapshot(generation=old.generation, chunks=chunks_all, vectors=vectors_all, docs=docs,
                    lexical=lexical, faiss_index=faiss_index, kind=kind,
                    created_at=old.created_at, updated_at=t)
    old_ids, all_new_ids = set(old.row_of), set(snap.row_of)
    report = ApplyReport(
        added_docs=sum(1 for *_, existed in changes if not existed),
        updated_docs=sum(1 for *_, existed in changes if existed),
        removed_docs=len(removed_sources),
        added_chunks=len(all_new_ids - old_ids),
        removed_chunks=len(old_ids - all_new_ids),
        reused_vectors=reused,
        seconds=time.perf_counter() - t0,
        index_kind=kind,
        embedded_chunks=embedded,
        written=True,
    )
    return Change(snapshot=snap, report=report)


def _vectors_for(old: Snapshot, new_chunks: Sequence[Chunk], embedder: Embedder, *,
                 progress: bool) -> tuple[np.ndarray, int, int]:
    """(vectors of ``new_chunks``, how many were reused, how many texts were embedded): reuse by exact
    text (covers unchanged chunk ids), embed each new text once."""
    old_row_by_text: dict[str, int] = {}
    for i, c in enumerate(old.chunks):
        old_row_by_text.setdefault(c.text, i)
    to_embed: dict[str, int] = {}
    for c in new_chunks:
        if c.text not in old_row_by_text and c.text not in to_embed:
            to_embed[c.text] = len(to_embed)
    fresh_vecs = embed_new(embedder, list(to_embed), progress=progress)
    reused = 0
    rows = np.zeros((len(new_chunks), embedder.dim), dtype=np.float32)
    for j, c in enumerate(new_chunks):
        if c.text in old_row_by_text:
            rows[j] = old.vectors[old_row_by_text[c.text]]
            reused += 1
        else:
            rows[j] = fresh_vecs[to_embed[c.text]]
    return rows, reused, len(to_embed)
