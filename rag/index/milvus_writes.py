"""``MilvusStore.apply``: the same diff rules as the local store, written to Milvus row by row.

Rules shared with the local store (the same functions of ``rag.index.diff``): a document whose content
hash and chunk ids are unchanged is skipped; a changed document's chunks are replaced as a whole; only
chunk texts not already stored are embedded (a chunk id is a hash of source and text, so a stored id
means a stored vector); chunk ids colliding with another document's are refused.

Write order (why: see ``rag.index.milvus_store``): new chunks, stale chunks deleted, document records,
then the per-language sums and the version counter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.index.base import ApplyReport
from rag.index.diff import changed, embed_new, validate
from rag.index.lexical import tokenize
from rag.index.milvus_connect import doc_key, keyed_row, now
from rag.index.milvus_schema import (
    CHUNKS,
    DOCUMENTS,
    MAX_TERMS_BYTES,
    META,
    TERMS,
    TEXT_SLICE_CHARS,
    chunks_index_params,
    quote,
)
from rag.index.snapshot import doc_record
from rag.types import Chunk, Document

if TYPE_CHECKING:
    from rag.index.milvus_store import MilvusStore

BATCH = 1000
log = logging.getLogger(__name__)


def _record(doc: Document, chunks: Sequence[Chunk], ingested_at: str) -> dict[str, Any]:
    """The local store's document record without the text (Milvus keeps the text in slices of its own)."""
    rec = doc_record(doc, chunks, ingested_at)
    del rec["text"]
    return rec


def _rows(store: MilvusStore, ids: Sequence[str], fields: list[str]) -> list[dict[str, Any]]:
    return [r for i in range(0, len(ids), BATCH)
            for r in store.client.get(CHUNKS, ids=list(ids[i:i + BATCH]), output_fields=fields)]


def terms_text(chunk: Chunk) -> str:
    """The chunk's BM25 terms (``rag.index.lexical.tokenize`` under its language), space-joined."""
    terms = " ".join(tokenize(chunk.text, chunk.lang))
    while len(terms.encode("utf-8")) > MAX_TERMS_BYTES:  # a pathological chunk: BM25 sees a prefix
        terms = terms[: len(terms) * 9 // 10].rsplit(" ", 1)[0]
    return terms


def plan_apply(store: MilvusStore, upserts: Sequence[tuple[Document, list[Chunk]]], removals: Sequence[str], *,
               progress: bool) -> ApplyReport:
    t0 = time.perf_counter()
    seen = validate(upserts)
    old = store.records([*seen, *(s for s in removals if s not in seen)])
    removed = sorted(s for s in removals if s in old and s not in seen)
    changes = changed(upserts, old)
    if not changes and not removed:
        return ApplyReport(seconds=time.perf_counter() - t0, index_kind=store.index_kind, generation=store.generation)

    replaced = set(removed) | {doc.source for doc, _, existed in changes if existed}
    new_chunks = [c for _, chunks, _ in changes for c in chunks]
    new_ids = [c.id for c in new_chunks]
    if len(set(new_ids)) != len(new_ids):
        raise ValueError("two documents of one apply share a chunk id")
    stored = {r["id"]: r for r in _rows(store, new_ids, ["id", "source", "vector"])}
    for cid, r in stored.items():
        if r["source"] not in replaced and r["source"] not in seen:
            raise ValueError(f"chunk id {cid} collides with a chunk of {r['source']!r}")

    # Vectors: a stored id is the same (source, text), so its vector is reused; new texts embedded once.
    dim = store.embedder.dim
    to_embed: dict[str, int] = {}
    for c in new_chunks:
        if c.id not in stored and c.text not in to_embed:
            to_embed[c.text] = len(to_embed)
    fresh = embed_new(store.embedder, list(to_embed), progress=progress)
    vectors = np.zeros((len(new_chunks), dim), dtype=np.float32)
    for j, c in enumerate(new_chunks):
        vectors[j] = stored[c.id]["vector"] if c.id in stored else fresh[to_embed[c.text]]

    # Old chunks of replaced/removed documents: their vectors leave the language sums.
    old_ids = [cid for s in sorted(replaced) for cid in old[s]["chunk_ids"]]
    old_rows = _rows(store, old_ids, ["id", "lang", "vector", "terms"])
    delta: dict[str, tuple[np.ndarray, int]] = {}

    def add(lang: str, vec: Any, sign: int) -> None:
        s, n = delta.get(lang, (np.zeros(dim, dtype=np.float64), 0))
        delta[lang] = (s + sign * np.asarray(vec, dtype=np.float64), n + sign)

    for r in old_rows:
        add(r["lang"], r["vector"], -1)
    for c, v in zip(new_chunks, vectors, strict=True):
        add(c.lang, v, +1)

    # Document frequencies of the BM25 terms (for the coverage filter's IDF, see milvus_lexical).
    terms_of = [terms_text(c) for c in new_chunks]
    df_delta: dict[str, int] = {}
    for text, sign in [*((r["terms"], -1) for r in old_rows), *((t, 1) for t in terms_of)]:
        for term in set(text.split()):
            df_delta[term] = df_delta.get(term, 0) + sign

    write_chunks(store, new_chunks, vectors, terms_of, set(stored))
    keep = set(new_ids)
    stale = [r["id"] for r in old_rows if r["id"] not in keep]
    for i in range(0, len(stale), BATCH):
        store.client.delete(CHUNKS, ids=stale[i:i + BATCH])
    stamp = now()
    write_documents(store, [(_record(doc, chunks, stamp), doc.text, existed) for doc, chunks, existed in changes])
    for s in removed:
        store.client.delete(CHUNKS, filter=f"source == {quote(s)}")  # also rows an interrupted run left
        store.client.delete(DOCUMENTS, filter=f"source == {quote(s)}")
    write_terms(store, df_delta)
    n_chunks = store.count()
    config = write_meta(store, delta, n_chunks)
    old_set = set(old_ids)
    return ApplyReport(
        added_docs=sum(1 for *_, existed in changes if not existed),
        updated_docs=sum(1 for *_, existed in changes if existed),
        removed_docs=len(removed),
        added_chunks=len(keep - old_set),
        removed_chunks=len(old_set - keep),
        reused_vectors=sum(1 for c in new_chunks if c.id in stored),
        seconds=time.perf_counter() - t0,
        index_kind=str(config["index_kind"]),
        embedded_chunks=len(to_embed),
        written=True,
        generation=int(config["version"]),
    )


def _put(store: MilvusStore, collection: str, rows: list[dict[str, Any]], known: set[str], key: str) -> None:
    """Insert rows whose key is new, upsert the others: Milvus's upsert is a delete plus an insert, and
    on Milvus Lite it cost 2-3x an insert (bench/store_bench.py while writing this)."""
    for op, part in ((store.client.insert, [r for r in rows if r[key] not in known]),
                     (store.client.upsert, [r for r in rows if r[key] in known])):
        for i in range(0, len(part), BATCH):
            op(collection, part[i:i + BATCH])


def write_chunks(store: MilvusStore, chunks: Sequence[Chunk], vectors: np.ndarray, terms_of: Sequence[str],
                 stored: set[str]) -> None:
    rows = [{"id": c.id, "source": c.source, "lang": c.lang, "terms": terms, "chunk": c.to_dict(),
             "vector": np.asarray(v, dtype=np.float32).tolist()}
            for c, v, terms in zip(chunks, vectors, terms_of, strict=True)]
    _put(store, CHUNKS, rows, stored, "id")


def write_documents(store: MilvusStore, docs: Sequence[tuple[dict[str, Any], str, bool]]) -> None:
    """Document records and texts (in slices); ``docs`` = (record, text, existed before)."""
    rows: list[dict[str, Any]] = []
    known: set[str] = set()
    for rec, text, existed in docs:
        slices = [text[i:i + TEXT_SLICE_CHARS] for i in range(0, len(text), TEXT_SLICE_CHARS)] or [""]
        rows += [keyed_row(doc_key(rec["source"], i), rec["source"], i, rec if i == 0 else {}, piece)
                 for i, piece in enumerate(slices)]
        if existed:
            known |= {doc_key(rec["source"], i) for i in range(len(slices))}
            store.client.delete(DOCUMENTS, filter=f"source == {quote(rec['source'])} and part >= {len(slices)}")
    _put(store, DOCUMENTS, rows, known, "key")


def write_terms(store: MilvusStore, delta: dict[str, int]) -> None:
    """Apply per-term changes of document frequency (rows at 0 are deleted)."""
    touched = sorted(t for t, d in delta.items() if d)
    current = store.doc_freqs(touched)
    keep = [keyed_row(t, "", 0, {"df": current.get(t, 0) + delta[t]}) for t in touched
            if current.get(t, 0) + delta[t] > 0]
    gone = [t for t in touched if current.get(t, 0) + delta[t] <= 0]
    _put(store, TERMS, keep, set(current), "key")
    for i in range(0, len(gone), BATCH):
        store.client.delete(TERMS, ids=gone[i:i + BATCH])


def write_meta(store: MilvusStore, lang_delta: dict[str, tuple[np.ndarray, int]], n_chunks: int) -> dict[str, Any]:
    """Add the per-language sums/counts, bump the version, switch to HNSW past ``exact_index_max``."""
    rows = {r["key"]: dict(r["info"]) for r in store.all_rows(META, 'key != ""', ["key", "info"])}
    out = []
    for lang, (vec_sum, count) in lang_delta.items():
        cur = rows.get(f"lang:{lang}", {"sum": [0.0] * store.embedder.dim, "count": 0})
        new_sum = np.asarray(cur["sum"], dtype=np.float64) + vec_sum
        out.append(keyed_row(f"lang:{lang}", "", 0, {"sum": new_sum.tolist(), "count": int(cur["count"]) + count}))
    config = dict(rows.get("config", store.config))
    config["version"] = int(config.get("version", 0)) + 1
    config["chunks"] = n_chunks
    config["updated_at"] = now()
    if config.get("index_kind") == "flat" and n_chunks > store.exact_index_max and not config.get("hnsw_refused"):
        switched = _switch_to_hnsw(store)
        config["index_kind" if switched else "hnsw_refused"] = "hnsw" if switched else True
    out.append(keyed_row("config", "", 0, config))
    store.client.upsert(META, out)
    store.config = config
    store.refresh(force=True)
    return config


def _switch_to_hnsw(store: MilvusStore) -> bool:
    """Exact search up to ``exact_index_max`` chunks, HNSW (same M / efConstruction) above, as local.

    Milvus Lite (3.2.2) builds HNSW with FAISS, but two of its behaviours broke the plain "release,
    drop, create, load" sequence (``milvus_lite/adapter/grpc/servicer.py`` ``DropIndex``,
    ``engine/collection.py`` ``drop_index`` / ``create_index``):

    - ``drop_index(name)`` maps a name to a field only in the form ``"<field>_idx"``, while
      ``list_indexes`` reports the field name (``"vector"``); an unmapped name drops *every* index of
      the collection, so the BM25 index (holding k1 1.5) went too. Whatever the drop took besides the
      dense index is re-created here from ``chunks_index_params``.
    - dropping the last index marks the collection loaded, and ``create_index`` on a loaded collection
      builds the index inside that call (minutes at 100k chunks). A retried ``CreateIndex`` then finds
      the spec it already recorded: "index already exists for field vector; call drop_index first"
      (seen at 100k chunks). Releasing again first makes ``create_index`` only record the spec; the
      build happens in ``load_collection``, which is idempotent if retried. If the engine still says
      "already exists", the index it describes decides.

    An ingest must not fail over this optional step: if the engine refuses anyway, the exact index
    stays and a warning says so. Returns whether HNSW is now in place.
    """
    from pymilvus.exceptions import MilvusException

    client = store.client
    wanted = {"vector", "sparse"}
    try:
        client.release_collection(CHUNKS)
        for name in client.list_indexes(CHUNKS, field_name="vector"):
            client.drop_index(CHUNKS, name)
        client.release_collection(CHUNKS)
        missing = wanted - set(_indexed_fields(store))
        try:
            client.create_index(CHUNKS, chunks_index_params(client, missing, hnsw=True))
        except MilvusException:
            if _dense_index_type(store) != "HNSW":
                raise
        return _dense_index_type(store) == "HNSW"
    except MilvusException as exc:
        log.warning("could not switch the Milvus vector index to HNSW (%s); keeping exact search", exc.message)
        missing = wanted - set(_indexed_fields(store))
        if missing:
            client.create_index(CHUNKS, chunks_index_params(client, missing, hnsw=False))
        return False
    finally:
        client.load_collection(CHUNKS)


def _indexed_fields(store: MilvusStore) -> list[str]:
    """Fields of the chunks collection that have an index."""
    return [str(store.client.describe_index(CHUNKS, name)["field_name"]) for name in store.client.list_indexes(CHUNKS)]


def _dense_index_type(store: MilvusStore) -> str:
    """``FLAT`` / ``HNSW`` / "" (none): the index type the engine reports for the dense vectors."""
    names = store.client.list_indexes(CHUNKS, field_name="vector")
    return str(store.client.describe_index(CHUNKS, names[0]).get("index_type", "")) if names else ""
