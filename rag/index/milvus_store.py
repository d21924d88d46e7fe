"""The index on Milvus (``--store milvus://FILE.db`` or ``--store http://host:19530``): the ``Store``
contract of ``rag.index.base`` through ``pymilvus.MilvusClient``; collections in ``milvus_schema``.

What it keeps from the local store (docs/scaling.md section 6; why each matters: docs/retrieval.md): the
same embedder and prompts, L2-normalised vectors with inner product, the embedder fingerprint and
chunking checked on open (a mismatch is refused with the same "rebuild" message), incremental ingestion
by content hash (only new chunk texts are embedded), removal by source, the full chunk payload, per-
language means for centering (running sums kept in ``meta``, so no scan is needed), and BM25 over our
tokeniser's terms with the coverage filter (``milvus_lexical``). Retrieval fusion stays in
``HybridRetriever``.

What differs, because Milvus has no multi-row transactions: an ``apply`` writes the new chunks, then
deletes stale ones, then the document records, then the means and the version counter. A reader
meanwhile may see a changed document's old and new chunks together for that moment; an interrupted
ingest leaves the document's old record, so the next ``rag ingest`` redoes it (chunk ids are content
hashes: re-inserting is idempotent). Several readers (``rag serve`` replicas) and one writer at a time
are supported; two concurrent ingests into one collection are not (the running means could lose an
update). ``--rebuild`` drops and recreates the collections (not atomic, unlike the local store).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index.base import ApplyReport
from rag.index.milvus_connect import (
    CONSISTENCY,
    check_compatible,
    client_for,
    create_collections,
    doc_key,
    store_flag,
)
from rag.index.milvus_lexical import LocalLexical, MilvusLexical
from rag.index.milvus_schema import CHUNKS, COLLECTIONS, DOCUMENTS, HNSW_EF_SEARCH, META, TERMS, StoreTarget, quote
from rag.index.milvus_writes import plan_apply
from rag.types import Chunk, Document, Section

MEANS_TTL_S = 2.0  # how stale another process's view of the language means / version may get
BATCH = 1000


class MilvusStore:
    """Documents, chunks, dense and BM25 indexes in Milvus (Lite or server), same contract as local."""

    def __init__(self, client: Any, target: StoreTarget, embedder: Embedder, chunking: dict[str, Any],
                 config: dict[str, Any], *, exact_index_max: int, lexical: str = "milvus") -> None:
        self.client = client
        self.target = target
        self.embedder = embedder
        self.chunking = dict(chunking)
        self.exact_index_max = exact_index_max
        self.config = config
        self._means: dict[str, np.ndarray] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.lexical: MilvusLexical | LocalLexical
        if lexical == "milvus":
            self.lexical = MilvusLexical(client, self.doc_freqs)
        elif lexical == "local":
            self.lexical = LocalLexical(lambda: self.all_rows(CHUNKS, 'id != ""', ["id", "lang", "terms"]),
                                        self.get_chunks)
        else:
            raise ValueError(f"lexical must be 'milvus' or 'local', got {lexical!r}")

    # -- opening ----------------------------------------------------------------------------------

    @staticmethod
    def exists(target: StoreTarget) -> bool:
        if target.kind == "lite" and not os.path.exists(target.uri):
            return False
        return bool(client_for(target).has_collection(META))

    @classmethod
    def open(cls, target: StoreTarget, embedder: Embedder, chunking: dict[str, Any], *, create: bool = True,
             fresh: bool = False, exact_index_max: int = 50_000, lexical: str = "milvus") -> MilvusStore:
        """Open (or with ``create`` make) the collections; ``fresh`` drops what is there first."""
        client = client_for(target)
        if fresh:
            for name in COLLECTIONS:
                if client.has_collection(name):
                    client.drop_collection(name)
        if not client.has_collection(META):
            if not create:
                raise IndexError_(f"No index in {target.uri}.", fix=f"rag ingest PATH --store {store_flag(target)}")
            config = create_collections(client, embedder, chunking)
        else:
            for name in COLLECTIONS:
                if not client.has_collection(name):
                    raise IndexError_(f"Index in {target.uri} is corrupt: collection {name} is missing.",
                                      fix=f"rag ingest --rebuild PATH --store {store_flag(target)}")
                client.load_collection(name)
            rows = client.get(META, ids=["config"], output_fields=["info"])
            if not rows:
                raise IndexError_(f"Index in {target.uri} is corrupt: its config row is missing.",
                                  fix=f"rag ingest --rebuild PATH --store {store_flag(target)}")
            config = dict(rows[0]["info"])
            check_compatible(target, config, embedder, chunking, lambda: _source_dirs(client))
        return cls(client, target, embedder, chunking, config, exact_index_max=exact_index_max, lexical=lexical)

    def close(self) -> None:
        """Release the connection (and for Milvus Lite the in-process engine, unlocking the file)."""
        self.client.close()
        if self.target.kind == "lite":
            from milvus_lite import server_manager_instance

            server_manager_instance.release_server(self.target.uri)

    # -- reading ----------------------------------------------------------------------------------

    def all_rows(self, collection: str, filt: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every matching row (a plain query is capped at 16,384 rows; the iterator is not)."""
        it = self.client.query_iterator(collection, batch_size=BATCH, filter=filt, output_fields=fields,
                                        consistency_level=CONSISTENCY)
        out: list[dict[str, Any]] = []
        try:
            while batch := it.next():
                out.extend(batch)
        finally:
            it.close()
        return out

    def refresh(self, force: bool = False) -> None:
        """Re-read the version and language means another process may have changed (at most every
        ``MEANS_TTL_S``), so a long-running ``rag serve`` follows an ingest made elsewhere."""
        if not force and time.monotonic() - self._read_at < MEANS_TTL_S:
            return
        rows = self.all_rows(META, 'key != ""', ["key", "info"])
        means: dict[str, np.ndarray] = {}
        for r in rows:
            if r["key"] == "config":
                self.config = dict(r["info"])
            elif r["key"].startswith("lang:") and r["info"].get("count", 0) > 0:
                info = r["info"]
                means[r["key"][5:]] = (np.asarray(info["sum"], dtype=np.float64) / info["count"]).astype(np.float32)
        with self._lock:
            self._means, self._read_at = means, time.monotonic()

    def __len__(self) -> int:
        """Chunk count as of the last ``apply`` (recorded in ``meta``; re-read like the means), so a search
        costs no extra round trip for it."""
        self.refresh()
        if "chunks" in self.config:
            return int(self.config["chunks"])
        return self.count()

    def count(self) -> int:
        """Chunk count, asked of Milvus."""
        res = self.client.query(CHUNKS, filter="", output_fields=["count(*)"], consistency_level=CONSISTENCY)
        return int(res[0]["count(*)"]) if res else 0

    @property
    def generation(self) -> int:
        self.refresh()
        return int(self.config.get("version", 0))

    @property
    def index_kind(self) -> str:
        return str(self.config.get("index_kind", "flat"))

    def records(self, sources: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        if sources is None:
            rows = self.all_rows(DOCUMENTS, "part == 0", ["source", "info"])
        else:
            keys = [doc_key(s, 0) for s in sources]
            rows = [r for i in range(0, len(keys), BATCH)
                    for r in self.client.get(DOCUMENTS, ids=keys[i:i + BATCH], output_fields=["source", "info"])]
        return {r["source"]: dict(r["info"]) for r in rows}

    def sources(self) -> set[str]:
        return {r["source"] for r in self.all_rows(DOCUMENTS, "part == 0", ["source"])}

    def documents(self) -> list[dict[str, Any]]:
        recs = self.records()
        return [{**recs[s], "n_chunks": len(recs[s]["chunk_ids"])} for s in sorted(recs)]

    def document(self, source: str) -> Document:
        rows = sorted(self.client.query(DOCUMENTS, filter=f"source == {quote(source)}",
                                        output_fields=["part", "info", "text"], consistency_level=CONSISTENCY),
                      key=lambda r: r["part"])
        if not rows or rows[0]["part"] != 0:
            raise KeyError(f"no document {source!r} in the index")
        rec = rows[0]["info"]
        return Document(source=source, path=rec["path"], text="".join(r["text"] for r in rows),
                        content_hash=rec["content_hash"], title=rec["title"], date=rec["date"], lang=rec["lang"],
                        sections=[Section(s, e, lang) for s, e, lang in rec["sections"]])

    def document_text(self, source: str) -> str:
        return self.document(source).text

    def needs_update(self, source: str, content_hash: str) -> bool:
        rec = self.records([source]).get(source)
        return rec is None or rec["content_hash"] != content_hash

    def get_chunks(self, ids: list[str]) -> list[Chunk]:
        rows = [r for i in range(0, len(ids), BATCH)
                for r in self.client.get(CHUNKS, ids=ids[i:i + BATCH], output_fields=["chunk"])]
        return [Chunk.from_dict(r["chunk"]) for r in rows]

    def chunk(self, chunk_id: str) -> Chunk:
        found = self.get_chunks([chunk_id])
        if not found:
            raise KeyError(f"no chunk {chunk_id!r} in the index")
        return found[0]

    def document_chunks(self, source: str) -> list[Chunk]:
        rec = self.records([source]).get(source)
        return [] if rec is None else sorted(self.get_chunks(list(rec["chunk_ids"])), key=lambda c: c.ordinal)

    def chunks(self) -> list[Chunk]:
        out = [Chunk.from_dict(r["chunk"]) for r in self.all_rows(CHUNKS, 'id != ""', ["chunk"])]
        return sorted(out, key=lambda c: (c.source, c.ordinal, c.id))

    # -- searching --------------------------------------------------------------------------------

    def search_dense(self, query_vec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.embedder.dim:
            raise ValueError(f"query vector has dim {q.shape[0]}, index has {self.embedder.dim}")
        if k <= 0:
            return []
        res = self.client.search(CHUNKS, data=[q.tolist()], anns_field="vector", limit=min(k, 16_384),
                                 output_fields=["chunk"], consistency_level=CONSISTENCY,
                                 search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, k)}})
        return [(Chunk.from_dict(h["entity"]["chunk"]), float(h["distance"])) for h in (res[0] if res else [])]

    def language_offsets(self, query_vec: np.ndarray) -> dict[str, float]:
        self.refresh()
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        return {lang: float(mean @ q) for lang, mean in self._means.items()}

    def search_lexical(self, query: str, lang: str, k: int, *, min_coverage: float | None = None
                       ) -> list[tuple[Chunk, float]]:
        self.refresh()
        return self.lexical.search(query, lang, k, len(self), int(self.config.get("version", 0)), min_coverage)

    # -- writing ----------------------------------------------------------------------------------

    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (absent terms: 0)."""
        rows = [r for i in range(0, len(terms), BATCH)
                for r in self.client.get(TERMS, ids=list(terms[i:i + BATCH]), output_fields=["key", "info"])]
        return {r["key"]: int(r["info"]["df"]) for r in rows}

    def remove(self, sources: Sequence[str], *, progress: bool = False) -> ApplyReport:
        return self.apply([], sources, progress=progress)

    def apply(self, upserts: Sequence[tuple[Document, list[Chunk]]], removals: Sequence[str] = (), *,
              progress: bool = True) -> ApplyReport:
        """Add or replace documents and remove others (order of writes: see the module docstring)."""
        with self._write_lock:
            return plan_apply(self, upserts, removals, progress=progress)


def _source_dirs(client: Any) -> list[str]:
    """Folders the indexed documents came from (for the "rag ingest --rebuild ..." hint)."""
    rows = client.query(DOCUMENTS, filter="part == 0", output_fields=["info"], limit=1000)
    return sorted({str(Path(r["info"]["path"]).parent) for r in rows if r["info"].get("path")})
