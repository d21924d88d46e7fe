"""The index on Milvus (``--store milvus://FILE.db`` or ``--store http://host:19530``): the ``Store``
contract of ``rag.index.base`` through ``pymilvus.MilvusClient``; collections in ``milvus_schema``.

What it keeps from the local store (docs/scaling.md lists why each matters): the same embedder and
prompts, L2-normalised vectors with inner product, the embedder fingerprint and chunking checked on
open (a mismatch is refused with the same "rebuild" message), incremental ingestion by content hash
(only new chunk texts are embedded), removal by source, the full chunk payload, per-language means
for centering (running sums kept in ``meta``, so no scan is needed), and BM25 over our tokeniser's
terms with the coverage filter (``milvus_lexical``). Retrieval fusion stays in ``HybridRetriever``.

What differs, because Milvus has no multi-row transactions: an ``apply`` writes the new chunks, then
deletes stale ones, then the document records, then the means and the version counter. A reader
meanwhile may see a changed document's old and new chunks together for that moment; an interrupted
ingest leaves the document's old record, so the next ``rag ingest`` redoes it (chunk ids are content
hashes: re-inserting is idempotent). Several readers (``rag serve`` replicas) and one writer at a time
are supported; two concurrent ingests into one collection are not (the running means could lose an
update). ``--rebuild`` drops and recreates the collections (not atomic, unlike the local store).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index.base import ApplyReport
from rag.index.milvus_lexical import LocalLexical, MilvusLexical
from rag.index.milvus_schema import (
    CHUNKS,
    COLLECTIONS,
    DOCUMENTS,
    DUMMY,
    FORMAT_VERSION,
    HNSW_EF_SEARCH,
    HNSW_PARAMS,
    META,
    TERMS,
    TEXT_SLICE_CHARS,
    StoreTarget,
    chunks_schema,
    keyed_schema,
    quote,
)
from rag.index.milvus_writes import plan_apply
from rag.types import Chunk, Document, Section

MEANS_TTL_S = 2.0  # how stale another process's view of the language means / version may get
BATCH = 1000
CONSISTENCY = "Strong"  # every read sees every finished write (Milvus defaults to "Bounded")


# pymilvus warns on every query iterator against Milvus Lite (no server-side MVCC timestamp) and Milvus
# Lite logs a traceback when a file is locked; both are reported here in our own words instead.
logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
logging.getLogger("milvus_lite.server_manager").setLevel(logging.CRITICAL)


def client_for(target: StoreTarget) -> Any:
    """A ``MilvusClient``; for Milvus Lite the engine starts inside this process (once per file)."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    try:
        return MilvusClient(uri=target.uri)
    except MilvusException as exc:
        if target.kind == "lite":
            raise IndexError_(
                f"Cannot open the Milvus Lite file {target.uri} ({exc.message}). Milvus Lite runs inside one "
                "process and locks its file, so most likely another rag process has it open.",
                fix=f"stop the other process, or serve the file to all of them: python -m milvus_lite server "
                    f"--data-dir {target.uri} --port 19530, then --store http://127.0.0.1:19530") from exc
        raise IndexError_(f"Cannot reach the Milvus server at {target.uri} ({exc.message}).",
                          fix="check that Milvus is running and the URL (http://host:19530)") from exc


def doc_key(source: str, part: int) -> str:
    return f"{source}#{part}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class MilvusStore:
    """Documents, chunks, dense and BM25 indexes in Milvus (Lite or server), same contract as local."""

    def __init__(self, client: Any, target: StoreTarget, embedder: Embedder, chunking: dict[str, Any],
                 config: dict[str, Any], *, exact_index_max: int, lexical: str = "milvus") -> None:
        self.client = client
        self.target = target
        self.embedder = embedder
        self.chunking = dict(chunking)
        self.exact_index_max = exact_index_max
        self._config = config
        self._means: dict[str, np.ndarray] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.lexical: MilvusLexical | LocalLexical
        if lexical == "milvus":
            self.lexical = MilvusLexical(client, self.doc_freqs)
        elif lexical == "local":
            self.lexical = LocalLexical(lambda: self._all(CHUNKS, 'id != ""', ["id", "lang", "terms"]),
                                        self._get_chunks)
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
                raise IndexError_(f"No index in {target.uri}.", fix=f"rag ingest PATH --store {_flag(target)}")
            config = cls._create(client, embedder, chunking)
        else:
            for name in COLLECTIONS:
                if not client.has_collection(name):
                    raise IndexError_(f"Index in {target.uri} is corrupt: collection {name} is missing.",
                                      fix=f"rag ingest --rebuild PATH --store {_flag(target)}")
                client.load_collection(name)
            rows = client.get(META, ids=["config"], output_fields=["info"])
            if not rows:
                raise IndexError_(f"Index in {target.uri} is corrupt: its config row is missing.",
                                  fix=f"rag ingest --rebuild PATH --store {_flag(target)}")
            config = dict(rows[0]["info"])
            _check_compatible(target, config, embedder, chunking)
        return cls(client, target, embedder, chunking, config, exact_index_max=exact_index_max, lexical=lexical)

    @staticmethod
    def _create(client: Any, embedder: Embedder, chunking: dict[str, Any]) -> dict[str, Any]:
        schema, index = chunks_schema(client, embedder.dim)
        client.create_collection(CHUNKS, schema=schema, index_params=index, consistency_level=CONSISTENCY)
        for name in (DOCUMENTS, TERMS, META):
            schema, index = keyed_schema(client)
            client.create_collection(name, schema=schema, index_params=index, consistency_level=CONSISTENCY)
        now = _now()
        config = {"format_version": FORMAT_VERSION, "chunking": dict(chunking), "version": 0, "index_kind": "flat",
                  "embedder": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim},
                  "created_at": now, "updated_at": now}
        client.upsert(META, [_keyed("config", "", 0, config)])  # written last: its presence = "exists"
        return config

    def close(self) -> None:
        """Release the connection (and for Milvus Lite the in-process engine, unlocking the file)."""
        self.client.close()
        if self.target.kind == "lite":
            from milvus_lite import server_manager_instance

            server_manager_instance.release_server(self.target.uri)

    # -- reading ----------------------------------------------------------------------------------

    def _all(self, collection: str, filt: str, fields: list[str]) -> list[dict[str, Any]]:
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

    def _refresh(self, force: bool = False) -> None:
        """Re-read the version and language means another process may have changed (at most every
        ``MEANS_TTL_S``), so a long-running ``rag serve`` follows an ingest made elsewhere."""
        if not force and time.monotonic() - self._read_at < MEANS_TTL_S:
            return
        rows = self._all(META, 'key != ""', ["key", "info"])
        means: dict[str, np.ndarray] = {}
        for r in rows:
            if r["key"] == "config":
                self._config = dict(r["info"])
            elif r["key"].startswith("lang:") and r["info"].get("count", 0) > 0:
                info = r["info"]
                means[r["key"][5:]] = (np.asarray(info["sum"], dtype=np.float64) / info["count"]).astype(np.float32)
        with self._lock:
            self._means, self._read_at = means, time.monotonic()

    def __len__(self) -> int:
        res = self.client.query(CHUNKS, filter="", output_fields=["count(*)"], consistency_level=CONSISTENCY)
        return int(res[0]["count(*)"]) if res else 0

    @property
    def generation(self) -> int:
        self._refresh()
        return int(self._config.get("version", 0))

    @property
    def index_kind(self) -> str:
        return str(self._config.get("index_kind", "flat"))

    def _records(self, sources: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        if sources is None:
            rows = self._all(DOCUMENTS, "part == 0", ["source", "info"])
        else:
            keys = [doc_key(s, 0) for s in sources]
            rows = [r for i in range(0, len(keys), BATCH)
                    for r in self.client.get(DOCUMENTS, ids=keys[i:i + BATCH], output_fields=["source", "info"])]
        return {r["source"]: dict(r["info"]) for r in rows}

    def sources(self) -> set[str]:
        return {r["source"] for r in self._all(DOCUMENTS, "part == 0", ["source"])}

    def documents(self) -> list[dict[str, Any]]:
        recs = self._records()
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
        rec = self._records([source]).get(source)
        return rec is None or rec["content_hash"] != content_hash

    def _get_chunks(self, ids: list[str]) -> list[Chunk]:
        rows = [r for i in range(0, len(ids), BATCH)
                for r in self.client.get(CHUNKS, ids=ids[i:i + BATCH], output_fields=["chunk"])]
        return [Chunk.from_dict(r["chunk"]) for r in rows]

    def chunk(self, chunk_id: str) -> Chunk:
        found = self._get_chunks([chunk_id])
        if not found:
            raise KeyError(f"no chunk {chunk_id!r} in the index")
        return found[0]

    def chunks(self) -> list[Chunk]:
        out = [Chunk.from_dict(r["chunk"]) for r in self._all(CHUNKS, 'id != ""', ["chunk"])]
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
        self._refresh()
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        return {lang: float(mean @ q) for lang, mean in self._means.items()}

    def search_lexical(self, query: str, lang: str, k: int, *, min_coverage: float | None = None
                       ) -> list[tuple[Chunk, float]]:
        self._refresh()
        return self.lexical.search(query, lang, k, len(self), int(self._config.get("version", 0)), min_coverage)

    # -- writing ----------------------------------------------------------------------------------

    def remove(self, sources: Sequence[str], *, progress: bool = False) -> ApplyReport:
        return self.apply([], sources, progress=progress)

    def apply(self, upserts: Sequence[tuple[Document, list[Chunk]]], removals: Sequence[str] = (), *,
              progress: bool = True) -> ApplyReport:
        """Add or replace documents and remove others (order of writes: see the module docstring)."""
        with self._write_lock:
            return plan_apply(self, upserts, removals, progress=progress)

    def write_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, terms_of: Sequence[str]) -> None:
        rows = []
        for c, v, terms in zip(chunks, vectors, terms_of, strict=True):
            rows.append({"id": c.id, "source": c.source, "lang": c.lang, "terms": terms, "chunk": c.to_dict(),
                         "vector": np.asarray(v, dtype=np.float32).tolist()})
        for i in range(0, len(rows), BATCH):
            self.client.upsert(CHUNKS, rows[i:i + BATCH])

    def write_document(self, rec: dict[str, Any], text: str) -> None:
        slices = [text[i:i + TEXT_SLICE_CHARS] for i in range(0, len(text), TEXT_SLICE_CHARS)] or [""]
        rows = [_keyed(doc_key(rec["source"], 0), rec["source"], 0, rec, slices[0])]
        rows += [_keyed(doc_key(rec["source"], i), rec["source"], i, {}, s) for i, s in enumerate(slices) if i]
        self.client.upsert(DOCUMENTS, rows)
        self.client.delete(DOCUMENTS, filter=f"source == {quote(rec['source'])} and part >= {len(slices)}")

    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (absent terms: 0)."""
        rows = [r for i in range(0, len(terms), BATCH)
                for r in self.client.get(TERMS, ids=list(terms[i:i + BATCH]), output_fields=["key", "info"])]
        return {r["key"]: int(r["info"]["df"]) for r in rows}

    def write_terms(self, delta: dict[str, int]) -> None:
        touched = sorted(t for t, d in delta.items() if d)
        current = self.doc_freqs(touched)
        keep: list[dict[str, Any]] = []
        gone: list[str] = []
        for t in touched:
            df = current.get(t, 0) + delta[t]
            if df > 0:
                keep.append(_keyed(t, "", 0, {"df": df}))
            else:
                gone.append(t)
        for i in range(0, len(keep), BATCH):
            self.client.upsert(TERMS, keep[i:i + BATCH])
        for i in range(0, len(gone), BATCH):
            self.client.delete(TERMS, ids=gone[i:i + BATCH])

    def write_meta(self, lang_delta: dict[str, tuple[np.ndarray, int]], n_chunks: int) -> dict[str, Any]:
        """Add the per-language sums/counts, bump the version, switch to HNSW past ``exact_index_max``."""
        rows = {r["key"]: dict(r["info"]) for r in self._all(META, 'key != ""', ["key", "info"])}
        out = []
        for lang, (vec_sum, count) in lang_delta.items():
            cur = rows.get(f"lang:{lang}", {"sum": [0.0] * self.embedder.dim, "count": 0})
            new_sum = np.asarray(cur["sum"], dtype=np.float64) + vec_sum
            out.append(_keyed(f"lang:{lang}", "", 0, {"sum": new_sum.tolist(), "count": int(cur["count"]) + count}))
        config = dict(rows.get("config", self._config))
        config["version"] = int(config.get("version", 0)) + 1
        config["updated_at"] = _now()
        if config.get("index_kind") == "flat" and n_chunks > self.exact_index_max:
            self._switch_to_hnsw()
            config["index_kind"] = "hnsw"
        out.append(_keyed("config", "", 0, config))
        self.client.upsert(META, out)
        self._config = config
        self._refresh(force=True)
        return config

    def _switch_to_hnsw(self) -> None:
        """Exact search up to ``exact_index_max`` chunks, HNSW (same M / efConstruction) above, as local."""
        self.client.release_collection(CHUNKS)
        self.client.drop_index(CHUNKS, "vector")
        ip = self.client.prepare_index_params()
        ip.add_index("vector", index_type="HNSW", metric_type="IP", params=dict(HNSW_PARAMS))
        self.client.create_index(CHUNKS, ip)
        self.client.load_collection(CHUNKS)


def _keyed(key: str, source: str, part: int, info: dict[str, Any], text: str = "") -> dict[str, Any]:
    return {"key": key, "source": source, "part": part, "info": info, "text": text, "dummy": list(DUMMY)}


def _flag(target: StoreTarget) -> str:
    return f"milvus://{target.uri}" if target.kind == "lite" else target.uri


def _check_compatible(target: StoreTarget, config: dict[str, Any], embedder: Embedder,
                      chunking: dict[str, Any]) -> None:
    """Refuse an index built with another embedder or chunking (the local store's rule and message)."""
    fix = f"rag ingest --rebuild PATH --store {_flag(target)}"
    if config.get("format_version") != FORMAT_VERSION:
        raise IndexError_(f"Index in {target.uri} has format {config.get('format_version')}, this version "
                          f"reads {FORMAT_VERSION}; rebuild the index.", fix=fix)
    emb = config.get("embedder") or {}
    if emb.get("fingerprint") != embedder.fingerprint or emb.get("dim") != embedder.dim:
        raise IndexError_(
            f"Index in {target.uri} was built with embedder {emb.get('name')!r} (fingerprint "
            f"{emb.get('fingerprint')}, dim {emb.get('dim')}); the current embedder is {embedder.name!r} "
            f"(fingerprint {embedder.fingerprint}, dim {embedder.dim}). Its vectors are not comparable; "
            "rebuild the index.", fix=fix)
    if config.get("chunking") != chunking:
        raise IndexError_(f"Index in {target.uri} was built with chunking {config.get('chunking')}; the current "
                          f"settings are {chunking}. Rebuild the index or restore those settings.", fix=fix)
